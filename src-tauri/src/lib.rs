//! Altogic Auth: the Tauri shell and the Rust command layer. The UI (Dioxus, in `ui/`) calls the
//! commands of [`commands`]; the session lives here, in the app's private store, and never
//! reaches the webview.

// What users get has no built-in backend: `--features distribution` needs `--no-default-features`.
#[cfg(all(feature = "distribution", feature = "embedded-backend"))]
compile_error!("the distribution build carries no built-in backend: build it with --no-default-features --features distribution (scripts/build-release.sh)");

mod backend;
mod commands;
mod errors;
mod last_known;
mod owner_only_file;
mod redirect;
mod session_life;
mod session_store;
mod transport;

use std::sync::Arc;
use std::time::Instant;

use altogic::{user_agent, AltogicClient, ClientOptions};
use altogic_auth_ipc::event;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::{watch, Notify};
use tauri_plugin_deep_link::DeepLinkExt;

/// What every command can reach.
pub struct AppCtx {
    pub client: AltogicClient,
    pub env_url: String,
    /// The built-in altogic-local, when no backend is configured.
    pub embedded: Option<backend::Embedded>,
    /// For the dev mailbox: no redirects followed (mail links answer 302 to the deep link).
    pub http: reqwest::Client,
    /// The authenticator being set up: its factor id, kept here (the UI needs only the QR code).
    pub enrolling: std::sync::Mutex<Option<String>>,
    /// When the session began and was last used: why the server ended it, in plain words.
    pub life: Arc<session_life::SessionLife>,
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ALTOGIC_AUTH_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

impl AppCtx {
    /// The Altogic client for `backend`, its session kept in `store`; `on_session_ended` runs with
    /// the reason in plain words when the server has ended the session (the client has cleared it
    /// by then).
    pub fn new(backend: backend::Backend, store: Arc<dyn altogic::SessionStore>, on_session_ended: Arc<dyn Fn(String) + Send + Sync>) -> Result<Self, altogic::Error> {
        let life = Arc::new(session_life::SessionLife::new(store.clone()));
        let ended = life.clone();
        let on_session_invalidated: Arc<dyn Fn() + Send + Sync> = Arc::new(move || on_session_ended(ended.ended()));
        let client = AltogicClient::new(
            &backend.env_url,
            &backend.client_key,
            ClientOptions {
                storage: store,
                on_session_invalidated: Some(on_session_invalidated),
                user_agent: user_agent::build("AltogicAuth", env!("CARGO_PKG_VERSION"), &user_agent::device_name()),
                // Every mail link is bound to this device: a link asked for elsewhere (or crafted, or
                // another account's) never signs this app in silently.
                pkce: true,
                ..Default::default()
            },
        )?;
        // Idle connections are dropped before altogic-local closes them (after 60 s).
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_idle_timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| altogic::Error::Network(e.to_string()))?;
        Ok(AppCtx { client, env_url: backend.env_url, embedded: backend.embedded, http, enrolling: std::sync::Mutex::new(None), life })
    }
}

/// The start-up work that must not hold the window back: the built-in backend's start (its
/// database, a first hash), the session store's keychain check. Until `setup` returns the window
/// cannot paint, and on WebKitGTK a setup blocking for more than about 40 ms also made the first
/// draw wait up to 500 ms for the web process. So `setup` only hooks things up and this runs in
/// the background; commands that arrive meanwhile wait for it (see [`commands::after_startup`]).
/// `configured`: the backend chosen by [`configured_backend`], None for the built-in one.
async fn start<R: Runtime>(handle: AppHandle<R>, configured: Option<(String, String)>) -> Result<(), String> {
    let t = Instant::now();
    let backend = match configured {
        Some((env_url, client_key)) => {
            backend::check_transport(&env_url, cfg!(debug_assertions))?;
            backend::Backend { env_url, client_key, embedded: None }
        }
        None => {
            let data_dir = handle.path().app_data_dir().map_err(|e| e.to_string())?;
            backend::start_embedded(&data_dir).await.map_err(|e| e.to_string())?
        }
    };
    tracing::info!(env_url = %backend.env_url, embedded = backend.embedded.is_some(), ms = t.elapsed().as_millis(), "backend ready");

    let t = Instant::now();
    let opener = handle.clone();
    let store = tauri::async_runtime::spawn_blocking(move || session_store::AppSessionStore::open(&opener)).await.map_err(|e| e.to_string())??;
    tracing::info!(secrets = store.kind(), ms = t.elapsed().as_millis(), "session store ready");
    let hook_handle = handle.clone();
    // The client has cleared the stored session; the UI goes to Login and says why.
    let on_ended = Arc::new(move |why: String| {
        let _ = hook_handle.emit(event::SIGNED_OUT, why);
    });
    handle.manage(AppCtx::new(backend, Arc::new(store), on_ended).map_err(|e| e.to_string())?);
    Ok(())
}

/// How long start-up waits for the UI's `app_state` (sent once its first frame is painted) before
/// it begins anyway: a page that never calls (it failed to load) still gets a backend for the
/// links that arrive.
const FIRST_FRAME_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The backend named by the environment, backend.json or the build (see [`backend::configured`]);
/// None: the built-in one. Read once: the window needs to know which, and start-up uses it.
fn configured_backend<R: Runtime>(handle: &AppHandle<R>) -> Option<(String, String)> {
    backend::configured(handle.path().app_config_dir().ok().as_deref(), backend::process_env, backend::baked().as_ref())
}

