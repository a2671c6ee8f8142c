//! The service layer: plain functions over a database connection, called by the routes.
//! They know nothing of HTTP beyond returning [`crate::error::ApiError`].

pub mod idempotency;
pub mod password_reset;
pub mod reset_requests;
pub mod todo_counts;
pub mod todos;
pub mod users;
