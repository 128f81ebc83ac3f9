//! The one way a screen acts: [`use_action`] owns an action's pending state (the double-submit
//! guard), its errors, and the call of its command.

use altogic_auth_ipc::{Command, UiError};
use dioxus::prelude::*;

use crate::bridge;
use crate::context::{use_app, AppCtx};

/// One user action: pending while its command runs, and the errors of its last run.
#[derive(Clone, Copy)]
pub struct Action {
    ctx: AppCtx,
    pending: Signal<bool>,
    errors: Signal<Vec<String>>,
}

pub fn use_action() -> Action {
    let ctx = use_app();
    Action { ctx, pending: use_signal(|| false), errors: use_signal(Vec::new) }
}

impl Action {
    pub fn pending(&self) -> bool {
        (self.pending)()
    }

    pub fn errors(&self) -> Vec<String> {
        (self.errors)()
    }

    /// Shows `messages` as this action's errors.
    pub fn fail(mut self, messages: Vec<String>) {
        self.errors.set(messages);
    }

    /// Runs command `C` unless this action is already running; `done` gets the answer. A failure
    /// goes through the app-wide rules (Login, offline banner) and into [`Action::errors`].
    pub fn run<C: Command>(self, args: C::Args, done: impl FnOnce(C::Output) + 'static)
    where
        C::Output: 'static,
    {
        let args = bridge::to_js(&args);
        let mut ctx = self.ctx;
        self.start(C::NAME, args, Box::new(move |answer| bridge::from_js(answer).map(done).map_err(|e| ctx.fail(e))));
    }

    /// The part of [`Action::run`] that is the same for every command (one copy in the wasm).
    fn start(mut self, name: &'static str, args: Result<bridge::Js, UiError>, done: Box<dyn FnOnce(bridge::Js) -> Result<(), Vec<String>>>) {
        if *self.pending.peek() {
            return;
        }
        self.pending.set(true);
        self.errors.set(Vec::new());
        spawn(async move {
            let result = self.ctx.call_js(name, args).await;
            self.pending.set(false);
            if let Err(messages) = result.and_then(done) {
                self.errors.set(messages);
            }
        });
    }
}
