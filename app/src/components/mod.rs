//! Parts shared by several pages.

mod field;
mod header;

pub use field::{Field, FieldInput};
pub use header::Header;
