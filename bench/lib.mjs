// The two apps' common ground for bench/browser.mjs: what each ships, and one static server.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';

// ---- Bundle size ------------------------------------------------------------------------------

function walk(dir, rel = '') {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const p = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? walk(dir, p) : [p];
  });
}

// What the webview downloads and runs. Ours: the wasm, its wasm-bindgen glue and snippets, and
// assets/ (boot.js, style.css); not index.html, nor icons. The original (Vite): every script,
// stylesheet and wasm in dist/, the lazily loaded screens' chunks included.
// Every script, stylesheet and wasm in the dist.
const anyAsset = (p) => /\.(js|css|wasm)$/.test(p);
const SHIPPED = {
  ours: (p) =>
    p === 'altogic-auth-ui_bg.wasm' || p === 'altogic-auth-ui.js' ||
    (p.startsWith('snippets/') && p.endsWith('.js')) || /^assets\/[^/]+\.(js|css)$/.test(p),
  original: anyAsset,
  // The Dioxus floor app (bench/dioxus-floor): its wasm, glue and snippets.
  floor: anyAsset,
};

const gzip9 = (buf) => zlib.gzipSync(buf, { level: 9 }).length;

// `whole`: the shipped files concatenated (in path order) and gzipped at once; `perFile`: the sum
// of each file gzipped alone, which is what a server sends file by file.
export function bundleSizes(name, dir) {
  const paths = walk(dir).filter(SHIPPED[name]).sort();
  if (name === 'ours') {
    for (const must of ['altogic-auth-ui_bg.wasm', 'altogic-auth-ui.js']) {
      if (!paths.includes(must)) throw new Error(`${dir}: no ${must} (not built?)`);
    }
  }
  if (!paths.length) throw new Error(`${dir}: no .js/.css/.wasm files`);
  const bufs = paths.map((p) => fs.readFileSync(path.join(dir, p)));
  const files = paths.map((p, i) => ({ path: p, raw: bufs[i].length, gzip: gzip9(bufs[i]) }));
  return { files, whole: gzip9(Buffer.concat(bufs)), perFile: files.reduce((s, f) => s + f.gzip, 0) };
}

// ---- Static server ----------------------------------------------------------------------------

// Browsers refuse module scripts with a wrong type, and WebAssembly.instantiateStreaming wants
// application/wasm: without it our UI would fall back to a slower path and measure unfairly.
const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

// Serves `dir` on 127.0.0.1 (a free port) as both apps' hosts would: files as they are (no
// compression, so neither app gains from the server), `no-store`, and index.html for paths that
// name no file and have no extension (the apps' client-side routes). A missing asset is a 404.
// Files are read once and kept in memory, so the disk stays out of the measured loads.
export function serveDir(dir) {
  const root = path.resolve(dir);
  const memo = new Map();
  const read = (file) => {
    if (!memo.has(file)) {
      let body = null;
      try {
        if (fs.statSync(file).isFile()) body = fs.readFileSync(file);
      } catch { /* absent: null */ }
      memo.set(file, body);
    }
    return memo.get(file);
  };
  const server = http.createServer((req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    let file = path.join(root, path.normalize(pathname));
    if (file !== root && !file.startsWith(root + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    let body = read(file);
    if (!body && !path.extname(pathname)) body = read((file = path.join(root, 'index.html')));
    if (!body || req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(body ? 405 : 404, { 'Cache-Control': 'no-store' }).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': body.length,
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((done) => {
          server.closeAllConnections();
          server.close(() => done());
        }),
      });
    });
  });
}
