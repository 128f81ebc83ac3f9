//! The pieces screens are built from.

mod account;
mod activity;
mod alerts;
mod app_header;
mod avatar;
mod button;
mod card;
mod code_entry;
mod field;
mod mail_note;
mod sessions;
mod step_up;
mod strength;
mod two_step;

pub use account::{DangerZone, DownloadData};
pub use activity::RecentActivity;
pub use alerts::{Errors, Success};
pub use app_header::AppHeader;
pub use avatar::Avatar;
pub use button::{BusyButton, SubmitButton};
pub use card::{Card, Logo};
pub use code_entry::CodeEntry;
pub use field::Field;
pub use mail_note::MailNote;
pub use sessions::Sessions;
pub use step_up::StepUpDialog;
pub use strength::StrengthMeter;
pub use two_step::TwoStepPanel;
