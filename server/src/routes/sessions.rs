//! `/sessions`: the caller's signed-in devices, and signing them out.

use axum::{extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use app::dto::{ErrorBody, Session};

use crate::{
    auth::{AuthUser, sessions},
    error::{ApiError, ApiResult},
    extract::{AppJson, IdPath},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, revoke_all))
        .routes(routes!(revoke_one))
}

/// The caller's live sessions, oldest first; `current` marks the one asking.
#[utoipa::path(
    get, path = "/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 200, body = [Session]), (status = 401, body = ErrorBody))
)]
async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<AppJson<Vec<Session>>> {
    Ok(AppJson(
        sessions::list(&state.db, auth.user_id, auth.session_id).await?,
    ))
}

/// Signs out one of the caller's sessions (another user's is not found).
#[utoipa::path(
    delete, path = "/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
async fn revoke_one(
    State(state): State<AppState>,
    auth: AuthUser,
    IdPath(id): IdPath,
) -> ApiResult<StatusCode> {
    let mut txn = state.events.begin(&state.db).await?;
    let found = sessions::revoke_owned(&mut txn, auth.user_id, id).await?;
    txn.commit().await?;
    if found {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Signs out everywhere, this session included.
#[utoipa::path(
    delete, path = "/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 204, description = "Signed out everywhere"), (status = 401, body = ErrorBody))
)]
async fn revoke_all(State(state): State<AppState>, auth: AuthUser) -> ApiResult<StatusCode> {
    let mut txn = state.events.begin(&state.db).await?;
    sessions::revoke_all(&mut txn, auth.user_id).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
