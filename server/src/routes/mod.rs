//! The HTTP routes: `/healthz` and `/readyz`, and the JSON API under `/api/v1`, one module
//! per area, each owning its `router()`.

mod auth;
mod docs;
mod events;
mod fallback;
mod health;
mod openapi;
mod password_reset;
mod sessions;
mod todos;
mod tokens;
mod users;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::DefaultBodyLimit,
    middleware,
    routing::{any, get},
};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::{extract::MAX_BODY_BYTES, state::AppState};

/// `GET /healthz` and `GET /readyz`, outside the API's error handling and body limits.
pub fn health_router() -> Router<AppState> {
    health::router().split_for_parts().0
}

/// Everything under `/api`: the versioned API with its OpenAPI document, and JSON errors
/// for anything else there.
pub fn api_router() -> Router<AppState> {
    let v1 = OpenApiRouter::new()
        .merge(auth::router())
        .merge(users::router())
        .merge(password_reset::router())
        .merge(sessions::router())
        .merge(todos::router())
        .merge(events::router());
    let (router, document) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .nest("/api/v1", v1)
        .split_for_parts();
    let document = Arc::new(openapi::complete(document));
    router
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let document = Arc::clone(&document);
                async move { Json(document) }
            }),
        )
        .merge(docs::router())
        .route("/api", any(fallback::not_found))
        .route("/api/{*rest}", any(fallback::not_found))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::map_response(fallback::json_errors))
}
