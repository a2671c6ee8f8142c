//! `send()`: the one place that speaks HTTP to the API.

use reqwasm::http::{Method, Request};
use serde::{Serialize, de::DeserializeOwned};

use super::{ApiError, refresh, tokens};

/// The API's base path.
const BASE: &str = "/api/v1";

/// One request to the API, before a token is attached.
pub(super) struct Call {
    method: Method,
    path: String,
    body: Option<String>,
    authenticated: bool,
}

impl Call {
    fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: format!("{BASE}{path}"),
            body: None,
            authenticated: true,
        }
    }

    pub(super) fn get(path: &str) -> Self {
        Self::new(Method::GET, path)
    }

    pub(super) fn post(path: &str) -> Self {
        Self::new(Method::POST, path)
    }

    pub(super) fn put(path: &str) -> Self {
        Self::new(Method::PUT, path)
    }

    pub(super) fn patch(path: &str) -> Self {
        Self::new(Method::PATCH, path)
    }

    pub(super) fn delete(path: &str) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Sends `body` as JSON.
    pub(super) fn json(mut self, body: &impl Serialize) -> Self {
        self.body = serde_json::to_string(body).ok();
        self
    }

    /// A call that needs no token (sign up, sign in, refresh, sign out): it is sent
    /// without one and never retried.
    pub(super) fn public(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// Sends the call and reads a JSON answer.
    pub(super) async fn fetch<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let (status, text) = send(self).await?;
        serde_json::from_str(&text).map_err(|_| ApiError::Server {
            status,
            code: "internal".to_owned(),
            detail: "The server's answer could not be read.".to_owned(),
        })
    }

    /// Sends the call, expecting no body back.
    pub(super) async fn execute(self) -> Result<(), ApiError> {
        send(self).await.map(|_| ())
    }
}

/// Sends `call` with the stored access token. On a 401 it renews the tokens (once for
/// all concurrent callers, see [`refresh`]) and sends the call again, once. A 401 that
/// says the session is over (`session_revoked`, `refresh_reused`) skips the pointless
/// refresh and signs out.
async fn send(call: Call) -> Result<(u16, String), ApiError> {
    if !call.authenticated {
        return success(fire(&call, None).await?);
    }
    let token = tokens::access_token();
    let (status, text) = fire(&call, token.as_deref()).await?;
    if status != 401 {
        return success((status, text));
    }
    let error = ApiError::from_response(status, &text);
    if matches!(error.code(), Some("session_revoked" | "refresh_reused")) {
        refresh::sign_out_here();
        return Err(ApiError::SignedOut);
    }
    let fresh = refresh::renewed_access_token(token).await?;
    let (status, text) = fire(&call, Some(&fresh)).await?;
    if status == 401 {
        refresh::sign_out_here();
        return Err(ApiError::SignedOut);
    }
    success((status, text))
}

/// One HTTP exchange; a failure to get any answer is [`ApiError::Network`].
async fn fire(call: &Call, token: Option<&str>) -> Result<(u16, String), ApiError> {
    let mut request = Request::new(&call.path).method(call.method);
    if let Some(body) = &call.body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.clone());
    }
    let authorization;
    if let Some(token) = token {
        authorization = format!("Bearer {token}");
        request = request.header("Authorization", &authorization);
    }
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    let status = response.status();
    let text = response.text().await.map_err(|_| ApiError::Network)?;
    Ok((status, text))
}

fn success((status, text): (u16, String)) -> Result<(u16, String), ApiError> {
    if (200..300).contains(&status) {
        Ok((status, text))
    } else {
        Err(ApiError::from_response(status, &text))
    }
}
