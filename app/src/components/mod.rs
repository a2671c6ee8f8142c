//! Parts shared by several pages.

mod header;
mod password_form;

pub use header::Header;
pub use password_form::{Field, FieldInput};
