// Starts the wasm UI (wasm-bindgen --target web). External file: the CSP allows no inline scripts.
import init from "../altogic-auth-ui.js";

init().catch((err) => {
  const boot = document.getElementById("boot");
  if (!boot) return;
  boot.classList.add("boot-failed");
  boot.textContent = "The app could not start. Please restart it. (" + (err && err.message ? err.message : err) + ")";
});

// Android's back button: back through the app's own history, and out of the app from a first
// screen (Home, or Profile when signed in: the guards send everything else there). Without this,
// the webview would step back into screens the guards had already left (Profile after sign-out).
const tauri = window.__TAURI__;
if (tauri && tauri.app && tauri.app.onBackButtonPress && /Android/.test(navigator.userAgent)) {
  tauri.app
    .onBackButtonPress(() => {
      const first = location.pathname === "/" || location.pathname === "/profile";
      if (first || history.length <= 1) {
        tauri.core.invoke("leave_app", { args: {} });
      } else {
        history.back();
      }
    })
    .catch(() => {});
}
