//! The token pair in `localStorage` (`ticked.access_token`, `ticked.refresh_token`), read
//! and written through `gloo-storage`. No other module touches these keys.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use gloo_storage::{LocalStorage, Storage};
use serde::Deserialize;

use crate::dto::TokenPair;

/// `localStorage` key of the access token.
pub const ACCESS_KEY: &str = "ticked.access_token";
/// `localStorage` key of the refresh token.
pub const REFRESH_KEY: &str = "ticked.refresh_token";

/// The stored access token, if signed in.
#[must_use]
pub fn access_token() -> Option<String> {
    LocalStorage::get::<String>(ACCESS_KEY).ok()
}

/// The stored refresh token, if signed in.
#[must_use]
pub fn refresh_token() -> Option<String> {
    LocalStorage::get::<String>(REFRESH_KEY).ok()
}

/// Whether a token pair is stored (it may still be expired).
#[must_use]
pub fn is_signed_in() -> bool {
    refresh_token().is_some()
}

/// Stores a new pair; other tabs see it through a `storage` event.
pub fn store(pair: &TokenPair) {
    // Refresh first: a tab that sees the new access token can then rely on the refresh
    // token beside it being the matching one.
    let _ = LocalStorage::set(REFRESH_KEY, &pair.refresh_token);
    let _ = LocalStorage::set(ACCESS_KEY, &pair.access_token);
}

/// Forgets both tokens: signed out here, and in every other tab through `storage` events.
pub fn clear() {
    LocalStorage::delete(ACCESS_KEY);
    LocalStorage::delete(REFRESH_KEY);
}

/// The `exp` claim (seconds since the epoch) of a JWT, read without verifying it: the
/// browser only uses it to refresh a little before the server would refuse the token.
#[must_use]
pub fn expires_at(token: &str) -> Option<i64> {
    #[derive(Deserialize)]
    struct Exp {
        exp: i64,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice::<Exp>(&bytes).ok().map(|c| c.exp)
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::expires_at;

    #[test]
    fn exp_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x","exp":1700000000}"#);
        assert_eq!(expires_at(&format!("h.{payload}.s")), Some(1_700_000_000));
    }

    #[test]
    fn anything_else_has_no_exp() {
        assert_eq!(expires_at("not-a-jwt"), None);
        assert_eq!(expires_at("a.!!!.c"), None);
        let payload = URL_SAFE_NO_PAD.encode(r#"{"exp":"soon"}"#);
        assert_eq!(expires_at(&format!("h.{payload}.s")), None);
    }
}
