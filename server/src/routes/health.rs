//! Liveness and readiness, for load balancers and orchestrators.

use axum::{Json, Router, extract::State, http::StatusCode, routing::get};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::{db, state::AppState};

/// `GET /healthz` and `GET /readyz`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// 200 while the process runs: it answers, so it is alive.
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 while the database answers, 503 while it does not, so a load balancer stops
/// sending traffic to an instance that cannot serve it.
async fn readyz(State(db): State<DatabaseConnection>) -> (StatusCode, Json<Value>) {
    if db::is_ready(&db).await {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "detail": "The database does not answer." })),
        )
    }
}
