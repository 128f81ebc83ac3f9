// Starts the wasm UI (wasm-bindgen --target web). External file: the CSP allows no inline scripts.
import init from "../altogic-auth-ui.js";

init().catch((err) => {
  const boot = document.getElementById("boot");
  if (!boot) return;
  boot.classList.add("boot-failed");
  boot.textContent = "The app could not start. Please restart it. (" + (err && err.message ? err.message : err) + ")";
});
