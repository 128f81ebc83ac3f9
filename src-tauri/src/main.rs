// Prevents an extra console window on Windows in release.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // Asked by packagers and support: answered before any window, display or D-Bus is touched.
    if std::env::args().skip(1).any(|a| a == "--version" || a == "-V") {
        println!("altogic-auth {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    altogic_auth_lib::run()
}