fn setup(app: &mut tauri::App, started: Instant, ready: watch::Sender<Option<Result<(), String>>>, wanted: Arc<Notify>) -> Result<(), Box<dyn std::error::Error>> {
    let configured = configured_backend(app.handle());
    open_window(app, configured.is_none())?;
    let handle = app.handle().clone();
    let starter = handle.clone();
    tauri::async_runtime::spawn(async move {
        // After the first frame: the backend's database and first hash, and the keychain, would
        // compete on two cores with the web process drawing it.
        let asked = tokio::time::timeout(FIRST_FRAME_WAIT, wanted.notified()).await.is_ok();
        tracing::debug!(since_run_ms = started.elapsed().as_millis(), asked, "starting the backend");
        delay_for_tests().await;
        let outcome = start(starter, configured).await;
        match &outcome {
            Ok(()) => tracing::debug!(since_run_ms = started.elapsed().as_millis(), "started"),
            Err(e) => tracing::error!(error = %e, "the app could not start"),
        }
        let _ = ready.send(Some(outcome));
    });

    #[cfg(desktop)]
    keep_window_state(app);

    // Development runs are not installed: register the scheme so the OS can open our links.
    #[cfg(all(debug_assertions, any(target_os = "linux", windows)))]
    if let Err(e) = app.deep_link().register_all() {
        tracing::warn!(error = %e, "could not register the altogic-auth scheme");
    }
    // Cold start: the link that launched the app. It is kept; the UI asks for it once started.
    if let Ok(Some(urls)) = app.deep_link().get_current() {
        redirect::deliver(&handle, urls.iter().map(|u| u.to_string()));
    }
    // Running instance: links opened later (forwarded by single-instance on desktop).
    let link_handle = handle.clone();
    app.deep_link().on_open_url(move |event| redirect::deliver(&link_handle, event.urls().iter().map(|u| u.to_string())));
    tracing::debug!(since_run_ms = started.elapsed().as_millis(), "setup done: the window can paint");
    Ok(())
}

/// The main window (`create: false` in tauri.conf.json: made here, not before `setup`), with the
/// last known state in its page ahead of the UI (see [`last_known`]) and the page's background
/// colour, so that the first frame is the right screen and nothing flashes before it. `embedded`:
/// the built-in backend will run (the UI then offers the Dev mailbox).
fn open_window(app: &mut tauri::App, embedded: bool) -> Result<(), Box<dyn std::error::Error>> {
    let config = app.config().app.windows.iter().find(|w| w.label == "main").cloned().ok_or("no main window in tauri.conf.json")?;
    let state = app.path().app_data_dir().ok().and_then(|dir| last_known::read(&dir, embedded));
    let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), &config)?.background_color(last_known::background(dark_theme()));
    if let Some(state) = &state {
        builder = builder.initialization_script(last_known::script(state));
    }
    builder.build()?;
    Ok(())
}

/// Whether the page will draw in its dark colours, known without asking anyone: on Linux WebKit
/// follows GTK, whose `GTK_THEME` names a dark variant ("Adwaita:dark"). Not `Window::theme`: on
/// Linux that is a D-Bus call to the desktop portal (up to seconds on the main thread, before the
/// first frame), and it does not see `GTK_THEME`. Elsewhere, or without it, the light colour: no
/// worse than a webview's default white.
fn dark_theme() -> bool {
    cfg!(target_os = "linux") && std::env::var("GTK_THEME").is_ok_and(|t| t.to_ascii_lowercase().ends_with(":dark"))
}

/// `ALTOGIC_AUTH_START_DELAY_MS` holds start-up back in debug builds: the end-to-end tests use it
/// to show what the UI does, and that no command answers, before start-up is done.
async fn delay_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("ALTOGIC_AUTH_START_DELAY_MS").ok().and_then(|v| v.parse().ok()) {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// The window-state plugin writes its file when the app exits normally; an app ended otherwise (the
/// OS at shutdown, a test driver) would forget. So the size and place are also written once the
/// window has stopped moving for a moment.
#[cfg(desktop)]
fn keep_window_state(app: &tauri::App) {
    use std::sync::atomic::{AtomicU64, Ordering};
    use tauri_plugin_window_state::{AppHandleExt, StateFlags};
    let Some(window) = app.get_webview_window("main") else { return };
    let handle = app.handle().clone();
    let changes = Arc::new(AtomicU64::new(0));
    window.on_window_event(move |event| {
        if !matches!(event, tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Moved(_)) {
            return;
        }
        let this = changes.fetch_add(1, Ordering::Relaxed) + 1;
        let (handle, changes) = (handle.clone(), changes.clone());
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            if changes.load(Ordering::Relaxed) == this {
                if let Err(e) = handle.save_window_state(StateFlags::all()) {
                    tracing::warn!(error = %e, "could not save the window's size");
                }
            }
        });
    });
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = Instant::now();
    init_logging();
    let (ready_tx, ready_rx) = watch::channel(None);
    let wanted = Arc::new(Notify::new());
    // The no-C build's TLS: graviola, installed before any HTTP client is built.
    #[cfg(feature = "no-c")]
    if rustls_graviola::default_provider().install_default().is_err() {
        tracing::debug!("a TLS provider was already installed");
    }
    let builder = tauri::Builder::default();
    // Must come first: a second launch hands its arguments (the deep link) to this instance and exits.
    // Phones have one instance by design.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.set_focus();
        }
    }));
    // Desktop windows open at the size and place they were left at.
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_window_state::Builder::default().build());
    // "Download my data" asks where to save (the shell opens the dialog; the webview cannot).
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    builder
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_store::Builder::default().build())
        .manage(redirect::PendingRedirect::default())
        .setup({
            let wanted = wanted.clone();
            move |app| setup(app, started, ready_tx, wanted)
        })
        .invoke_handler(commands::after_startup(ready_rx, wanted, commands::handlers()))
        .run(tauri::generate_context!())
        .expect("error while running the Altogic Auth application");
}
