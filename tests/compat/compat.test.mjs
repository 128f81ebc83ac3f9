// Compatibility test: the OFFICIAL npm `altogic` client (2.3.9, its UMD browser build) running in
// headless Chromium, on a page of another origin (so every call goes through CORS), against the real
// altogic-local binary. Run with `npm ci && node --test` in this folder.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const BIN = path.resolve(HERE, process.env.ALTOGIC_LOCAL_BIN || '../../target/debug/altogic-local');
const CLIENT_KEY = 'compat-test-client-key';
// The dev mailbox answers its own token, never the client key (which ships inside apps).
const MAILBOX_TOKEN = 'compat-test-mailbox-token-0123456789abcdef';
const REDIRECT_URL = 'http://app.test/auth-redirect';
const CALL_TIMEOUT_MS = 5000;
const STEP_TIMEOUT_MS = 20000;
const PASSWORD = 'correct-horse-1';
const NEW_PASSWORD = 'battery-staple-2';

// The UMD bundle of the installed client (it assigns `self.altogic`).
const ALTOGIC_PKG_DIR = path.dirname(require.resolve('altogic/package.json'));
const ALTOGIC_VERSION = JSON.parse(fs.readFileSync(path.join(ALTOGIC_PKG_DIR, 'package.json'), 'utf8')).version;
const ALTOGIC_UMD = path.join(ALTOGIC_PKG_DIR, 'dist/umd/altogic.js');

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function chromiumPath() {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium not found: apt-get install -y chromium (or set CHROMIUM_PATH)');
  }
}

// ---------------------------------------------------------------------------------------------
// Processes we start, killed on the way out even if a hook never runs.
const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

let databases = 0;
/** A new database in the cluster of `adminUrl`, migrated by `altogic-local migrate`. */
function freshDatabase(adminUrl, env) {
  const name = `compat_${process.pid}_${++databases}`;
  execFileSync('psql', [adminUrl, '-q', '-c', `CREATE DATABASE ${name}`], { stdio: 'pipe' });
  const url = adminUrl.replace(/\/[^/]*$/, `/${name}`);
  execFileSync(BIN, ['migrate', '--database-url', url], { stdio: 'pipe', env });
  return url;
}

/** Starts altogic-local on a free port; resolves once it printed its listening line. */
async function startServer({ emailVerification, extraArgs = [] }) {
  assert.ok(fs.existsSync(BIN), `server binary ${BIN} is missing: run \`cargo build -p altogic-local\` (or set ALTOGIC_LOCAL_BIN)`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'altogic-compat-'));
  // Settings come from the command line only, not from an ALTOGIC_LOCAL_* variable of the caller.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ALTOGIC_LOCAL_')));
  env.ALTOGIC_LOCAL_LOG = 'warn';
  // With COMPAT_DATABASE_URL (a PostgreSQL admin URL), each server gets a fresh, migrated database.
  const database = process.env.COMPAT_DATABASE_URL ? freshDatabase(process.env.COMPAT_DATABASE_URL, env) : null;
  const args = [
    'serve',
    '--listen', '127.0.0.1:0',
    '--data-dir', dataDir,
    ...(database ? ['--database-url', database] : []),
    '--client-key', CLIENT_KEY,
    '--redirect-url', REDIRECT_URL,
    '--email-verification', String(emailVerification),
    '--auth-rate-limit', '0',
    '--mail-rate-limit', '0',
    '--mailbox-token', MAILBOX_TOKEN,
    ...extraArgs,
  ];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`altogic-local did not start within 15 s\nstdout: ${stdout}\nstderr: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/altogic-local listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code, signal) => { clearTimeout(timer); reject(new Error(`altogic-local exited early (${code ?? signal})\nstderr: ${stderr}`)); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
  child.stdout.resume();
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The page's origin: a tiny static server on another port (127.0.0.1:X vs 127.0.0.1:Y = other origin).

const PAGE_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>altogic compat</title>
<script src="/altogic.js"></script>
<script>
  // Every client call goes through settle(): a promise that never settles fails the test here
  // instead of stalling it. A rejection is re-thrown with the call's name.
  window.settle = async (label, call, ms = ${CALL_TIMEOUT_MS}) => {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(label + ': the promise did not settle within ' + ms + ' ms'), { settleTimeout: true })), ms);
    });
    try {
      return await Promise.race([Promise.resolve().then(call), timeout]);
    } catch (e) {
      if (e && e.settleTimeout) throw e;
      throw new Error(label + ' rejected: ' + (e && e.message ? e.message : JSON.stringify(e)));
    } finally {
      clearTimeout(timer);
    }
  };
  // A ClientStorage for a second, independent client on the same page.
  window.memoryStorage = () => {
    const m = new Map();
    return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), removeItem: (k) => m.delete(k) };
  };
  const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
  window.pngBytes = () => Uint8Array.from(atob(PNG_1X1), (c) => c.charCodeAt(0));
</script>
</head><body>altogic compat</body></html>`;

