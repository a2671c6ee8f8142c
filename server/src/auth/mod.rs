//! Authentication: who is calling, proven by tokens, and the sessions behind them.

/// The `AuthUser` extractor: a valid access token of a live session, or a 401; and
/// `UncheckedSession`, for queries that check the session in their own statement.
pub mod extractor;
/// Signing and verifying access and refresh tokens.
pub mod jwt;
/// Failed-login counting and lockout, kept in the database.
pub mod login_throttle;
/// Password hashing: HMAC pre-hash, bcrypt, off the async threads.
pub mod password;
/// Sessions: creation, refresh-token rotation with reuse detection, revocation.
pub mod sessions;

pub use extractor::{AuthUser, UncheckedSession};
