//! The token pair in `localStorage` (`ticked.access_token`, `ticked.refresh_token`), read
//! and written through `gloo-storage`. No other module touches these keys.

use std::{cell::RefCell, rc::Rc};

use gloo_storage::{LocalStorage, Storage};
use serde::Deserialize;

use crate::dto::TokenPair;

/// `localStorage` key of the access token.
pub const ACCESS_KEY: &str = "ticked.access_token";
/// `localStorage` key of the refresh token.
pub const REFRESH_KEY: &str = "ticked.refresh_token";

// Tokens are stored as the bare strings (not JSON-encoded, gloo-storage's default), so
// that what sits under the keys is exactly the token the API issued.

fn read(key: &str) -> Option<String> {
    LocalStorage::raw()
        .get_item(key)
        .ok()
        .flatten()
        .filter(|v| !v.is_empty())
}

fn write(key: &str, value: &str) {
    let _ = LocalStorage::raw().set_item(key, value);
}

/// The stored access token, if signed in.
#[must_use]
pub fn access_token() -> Option<String> {
    read(ACCESS_KEY)
}

/// The stored refresh token, if signed in.
#[must_use]
pub fn refresh_token() -> Option<String> {
    read(REFRESH_KEY)
}

/// Whether a token pair is stored (it may still be expired).
#[must_use]
pub fn is_signed_in() -> bool {
    refresh_token().is_some()
}

thread_local! {
    static ON_CHANGE: RefCell<Option<Rc<dyn Fn()>>> = RefCell::new(None);
}

/// Registers what runs when this tab changes the stored pair. (Other tabs' changes
/// arrive as `storage` events, which a tab never gets for its own writes.)
pub fn on_change(hook: impl Fn() + 'static) {
    ON_CHANGE.with(|slot| *slot.borrow_mut() = Some(Rc::new(hook)));
}

fn changed() {
    if let Some(hook) = ON_CHANGE.with(|slot| slot.borrow().clone()) {
        hook();
    }
}

/// Stores a new pair; other tabs see it through a `storage` event.
pub fn store(pair: &TokenPair) {
    // Refresh first: a tab that sees the new access token can then rely on the refresh
    // token beside it being the matching one.
    write(REFRESH_KEY, &pair.refresh_token);
    write(ACCESS_KEY, &pair.access_token);
    changed();
}

/// Stores `pair`, the result of spending the refresh token `spent`, only if `spent` is
/// still the stored one. Anything else means the pair changed while the refresh was on
/// its way (signed out, or signed in again), and that change wins.
pub fn store_replacing(spent: &str, pair: &TokenPair) -> bool {
    let current = refresh_token().as_deref() == Some(spent);
    if current {
        store(pair);
    }
    current
}

/// Forgets both tokens: signed out here, and in every other tab through `storage` events.
pub fn clear() {
    LocalStorage::delete(ACCESS_KEY);
    LocalStorage::delete(REFRESH_KEY);
    changed();
}

/// Forgets the tokens only if the stored refresh token is `refused`: a newer pair that
/// another tab stored meanwhile is not the one the server refused.
pub fn clear_if_refresh_is(refused: &str) {
    if refresh_token().as_deref() == Some(refused) {
        clear();
    }
}

/// Forgets the tokens only if the stored access token is `refused` (or none is stored).
pub fn clear_if_access_is(refused: &str) {
    if access_token().is_none_or(|current| current == refused) {
        clear();
    }
}

/// The times a JWT carries, read without verifying it: the browser only uses them to
/// refresh a little before the server would refuse the token.
#[derive(Deserialize)]
struct Times {
    exp: i64,
    iat: i64,
}

fn times(token: &str) -> Option<Times> {
    super::json::from_str(&payload_text(token)?)
}

/// The JSON text of a JWT's payload: its middle part, in base64url without padding.
///
/// In the browser, its own decoder (`atob`) reads it, as its own `JSON` reads the result
/// (`json.rs`): the module then carries no base64 decoder, which was most of this
/// function's 5 kB (BENCHMARKS.md, "Page weight", step 12). `atob` reads standard base64
/// with or without padding, and gives a character per byte: the server's payloads are
/// ASCII, and the numbers read here would survive any other byte. Elsewhere (the unit
/// tests) the base64 crate does the same job.
fn payload_text(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?.trim_end_matches('=');
    #[cfg(target_arch = "wasm32")]
    {
        let standard: String = payload
            .chars()
            .map(|c| match c {
                '-' => '+',
                '_' => '/',
                c => c,
            })
            .collect();
        web_sys::window()?.atob(&standard).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
        String::from_utf8(URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

/// The `exp` claim (seconds since the epoch) of a JWT.
#[must_use]
pub fn expires_at(token: &str) -> Option<i64> {
    times(token).map(|t| t.exp)
}

/// The `iat` claim (seconds since the epoch) of a JWT.
#[must_use]
pub fn issued_at(token: &str) -> Option<i64> {
    times(token).map(|t| t.iat)
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use super::expires_at;

    #[test]
    fn exp_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"x","iat":1699999100,"exp":1700000000}"#);
        assert_eq!(expires_at(&format!("h.{payload}.s")), Some(1_700_000_000));
        assert_eq!(
            super::issued_at(&format!("h.{payload}.s")),
            Some(1_699_999_100)
        );
    }

    #[test]
    fn anything_else_has_no_exp() {
        assert_eq!(expires_at("not-a-jwt"), None);
        assert_eq!(expires_at("a.!!!.c"), None);
        let payload = URL_SAFE_NO_PAD.encode(r#"{"iat":1,"exp":"soon"}"#);
        assert_eq!(expires_at(&format!("h.{payload}.s")), None);
    }
}
