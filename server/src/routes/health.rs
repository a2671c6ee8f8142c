//! Liveness and readiness, for load balancers and orchestrators.

use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    db::{self, Db},
    state::AppState,
};

/// `GET /healthz` and `GET /readyz`, described in the OpenAPI document beside the API.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// What the health checks answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` (alive), `ready`, or `unavailable` (the database does not answer).
    #[schema(pattern = "^(ok|ready|unavailable)$")]
    status: &'static str,
    /// Why the instance is not ready; only with `unavailable`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    detail: Option<&'static str>,
}

/// 200 while the process runs: it answers, so it is alive.
#[utoipa::path(
    get, path = "/healthz", tag = "health",
    responses((status = 200, description = "Alive: `{\"status\": \"ok\"}`", body = Health))
)]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        detail: None,
    })
}

/// 200 while the database answers, 503 while it does not, so a load balancer stops
/// sending traffic to an instance that cannot serve it.
#[utoipa::path(
    get, path = "/readyz", tag = "health",
    responses(
        (status = 200, description = "The database answers: `{\"status\": \"ready\"}`", body = Health),
        (status = 503, description = "The database does not answer: `{\"status\": \"unavailable\", \"detail\": …}`", body = Health),
    )
)]
async fn readyz(State(db): State<Db>) -> (StatusCode, Json<Health>) {
    if db::is_ready(&db).await {
        (
            StatusCode::OK,
            Json(Health {
                status: "ready",
                detail: None,
            }),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health {
                status: "unavailable",
                detail: Some("The database does not answer."),
            }),
        )
    }
}
