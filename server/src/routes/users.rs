//! `/users`: signing up, the caller's account, password change and account deletion.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use app::{
    domain::{Email, Password},
    dto::{
        ChangePasswordRequest, DeleteAccountRequest, ErrorBody, RegisterRequest, TokenPair, User,
    },
};

use super::tokens::{TokenResponse, user_agent};
use crate::{
    auth::{AuthUser, UncheckedSession},
    error::ApiResult,
    extract::AppJson,
    services::users,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(me, delete_account))
        .routes(routes!(change_password))
}

/// Creates an account.
#[utoipa::path(
    post, path = "/users", tag = "users",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The new account", body = User),
        (status = 409, description = "The email is taken", body = ErrorBody),
        (status = 422, description = "Invalid email or password; the detail names the field", body = ErrorBody),
        (status = 503, description = "Too many password hashes queued (`unavailable`); see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds after which to try again"))),
    )
)]
async fn register(
    State(state): State<AppState>,
    AppJson(body): AppJson<RegisterRequest>,
) -> ApiResult<(StatusCode, AppJson<User>)> {
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    let user = users::create(&state.db, &state.passwords, &email, &password).await?;
    Ok((StatusCode::CREATED, AppJson(user.into())))
}

/// The caller's account.
#[utoipa::path(
    get, path = "/users/me", tag = "users", security(("bearer" = [])),
    responses(
        (status = 200, body = User),
        (status = 401, body = ErrorBody),
    )
)]
async fn me(State(state): State<AppState>, caller: UncheckedSession) -> ApiResult<AppJson<User>> {
    Ok(AppJson(users::get_for(&state.db, caller).await?.into()))
}

/// Changes the caller's password; every session is revoked and a new one opened.
#[utoipa::path(
    put, path = "/users/me/password", tag = "users", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 200, description = "The pair of the new session", body = TokenPair),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The current password is wrong; counts as a failed login", body = ErrorBody),
        (status = 422, description = "The new password is invalid", body = ErrorBody),
        (status = 429, description = "Too many failed logins or wrong confirmations for this email from this address, the right password included; see Retry-After. The session stays valid", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the pair may try again"))),
        (status = 503, description = "Too many password checks queued (`unavailable`); see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds after which to try again"))),
    )
)]
async fn change_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    auth: AuthUser,
    headers: HeaderMap,
    AppJson(body): AppJson<ChangePasswordRequest>,
) -> ApiResult<TokenResponse> {
    let new_password = Password::parse_field(&body.new_password, "new_password")?;
    let user = users::get(&state.db, auth.user_id).await?;
    users::confirm_password(
        &state.db,
        &state.passwords,
        state.config.login_throttle,
        &user,
        &peer.ip().to_string(),
        &body.current_password,
    )
    .await?;
    let pair = users::change_password(
        &state.db,
        &state.events,
        &state.passwords,
        &state.keys,
        user.id,
        &new_password,
        user_agent(&headers).as_deref(),
    )
    .await?;
    Ok(TokenResponse(pair))
}

/// Deletes the caller's account with its todos and sessions.
#[utoipa::path(
    delete, path = "/users/me", tag = "users", security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "The password is wrong; counts as a failed login", body = ErrorBody),
        (status = 429, description = "Too many failed logins or wrong confirmations for this email from this address, the right password included; see Retry-After. The session stays valid", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the pair may try again"))),
        (status = 503, description = "Too many password checks queued (`unavailable`); see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds after which to try again"))),
    )
)]
async fn delete_account(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    auth: AuthUser,
    AppJson(body): AppJson<DeleteAccountRequest>,
) -> ApiResult<StatusCode> {
    let user = users::get(&state.db, auth.user_id).await?;
    users::confirm_password(
        &state.db,
        &state.passwords,
        state.config.login_throttle,
        &user,
        &peer.ip().to_string(),
        &body.password,
    )
    .await?;
    users::delete(&state.db, &state.events, user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
