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
    extract::{AppJson, json_object},
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
        (status = 429, description = "Too many failed logins for this email from this address; see Retry-After", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds until the pair may try again"))),
        (status = 503, description = "Too many password checks queued (`unavailable`); see Retry-After. Never a 401", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds after which to try again"))),
    )
)]
async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Credentials(credentials): Credentials,
) -> ApiResult<TokenResponse> {
    // Every attempt is counted, whatever was typed as the email: an address that cannot
    // be an account's is locked out like any other, and bounds bcrypt work the same way.
    let email_key = login_throttle::email_key(&credentials.email);
    let client_ip = peer.ip().to_string();
    let attempt = Attempt {
        email_key: &email_key,
        client_ip: &client_ip,
    };
    let mut user = None;
    let verified = login_throttle::checked(
        &state.db,
        state.config.login_throttle,
        attempt,
        verify_credentials(&state, &credentials, &mut user),
    )
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        return Err(ApiError::LoginFailed);
    };
    let pair = sessions::start(
        &state.db,
        &state.keys,
        user.id,
        user_agent(&headers).as_deref(),
    )
    .await?;
    Ok(TokenResponse(pair))
}

/// Whether the credentials are an account's, leaving the account in `found`. An unknown
/// or impossible email still costs a bcrypt run (against a dummy hash), so the answer
/// takes as long as for a real account.
async fn verify_credentials(
    state: &AppState,
    credentials: &LoginRequest,
    found: &mut Option<crate::entities::user::Model>,
) -> ApiResult<bool> {
    let hasher = &state.passwords;
    let user = match Email::parse(&credentials.email) {
        Ok(email) => users::find_by_email(&state.db, &email.normalized()).await?,
        Err(_) => None,
    };
    let Some(user) = user else {
        hasher.dummy_verify(&credentials.password).await?;
        return Ok(false);
    };
    let verified = hasher
        .verify(
            &credentials.password,
            &PasswordHash(user.password_hash.clone()),
        )
        .await?;
    *found = Some(user);
    Ok(verified)
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
    sessions::refresh(&state.db, &state.events, &state.keys, &body.refresh_token)
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
    let mut txn = state.events.begin(&state.db).await?;
    sessions::revoke(&mut txn, claims.sub, claims.sid).await?;
    txn.commit().await?;
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
        json_object::<LoginRequest, _>(req, state)
            .await
            .map(Self)
            .map_err(|error| match error {
                ApiError::UnsupportedMediaType(_) => ApiError::UnsupportedMediaType(
                    "Expected application/json or application/x-www-form-urlencoded.".to_owned(),
                ),
                other => other,
            })
    }
}
