//! `GET /events`: the caller's live updates as Server-Sent Events (`API.md`, "Live
//! updates"; the wire format is in [`crate::events::stream`]).

use std::convert::Infallible;

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue},
    response::{
        IntoResponse, Response,
        sse::{KeepAlive, Sse},
    },
};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use app::dto::ErrorBody;

use crate::{
    auth::AuthUser,
    error::ApiResult,
    events::stream::{LiveStream, Resume},
    state::AppState,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(events))
}

/// How the document describes `Last-Event-ID`.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // Only its description is used: the handler reads the raw header.
struct LastEventIdParam {
    /// The `id` of the last event the client received on an earlier stream: the events
    /// after it are replayed first. An id whose successors are no longer kept, one from
    /// the future, or anything but a decimal number gets one `resync` event instead.
    #[param(rename = "Last-Event-ID", pattern = "^[0-9]{1,18}$")]
    last_event_id: Option<String>,
}

/// The caller's live updates, from every device and instance, until the access token
/// expires (`token_expired`) or the session ends (`session_revoked`).
///
/// The stream opens with the comment `: connected`. Each event has `id` (increasing per
/// user), `event` and `data` (JSON): `todo` (a created or changed todo, as the API
/// returns it), `todo_deleted` (`{"id"}`), `todos` (toggle all or clear completed changed
/// something: `{"active_count", "completed_count"}`, reload the list), `resync` (`{}`:
/// what was missed is no longer kept, reload the list), and as the last event
/// `token_expired` or `session_revoked` (`{}`). A `: keep-alive` comment comes whenever
/// nothing was sent for 15 seconds.
#[utoipa::path(
    get, path = "/events", tag = "events", security(("bearer" = [])),
    params(LastEventIdParam),
    responses(
        (status = 200, description = "A stream of Server-Sent Events; see the description above",
            content_type = "text/event-stream", body = String,
            headers(("X-Accel-Buffering" = String, description = "`no`: proxies must pass events on at once"))),
        (status = 401, body = ErrorBody),
    )
)]
async fn events(
    State(state): State<AppState>,
    auth: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let resume = Resume::parse(headers.get("last-event-id").map(HeaderValue::as_bytes));
    let stream = LiveStream::open(state.db.clone(), &state.events, auth, resume).await?;
    let body = futures_util::stream::unfold(stream, |mut stream| async move {
        let event = stream.next().await?;
        Some((Ok::<_, Infallible>(event), stream))
    });
    let keep_alive = KeepAlive::new()
        .interval(state.events.settings().keep_alive)
        .text("keep-alive");
    let mut response = Sse::new(body).keep_alive(keep_alive).into_response();
    // nginx and its kind buffer responses unless told not to, which would hold events back.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
