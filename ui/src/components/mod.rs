//! The pieces screens are built from.

mod alerts;
mod avatar;
mod button;
mod card;
mod code_entry;
mod field;
mod sessions;

pub use alerts::{Errors, Success};
pub use avatar::Avatar;
pub use button::{BusyButton, SubmitButton};
pub use card::{Card, Logo};
pub use code_entry::CodeEntry;
pub use field::Field;
pub use sessions::Sessions;
