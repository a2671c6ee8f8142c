//! A small Server-Sent Events reader over a streaming `reqwest` response, for the
//! live-update tests: it splits the body into frames (blank-line separated) and reads
//! each frame's `id`, `event`, `data` and comment lines.

use std::time::Duration;

use serde_json::Value;

use crate::helpers::TestApp;

/// How long a test waits for something that should come "within a second".
pub const SECOND: Duration = Duration::from_millis(1_000);

/// One event as the client sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseEvent {
    /// `data` parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).expect("event data is JSON")
    }

    /// `id` as a number.
    pub fn number(&self) -> i64 {
        self.id
            .as_deref()
            .expect("event has an id")
            .parse()
            .expect("numeric id")
    }
}

/// What the next blank-line-terminated block of the body was.
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    Event(SseEvent),
    /// A comment line, without its `: `.
    Comment(String),
    /// The server ended the body.
    End,
}

/// An open stream.
pub struct Stream {
    response: reqwest::Response,
    buffer: String,
    ended: bool,
}

impl Stream {
    /// `GET /api/v1/events`, asserting the stream's status and headers and its opening
    /// comment.
    pub async fn open(app: &TestApp, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = app.request(reqwest::Method::GET, "/api/v1/events", Some(token));
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("request reaches the server");
        assert_eq!(response.status(), 200);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(header("content-type").as_deref(), Some("text/event-stream"));
        assert_eq!(header("cache-control").as_deref(), Some("no-store"));
        assert_eq!(header("x-accel-buffering").as_deref(), Some("no"));
        let mut stream = Self {
            response,
            buffer: String::new(),
            ended: false,
        };
        assert_eq!(
            stream.frame(SECOND).await,
            Some(Frame::Comment("connected".to_owned())),
            "a stream opens with `: connected`"
        );
        stream
    }

    /// The next frame, or `None` if none came within `wait`.
    pub async fn frame(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(parse(&block));
            }
            if self.ended {
                return Some(Frame::End);
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return None,
                Ok(Ok(Some(bytes))) => {
                    self.buffer
                        .push_str(std::str::from_utf8(&bytes).expect("UTF-8 stream"));
                }
                Ok(Ok(None) | Err(_)) => self.ended = true,
            }
        }
    }

    /// The next event, skipping comments; panics if none comes within `wait`.
    pub async fn event(&mut self, wait: Duration) -> SseEvent {
        loop {
            match self.frame(wait).await {
                Some(Frame::Event(event)) => return event,
                Some(Frame::Comment(_)) => {}
                Some(Frame::End) => panic!("the stream ended while an event was expected"),
                None => panic!("no event within {wait:?}"),
            }
        }
    }

    /// Asserts that no event comes within `wait` (comments are fine).
    pub async fn assert_quiet(&mut self, wait: Duration) {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.frame(left).await {
                None => return,
                Some(Frame::Comment(_)) => {}
                Some(other) => panic!("expected nothing, got {other:?}"),
            }
        }
    }

    /// Asserts that the next event is `kind` with `data: {}`, and then the stream ends.
    pub async fn assert_ends_with(&mut self, kind: &str, wait: Duration) -> SseEvent {
        let event = self.event(wait).await;
        assert_eq!(event.event, kind, "{event:?}");
        assert_eq!(event.data, "{}", "{event:?}");
        assert!(event.id.is_some(), "{event:?}");
        assert_eq!(self.frame(wait).await, Some(Frame::End), "after {kind}");
        event
    }
}

fn parse(block: &str) -> Frame {
    let mut id = None;
    let mut event = None;
    let mut data: Option<String> = None;
    let mut comment = None;
    for line in block.lines().filter(|line| !line.is_empty()) {
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match field {
            "" => comment = Some(value),
            "id" => id = Some(value),
            "event" => event = Some(value),
            "data" => {
                data = Some(match data {
                    Some(before) => format!("{before}\n{value}"),
                    None => value,
                });
            }
            other => panic!("unexpected field {other:?} in {block:?}"),
        }
    }
    match (event, comment) {
        (Some(event), _) => Frame::Event(SseEvent {
            id,
            event,
            data: data.expect("every event has a data line"),
        }),
        (None, Some(comment)) => Frame::Comment(comment),
        (None, None) => panic!("a frame with neither event nor comment: {block:?}"),
    }
}
