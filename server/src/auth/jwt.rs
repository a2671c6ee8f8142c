//! Access and refresh tokens: HS256 JWTs with our claims, each kind signed with its own
//! secret so that neither can stand in for the other.
//!
//! Verification trusts nothing in the token's header but the algorithm name, which must be
//! HS256: the key is always ours (`jku`, `jwk` and `kid` are ignored), `alg: none` and every
//! other algorithm are refused, and every claim must be present with the right JSON type.

use chrono::{DateTime, Utc};
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode, errors::ErrorKind,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{config::TokenSettings, error::TokenRejection};

/// `iss` and `aud` of every token we sign.
pub const ISSUER: &str = "ticked";
/// Clock skew tolerated on `exp` and `nbf`, in seconds (`API.md`: at most 5).
pub const LEEWAY_SECONDS: u64 = 5;

/// Which of the two kinds a token is; also its `typ` claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn typ(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// The claims of both kinds of token. Field order is the serialisation order, which keeps
/// signing deterministic: the same claims always give the same token, which is how the
/// reuse grace window can hand out a session's current refresh token again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub sid: Uuid,
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub iss: String,
    pub aud: String,
    pub typ: String,
}

impl Claims {
    /// Claims of a new token of `kind` for `user` in `session`, valid from `now` for `ttl`.
    #[must_use]
    pub fn new(kind: TokenKind, user: Uuid, session: Uuid, jti: Uuid, iat: i64, exp: i64) -> Self {
        Self {
            sub: user,
            sid: session,
            jti,
            iat,
            exp,
            nbf: None,
            iss: ISSUER.to_owned(),
            aud: ISSUER.to_owned(),
            typ: kind.typ().to_owned(),
        }
    }
}

/// The keys of both token kinds and how long each lives.
#[derive(Clone)]
pub struct TokenKeys {
    access_encoding: EncodingKey,
    access_decoding: DecodingKey,
    refresh_encoding: EncodingKey,
    refresh_decoding: DecodingKey,
    validation: Validation,
    /// Seconds an access token lives.
    pub access_ttl: i64,
    /// Seconds a refresh token lives.
    pub refresh_ttl: i64,
    /// Seconds after a rotation during which the spent token is forgiven.
    pub reuse_grace: i64,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys").finish_non_exhaustive()
    }
}

impl TokenKeys {
    /// Keys from the configured secrets.
    #[must_use]
    pub fn new(settings: &TokenSettings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        let seconds = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        Self {
            access_encoding: EncodingKey::from_secret(settings.access_secret.expose()),
            access_decoding: DecodingKey::from_secret(settings.access_secret.expose()),
            refresh_encoding: EncodingKey::from_secret(settings.refresh_secret.expose()),
            refresh_decoding: DecodingKey::from_secret(settings.refresh_secret.expose()),
            validation,
            access_ttl: seconds(settings.access_ttl),
            refresh_ttl: seconds(settings.refresh_ttl),
            reuse_grace: seconds(settings.reuse_grace),
        }
    }

    /// A new access token for `user` in `session`, issued at `now`.
    ///
    /// # Errors
    /// Only if serialisation fails, which our claims cannot make it do.
    pub fn access_token(
        &self,
        user: Uuid,
        session: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let iat = now.timestamp();
        let claims = Claims::new(
            TokenKind::Access,
            user,
            session,
            Uuid::new_v4(),
            iat,
            iat + self.access_ttl,
        );
        self.sign(TokenKind::Access, &claims)
    }

    /// Signs `claims` with the key of `kind`.
    ///
    /// # Errors
    /// Only if serialisation fails, which our claims cannot make it do.
    pub fn sign(
        &self,
        kind: TokenKind,
        claims: &Claims,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let key = match kind {
            TokenKind::Access => &self.access_encoding,
            TokenKind::Refresh => &self.refresh_encoding,
        };
        encode(&Header::new(Algorithm::HS256), claims, key)
    }

