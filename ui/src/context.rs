//! App-wide state, provided as context above the router, and the one way to call the shell.

use altogic_auth_ipc::{codes, Command, RedirectView, UiError, UserView};
use dioxus::prelude::*;

use crate::{bridge, Route};

pub const GENERIC_ERROR: &str = "Something went wrong. Please try again.";
pub const SIGN_IN_EXPIRED: &str = "Your sign-in expired before the code was entered. Please sign in again.";
pub const OFFLINE_TEXT: &str = "Can't reach the server. Check your connection and try again.";
/// Home's message after the account was deleted.
pub const ACCOUNT_DELETED: &str = "Your account was deleted.";

#[derive(Clone, Copy)]
pub struct AppCtx {
    pub user: Signal<Option<UserView>>,
    /// The app runs its own backend: the dev mailbox exists.
    pub embedded: Signal<bool>,
    /// The backend's address now (the built-in one's may differ from a picture's of an earlier run).
    pub env_url: Signal<String>,
    /// The user is known (from the shell's last known state, or `app_state`'s answer): guards may run.
    pub ready: Signal<bool>,
    /// The last command could not reach the server.
    pub offline: Signal<bool>,
    /// The newest mail link delivered (deep link, dev mailbox or code): the redirect screen
    /// reloads when it changes.
    pub arrived_redirect: Signal<Option<RedirectView>>,
    /// Not inside the Tauri shell (a plain browser): shown as a banner.
    pub outside_app: Signal<bool>,
    /// A message for the next screen (Login after an expired two-step sign-in or an ended session,
    /// Home after the account was deleted).
    pub flash: Signal<Option<String>>,
    /// A call that answered `reauthentication_required`, waiting for the step-up dialog.
    pub step_up: Signal<Option<crate::hooks::StepUp>>,
}

impl AppCtx {
    /// Starts from the state the shell last knew, when it put one in the page (see
    /// `shell::start`): then the guards run on the first frame.
    pub fn new() -> Self {
        let last = bridge::last_known();
        let ready = last.is_some();
        let last = last.unwrap_or(altogic_auth_ipc::AppState { user: None, embedded_backend: false, env_url: String::new() });
        AppCtx {
            user: Signal::new(last.user),
            embedded: Signal::new(last.embedded_backend),
            env_url: Signal::new(last.env_url),
            ready: Signal::new(ready),
            offline: Signal::new(false),
            arrived_redirect: Signal::new(None),
            outside_app: Signal::new(!bridge::in_tauri()),
            flash: Signal::new(None),
            step_up: Signal::new(None),
        }
    }

    /// Invokes command `C`; on failure applies the app-wide rules (`session_invalid` → Login,
    /// `backend_unreachable` → banner) and returns the messages to show.
    pub async fn call<C: Command>(self, args: C::Args) -> Result<C::Output, Vec<String>> {
        let mut ctx = self;
        let answer = self.call_js(C::NAME, bridge::to_js(&args)).await?;
        bridge::from_js(answer).map_err(|e| ctx.fail(e))
    }

    /// The command call itself, the same code for every command.
    pub async fn call_js(mut self, name: &'static str, args: Result<bridge::Js, UiError>) -> Result<bridge::Js, Vec<String>> {
        let result = match args {
            Ok(args) => bridge::invoke_js(name, args).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(v) => {
                self.back_online();
                Ok(v)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// A command answered: the offline banner goes.
    pub fn back_online(mut self) {
        if *self.offline.peek() {
            self.offline.set(false);
        }
    }

    pub fn fail(&mut self, e: UiError) -> Vec<String> {
        if e.code == codes::SESSION_INVALID {
            self.user.set(None);
            if let Some(r) = dioxus::router::root_router() {
                r.replace(Route::Login {});
            }
        } else if e.code == codes::MFA_REQUIRED {
            // The first step succeeded: the code comes next (its ticket stays in the shell).
            if let Some(r) = dioxus::router::root_router() {
                r.push(Route::TwoStep {});
            }
            return Vec::new();
        } else if e.code == codes::INVALID_MFA_TICKET {
            self.flash.set(Some(SIGN_IN_EXPIRED.to_string()));
            if let Some(r) = dioxus::router::root_router() {
                r.replace(Route::Login {});
            }
            return vec![SIGN_IN_EXPIRED.to_string()];
        } else if e.code == codes::BACKEND_UNREACHABLE {
            if *self.outside_app.peek() {
                return e.messages;
            }
            self.offline.set(true);
            return vec![OFFLINE_TEXT.to_string()];
        }
        let msgs: Vec<String> = e.messages.into_iter().filter(|m| !m.trim().is_empty()).collect();
        if msgs.is_empty() {
            vec![GENERIC_ERROR.to_string()]
        } else {
            msgs
        }
    }

    pub fn set_user(mut self, u: UserView) {
        self.user.set(Some(u));
    }

    /// A mail link was delivered: the redirect screen shows it.
    pub fn redirect_arrived(mut self, view: Option<RedirectView>) {
        self.arrived_redirect.set(view);
        navigator().push(Route::AuthRedirect {});
    }
}

impl Default for AppCtx {
    fn default() -> Self {
        Self::new()
    }
}

pub fn use_app() -> AppCtx {
    use_context::<AppCtx>()
}
