//! The browser's one door to the HTTP API.
//!
//! Pages call the typed functions of [`endpoints`]; every one of them goes through the
//! private `send()` of [`client`], which attaches the access token, turns any non-2xx into
//! an [`ApiError`], and on a 401 refreshes the tokens once (shared by every request that
//! hit the 401, and by every tab, see [`refresh`]) and re-fires the request. The live
//! stream of [`events`] is opened the same way. Nothing else in the app touches headers
//! or token storage.

mod client;
pub mod endpoints;
mod error;
pub mod events;
mod interop;
mod json;
pub mod refresh;
mod sse;
pub mod tokens;

pub use error::ApiError;
