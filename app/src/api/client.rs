//! The one place that speaks HTTP to the API, as two kinds of call.
//!
//! A [`Call<Public>`] (sign up, sign in, refresh, sign out) carries no token and is sent
//! exactly once, whatever it answers. A [`Call<Authorized>`] carries the access token and,
//! on a 401, gets a replacement from [`refresh`] and is sent again. The kind is a type, so
//! `/refresh` cannot be sent through the retrying path by mistake: [`refresh`] only ever
//! builds a `Call<Public>`.

use std::{marker::PhantomData, time::Duration};

use leptos::prelude::{TimeoutHandle, set_timeout_with_handle};
use reqwasm::http::{Method, Request, Response};
use serde::{Serialize, de::DeserializeOwned};
use web_sys::AbortController;

use super::{ApiError, json, refresh, tokens};

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
    /// Headers beside `Content-Type` and `Authorization`.
    headers: Vec<(&'static str, String)>,
    kind: PhantomData<K>,
}

impl<K: Kind> Call<K> {
    fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: format!("{BASE}{path}"),
            body: None,
            headers: Vec::new(),
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
        self.body = json::to_string(body);
        self
    }

    /// Sends an `Idempotency-Key`, so that sending the same call again is safe.
    pub(super) fn idempotency_key(mut self, key: &str) -> Self {
        self.headers.push(("Idempotency-Key", key.to_owned()));
        self
    }

    /// Sends a `Last-Event-ID`, so that a stream picks up after the last event seen.
    pub(super) fn last_event_id(mut self, id: &str) -> Self {
        self.headers.push(("Last-Event-ID", id.to_owned()));
        self
    }

    /// Sends the call and reads a JSON answer.
    pub(super) async fn fetch<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let (status, text) = K::send(&self).await?;
        json::from_str(&text).ok_or_else(|| ApiError::Server {
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
    async fn send(call: &Call<Self>) -> Result<(u16, String), ApiError> {
        let (_, answer) =
            with_access_token(|token| async move { success(fire(call, Some(&token)).await?) })
                .await?;
        Ok(answer)
    }
}

impl Call<Authorized> {
    /// Sends the call and hands back the body as a stream, once the response's headers
    /// have arrived (with a 2xx), with the access token that opened it. Only the wait for
    /// the headers is bounded by [`TIMEOUT`]: the body may run for as long as the server
    /// keeps it open, and `abort` ends it.
    ///
    /// # Errors
    /// As for any authorized call; a 2xx without a body is [`ApiError::Network`].
    pub(super) async fn open_stream(
        self,
        abort: &AbortController,
    ) -> Result<(String, web_sys::ReadableStream), ApiError> {
        let call = &self;
        with_access_token(|token| async move {
            let response = headers_of(call, Some(&token), abort).await?;
            let status = response.status();
            if (200..300).contains(&status) {
                response.body().ok_or(ApiError::Network)
            } else {
                let text = response.text().await.map_err(|_| ApiError::Network)?;
                Err(ApiError::from_response(status, &text))
            }
        })
        .await
    }
}

/// Runs `attempt` with the stored access token and returns its answer with the token
/// that got it. A 401 asks [`refresh`] for a token to replace the refused one: one that
/// another request or tab stored meanwhile, a renewed one, or none because the session
/// is over (then the user is signed out).
async fn with_access_token<T, Fut>(attempt: impl Fn(String) -> Fut) -> Result<(String, T), ApiError>
where
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut token = match tokens::access_token() {
        Some(token) => token,
        None => refresh::renewed_access_token(None).await?,
    };
    for sends in 1..=MAX_SENDS {
        let refused = match attempt(token.clone()).await {
            Err(refused) if refused.status() == Some(401) => refused,
            answer => return answer.map(|answer| (token, answer)),
        };
        // A refused token that was itself just renewed, or a refusal saying the session
        // is over, is not worth a refresh: the session has ended, unless storage holds a
        // newer pair (another tab changed the password, say).
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

/// One HTTP exchange, given up after [`TIMEOUT`]; no answer at all is
/// [`ApiError::Network`].
async fn fire<K>(call: &Call<K>, token: Option<&str>) -> Result<(u16, String), ApiError> {
    let Ok(abort) = AbortController::new() else {
        return Err(ApiError::Network);
    };
    let timer = abort_after(&abort, TIMEOUT);
    let answer = async {
        let response = send_request(call, token, &abort).await?;
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

/// Sends `call` and waits for the response's headers, at most [`TIMEOUT`].
async fn headers_of<K>(
    call: &Call<K>,
    token: Option<&str>,
    abort: &AbortController,
) -> Result<Response, ApiError> {
    let timer = abort_after(abort, TIMEOUT);
    let response = send_request(call, token, abort).await;
    if let Some(timer) = timer {
        timer.clear();
    }
    response
}

fn abort_after(abort: &AbortController, timeout: Duration) -> Option<TimeoutHandle> {
    let abort = abort.clone();
    set_timeout_with_handle(move || abort.abort(), timeout).ok()
}

async fn send_request<K>(
    call: &Call<K>,
    token: Option<&str>,
    abort: &AbortController,
) -> Result<Response, ApiError> {
    let mut request = Request::new(&call.path)
        .method(call.method)
        .abort_signal(Some(&abort.signal()));
    if let Some(body) = &call.body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.clone());
    }
    for (name, value) in &call.headers {
        request = request.header(name, value);
    }
    let authorization;
    if let Some(token) = token {
        authorization = format!("Bearer {token}");
        request = request.header("Authorization", &authorization);
    }
    request.send().await.map_err(|_| ApiError::Network)
}

fn success((status, text): (u16, String)) -> Result<(u16, String), ApiError> {
    if (200..300).contains(&status) {
        Ok((status, text))
    } else {
        Err(ApiError::from_response(status, &text))
    }
}
