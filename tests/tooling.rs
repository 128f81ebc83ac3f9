//! The developer commands the README types work as typed after `scripts/setup.sh`: `cargo tauri`,
//! at the version of the JS CLI in package.json (the two must not drift apart).

#[test]
fn cargo_tauri_works_after_setup_at_the_js_clis_version() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let package: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(root.join("package.json")).unwrap()).unwrap();
    let js = package["devDependencies"]["@tauri-apps/cli"].as_str().expect("package.json pins @tauri-apps/cli");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo).args(["tauri", "--version"]).current_dir(root).output().unwrap();
    assert!(out.status.success(), "`cargo tauri` is not installed (scripts/setup.sh installs it): {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("tauri-cli {js}"));
}
