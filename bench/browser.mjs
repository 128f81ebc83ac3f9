#!/usr/bin/env node
// Browser benchmark, not a test: our Dioxus UI (ui/dist) against the original Ionic Vue app it
// replaces (bench/build-original.sh builds it). Two figures, printed as plain greppable lines:
//   bundle gzip             gzip -9 of the .wasm/.js/.css each app ships (kB = 1000 bytes)
//   home interactive        navigation start → first animation frame with Home's Login visible
//   home painted            navigation start → Home's first contentful paint (a cross-check)
// Exits 0 whether or not the targets are met; non-zero only when the harness itself fails.
// Setup: `npm ci --prefix bench` (playwright-core only; the browser is the system's chromium).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { APPS, probe } from './apps.mjs';
import { bundleSizes, serveDir } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET_BUNDLE_RATIO = 0.5;
const TARGET_HOME_RATIO = 0.6;
// Issue 21: our bundle against the smallest Dioxus app with the same framework features.
const TARGET_FLOOR_RATIO = 1.3;
const LOAD_TIMEOUT_MS = 30_000;
// The Tauri window's size (440x700): both apps lay out as on the desktop app.
const VIEWPORT = { width: 440, height: 700 };

const USAGE = `usage: node bench/browser.mjs [--ours DIR] [--original DIR] [--floor DIR] [--runs N] [--verbose] [--screenshots DIR]
  --ours DIR         our built UI (default: ui/dist)
  --floor DIR        the Dioxus floor app's dist (scripts/build-ui.sh --crate bench/dioxus-floor)
  --original DIR     the original app's dist (from bench/build-original.sh); empty or absent: no comparison
  --runs N           fresh loads of each app, interleaved (default 21; at least 15 for a fair median)
  --verbose          per-file sizes and every load's time
  --screenshots DIR  saves each app's Home as DIR/{ours,original}-home.png (checks what was measured)`;

// ---- One fresh load ---------------------------------------------------------------------------

// Rejects after LOAD_TIMEOUT_MS instead of hanging on an app that never shows Home.
function within(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} after ${LOAD_TIMEOUT_MS} ms`)), LOAD_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A new context is a new profile in memory: empty HTTP and code caches, no storage.
// Returns { home, paint }: ms from navigation start (see probe in apps.mjs).
async function load(browser, name, url, { verify = false, screenshot = null } = {}) {
  const app = APPS[name];
  const context = await browser.newContext({ viewport: VIEWPORT, serviceWorkers: 'block' });
  const problems = [];
  try {
    const page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`HTTP ${r.status()} ${r.url()}`);
    });
    for (const [fn, arg] of app.init) await page.addInitScript(fn, arg);
    await page.addInitScript(probe, { ...app.probe, watchDom: verify });
    await page.goto(url, { waitUntil: 'commit' });
    const home = await within(page.evaluate(() => window.__benchHome), `${name}: Home's Login not visible`);
    const paint = await within(page.evaluate(() => window.__benchPaint), `${name}: no contentful paint`);
    if (verify) await verifyHome(page, name, paint, problems);
    if (screenshot) await page.screenshot({ path: screenshot });
    if (problems.length) throw new Error(`${name}: ${problems.join('; ')}`);
    return { home, paint };
  } catch (e) {
    if (problems.length && !e.message.includes(problems[0])) e.message += ` (${problems.join('; ')})`;
    throw e;
  } finally {
    await context.close();
  }
}

// The measured screen is really Home, whole, its first contentful paint is Home's, and ours
// talked to the fake shell as it would to Tauri.
async function verifyHome(page, name, paint, problems) {
  await page.waitForTimeout(300); // late errors or redirects would show up here
  for (const [selector, text] of APPS[name].expect) {
    const link = page.locator(selector);
    if (!(await link.isVisible()) || (await link.innerText()).trim() !== text) {
      problems.push(`Home lacks a visible "${text}" (${selector})`);
    }
  }
  const dom = await page.evaluate(() => window.__benchDom);
  if (dom === null || paint < dom) problems.push(`first contentful paint (${paint} ms) before Home's Login existed (${dom} ms)`);
  if (name === 'ours') {
    const calls = await page.evaluate(() => window.__benchIpc);
    if (calls.join() !== 'app_state,pending_redirect') problems.push(`unexpected IPC calls: ${calls.join() || 'none'}`);
    if (await page.locator('#outside-banner, #offline-banner').count()) problems.push('a preview/offline banner shows');
  }
  if (new URL(page.url()).pathname !== '/') problems.push(`navigated away to ${page.url()}`);
}

// ---- Report -----------------------------------------------------------------------------------

