//! Commands that arrive before start-up has finished: the window and the UI show first (see
//! `crate::start`), so the UI's first calls may come while the backend is still starting.
//! `app_state`, which the UI sends once its first frame is painted, is also what starts it
//! (`wanted`); the first screen's own calls (Profile's lists) just wait.

use std::sync::Arc;

use altogic_auth_ipc::codes;
use altogic_auth_ipc::commands::{GetAppState, ALL};
use altogic_auth_ipc::Command;
use tauri::ipc::Invoke;
use tauri::Runtime;
use tokio::sync::{watch, Notify};

use crate::errors::CmdError;

/// Start-up's outcome, once known: `Err` holds why the app could not start.
pub type Started = watch::Receiver<Option<Result<(), String>>>;

/// `handlers`, for commands that may arrive before start-up has finished (the window and the UI
/// show first): such a command waits for it, then runs, or gets start-up's error to show.
/// `app_state` arriving before then notifies `wanted` (a permit is kept if nobody waits).
pub fn after_startup<R: Runtime>(ready: Started, wanted: Arc<Notify>, handlers: impl Fn(Invoke<R>) -> bool + Send + Sync + 'static) -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    let handlers = Arc::new(handlers);
    move |invoke| {
        let outcome = ready.borrow().clone();
        // Once started, and for names that are no command of ours (Tauri's own answer), at once:
        // the list is looked at only while start-up is unfinished or failed.
        if matches!(outcome, Some(Ok(()))) || !ALL.contains(&invoke.message.command()) {
            return handlers(invoke);
        }
        match outcome {
            Some(Err(why)) => refuse(invoke, &why),
            _ => {
                if invoke.message.command() == GetAppState::NAME {
                    wanted.notify_one();
                }
                let (handlers, mut ready) = (handlers.clone(), ready.clone());
                tauri::async_runtime::spawn(async move {
                    let outcome = ready.wait_for(Option::is_some).await.map(|o| o.clone()).ok().flatten();
                    match outcome {
                        Some(Ok(())) => {
                            handlers(invoke);
                        }
                        Some(Err(why)) => {
                            refuse(invoke, &why);
                        }
                        None => {
                            refuse(invoke, "the app is closing");
                        }
                    }
                });
                true
            }
        }
    }
}

fn refuse<R: Runtime>(invoke: Invoke<R>, why: &str) -> bool {
    invoke.resolver.reject(CmdError::new(codes::UNKNOWN_ERROR, format!("The app could not start: {why}")).to_ui());
    true
}
