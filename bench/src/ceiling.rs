//! The ceiling: what an axum server on this machine answers when a request costs nothing
//! but HTTP and a little JSON. Every other figure is read as a fraction of it.
//!
//! It answers `GET /` with a body shaped like `GET /api/v1/users/me`'s, serialized from a
//! struct on every request, with no middleware, no authentication and no database.

use std::net::SocketAddr;

use axum::{Json, Router, routing::get};
use serde::Serialize;

use crate::BenchError;

#[derive(Serialize)]
struct Profile {
    id: &'static str,
    email: &'static str,
    created_at: &'static str,
}

async fn profile() -> Json<Profile> {
    Json(Profile {
        id: "0193a5b2-7c1e-7d3a-9f4e-2b8c6d1e0f3a",
        email: "someone@example.com",
        created_at: "2026-11-29T12:00:00Z",
    })
}

/// Serves the ceiling handler on `address` until the process is killed.
///
/// # Errors
/// [`BenchError::Io`] if the address cannot be bound.
pub async fn serve(address: SocketAddr) -> Result<(), BenchError> {
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(BenchError::io(format!("binding {address}")))?;
    let app = Router::new().route("/", get(profile));
    axum::serve(listener, app)
        .await
        .map_err(BenchError::io("serving the ceiling"))
}
