//! sea-orm entities, one module per table, mirroring `server/migration`.
//!
//! These are the database's shapes and nothing more: no behaviour here, and never sent to
//! the browser as they are (the `app::dto` types are what the API returns).

pub mod event;
pub mod event_cursor;
pub mod idempotency_key;
pub mod login_failure;
pub mod password_reset_token;
pub mod session;
pub mod todo;
pub mod todo_count;
pub mod user;
