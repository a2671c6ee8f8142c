//! Token responses: the pair as JSON, never cached.

use axum::{
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};

use app::dto::TokenPair;

/// A [`TokenPair`] response with `Cache-Control: no-store` and `Pragma: no-cache`
/// (RFC 6749 §5.1), so no cache between here and the browser keeps a copy.
pub struct TokenResponse(pub TokenPair);

impl IntoResponse for TokenResponse {
    fn into_response(self) -> Response {
        let mut response = axum::Json(self.0).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        response
    }
}

/// The caller's `User-Agent`, to label its session in the sessions list.
pub fn user_agent(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}
