// The two apps as bench/browser.mjs sees them: how to find Home's Login link, what must run in the
// page before the app, and what a whole Home looks like.

// Our UI asks the Tauri shell through window.__TAURI__ (withGlobalTauri; ui/src/bridge.rs): startup
// invokes `app_state`, then `pending_redirect` (ui/src/shell.rs), and subscribes with event.listen.
// This fake answers those two as a signed-out user with no pending mail link, through a resolved
// promise like the real IPC (which is slower still: a message to the Rust side and back), and
// fails anything else as the shell does when its server is away. Wire shapes: crates/ipc.
// Like the shell, it also puts the last known state in the page before the UI loads
// (altogic_auth_ipc::LAST_KNOWN_GLOBAL; src-tauri/src/last_known.rs): a first run knows no user.
function fakeTauri(appState) {
  window.__ALTOGIC_LAST_KNOWN__ = { ...appState, envUrl: '' };
  const calls = (window.__benchIpc = []);
  const answers = { app_state: appState, pending_redirect: null };
  window.__TAURI__ = {
    core: {
      invoke(cmd) {
        calls.push(cmd);
        if (cmd in answers) return Promise.resolve(structuredClone(answers[cmd]));
        return Promise.reject({ code: 'backend_unreachable', messages: ['No backend in the benchmark.'] });
      },
    },
    event: { listen: () => Promise.resolve(() => {}) },
  };
}
// crates/ipc AppState, camelCase on the wire. No built-in backend: Home without its dev-mailbox link.
const SIGNED_OUT = { user: null, embeddedBackend: false, envUrl: 'http://127.0.0.1:8787' };

export const APPS = {
  ours: {
    probe: { selector: '#home-login', text: 'Login', hydrated: null },
    init: [[fakeTauri, SIGNED_OUT]],
    expect: [['#home-magic', 'Login With Magic Link'], ['#home-login', 'Login'], ['#home-register', 'Register']],
  },
  // bench/dioxus-floor: its first screen's one button.
  floor: {
    probe: { selector: '#floor-button', text: 'Clicked 0 times', hydrated: null },
    init: [],
    expect: [['#floor-button', 'Clicked 0 times']],
  },
  // Home.vue: three vue-router links inside <ion-content>. Stencil hides ion-content until it has
  // hydrated, and ion-router-outlet keeps a page at opacity 0 until its entering transition ends:
  // the probe waits for both (class "hydrated", then opacity/visibility along the flat tree).
  original: {
    probe: { selector: 'ion-content a[href="/login"]', text: 'Login', hydrated: 'ion-content' },
    init: [],
    expect: [
      ['ion-content a[href="/login-with-magic-link"]', 'Login With Magic Link'],
      ['ion-content a[href="/login"]', 'Login'],
      ['ion-content a[href="/register"]', 'Register'],
    ],
  },
};

// Runs in the page from its first script on; all times are performance.now(), i.e. ms since
// navigation start.
//   __benchHome   the first animation frame where the Login link can be seen and clicked: laid
//                 out, in the viewport, not hidden or transparent, not covered (hit test).
//   __benchPaint  the first contentful paint: neither app paints text before Home (ours' boot
//                 screen is a spinner), so this is when Home's pixels are on screen, style,
//                 layout and raster of that frame included, which the frame's start is not.
//   __benchDom    (checks only) when the link entered the DOM: proves the paint was Home's.
export function probe({ selector, text, hydrated, watchDom }) {
  const shown = (el) => {
    if (text && el.textContent.trim() !== text) return false;
    if (hydrated && !(customElements.get(hydrated) && el.closest(hydrated)?.classList.contains('hydrated'))) return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 0 || r.height <= 0) return false;
    if (r.bottom <= 0 || r.right <= 0 || r.top >= innerHeight || r.left >= innerWidth) return false;
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return hit !== null && el.contains(hit);
  };
  window.__benchHome = new Promise((resolve) => {
    const tick = () => {
      if ([...document.querySelectorAll(selector)].some(shown)) resolve(performance.now());
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  window.__benchPaint = new Promise((resolve) => {
    new PerformanceObserver((list) => {
      const fcp = list.getEntriesByName('first-contentful-paint')[0];
      if (fcp) resolve(fcp.startTime);
    }).observe({ type: 'paint', buffered: true });
  });
  if (watchDom) {
    window.__benchDom = null;
    const seen = new MutationObserver(() => {
      if (document.querySelector(selector)) {
        window.__benchDom = performance.now();
        seen.disconnect();
      }
    });
    seen.observe(document, { childList: true, subtree: true });
  }
}
