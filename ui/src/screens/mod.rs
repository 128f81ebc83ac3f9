//! One file a screen.

mod auth_redirect;
mod home;
mod login;
mod mail_link;
mod mailbox;
mod not_found;
mod profile;
mod register;
mod two_step;

pub use auth_redirect::AuthRedirect;
pub use home::Home;
pub use login::Login;
pub use mail_link::{ForgotPassword, MagicLink};
pub use mailbox::Mailbox;
pub use not_found::NotFound;
pub use profile::Profile;
pub use register::Register;
pub use two_step::TwoStep;
