//! Values that are valid by construction.
//!
//! Each type has a `parse` that either returns a value that upholds the rules of
//! `API.md`, or a [`FieldError`] naming the field and what is wrong with it. The server
//! turns that error into a 422; the browser shows it beside the field.

mod email;
mod page_cursor;
mod page_limit;
mod password;
pub mod text;
mod todo_title;

pub use email::Email;
pub use page_cursor::PageCursor;
pub use page_limit::PageLimit;
pub use password::Password;
pub use todo_title::TodoTitle;

/// Why a value was refused, and which field of a request it came from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The JSON field (or form field) the value came from.
    pub field: &'static str,
    /// A sentence a person can act on.
    pub message: String,
}

impl FieldError {
    /// An error about `field`.
    #[must_use]
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