const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const ratio = (a, b) => (a / b).toFixed(2);
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function reportBundles(ours, original, verbose) {
  console.log('# bundle: gzip -9 of the shipped .wasm/.js/.css (kB = 1000 bytes)');
  if (original) {
    console.log(`bundle gzip: ours ${kB(ours.whole)}, original ${kB(original.whole)}, ratio ${ratio(ours.whole, original.whole)} (target <= ${TARGET_BUNDLE_RATIO})`);
    console.log(`bundle gzip per file (sum): ours ${kB(ours.perFile)}, original ${kB(original.perFile)}, ratio ${ratio(ours.perFile, original.perFile)}`);
  } else {
    console.log(`bundle gzip: ours ${kB(ours.whole)} (no original to compare)`);
    console.log(`bundle gzip per file (sum): ours ${kB(ours.perFile)}`);
  }
  if (!verbose) return;
  for (const [name, b] of Object.entries({ ours, original })) {
    for (const f of b?.files ?? []) console.log(`  ${name} ${kB(f.gzip).padStart(9)} gzip ${kB(f.raw).padStart(10)} raw  ${f.path}`);
  }
}

// One figure (`key` of each load) of both apps: median line, then range line.
function reportTimes(label, key, times, runs, target) {
  const fmt = (ms) => `${Math.round(ms)} ms`;
  const o = times.ours.map((t) => t[key]);
  const range = (xs) => `${fmt(Math.min(...xs))}..${fmt(Math.max(...xs))}`;
  if (times.original) {
    const g = times.original.map((t) => t[key]);
    const goal = target ? ` (target <= ${target})` : '';
    console.log(`${label} median: ours ${fmt(median(o))}, original ${fmt(median(g))}, ratio ${ratio(median(o), median(g))} over ${runs} interleaved loads${goal}`);
    console.log(`${label} range: ours ${range(o)}, original ${range(g)}`);
  } else {
    console.log(`${label} median: ours ${fmt(median(o))} over ${runs} loads (no original to compare)`);
    console.log(`${label} range: ours ${range(o)}`);
  }
}

// ---- Main -------------------------------------------------------------------------------------

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  }
}

async function main() {
  const { values: opt } = parseArgs({
    options: {
      ours: { type: 'string', default: path.join(ROOT, 'ui/dist') },
      original: { type: 'string', default: '' },
      floor: { type: 'string', default: '' },
      runs: { type: 'string', default: '21' },
      verbose: { type: 'boolean', default: false },
      screenshots: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (opt.help) return console.log(USAGE);
  const runs = Number(opt.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: a positive integer, not ${opt.runs}`);
  if (runs < 15) console.log(`# warning: ${runs} runs; medians need at least 15 to be worth comparing`);
  const dirs = { ours: path.resolve(opt.ours) };
  if (opt.original) dirs.original = path.resolve(opt.original);
  // The floor app is loaded alike: its first screen is how soon any Dioxus app of these features
  // can show one (what `ours` can be asked to approach).
  if (opt.floor) dirs.floor = path.resolve(opt.floor);
  for (const dir of Object.values(dirs)) {
    if (!fs.existsSync(path.join(dir, 'index.html'))) throw new Error(`${dir}: no index.html (not built?)`);
  }
  const started = performance.now();

  const sizes = Object.fromEntries(Object.entries(dirs).map(([name, dir]) => [name, bundleSizes(name, dir)]));
  reportBundles(sizes.ours, sizes.original, opt.verbose);
  if (sizes.floor) {
    console.log(`bundle gzip vs floor: ours ${kB(sizes.ours.whole)}, Dioxus floor app ${kB(sizes.floor.whole)}, ratio ${ratio(sizes.ours.whole, sizes.floor.whole)} (target <= ${TARGET_FLOOR_RATIO})`);
  }

  const names = Object.keys(dirs);
  const servers = {};
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    for (const name of names) servers[name] = await serveDir(dirs[name]);
    // One unmeasured load each first: checks the screen is the real Home, and warms the OS's caches
    // and the browser's shared processes so the first measured load is not an outlier.
    if (opt.screenshots) fs.mkdirSync(opt.screenshots, { recursive: true });
    for (const name of names) {
      const screenshot = opt.screenshots ? path.join(opt.screenshots, `${name}-home.png`) : null;
      await load(browser, name, servers[name].url, { verify: true, screenshot });
    }
    const times = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < runs; i++) {
      for (const name of names) {
        const t = await load(browser, name, servers[name].url);
        times[name].push(t);
        if (opt.verbose) console.log(`  load ${i + 1} ${name}: home ${t.home.toFixed(1)} ms, paint ${t.paint.toFixed(1)} ms`);
      }
    }
    console.log('# home interactive: first animation frame with Home\'s Login visible; home painted: that screen\'s first contentful paint');
    reportTimes('home interactive', 'home', times, runs, TARGET_HOME_RATIO);
    reportTimes('home painted', 'paint', times, runs, null);
    if (times.floor && times.original) {
      const f = median(times.floor.map((t) => t.home));
      console.log(`floor first screen median: Dioxus floor app ${Math.round(f)} ms, ratio to the original ${ratio(f, median(times.original.map((t) => t.home)))}, ours to the floor ${ratio(median(times.ours.map((t) => t.home)), f)}`);
    }
  } finally {
    await browser.close();
    await Promise.all(Object.values(servers).map((s) => s.close()));
  }
  console.log(`# browser bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((e) => {
  console.error(`bench/browser.mjs: ${e.message}`);
  process.exit(1);
});
