//! The Ticked server as a library, so that `main.rs` stays a few lines and the
//! integration tests in `tests/api` can start the very same application on port 0.
//!
//! A guided tour, in the order a request meets the code:

/// Who is calling: tokens, passwords, sessions, the `AuthUser` extractor.
pub mod auth;
/// Typed settings, read once from the environment; secrets generated on first start.
pub mod config;
/// Opening the database (SQLite or PostgreSQL, decided by the URL) and migrating it.
pub mod db;
/// Hex SHA-256, the one digest the server stores and compares.
pub mod digest;
/// sea-orm entities: one module per table, mirroring the migrations.
pub mod entities;
/// The one error type of the API and how it becomes `{"detail", "code"}`.
pub mod error;
/// Live updates: events appended by every write, fanned out to `GET /events` streams.
pub mod events;
/// Request extractors whose rejections are the API's own JSON errors.
pub mod extract;
/// Process limits lifted at start (open files, for the live-update streams).
pub mod limits;
/// Mail: the password-reset message, sent over SMTP or written to the log.
pub mod mail;
/// The HTTP routes, one module per area, each owning its `router()`.
pub mod routes;
/// Response headers of pages (CSP with a per-response nonce) and of the API.
pub mod security_headers;
/// Plain functions over the database that the routes call.
pub mod services;
/// Wires routes, middleware and state into an [`axum::Router`] and serves it.
pub mod startup;
/// What every handler can reach: the database, the settings, the signing keys.
pub mod state;
/// The built bundle under `/pkg`: precompressed, and cached for good when hashed.
pub mod static_files;
/// Logging set-up.
pub mod telemetry;
