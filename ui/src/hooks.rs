//! The one way a screen acts: [`use_action`] owns an action's pending state (the double-submit
//! guard), its errors, and the call of its command.

use altogic_auth_ipc::{codes, Command, UiError};
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
    /// A call that answers `reauthentication_required` waits for the step-up dialog (see
    /// [`StepUp`]), which runs it once more after the user proved who they are.
    fn start(mut self, name: &'static str, args: Result<bridge::Js, UiError>, done: Done) {
        if *self.pending.peek() {
            return;
        }
        self.pending.set(true);
        self.errors.set(Vec::new());
        spawn(async move {
            let again = args.clone();
            let result = match args {
                Ok(args) => bridge::invoke_js(name, args).await,
                Err(e) => Err(e),
            };
            match result {
                Err(e) if e.code == codes::REAUTHENTICATION_REQUIRED => {
                    self.pending.set(false);
                    let mut step_up = self.ctx.step_up;
                    step_up.set(Some(StepUp { action: self, name, args: again, done, message: e.messages.join(" ") }));
                }
                result => {
                    let mut ctx = self.ctx;
                    let result = result.map_err(|e| ctx.fail(e)).and_then(|v| {
                        self.ctx.back_online();
                        done(v)
                    });
                    self.pending.set(false);
                    if let Err(messages) = result {
                        self.errors.set(messages);
                    }
                }
            }
        });
    }
}

type Done = Box<dyn FnOnce(bridge::Js) -> Result<(), Vec<String>>>;

/// A call held back for a recent authentication: the step-up dialog asks for the password (or a
/// code), then [`StepUp::retry`] runs the call once more; [`StepUp::cancel`] shows its refusal.
pub struct StepUp {
    action: Action,
    name: &'static str,
    args: Result<bridge::Js, UiError>,
    done: Done,
    pub message: String,
}

impl StepUp {
    /// Runs the held call again, once: a second refusal is shown, not asked again.
    pub fn retry(self) {
        let StepUp { mut action, name, args, done, .. } = self;
        action.pending.set(true);
        action.errors.set(Vec::new());
        // Not `spawn`: that task would belong to the dialog, which closes now and would take the
        // retry with it.
        dioxus::core::spawn_forever(async move {
            let result = action.ctx.call_js(name, args).await.and_then(done);
            action.pending.set(false);
            if let Err(messages) = result {
                action.errors.set(messages);
            }
        });
    }

    /// The user closed the dialog: the call's refusal is its error.
    pub fn cancel(self) {
        let mut errors = self.action.errors;
        errors.set(vec![self.message]);
    }
}
