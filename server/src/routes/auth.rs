//! `POST /login`, `POST /refresh`, `POST /logout`: getting, renewing and ending sessions.

use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequest, Request, State},
    http::{HeaderMap, StatusCode, header},
};
use utoipa_axum::{router::OpenApiRouter, routes};

use app::{
    domain::Email,
    dto::{ErrorBody, LoginRequest, RefreshRequest, TokenPair},
};

use super::tokens::{TokenResponse, user_agent};
use crate::{
    auth::{
        jwt::TokenKind,
        login_throttle::{self, Attempt},
        password::PasswordHash,
        sessions,
    },
    error::{ApiError, ApiResult},
    extract::{AppJson, json_rejection},
    services::users,
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Signs in: the OAuth2 password form (`username`, `password`) or JSON (`email`, `password`).
#[utoipa::path(
    post, path = "/login", tag = "auth",
    request_body(description = "JSON with `email`, or the OAuth2 password form with `username`",
        content((LoginRequest = "application/json"), (LoginForm = "application/x-www-form-urlencoded"))),
    responses(
        (status = 200, description = "Signed in: a new session", body = TokenPair),
        (status = 401, description = "Wrong email or password", body = ErrorBody),
        (status = 422, description = "A field is missing", body = ErrorBody),
        (status = 429, description = "Too many failed logins; see Retry-After", body = ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Credentials(credentials): Credentials,
) -> ApiResult<TokenResponse> {
    let hasher = &state.passwords;
    // An address that cannot be an account's cannot match one; it still costs a bcrypt,
    // so the answer takes as long as for a real account.
    let Ok(email) = Email::parse(&credentials.email) else {
        hasher.dummy_verify(&credentials.password).await?;
        return Err(ApiError::LoginFailed);
    };
    let email_normalized = email.normalized();
    let client_ip = peer.ip().to_string();
    let attempt = Attempt {
        email_normalized: &email_normalized,
        client_ip: &client_ip,
    };
    let throttle = state.config.login_throttle;
    if let Some(retry_after) =
        login_throttle::lockout_remaining(&state.db, throttle, attempt).await?
    {
        return Err(ApiError::RateLimited(retry_after));
    }
    let user = users::find_by_email(&state.db, &email_normalized).await?;
    let verified = match &user {
        Some(user) => {
            hasher
                .verify(
                    &credentials.password,
                    &PasswordHash(user.password_hash.clone()),
                )
                .await?
        }
        None => {
            hasher.dummy_verify(&credentials.password).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| verified) else {
        login_throttle::record_failure(&state.db, throttle, attempt).await?;
        return Err(ApiError::LoginFailed);
    };
    login_throttle::clear(&state.db, attempt).await?;
    let pair = sessions::start(
        &state.db,
        &state.keys,
        user.id,
        user_agent(&headers).as_deref(),
    )
    .await?;
    Ok(TokenResponse(pair))
}

/// Trades a refresh token for a new pair; the presented token is spent.
#[utoipa::path(
    post, path = "/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "The next pair of this session", body = TokenPair),
        (status = 401, description = "Invalid, expired, revoked or reused refresh token", body = ErrorBody),
    )
)]
async fn refresh(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> ApiResult<TokenResponse> {
    sessions::refresh(&state.db, &state.keys, &body.refresh_token)
        .await
        .map(TokenResponse)
}

/// Ends the session of a refresh token. Idempotent; an expired token still signs out.
#[utoipa::path(
    post, path = "/logout", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "The session is signed out"),
        (status = 401, description = "Not a refresh token of ours", body = ErrorBody),
    )
)]
async fn logout(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    let claims = state
        .keys
        .verify_ignoring_expiry(TokenKind::Refresh, &body.refresh_token)
        .map_err(ApiError::Token)?;
    sessions::revoke(&state.db, claims.sid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Login credentials from either the OAuth2 form or a JSON body.
struct Credentials(LoginRequest);

/// The OAuth2 password grant's form (RFC 6749 §4.3.2), as FastAPI's
/// `OAuth2PasswordRequestForm` takes it: `username` is the email.
#[derive(serde::Deserialize, utoipa::ToSchema)]
struct LoginForm {
    username: String,
    password: String,
}

impl<S: Send + Sync> FromRequest<S> for Credentials {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if is_form {
            let axum::Form(form) = axum::Form::<LoginForm>::from_request(req, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                    _ => ApiError::Validation(rejection.body_text()),
                })?;
            return Ok(Self(LoginRequest {
                email: form.username,
                password: form.password,
            }));
        }
        axum::Json::<LoginRequest>::from_request(req, state)
            .await
            .map(|axum::Json(body)| Self(body))
            .map_err(|rejection| match json_rejection(rejection) {
                ApiError::UnsupportedMediaType(_) => ApiError::UnsupportedMediaType(
                    "Expected application/json or application/x-www-form-urlencoded.".to_owned(),
                ),
                other => other,
            })
    }
}
