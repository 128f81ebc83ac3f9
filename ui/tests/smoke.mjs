// Stubbed-Tauri smoke test + screenshots of ui/dist (not shipped). Needs playwright-core in tests/compat
// and Debian chromium:  node ui/tests/smoke.mjs   (SHOTS=dir for the PNGs; BIG_PNG=a large png for the avatar test)
import { createRequire } from 'module';
const require = createRequire(new URL('../../tests/compat/', import.meta.url).pathname);
const { chromium } = require('playwright-core');
import http from 'http';
import fs from 'fs';
import path from 'path';

const DIST = new URL('../dist', import.meta.url).pathname.replace(/\/$/, '');
const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const server = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  let f = path.join(DIST, p);
  if (!f.startsWith(DIST) || !fs.existsSync(f) || fs.statSync(f).isDirectory()) f = path.join(DIST, 'index.html');
  res.writeHead(200, { 'content-type': types[path.extname(f)] || 'application/octet-stream',
    'content-security-policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:" });
  fs.createReadStream(f).pipe(res);
});
await new Promise(r => server.listen(0, r));
const base = `http://127.0.0.1:${server.address().port}`;

function stub(cfg) {
  const user = { _id: 'u1', provider: 'altogic', providerUserId: 'u1', email: 'ada@example.com', name: 'Ada Lovelace',
    signUpAt: '2024-01-01T00:00:00Z', lastLoginAt: '2024-05-01T00:00:00Z', emailVerified: true };
  let state = { user: cfg.signedIn ? { ...user } : null };
  const sessions = [
    { id: 's1', isCurrent: true, device: 'Other', os: 'Linux', app: 'AltogicAuth 0.1', createdAt: '2024-05-01T10:00:00Z' },
    { id: 's2', isCurrent: false, device: 'Pixel 8', os: 'Android 14', app: 'AltogicAuth 0.1', createdAt: '2024-04-20T10:00:00Z' },
    { id: 's3', isCurrent: false, device: 'iPhone', os: 'iOS 17', app: 'Safari 17', createdAt: '2024-03-02T10:00:00Z' },
  ];
  const mails = [
    { id: 'm1', to: 'ada@example.com', subject: 'Verify your email', action: 'email-confirm', link: 'http://x/a', code: '482913', text: '', createdAt: '2024-05-01T10:00:00Z' },
    { id: 'm2', to: 'ada@example.com', subject: 'Your magic link', action: 'magic-link', link: 'http://x/b', code: '120044', text: '', createdAt: '2024-05-02T10:00:00Z' },
  ];
  const listeners = {};
  window.__calls = [];
  const fail = (code, msg) => Promise.reject({ code, messages: [msg] });
  window.__TAURI__ = {
    core: {
      invoke: async (cmd, args) => {
        window.__calls.push([cmd, args]);
        await new Promise(r => setTimeout(r, cfg.delay || 30));
        if (cfg.offline && cmd !== 'app_state') return fail('backend_unreachable', 'error sending request');
        switch (cmd) {
          case 'app_state': return { user: state.user, embeddedBackend: true, envUrl: 'http://127.0.0.1:4000' };
          case 'pending_redirect': return cfg.redirect || null;
          case 'sign_in': return fail('invalid_credentials', 'Invalid email or password.');
          case 'sign_up': return { user: { ...user, emailVerified: false }, signedIn: false };
          case 'send_magic_link': return null;
          case 'list_sessions': return cfg.invalid ? fail('session_invalid', 'Session expired') : sessions;
          case 'dev_mailbox': return mails;
          case 'security_events': return [
            { id: 'e2', kind: 'sign-in', description: 'Signed in', at: '2024-05-01T10:00:00Z', device: 'AltogicAuth on ada-laptop', network: '203.0.113.0/24', isCurrent: true },
            { id: 'e1', kind: 'sign-in-failed', description: 'Wrong password entered', at: '2024-04-30T09:00:00Z', device: 'Chrome on macOS', network: '198.51.100.0/24', isCurrent: false },
          ];
          case 'password_strength': return ((args && args.args) || args).password.length < 12
            ? { score: 0, reasons: ['This is one of the most commonly used passwords: it is among the first that attackers try.'], suggestion: 'Add another word or two. Uncommon words are better.', passes: false }
            : { score: 4, reasons: [], suggestion: null, passes: true };
          case 'update_name': state.user = { ...state.user, name: args.name }; return state.user;
          case 'revoke_session': return null;
          case 'upload_avatar': {
            const u8 = new Uint8Array(args.bytes);
            window.__upload = { mime: args.mimeType, len: u8.length };
            let bin = ''; for (const b of u8) bin += String.fromCharCode(b);
            state.user = { ...state.user, profilePicture: 'data:' + args.mimeType + ';base64,' + btoa(bin) };
            return state.user;
          }
          case 'sign_out': state.user = null; return null;
          case 'complete_redirect': return fail('invalid_token', 'The access token is expired.');
          default: return fail('unknown', 'not stubbed: ' + cmd);
        }
      },
    },
    event: { listen: async (name, cb) => { listeners[name] = cb; return () => {}; } },
  };
  window.__emit = (n, p) => listeners[n] && listeners[n]({ event: n, payload: p });
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const out = process.env.SHOTS || '/tmp/ui-shots';
fs.mkdirSync(out, { recursive: true });
const errors = [];
async function page(name, cfg, opts, act) {
  const ctx = await browser.newContext({ viewport: opts.size || { width: 420, height: 800 }, colorScheme: opts.dark ? 'dark' : 'light', deviceScaleFactor: 1 });
  const p = await ctx.newPage(); p.setDefaultTimeout(5000);
  p.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') errors.push(`${name}: ${m.text()}`); });
  p.on('pageerror', e => errors.push(`${name}: PAGEERROR ${e.message}`));
  if (cfg) await p.addInitScript(stub, cfg);
  await p.goto(base + (opts.path || '/'));
  await p.waitForSelector('#content', { timeout: 10000 });
  await p.waitForTimeout(300);
  if (act) { try { await act(p); } catch (e) { console.log('FAIL', name, e.message.split('\n')[0]); console.log((await p.content()).replace(/<svg.*?<\/svg>/g,'').slice(0, 3000)); } }
  await p.screenshot({ path: `${out}/${name}.png`, fullPage: !!opts.full });
  const url = p.url();
  await ctx.close();
  return url;
}
const r = {};
r.home = await page('home', { signedIn: false }, {});
r.homeDark = await page('home-dark', { signedIn: false }, { dark: true });
r.login = await page('login-error', { signedIn: false }, { path: '/login' }, async p => {
  await p.fill('#email', 'ada@example.com'); await p.fill('#password', 'wrong');
  await p.click('#login-button'); await p.waitForSelector('#errors');
});
r.loginDark = await page('login-error-dark', { signedIn: false }, { path: '/login', dark: true }, async p => {
  await p.fill('#email', 'ada@example.com'); await p.fill('#password', 'wrong');
  await p.click('#login-button'); await p.waitForSelector('#errors');
});
r.register = await page('register-success', { signedIn: false }, { path: '/register' }, async p => {
  await p.fill('#email', 'ada@example.com'); await p.fill('#name', 'Ada'); await p.fill('#password', 'secret123');
  await p.click('#register-button'); await p.waitForSelector('#success');
});
r.magic = await page('magic-sent', { signedIn: false }, { path: '/login-with-magic-link', dark: true }, async p => {
  await p.fill('#email', 'ada@example.com'); await p.click('#magic-button'); await p.waitForSelector('#success');
});
r.profile = await page('profile', { signedIn: true }, { path: '/profile', full: true }, async p => { await p.waitForSelector('#sessions li'); });
r.profileDark = await page('profile-dark-desktop', { signedIn: true }, { path: '/profile', dark: true, size: { width: 1100, height: 900 }, full: true }, async p => { await p.waitForSelector('#sessions li'); });
r.nameEdit = await page('profile-name-edit', { signedIn: true }, { path: '/profile' }, async p => {
  await p.click('#change-name'); await p.waitForSelector('#name-input');
  const focused = await p.evaluate(() => document.activeElement && document.activeElement.id);
  console.log('focused after Change name:', focused);
  await p.fill('#name-input', 'Grace Hopper'); await p.keyboard.press('Enter');
  await p.waitForSelector('#hello'); console.log('hello:', await p.textContent('#hello'));
  await p.click('.revoke >> nth=0'); await p.waitForTimeout(200);
  console.log('sessions after revoke:', await p.locator('#sessions li').count());
});
r.avatar = await page('avatar-uploaded', { signedIn: true, delay: 400 }, { path: '/profile' }, async p => {
  await p.setInputFiles('#avatar-input', { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await p.waitForSelector('#avatar-errors'); console.log('bad file:', await p.textContent('#avatar-errors'));
  await p.setInputFiles('#avatar-input', process.env.BIG_PNG || '/tmp/uitest/big.png');
  await p.waitForSelector('#avatar-status'); console.log('busy:', await p.textContent('#avatar-status'));
  await p.waitForSelector('img#avatar-img');
  console.log('upload:', JSON.stringify(await p.evaluate(() => window.__upload)),
    'natural:', await p.evaluate(() => { const i = document.querySelector('img#avatar-img'); return i.naturalWidth + 'x' + i.naturalHeight; }));
});
r.guardGuest = await page('guard-guest', { signedIn: false }, { path: '/profile' });
r.guardUser = await page('guard-user', { signedIn: true }, { path: '/login' });
r.logout = await page('after-logout', { signedIn: true }, { path: '/profile' }, async p => { await p.click('#logout'); await p.waitForSelector('#login-button'); });
r.mailbox = await page('mailbox', { signedIn: false }, { path: '/mailbox' }, async p => { await p.waitForSelector('#mails li'); });
r.offline = await page('offline', { signedIn: false, offline: true }, { path: '/login' }, async p => {
  await p.fill('#email', 'a@b.c'); await p.fill('#password', 'x'); await p.click('#login-button'); await p.waitForSelector('#offline-banner');
});
r.redirectErr = await page('redirect-error', { signedIn: false, redirect: { action: 'magic-link', status: 401, error: 'The link has expired.', hasToken: false } }, {});
r.redirectCompleteErr = await page('redirect-complete-error', { signedIn: false, redirect: { action: 'magic-link', status: 200, error: null, hasToken: true } }, {}, async p => { await p.waitForSelector('#errors'); });
r.redirectReset = await page('redirect-reset', { signedIn: false, redirect: { action: 'reset-pwd', status: 200, error: null, hasToken: true } }, {}, async p => { await p.waitForSelector('#new-password'); });
r.event = await page('event-redirect', { signedIn: false, delay: 1500 }, { path: '/login' }, async p => {
  await p.evaluate(() => window.__emit('auth-redirect', { action: 'magic-link', status: 200, error: null, hasToken: true }));
  await p.waitForTimeout(300);
});
r.invalid = await page('session-invalid', { signedIn: true, invalid: true }, { path: '/profile' }, async p => { await p.waitForSelector('#login-button'); });
r.signedOutEvent = await page('signed-out-event', { signedIn: true }, { path: '/profile' }, async p => { await p.evaluate(() => window.__emit('signed-out', null)); await p.waitForSelector('#login-button'); });
r.noTauri = await page('no-tauri', null, { path: '/login' });
console.log(JSON.stringify(r, null, 1));
console.log('console errors:', errors.join('\n'));
await browser.close();
server.close();
