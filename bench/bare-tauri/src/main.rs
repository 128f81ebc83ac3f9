//! A bare Tauri 2 app: the baseline of the cold-start benchmark (benches/cold_start.rs). Nothing
//! but the window of tauri.conf.json and its static page.

// As the app: no extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    tauri::Builder::default().run(tauri::generate_context!()).expect("error while running the bare Tauri app");
}