async function startPageServer() {
  const umd = fs.readFileSync(ALTOGIC_UMD);
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    if (p === '/' || p === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(PAGE_HTML);
    } else if (p === '/altogic.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(umd);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

// ---------------------------------------------------------------------------------------------
// Node-side helpers: the dev mailbox and opening a mailed link like a browser would (no follow).

async function mailbox(serverUrl, to) {
  const res = await fetch(`${serverUrl}/_local/v1/mail?to=${encodeURIComponent(to)}`, {
    headers: { Authorization: `Bearer ${MAILBOX_TOKEN}` },
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  });
  assert.equal(res.status, 200, 'dev mailbox answers 200');
  const body = await res.json();
  assert.ok(Array.isArray(body.messages), 'mailbox has a messages array');
  return body.messages;
}

/** The newest mail of `action` to `to` whose id is not in `seen`. */
async function newestMail(serverUrl, to, action, seen) {
  // Mail requests are answered before their mail is written (same timing for every address): wait.
  let messages = [];
  let mail;
  for (let i = 0; i < 50 && !mail; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    messages = await mailbox(serverUrl, to);
    mail = messages.find((m) => m.action === action && !seen.has(m.id));
  }
  assert.ok(mail, `a new "${action}" mail to ${to} is in the mailbox (got: ${JSON.stringify(messages.map((m) => [m.to, m.action]))})`);
  assert.equal(mail.to, to, 'the mail went to the exact address');
  assert.match(mail.link, /^http:\/\/127\.0\.0\.1:\d+\//, 'the mail has a link to the server');
  seen.add(mail.id);
  return mail;
}

/** Opens a mailed link without following the redirect; returns the redirect's query parameters. */
async function openLink(link) {
  const res = await fetch(link, { redirect: 'manual', signal: AbortSignal.timeout(CALL_TIMEOUT_MS) });
  assert.equal(res.status, 302, `the mail link answers 302 (got ${res.status})`);
  const location = res.headers.get('location');
  assert.ok(location && location.startsWith(`${REDIRECT_URL}?`), `the link redirects to the app's redirect URL (got ${location})`);
  return Object.fromEntries(new URL(location).searchParams);
}

async function openLinkForToken(link, action) {
  const params = await openLink(link);
  assert.equal(params.action, action, 'redirect action');
  assert.equal(params.status, '200', `redirect status (error: ${params.error})`);
  assert.ok(params.access_token, 'redirect carries an access_token');
  return params.access_token;
}

const codes = (errors) => (errors?.items ?? []).map((i) => i.code);

/** An APIError as the client builds it: status, statusText and items with string origin/code/message. */
function assertApiError(errors, { status, code }, what) {
  assert.ok(errors, `${what}: errors is set`);
  assert.equal(errors.status, status, `${what}: HTTP status (items: ${JSON.stringify(errors.items)})`);
  assert.ok(Array.isArray(errors.items) && errors.items.length > 0, `${what}: errors.items is a non-empty array`);
  assert.ok(codes(errors).includes(code), `${what}: an item has code ${code} (got ${JSON.stringify(codes(errors))})`);
  for (const item of errors.items) {
    assert.equal(typeof item.origin, 'string', `${what}: item.origin is a string`);
    assert.equal(typeof item.code, 'string', `${what}: item.code is a string`);
    assert.equal(typeof item.message, 'string', `${what}: item.message is a string`);
  }
}

function assertUser(user, what) {
  assert.ok(user && typeof user === 'object', `${what}: user object`);
  assert.match(user._id, /^[0-9a-f]{24}$/, `${what}: _id is an ObjectId`);
  assert.equal(user.provider, 'altogic', `${what}: provider`);
  assert.equal(user.providerUserId, user._id, `${what}: providerUserId`);
  assert.equal(typeof user.signUpAt, 'string', `${what}: signUpAt`);
  assert.equal(typeof user.lastLoginAt, 'string', `${what}: lastLoginAt`);
  assert.equal(user.password, undefined, `${what}: no password field`);
}

function assertSession(session, userId, what) {
  assert.ok(session && typeof session === 'object', `${what}: session object`);
  assert.equal(session.userId, userId, `${what}: session.userId`);
  assert.equal(typeof session.token, 'string', `${what}: session.token`);
  assert.ok(session.token.length > 10, `${what}: session.token is not empty`);
  assert.equal(typeof session.creationDtm, 'string', `${what}: creationDtm`);
  assert.ok(Array.isArray(session.accessGroupKeys), `${what}: accessGroupKeys`);
  assert.equal(typeof session.userAgent?.family, 'string', `${what}: userAgent.family`);
}

// ---------------------------------------------------------------------------------------------
// One browser for both suites.

let browserContext;
let browserDir;
let pageServer;
const pageErrors = [];

before(async () => {
  assert.equal(ALTOGIC_VERSION, '2.3.9', 'the installed altogic client is exactly 2.3.9');
  assert.ok(fs.existsSync(ALTOGIC_UMD), `UMD bundle at ${ALTOGIC_UMD}`);
  pageServer = await startPageServer();
  browserDir = fs.mkdtempSync(path.join(os.tmpdir(), 'altogic-compat-chromium-'));
  browserContext = await chromium.launchPersistentContext(browserDir, {
    executablePath: chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 20000,
  });
});

after(async () => {
  await browserContext?.close().catch(() => {});
  await pageServer?.close().catch(() => {});
  if (browserDir) fs.rmSync(browserDir, { recursive: true, force: true });
});

/** A fresh tab on the page origin with the client loaded and local storage emptied. */
async function openPage() {
  const page = await browserContext.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${pageServer.url}/`, { timeout: 10000 });
  const info = await page.evaluate(() => {
    localStorage.clear();
    return { hasClient: typeof window.altogic?.createClient === 'function', origin: location.origin };
  });
  assert.ok(info.hasClient, 'the UMD bundle defines window.altogic.createClient');
  return { page, origin: info.origin };
}

// ---------------------------------------------------------------------------------------------

describe('altogic-js 2.3.9 in Chromium, e-mail verification OFF', { timeout: 60000 }, () => {
  let server;
  let page;
  const email = 'alice@example.com';
  const state = {};

  before(async () => {
    server = await startServer({ emailVerification: false });
    ({ page, origin: state.origin } = await openPage());
  });

  after(async () => {
    await page?.close().catch(() => {});
    await server?.stop();
  });

  test('the page is on another origin than the server', () => {
    assert.notEqual(state.origin, new URL(server.url).origin, 'cross-origin setup');
  });

  test('signUpWithEmail returns user + session and the client stores the session', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async ({ envUrl, key, email, password }) => {
      window.c = altogic.createClient(envUrl, key);
      const res = await settle('signUpWithEmail', () => window.c.auth.signUpWithEmail(email, password, 'Alice'));
      return { res, stored: window.c.auth.getSession(), storedUser: window.c.auth.getUser(), header: window.c.auth.fetcher?.getSessionToken?.() };
    }, { envUrl: server.url, key: CLIENT_KEY, email, password: PASSWORD });
    assert.equal(r.res.errors, null, `no errors: ${JSON.stringify(r.res.errors)}`);
    assertUser(r.res.user, 'sign-up');
    assert.equal(r.res.user.email, email);
    assert.equal(r.res.user.name, 'Alice');
    assertSession(r.res.session, r.res.user._id, 'sign-up');
    assert.equal(r.stored?.token, r.res.session.token, 'the client stored the session');
    assert.equal(r.storedUser?._id, r.res.user._id, 'the client stored the user');
    assert.equal(r.header, r.res.session.token, 'the client sends the token in its Session header');
    state.user = r.res.user;
    state.token = r.res.session.token;
  });

  test('getUserFromDB returns the signed-in user', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(() => settle('getUserFromDB', () => window.c.auth.getUserFromDB()));
    assert.equal(r.errors, null, `no errors: ${JSON.stringify(r.errors)}`);
    assertUser(r.user, 'getUserFromDB');
    assert.equal(r.user._id, state.user._id);
    assert.equal(r.user.email, email);
  });

  test('getAllSessions includes the current session', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(() => settle('getAllSessions', () => window.c.auth.getAllSessions()));
    assert.equal(r.errors, null, `no errors: ${JSON.stringify(r.errors)}`);
    assert.ok(Array.isArray(r.sessions), 'sessions is an array');
    const current = r.sessions.find((s) => s.token === state.token);
    assert.ok(current, 'the current session (full token) is listed');
    assert.equal(current.isCurrent, true, 'current session has isCurrent: true');
    assertSession(current, state.user._id, 'listed session');
    assert.match(current.userAgent.family, /Chrome$/, 'user agent parsed from the browser (HeadlessChrome)');
    assert.match(current.userAgent.major, /^\d+$/, 'user agent major version');
  });

  test('db.model("users").object(id).update({name}) returns the updated user', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate((id) => settle('object.update', () => window.c.db.model('users').object(id).update({ name: 'Alice Updated' })), state.user._id);
    assert.equal(r.errors, null, `no errors: ${JSON.stringify(r.errors)}`);
    assert.equal(r.data?._id, state.user._id);
    assert.equal(r.data?.name, 'Alice Updated');
    const g = await page.evaluate((id) => settle('object.get (own)', () => window.c.db.model('users').object(id).get()), state.user._id);
    assert.equal(g.errors, null, `no errors: ${JSON.stringify(g.errors)}`);
    assert.equal(g.data?.name, 'Alice Updated', 'get reads the new name back');
  });

  test("db.model('users').object(otherUserId).get() fails with a permission error", { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async ({ envUrl, key }) => {
      // A second, independent client (own storage) signs up another user.
      const other = altogic.createClient(envUrl, key, { localStorage: memoryStorage() });
      const bob = await settle('signUpWithEmail (bob)', () => other.auth.signUpWithEmail('bob@example.com', 'bob-password-1', 'Bob'));
      if (bob.errors) return { bob };
      const get = await settle('object(other).get', () => window.c.db.model('users').object(bob.user._id).get());
      const update = await settle('object(other).update', () => window.c.db.model('users').object(bob.user._id).update({ name: 'pwned' }));
      const bobAgain = await settle('bob getUserFromDB', () => other.auth.getUserFromDB());
      return { bob, get, update, bobAgain, stillSignedIn: window.c.auth.getSession()?.token };
    }, { envUrl: server.url, key: CLIENT_KEY });
    assert.equal(r.bob.errors, null, `bob signed up: ${JSON.stringify(r.bob.errors)}`);
    assert.equal(r.get.data, null, 'no data for another user\'s object');
    assertApiError(r.get.errors, { status: 403, code: 'permission_denied' }, 'get other user');
    assert.equal(r.update.data, null);
    assertApiError(r.update.errors, { status: 403, code: 'permission_denied' }, 'update other user');
    assert.equal(r.bobAgain.user?.name, 'Bob', 'the other user is unchanged');
    assert.equal(r.stillSignedIn, state.token, 'a permission error does not drop the session');
  });

  test('storage upload of a PNG Blob returns a publicPath that serves image/png cross-origin', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async (id) => {
      const blob = new Blob([pngBytes()], { type: 'image/png' });
      const up = await settle('bucket.upload (fetch)', () => window.c.storage.bucket('root').upload('user_' + id, blob));
      if (up.errors) return { up };
      const res = await settle('fetch publicPath', () => fetch(up.data.publicPath));
      const bytes = new Uint8Array(await res.arrayBuffer());
      const img = await settle('<img> load', () => new Promise((resolve) => {
        const el = new Image();
        el.onload = () => resolve({ loaded: true, w: el.naturalWidth, h: el.naturalHeight });
        el.onerror = () => resolve({ loaded: false });
        el.src = up.data.publicPath;
      }));
      const pic = await settle('update profilePicture', () => window.c.db.model('users').object(id).update({ profilePicture: up.data.publicPath }));
      return { up, status: res.status, type: res.headers.get('content-type'), size: bytes.length, sig: Array.from(bytes.slice(0, 8)), img, pic };
    }, state.user._id);
    assert.equal(r.up.errors, null, `upload ok: ${JSON.stringify(r.up.errors)}`);
    const f = r.up.data;
    assert.equal(f.fileName, `user_${state.user._id}`);
    assert.equal(f.mimeType, 'image/png');
    assert.equal(f.size, 70);
    assert.equal(f.userId, state.user._id);
    assert.equal(f.isPublic, true);
    assert.match(f.publicPath, /^http:\/\/127\.0\.0\.1:\d+\/_storage\/[0-9a-f]{24}\/[0-9a-f]{24}\/[0-9a-f]{24}$/);
    assert.equal(r.status, 200, 'publicPath answers 200');
    assert.equal(r.type, 'image/png', 'publicPath is served as image/png');
    assert.equal(r.size, 70, 'the same bytes come back');
    assert.deepEqual(r.sig, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.deepEqual(r.img, { loaded: true, w: 1, h: 1 }, 'the image renders in an <img>');
    assert.equal(r.pic.errors, null, `profilePicture update ok: ${JSON.stringify(r.pic.errors)}`);
    assert.equal(r.pic.data?.profilePicture, f.publicPath);
  });

  test('storage upload of a File with onProgress (XMLHttpRequest path) works too', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async (id) => {
      const file = new File([pngBytes()], 'avatar.png', { type: 'image/png' });
      let progress = 0;
      const up = await settle('bucket.upload (xhr)', () => window.c.storage.bucket('root').upload('user_' + id + '_xhr', file, { onProgress: (loaded, total, pct) => { progress = pct; } }));
      return { up, progress };
    }, state.user._id);
    assert.equal(r.up.errors, null, `upload ok: ${JSON.stringify(r.up.errors)}`);
    assert.equal(r.up.data?.mimeType, 'image/png');
    assert.equal(r.up.data?.fileName, `user_${state.user._id}_xhr`);
  });

  test('uploading a text Blob fails with unsupported_media_type (fetch and XHR paths)', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async (id) => {
      const text = new Blob(['hello, this is not an image'], { type: 'text/plain' });
      const viaFetch = await settle('upload text (fetch)', () => window.c.storage.bucket('root').upload('user_' + id + '.txt', text));
      const viaXhr = await settle('upload text (xhr)', () => window.c.storage.bucket('root').upload('user_' + id + '.txt', text, { onProgress: () => {} }));
      return { viaFetch, viaXhr };
    }, state.user._id);
    assert.equal(r.viaFetch.data, null);
    assertApiError(r.viaFetch.errors, { status: 415, code: 'unsupported_media_type' }, 'text upload via fetch');
    assert.equal(r.viaXhr.data, null);
    assertApiError(r.viaXhr.errors, { status: 415, code: 'unsupported_media_type' }, 'text upload via XHR');
  });

  test('signInWithEmail with a wrong password fails with invalid_credentials', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate((email) => settle('signInWithEmail (wrong)', async () => {
      const res = await window.c.auth.signInWithEmail(email, 'not-the-password');
      return { res, stored: window.c.auth.getSession()?.token };
    }), email);
    assert.equal(r.res.user, null);
    assert.equal(r.res.session, null);
    assertApiError(r.res.errors, { status: 401, code: 'invalid_credentials' }, 'wrong password');
    assert.equal(r.stored, state.token, 'a failed sign-in keeps the current session');
  });

  test('signInWithEmail with the right password adds a second session; signOut(handle) ends the other one', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async ({ email, password }) => {
      const signIn = await settle('signInWithEmail', () => window.c.auth.signInWithEmail(email, password));
      const list = await settle('getAllSessions', () => window.c.auth.getAllSessions());
      const other = (list.sessions || []).find((s) => !s.isCurrent);
      const out = other ? await settle('signOut(other)', () => window.c.auth.signOut(other.token)) : null;
      const after = await settle('getAllSessions (after)', () => window.c.auth.getAllSessions());
      return { signIn, list, other, out, after, stored: window.c.auth.getSession()?.token };
    }, { email, password: PASSWORD });
    assert.equal(r.signIn.errors, null, `sign-in ok: ${JSON.stringify(r.signIn.errors)}`);
    assertSession(r.signIn.session, state.user._id, 'sign-in');
    assert.notEqual(r.signIn.session.token, state.token, 'a new session');
    assert.equal(r.stored, r.signIn.session.token, 'the client switched to the new session');
    assert.equal(r.list.errors, null);
    assert.equal(r.list.sessions.length, 2, 'two sessions');
    assert.equal(r.list.sessions.filter((s) => s.isCurrent).length, 1, 'exactly one is current');
    assert.equal(r.list.sessions.find((s) => s.isCurrent).token, r.signIn.session.token);
    assert.ok(r.other, 'the older session is listed');
    assert.equal(r.out.errors, null, `signOut(other) ok: ${JSON.stringify(r.out.errors)}`);
    assert.equal(r.after.errors, null);
    assert.deepEqual(r.after.sessions.map((s) => s.token), [r.signIn.session.token], 'only the current session is left');
    state.oldToken = state.token;
    state.token = r.signIn.session.token;
  });

  test('signOut() clears the session; later calls get missing/invalid_session_token and the client drops its session', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(async () => {
      const before = window.c.auth.getSession();
      const out = await settle('signOut', () => window.c.auth.signOut());
      const afterOut = { session: window.c.auth.getSession(), user: window.c.auth.getUser() };
      // No Session header at all now.
      const missing = await settle('getUserFromDB (signed out)', () => window.c.auth.getUserFromDB());
      const missingSessions = await settle('getAllSessions (signed out)', () => window.c.auth.getAllSessions());
      // Put the revoked session back: the server must call it invalid and the client must drop it.
      window.c.auth.setSession(before);
      const restored = window.c.auth.getSession()?.token;
      const invalid = await settle('getUserFromDB (revoked token)', () => window.c.auth.getUserFromDB());
      const afterInvalid = window.c.auth.getSession();
      const invalidUpload = await settle('upload (revoked token)', async () => {
        window.c.auth.setSession(before);
        const res = await window.c.storage.bucket('root').upload('x', new Blob([pngBytes()], { type: 'image/png' }), { onProgress: () => {} });
        return { res, session: window.c.auth.getSession() };
      });
      return { before, out, afterOut, missing, missingSessions, restored, invalid, afterInvalid, invalidUpload };
    });
    assert.equal(r.before?.token, state.token);
    assert.equal(r.out.errors, null, `signOut ok: ${JSON.stringify(r.out.errors)}`);
    assert.equal(r.afterOut.session, null, 'auth.getSession() is null after signOut');
    assert.equal(r.afterOut.user, null, 'auth.getUser() is null after signOut');
    assert.equal(r.missing.user, null);
    assertApiError(r.missing.errors, { status: 401, code: 'missing_session_token' }, 'getUserFromDB without session');
    assertApiError(r.missingSessions.errors, { status: 401, code: 'missing_session_token' }, 'getAllSessions without session');
    assert.equal(r.restored, state.token, 'setSession put the old token back');
    assertApiError(r.invalid.errors, { status: 401, code: 'invalid_session_token' }, 'getUserFromDB with a revoked token');
    assert.equal(r.afterInvalid, null, 'the client invalidated its session on invalid_session_token');
    assertApiError(r.invalidUpload.res.errors, { status: 401, code: 'invalid_session_token' }, 'XHR upload with a revoked token');
    assert.equal(r.invalidUpload.session, null, 'the XHR path also invalidates the session');
  });

  test('no uncaught errors on the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});

// ---------------------------------------------------------------------------------------------

describe('altogic-js 2.3.9 in Chromium, e-mail verification ON', { timeout: 60000 }, () => {
  let server;
  let page;
  const email = 'carol@example.com';
  const plusEmail = 'a+tag@example.com';
  const seen = new Set();
  const state = {};

  before(async () => {
    ({ page, origin: state.origin } = await openPage());
    // This server allows only the page's origin (an explicit CORS list, not the `*` default).
    server = await startServer({ emailVerification: true, extraArgs: ['--cors-origins', state.origin] });
    await page.evaluate(({ envUrl, key }) => { window.c = altogic.createClient(envUrl, key); }, { envUrl: server.url, key: CLIENT_KEY });
  });

  after(async () => {
    await page?.close().catch(() => {});
    await server?.stop();
  });

  test('signUpWithEmail returns the user with a null session and stores nothing', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(({ email, password }) => settle('signUpWithEmail', async () => {
      const res = await window.c.auth.signUpWithEmail(email, password, 'Carol');
      return { res, stored: window.c.auth.getSession() };
    }), { email, password: PASSWORD });
    assert.equal(r.res.errors, null, `no errors: ${JSON.stringify(r.res.errors)}`);
    assertUser(r.res.user, 'sign-up');
    assert.equal(r.res.user.email, email);
    assert.equal(r.res.user.emailVerified, false);
    assert.equal(r.res.session, null, 'no session before verification');
    assert.equal(r.stored, null, 'the client stored no session');
  });

  test('signInWithEmail before verification fails with email_not_verified', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(({ email, password }) => settle('signInWithEmail', () => window.c.auth.signInWithEmail(email, password)), { email, password: PASSWORD });
    assert.equal(r.session, null);
    assertApiError(r.errors, { status: 401, code: 'email_not_verified' }, 'unverified sign-in');
  });

  test('the confirmation link redirects with an access_token; getAuthGrant returns a verified user + session', { timeout: STEP_TIMEOUT_MS }, async () => {
    const mail = await newestMail(server.url, email, 'email-confirm', seen);
    const token = await openLinkForToken(mail.link, 'email-confirm');
    const r = await page.evaluate((token) => settle('getAuthGrant', async () => {
      const res = await window.c.auth.getAuthGrant(token);
      const me = await window.c.auth.getUserFromDB();
      return { res, stored: window.c.auth.getSession()?.token, me };
    }), token);
    assert.equal(r.res.errors, null, `grant ok: ${JSON.stringify(r.res.errors)}`);
    assertUser(r.res.user, 'grant');
    assert.equal(r.res.user.email, email);
    assert.equal(r.res.user.emailVerified, true, 'emailVerified is true after the link');
    assertSession(r.res.session, r.res.user._id, 'grant');
    assert.equal(r.stored, r.res.session.token, 'the client stored the granted session');
    assert.equal(r.me.errors, null);
    assert.equal(r.me.user?.emailVerified, true);
    state.userId = r.res.user._id;
    state.confirmToken = token;
    state.token = r.res.session.token;
  });

  test('sendMagicLinkEmail + getAuthGrant signs in again', { timeout: STEP_TIMEOUT_MS }, async () => {
    const send = await page.evaluate((email) => settle('sendMagicLinkEmail', () => window.c.auth.sendMagicLinkEmail(email)), email);
    assert.equal(send.errors, null, `send-magic ok: ${JSON.stringify(send.errors)}`);
    const mail = await newestMail(server.url, email, 'magic-link', seen);
    const token = await openLinkForToken(mail.link, 'magic-link');
    const r = await page.evaluate((token) => settle('getAuthGrant (magic)', async () => {
      const res = await window.c.auth.getAuthGrant(token);
      return { res, stored: window.c.auth.getSession()?.token };
    }), token);
    assert.equal(r.res.errors, null, `grant ok: ${JSON.stringify(r.res.errors)}`);
    assert.equal(r.res.user?._id, state.userId);
    assertSession(r.res.session, state.userId, 'magic grant');
    assert.notEqual(r.res.session.token, state.token, 'a new session');
    assert.equal(r.stored, r.res.session.token);
    state.magicToken = token;
  });

  test('getAuthGrant with an already used token fails with invalid_access_token', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r = await page.evaluate(({ a, b }) => settle('getAuthGrant (used)', async () => {
      const before = window.c.auth.getSession()?.token;
      const first = await window.c.auth.getAuthGrant(a);
      const second = await window.c.auth.getAuthGrant(b);
      return { first, second, before, after: window.c.auth.getSession()?.token };
    }), { a: state.confirmToken, b: state.magicToken });
    for (const [res, what] of [[r.first, 'used confirm token'], [r.second, 'used magic token']]) {
      assert.equal(res.user, null);
      assert.equal(res.session, null);
      assertApiError(res.errors, { status: 403, code: 'invalid_access_token' }, what);
    }
    assert.equal(r.after, r.before, 'a failed grant leaves the current session alone');
  });

  test('sendResetPwdEmail + resetPwdWithToken changes the password', { timeout: STEP_TIMEOUT_MS }, async () => {
    const send = await page.evaluate((email) => settle('sendResetPwdEmail', () => window.c.auth.sendResetPwdEmail(email)), email);
    assert.equal(send.errors, null, `send-reset ok: ${JSON.stringify(send.errors)}`);
    const mail = await newestMail(server.url, email, 'reset-pwd', seen);
    const token = await openLinkForToken(mail.link, 'reset-pwd');
    const r = await page.evaluate(({ email, token, oldPw, newPw }) => settle('reset flow', async () => {
      const grantWithResetToken = await window.c.auth.getAuthGrant(token); // a reset token is not a sign-in token
      const reset = await window.c.auth.resetPwdWithToken(token, newPw);
      const again = await window.c.auth.resetPwdWithToken(token, 'yet-another-pw-3');
      const oldSignIn = await window.c.auth.signInWithEmail(email, oldPw);
      const newSignIn = await window.c.auth.signInWithEmail(email, newPw);
      return { grantWithResetToken, reset, again, oldSignIn, newSignIn, stored: window.c.auth.getSession()?.token };
    }), { email, token, oldPw: PASSWORD, newPw: NEW_PASSWORD });
    assertApiError(r.grantWithResetToken.errors, { status: 403, code: 'invalid_access_token' }, 'grant with a reset-pwd token');
    assert.equal(r.reset.errors, null, `reset ok: ${JSON.stringify(r.reset.errors)}`);
    assertApiError(r.again.errors, { status: 403, code: 'invalid_access_token' }, 'reusing the reset token');
    assertApiError(r.oldSignIn.errors, { status: 401, code: 'invalid_credentials' }, 'sign-in with the old password');
    assert.equal(r.newSignIn.errors, null, `sign-in with the new password: ${JSON.stringify(r.newSignIn.errors)}`);
    assertSession(r.newSignIn.session, state.userId, 'sign-in after reset');
    assert.equal(r.stored, r.newSignIn.session.token);
  });

  test('an address with "+" works for sendMagicLinkEmail (sent unencoded by the client)', { timeout: STEP_TIMEOUT_MS }, async () => {
    const r1 = await page.evaluate(({ email, password }) => settle('plus: signUp + resend', async () => {
      const signUp = await window.c.auth.signUpWithEmail(email, password);
      const resend = await window.c.auth.resendVerificationEmail(email);
      return { signUp, resend };
    }), { email: plusEmail, password: PASSWORD });
    assert.equal(r1.signUp.errors, null, `plus sign-up ok: ${JSON.stringify(r1.signUp.errors)}`);
    assert.equal(r1.signUp.user?.email, plusEmail, 'the stored address keeps the +');
    assert.equal(r1.resend.errors, null, `resend ok: ${JSON.stringify(r1.resend.errors)}`);
    // The resent confirmation (the newest; it retires the first) confirms the sign-up; then a magic
    // link reaches a+tag@ too. Mail is written after the answer: wait for both confirmations.
    for (let i = 0; i < 50; i++) {
      const confirms = (await mailbox(server.url, plusEmail)).filter((m) => m.action === 'email-confirm');
      if (confirms.length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const confirm = await newestMail(server.url, plusEmail, 'email-confirm', seen);
    await openLinkForToken(confirm.link, 'email-confirm');
    const magic = await page.evaluate((email) => settle('plus: sendMagicLinkEmail', () => window.c.auth.sendMagicLinkEmail(email)), plusEmail);
    assert.equal(magic.errors, null, `send-magic ok: ${JSON.stringify(magic.errors)}`);
    const mail = await newestMail(server.url, plusEmail, 'magic-link', seen);
    const all = await mailbox(server.url, plusEmail);
    assert.deepEqual(all.map((m) => m.action).sort(), ['email-confirm', 'email-confirm', 'magic-link'], 'sign-up, resend and magic-link mails all reached a+tag@');
    const token = await openLinkForToken(mail.link, 'magic-link');
    const r2 = await page.evaluate((token) => settle('plus: getAuthGrant', () => window.c.auth.getAuthGrant(token)), token);
    assert.equal(r2.errors, null, `grant ok: ${JSON.stringify(r2.errors)}`);
    assert.equal(r2.user?.email, plusEmail);
    assert.equal(r2.user?.emailVerified, true);
    assertSession(r2.session, r2.user._id, 'plus grant');
  });

  test('no uncaught errors on the page', () => {
    assert.deepEqual(pageErrors, []);
  });
});
