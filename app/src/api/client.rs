//! The one place that speaks HTTP to the API, as two kinds of call.
//!
//! A [`Call<Public>`] (sign up, sign in, refresh, sign out) carries no token and is sent
//! exactly once, whatever it answers. A [`Call<Authorized>`] carries the access token and,
//! on a 401, gets a replacement from [`refresh`] and is sent again. The kind is a type, so
//! `/refresh` cannot be sent through the retrying path by mistake: [`refresh`] only ever
//! builds a `Call<Public>`.

use std::{marker::PhantomData, time::Duration};

use leptos::prelude::set_timeout_with_handle;
use reqwasm::http::{Method, Request};
use serde::{Serialize, de::DeserializeOwned};
use web_sys::AbortController;

use super::{ApiError, refresh, tokens};

/// The API's base path.
const BASE: &str = "/api/v1";

/// How long any call may take before it counts as a network failure. A server that
/// accepted the connection and then hangs (a stuck deploy, a lost packet that TCP has
/// not noticed yet) would otherwise hold the caller, and for `/refresh` every tab
/// waiting on the refresh lock, for as long as the browser's own limit (minutes).
const TIMEOUT: Duration = Duration::from_secs(10);

/// How many times one authorized call may be sent: the first time, and again after each
/// 401 that came with a token we have not tried yet (renewed, or stored by another tab).
const MAX_SENDS: usize = 3;

/// Marks a call sent without a token and never retried.
pub(super) enum Public {}
/// Marks a call sent with the access token, renewed and re-sent on a 401.
pub(super) enum Authorized {}

/// A call sent without a token, exactly once.
pub(super) type PublicCall = Call<Public>;
/// A call sent on the user's behalf, renewed and re-sent on a 401.
pub(super) type AuthorizedCall = Call<Authorized>;

/// How a kind of call is sent.
pub(super) trait Kind: Sized {
    async fn send(call: &Call<Self>) -> Result<(u16, String), ApiError>;
}

/// One request to the API.
pub(super) struct Call<K> {
    method: Method,
    path: String,
    body: Option<String>,
    idempotency_key: Option<String>,
    kind: PhantomData<K>,
}

impl<K: Kind> Call<K> {
    fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: format!("{BASE}{path}"),
            body: None,
            idempotency_key: None,
            kind: PhantomData,
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

    /// Sends an `Idempotency-Key`, so that sending the same call again is safe.
    pub(super) fn idempotency_key(mut self, key: &str) -> Self {
        self.idempotency_key = Some(key.to_owned());
        self
    }

    /// Sends the call and reads a JSON answer.
    pub(super) async fn fetch<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let (status, text) = K::send(&self).await?;
        serde_json::from_str(&text).map_err(|_| ApiError::Server {
            status,
            code: "internal".to_owned(),
            detail: "The server's answer could not be read.".to_owned(),
        })
    }

    /// Sends the call, expecting no body back.
    pub(super) async fn execute(self) -> Result<(), ApiError> {
        K::send(&self).await.map(|_| ())
    }
}

impl Kind for Public {
    async fn send(call: &Call<Self>) -> Result<(u16, String), ApiError> {
        success(fire(call, None).await?)
    }
}

impl Kind for Authorized {
    /// Sends `call` with the stored access token. A 401 asks [`refresh`] for a token to
    /// replace the refused one: one that another request or tab stored meanwhile, a
    /// renewed one, or none because the session is over (then the user is signed out).
    async fn send(call: &Call<Self>) -> Result<(u16, String), ApiError> {
        let mut token = match tokens::access_token() {
            Some(token) => token,
            None => refresh::renewed_access_token(None).await?,
        };
        for sends in 1..=MAX_SENDS {
            let (status, text) = fire(call, Some(&token)).await?;
            if status != 401 {
                return success((status, text));
            }
            let refused = ApiError::from_response(status, &text);
            // A refused token that was itself just renewed, or a refusal saying the
            // session is over, is not worth a refresh: the session has ended, unless
            // storage holds a newer pair (another tab changed the password, say).
            let session_over =
                sends > 1 || matches!(refused.code(), Some("session_revoked" | "refresh_reused"));
            let next = if session_over {
                refresh::end_session_unless_renewed(&token).await?
            } else {
                refresh::renewed_access_token(Some(token.clone())).await?
            };
            if next == token || sends == MAX_SENDS {
                return Err(refused);
            }
            token = next;
        }
        unreachable!("the loop returns on its last send")
    }
}

/// One HTTP exchange, given up after [`TIMEOUT`]; no answer at all is
/// [`ApiError::Network`].
async fn fire<K>(call: &Call<K>, token: Option<&str>) -> Result<(u16, String), ApiError> {
    let abort = AbortController::new().ok();
    let mut request = Request::new(&call.path)
        .method(call.method)
        .abort_signal(abort.as_ref().map(|a| a.signal()).as_ref());
    if let Some(body) = &call.body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.clone());
    }
    if let Some(key) = &call.idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    let authorization;
    if let Some(token) = token {
        authorization = format!("Bearer {token}");
        request = request.header("Authorization", &authorization);
    }
    let timer =
        abort.and_then(|abort| set_timeout_with_handle(move || abort.abort(), TIMEOUT).ok());
    let answer = async {
        let response = request.send().await.map_err(|_| ApiError::Network)?;
        let status = response.status();
        let text = response.text().await.map_err(|_| ApiError::Network)?;
        Ok((status, text))
    }
    .await;
    if let Some(timer) = timer {
        timer.clear();
    }
    answer
}

fn success((status, text): (u16, String)) -> Result<(u16, String), ApiError> {
    if (200..300).contains(&status) {
        Ok((status, text))
    } else {
        Err(ApiError::from_response(status, &text))
    }
}
