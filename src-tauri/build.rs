//! Tauri's build step, and the backend of a distribution build.

// The one rule for a backend's address, shared with the app (src/transport.rs).
#[path = "src/transport.rs"]
mod transport;

fn main() {
    bake_backend();
    // Sources live in src-tauri/ while tauri.conf.json sits at the root (see shared platform notes).
    tauri_build::try_build(tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*"))
        .expect("tauri build step failed");
}

/// A distribution build (`--features distribution`, what scripts/build-release.sh makes) has no
/// built-in backend: it carries the one named by ALTOGIC_ENV_URL and ALTOGIC_CLIENT_KEY when it is
/// built. With ALTOGIC_LOCK_BACKEND=1 the installed app ignores the environment and backend.json.
/// A backend the app would refuse (plain http to another machine) fails the build.
fn bake_backend() {
    // The default build reads none of them: changing them must not rebuild it.
    if std::env::var_os("CARGO_FEATURE_DISTRIBUTION").is_none() {
        return;
    }
    for var in ["ALTOGIC_ENV_URL", "ALTOGIC_CLIENT_KEY", "ALTOGIC_LOCK_BACKEND"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let (Some(env_url), Some(client_key)) = (var("ALTOGIC_ENV_URL"), var("ALTOGIC_CLIENT_KEY")) else {
        panic!("a distribution build (--features distribution) needs its backend: set ALTOGIC_ENV_URL and ALTOGIC_CLIENT_KEY (scripts/build-release.sh --env-url URL --client-key KEY)");
    };
    // Each goes into a `cargo:` line: a line break would be a directive of its own.
    if [&env_url, &client_key].iter().any(|v| v.chars().any(char::is_control)) {
        panic!("ALTOGIC_ENV_URL and ALTOGIC_CLIENT_KEY must be one line each");
    }
    if let Err(why) = transport::check_transport(&env_url, false) {
        panic!("{why}");
    }
    let locked = matches!(var("ALTOGIC_LOCK_BACKEND").as_deref(), Some("1" | "true" | "yes"));
    println!("cargo:rustc-env=ALTOGIC_BAKED_ENV_URL={env_url}");
    println!("cargo:rustc-env=ALTOGIC_BAKED_CLIENT_KEY={client_key}");
    println!("cargo:rustc-env=ALTOGIC_BAKED_LOCKED={}", if locked { "1" } else { "0" });
}
