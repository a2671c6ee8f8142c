//! [`AuthUser`]: the caller, proven by a bearer access token of a live session.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
};
use uuid::Uuid;

use super::{jwt::TokenKind, sessions};
use crate::{
    error::{ApiError, TokenRejection},
    state::AppState,
};

/// The authenticated caller. Extracting it rejects with a 401 (and its
/// `WWW-Authenticate` challenge) when the token is missing, invalid, expired, or its
/// session has been revoked; handlers that take it never see an anonymous request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthUser {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// The access token's `exp` (seconds since the epoch): when a live-update stream
    /// opened with it must end.
    pub expires_at: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let (caller, expires_at) = verified(parts, state)?;
        sessions::require_live(&state.db, caller).await?;
        Ok(Self {
            user_id: caller.user_id,
            session_id: caller.session_id,
            expires_at,
        })
    }
}

/// A caller whose access token verified, but whose session has not been looked up yet.
///
/// For the todo routes and `GET /users/me`, the hot path: each checks the session in
/// the same statement as its work ([`sessions::live_condition`], [`sessions::find_live`])
/// and so saves a round trip to the database on every request. The ids are private to
/// `auth`: the only way to use one is a function of [`sessions`] that checks the session
/// or builds that check, so a handler cannot forget to. Every other handler takes
/// [`AuthUser`].
#[derive(Clone, Copy, Debug)]
pub struct UncheckedSession {
    pub(super) user_id: Uuid,
    pub(super) session_id: Uuid,
}

impl FromRequestParts<AppState> for UncheckedSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(verified(parts, state)?.0)
    }
}

/// The claims of the request's bearer access token, or the 401 for a missing, invalid or
/// expired one.
fn verified(parts: &Parts, state: &AppState) -> Result<(UncheckedSession, i64), ApiError> {
    let token = bearer_token(&parts.headers).ok_or_else(|| {
        tracing::debug!("no bearer token");
        ApiError::Token(TokenRejection::Invalid)
    })?;
    let claims = state
        .keys
        .verify(TokenKind::Access, token)
        .map_err(ApiError::Token)?;
    Ok((
        UncheckedSession {
            user_id: claims.sub,
            session_id: claims.sid,
        },
        claims.exp,
    ))
}

/// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive,
/// RFC 7235 §2.1).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use axum::http::{HeaderMap, HeaderValue, header};

    use super::bearer_token;

    fn with_authorization(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token(&with_authorization("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&with_authorization("bearer abc")), Some("abc"));
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_no_token() {
        assert_eq!(bearer_token(&with_authorization("Basic abc")), None);
        assert_eq!(bearer_token(&with_authorization("Bearer ")), None);
        assert_eq!(bearer_token(&with_authorization("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
