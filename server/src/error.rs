//! The one error type of the HTTP API.
//!
//! Every failure a handler can report is an [`ApiError`]; its [`IntoResponse`] writes the
//! contract's body, `{"detail": "…", "code": "…"}`, with the right status and headers.
//! Server-side failures are logged in full and answered with a bland 500: database
//! messages are for us, not for clients.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::DbErr;

use app::{domain::FieldError, dto::ErrorBody};

/// Why a token was refused. Each is a 401 whose `code` tells the client what to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenRejection {
    /// No usable bearer token: absent, malformed, badly signed, wrong type or claims.
    Invalid,
    /// A well-formed token past its `exp`: refresh and retry.
    Expired,
    /// The token's session was signed out, or its user deleted: sign in again.
    SessionRevoked,
    /// A spent refresh token was presented again; the session is now revoked.
    RefreshReused,
}

impl TokenRejection {
    fn code(self) -> &'static str {
        match self {
            Self::Invalid => "invalid_token",
            Self::Expired => "token_expired",
            Self::SessionRevoked => "session_revoked",
            Self::RefreshReused => "refresh_reused",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Self::Invalid => "The token is missing or invalid.",
            Self::Expired => "The token has expired.",
            Self::SessionRevoked => "This session has been signed out.",
            Self::RefreshReused => {
                "This refresh token was already used; the session has been signed out."
            }
        }
    }
}

/// Everything that can go wrong while serving an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: the body parsed, but a field is invalid. The detail names the field.
    #[error("{0}")]
    Validation(String),
    /// 400: the body is not JSON (or not the form) it claims to be.
    #[error("{0}")]
    MalformedBody(String),
    /// 415: the body is not in a media type the route takes.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 413: the body is larger than the API accepts.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// 401 on `POST /login`: wrong email or password (the same answer for both).
    #[error("incorrect email or password")]
    LoginFailed,
    /// 403: a password given to confirm an action is wrong. Never 401, which would make
    /// the client refresh its tokens.
    #[error("the password is incorrect")]
    WrongPassword,
    /// 400: a password-reset token that is unknown, used, spent or expired. Never 401:
    /// the client's retry-on-401 layer would refresh the session's tokens for it.
    #[error("This reset link is invalid, has expired or was already used.")]
    InvalidResetToken,
    /// 401: the bearer or refresh token cannot be accepted.
    #[error("{}", .0.detail())]
    Token(TokenRejection),
    /// 404: no such resource for this user (or no such route).
    #[error("not found")]
    NotFound,
    /// 405: the route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the resource exists already.
    #[error("{0}")]
    Conflict(String),
    /// 429: too many failed attempts; try again after this many seconds.
    #[error("too many failed attempts; try again in {0} seconds")]
    RateLimited(u64),
    /// 503: the server is too busy to do this now (the password hashing queue is full);
    /// try again after this many seconds.
    #[error("the server is busy; try again in {0} seconds")]
    Unavailable(u64),
    /// 500: a database failure. Logged, never shown.
    #[error("database error: {0}")]
    Database(#[from] DbErr),
    /// 500: any other bug or failure on our side. Logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        Self::Validation(err.to_string())
    }
}

impl ApiError {
    /// The HTTP status of this error.
    #[must_use]
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedBody(_) | Self::InvalidResetToken => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::LoginFailed | Self::Token(_) => StatusCode::UNAUTHORIZED,
            Self::WrongPassword => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code of `API.md`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_error",
            Self::MalformedBody(_) => "malformed_body",
            Self::InvalidResetToken => "invalid_reset_token",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::LoginFailed | Self::WrongPassword => "invalid_credentials",
            Self::Token(rejection) => rejection.code(),
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::RateLimited(_) => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    /// Maps a unique-constraint violation to a 409 with `detail`, by the database's error
    /// kind rather than by matching its message; any other error stays a 500.
    #[must_use]
    pub fn conflict_on_unique(err: DbErr, detail: &str) -> Self {
        if crate::db::is_unique_violation(&err) {
            Self::Conflict(detail.to_owned())
        } else {
            Self::Database(err)
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let detail = if matches!(self, Self::Unavailable(_)) {
            // Not a fault to hide: the client should know to wait and retry.
            self.to_string()
        } else if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
            "Something went wrong on our side. Please try again.".to_owned()
        } else {
            self.to_string()
        };
        let body = ErrorBody {
            detail: detail.clone(),
            code: self.code().to_owned(),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        match &self {
            Self::Token(_) => {
                // RFC 6750 §3: the challenge that tells a client its token is the problem.
                let challenge = format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    detail.replace('"', "'")
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    headers.insert(header::WWW_AUTHENTICATE, value);
                }
            }
            Self::LoginFailed => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited(seconds) | Self::Unavailable(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(*seconds));
            }
            _ => {}
        }
        response
    }
}

/// What API handlers return.
pub type ApiResult<T> = Result<T, ApiError>;
