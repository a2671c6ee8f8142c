//! `POST /password-reset` and `POST /password-reset/confirm`: a forgotten password,
//! replaced through a link mailed to the account's address (`API.md`, "Password reset").

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use app::{
    domain::{Email, Password},
    dto::{
        ErrorBody, PasswordResetAccepted, PasswordResetConfirm, PasswordResetRequest, TokenPair,
    },
};

use super::tokens::{TokenResponse, user_agent};
use crate::{
    auth::login_throttle::{self, Attempt},
    error::ApiResult,
    extract::AppJson,
    services::password_reset,
    state::AppState,
};

/// What every accepted request is told, account or not.
const ACCEPTED: &str = "If an account exists for this email, a link to choose a new password \
    is on its way. It works once and expires.";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
}

/// Mails a password-reset link to the account of this email, if there is one. The answer
/// is the same either way, and comes before anything about the account is looked up: the
/// mail is sent in the background.
#[utoipa::path(
    post, path = "/password-reset", tag = "auth",
    request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted: a link is mailed if the account exists (the same answer if not)", body = PasswordResetAccepted),
        (status = 422, description = "The email is missing or not an email address", body = ErrorBody),
        (status = 429, description = "Too many requests for this email from this address; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the pair may ask again"))),
    )
)]
async fn request_reset(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    AppJson(body): AppJson<PasswordResetRequest>,
) -> ApiResult<(StatusCode, AppJson<PasswordResetAccepted>)> {
    let email = Email::parse(&body.email)?;
    let normalized = email.normalized();
    let email_key = login_throttle::reset_request_key(&normalized);
    let client_ip = peer.ip().to_string();
    // Every request keeps its slot: this limit counts requests, not failures.
    let _counted = login_throttle::reserve(
        &state.db,
        state.config.login_throttle,
        Attempt {
            email_key: &email_key,
            client_ip: &client_ip,
        },
    )
    .await?;
    state.reset_requests.submit(normalized);
    Ok((
        StatusCode::ACCEPTED,
        AppJson(PasswordResetAccepted {
            detail: ACCEPTED.to_owned(),
        }),
    ))
}

/// Sets a new password with the token of a reset link, signs out every session of the
/// account and signs in a new one.
#[utoipa::path(
    post, path = "/password-reset/confirm", tag = "auth",
    request_body = PasswordResetConfirm,
    responses(
        (status = 200, description = "The password is set; the pair of a new session", body = TokenPair),
        (status = 400, description = "The token is unknown, used, spent by a newer request or a password change, or expired (`invalid_reset_token`). Never a 401", body = ErrorBody),
        (status = 422, description = "A field is missing, or the new password is invalid", body = ErrorBody),
        (status = 503, description = "Too many password hashes queued (`unavailable`); see Retry-After. The token stays valid", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds after which to try again"))),
    )
)]
async fn confirm_reset(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppJson(body): AppJson<PasswordResetConfirm>,
) -> ApiResult<TokenResponse> {
    // The password first: a typo in it must not burn the link.
    let new_password = Password::parse_field(&body.new_password, "new_password")?;
    let pair = password_reset::confirm(
        &state.db,
        &state.events,
        &state.passwords,
        &state.keys,
        &body.token,
        &new_password,
        user_agent(&headers).as_deref(),
    )
    .await?;
    Ok(TokenResponse(pair))
}
