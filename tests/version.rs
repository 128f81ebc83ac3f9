//! `altogic-auth --version`, as packagers and support ask it: no window, no display needed.

#[test]
fn the_app_prints_its_version_and_exits() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_altogic-auth")).arg("--version").env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), format!("altogic-auth {}\n", env!("CARGO_PKG_VERSION")));
}