    /// Checks `token` as a token of `kind` and returns its claims.
    ///
    /// # Errors
    /// [`TokenRejection::Expired`] for a genuine token past its `exp`, and
    /// [`TokenRejection::Invalid`] for anything else wrong with it.
    pub fn verify(&self, kind: TokenKind, token: &str) -> Result<Claims, TokenRejection> {
        self.verify_with(kind, token, &self.validation)
    }

    /// Like [`TokenKeys::verify`] but accepting an expired token: signing out with a
    /// refresh token that has just expired should still end its session.
    ///
    /// # Errors
    /// [`TokenRejection::Invalid`] when the token is not a genuine token of `kind`.
    pub fn verify_ignoring_expiry(
        &self,
        kind: TokenKind,
        token: &str,
    ) -> Result<Claims, TokenRejection> {
        let mut validation = self.validation.clone();
        validation.validate_exp = false;
        self.verify_with(kind, token, &validation)
    }

    fn verify_with(
        &self,
        kind: TokenKind,
        token: &str,
        validation: &Validation,
    ) -> Result<Claims, TokenRejection> {
        let key = match kind {
            TokenKind::Access => &self.access_decoding,
            TokenKind::Refresh => &self.refresh_decoding,
        };
        let claims = decode::<Claims>(token, key, validation)
            .map_err(|e| {
                tracing::debug!(error = %e, ?kind, "token refused");
                match e.kind() {
                    ErrorKind::ExpiredSignature => TokenRejection::Expired,
                    _ => TokenRejection::Invalid,
                }
            })?
            .claims;
        if claims.typ != kind.typ() {
            tracing::debug!(typ = %claims.typ, ?kind, "token of the wrong kind");
            return Err(TokenRejection::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use chrono::Utc;
    use uuid::Uuid;

    use super::{Claims, TokenKeys, TokenKind};
    use crate::{
        config::{Secret, TokenSettings},
        error::TokenRejection,
    };

    fn keys() -> TokenKeys {
        TokenKeys::new(&TokenSettings {
            access_secret: Secret::new("a".repeat(32)),
            refresh_secret: Secret::new("r".repeat(32)),
            access_ttl: Duration::from_secs(900),
            refresh_ttl: Duration::from_secs(3600),
            reuse_grace: Duration::from_secs(10),
        })
    }

    #[test]
    fn an_access_token_verifies_as_access_and_not_as_refresh() {
        let keys = keys();
        let token = keys
            .access_token(Uuid::new_v4(), Uuid::new_v4(), Utc::now())
            .unwrap();
        assert!(keys.verify(TokenKind::Access, &token).is_ok());
        assert_eq!(
            keys.verify(TokenKind::Refresh, &token),
            Err(TokenRejection::Invalid)
        );
    }

    #[test]
    fn signing_the_same_claims_twice_gives_the_same_token() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let claims = Claims::new(
            TokenKind::Refresh,
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            now,
            now + 60,
        );
        assert_eq!(
            keys.sign(TokenKind::Refresh, &claims).unwrap(),
            keys.sign(TokenKind::Refresh, &claims).unwrap()
        );
    }

    #[test]
    fn an_expired_token_is_reported_as_expired_unless_expiry_is_ignored() {
        let keys = keys();
        let now = Utc::now().timestamp();
        let claims = Claims::new(
            TokenKind::Refresh,
            Uuid::new_v4(),
            Uuid::new_v4(),
            Uuid::new_v4(),
            now - 100,
            now - 50,
        );
        let token = keys.sign(TokenKind::Refresh, &claims).unwrap();
        assert_eq!(
            keys.verify(TokenKind::Refresh, &token),
            Err(TokenRejection::Expired)
        );
        assert_eq!(
            keys.verify_ignoring_expiry(TokenKind::Refresh, &token),
            Ok(claims)
        );
    }
}
