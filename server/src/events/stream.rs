//! One client's stream: what it sends, in what order, and when it ends.
//!
//! On the wire (axum writes the SSE framing):
//!
//! - first `: connected`, at once, so the client knows the stream is open;
//! - each event as `id: <n>`, `event: <kind>`, `data: <json>`, in id order, without gaps
//!   or repeats (a stream that misses one reads it from the database);
//! - `: keep-alive` whenever nothing else was sent for the configured interval (15 s);
//! - at the end, one of `token_expired` (the access token's `exp` came), or
//!   `session_revoked` (this stream's session ended, or its account), each with the
//!   stream's current id and `data: {}`; or nothing, when the server shuts down.
//!
//! `Last-Event-ID` decides where it starts: absent, at the user's latest event; a number
//! whose successors are all still kept, right after it (they are replayed first);
//! anything else (pruned, in the future, not a number) gives one `resync` event, with the
//! user's latest id and `data: {}`, and then live events.
//!
//! A `session_revoked` event is for the sessions it revoked, and it does not say which:
//! revoking everywhere and a password change end many at once, and the new session a
//! password change opens must live on. So each stream that sees one looks its own
//! session up and ends only if that is gone; otherwise the event is skipped.

use std::collections::VecDeque;

use axum::response::sse;
use tokio::{sync::broadcast::error::RecvError, sync::watch, time::Instant};
use uuid::Uuid;

use super::{
    Event, Events, Kind,
    hub::{Notice, Subscription},
    store::{self, Missed},
};
use crate::{
    auth::AuthUser,
    auth::sessions,
    db::{self, Db},
    error::ApiError,
};

/// Where a new stream starts, from its `Last-Event-ID` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// No header: from now on.
    Now,
    /// After this id.
    After(i64),
    /// A header that names no event we could have sent: resynchronise.
    Invalid,
}

impl Resume {
    /// Reads the raw `Last-Event-ID` header.
    #[must_use]
    pub fn parse(header: Option<&[u8]>) -> Self {
        let Some(raw) = header else {
            return Self::Now;
        };
        // Ids are what we send: decimal digits, no sign, no spaces.
        if raw.is_empty() || raw.len() > 18 || !raw.iter().all(u8::is_ascii_digit) {
            return Self::Invalid;
        }
        std::str::from_utf8(raw)
            .ok()
            .and_then(|s| s.parse().ok())
            .map_or(Self::Invalid, Self::After)
    }
}

/// The state of one open stream.
pub struct LiveStream {
    db: Db,
    user: Uuid,
    session: Uuid,
    subscription: Subscription,
    shutdown: watch::Receiver<bool>,
    /// When the access token that opened the stream expires.
    expires: Instant,
    /// The id of the last event this stream has dealt with (sent, or skipped as not its
    /// own revocation).
    last: i64,
    /// What to send before waiting again.
    queue: VecDeque<sse::Event>,
    /// Nothing more is sent once the queue is empty.
    ending: bool,
}

impl LiveStream {
    /// Opens a stream for `auth`: subscribes first, then reads where the user's history
    /// stands, so that no event falls between the two. Whatever `resume` asks to replay
    /// is queued behind the `: connected` comment.
    ///
    /// # Errors
    /// [`ApiError::Database`] if a query fails; nothing has been sent yet then.
    pub async fn open(
        db: Db,
        events: &Events,
        auth: AuthUser,
        resume: Resume,
    ) -> Result<Self, ApiError> {
        let subscription = events.hub().subscribe(auth.user_id);
        let millis_left = auth.expires_at.saturating_mul(1000) - db::now().timestamp_millis();
        let mut stream = Self {
            db,
            user: auth.user_id,
            session: auth.session_id,
            subscription,
            shutdown: events.shutdown_signal(),
            expires: Instant::now()
                + std::time::Duration::from_millis(u64::try_from(millis_left).unwrap_or(0)),
            last: 0,
            queue: VecDeque::from([sse::Event::default().comment("connected")]),
            ending: false,
        };
        // The session may have ended between the extractor's check and the subscription.
        if !stream.session_is_live().await? {
            stream.end_with("session_revoked");
            return Ok(stream);
        }
        let latest = store::last_id(&stream.db, stream.user).await?;
        match resume {
            Resume::Now => stream.last = latest,
            Resume::After(id) if id <= latest => {
                stream.last = id;
                stream.catch_up_to(latest).await?;
            }
            Resume::After(_) | Resume::Invalid => stream.resync(latest),
        }
        Ok(stream)
    }

    /// The next thing to send; `None` once the stream is over.
    pub async fn next(&mut self) -> Option<sse::Event> {
        loop {
            if let Some(event) = self.queue.pop_front() {
                return Some(event);
            }
            if self.ending || *self.shutdown.borrow() {
                return None;
            }
            let handled = tokio::select! {
                () = tokio::time::sleep_until(self.expires) => {
                    self.end_with("token_expired");
                    Ok(())
                }
                _ = self.shutdown.changed() => {
                    self.ending = true;
                    Ok(())
                }
                notice = self.subscription.recv() => self.on_notice(notice).await,
            };
            if let Err(error) = handled {
                // Nothing can be said on a stream that has started but to end it: the
                // client reconnects with its Last-Event-ID and loses nothing.
                tracing::warn!(%error, user = %self.user, "ending a live-update stream");
                self.ending = true;
            }
        }
    }

    async fn on_notice(&mut self, notice: Result<Notice, RecvError>) -> Result<(), ApiError> {
        match notice {
            Ok(Notice::Event(event)) => self.on_event(&event).await,
            Ok(Notice::CatchUp) | Err(RecvError::Lagged(_)) => self.catch_up().await,
            Err(RecvError::Closed) => {
                self.ending = true;
                Ok(())
            }
        }
    }

    async fn on_event(&mut self, event: &Event) -> Result<(), ApiError> {
        match event.id {
            // The account is being deleted: its history went with it.
            None => {
                if !self.session_is_live().await? {
                    self.end_with("session_revoked");
                }
                Ok(())
            }
            Some(id) if id <= self.last => Ok(()),
            // One or more were missed (delivered out of order, or lost): read them all.
            Some(id) if id > self.last + 1 => self.catch_up().await,
            Some(id) => self.deliver(id, event.kind, &event.data).await,
        }
    }

    /// Sends event `id`, or for a revocation, ends the stream if its session is gone.
    async fn deliver(&mut self, id: i64, kind: Kind, data: &str) -> Result<(), ApiError> {
        self.last = id;
        if kind == Kind::SessionRevoked {
            if !self.session_is_live().await? {
                self.end_with("session_revoked");
            }
            return Ok(());
        }
        self.queue.push_back(
            sse::Event::default()
                .id(id.to_string())
                .event(kind.as_str())
                .data(data),
        );
        Ok(())
    }

    /// Reads from the database what this stream has not seen yet.
    async fn catch_up(&mut self) -> Result<(), ApiError> {
        if !self.session_is_live().await? {
            self.end_with("session_revoked");
            return Ok(());
        }
        let latest = store::last_id(&self.db, self.user).await?;
        self.catch_up_to(latest).await
    }

    async fn catch_up_to(&mut self, latest: i64) -> Result<(), ApiError> {
        match store::missed(&self.db, self.user, self.last, latest).await? {
            Missed::Pruned => self.resync(latest),
            Missed::Events(events) => {
                for event in events {
                    if let Some(id) = event.id {
                        self.deliver(id, event.kind, &event.data).await?;
                    }
                    if self.ending {
                        return Ok(());
                    }
                }
                self.last = self.last.max(latest);
            }
        }
        Ok(())
    }

    /// The client must reload: what it missed is no longer kept.
    fn resync(&mut self, latest: i64) {
        self.last = latest;
        self.queue.push_back(self.control("resync"));
    }

    /// Queues the last event of the stream.
    fn end_with(&mut self, kind: &'static str) {
        self.queue.push_back(self.control(kind));
        self.ending = true;
    }

    /// An event the stream says on its own: the current id, and nothing to say.
    fn control(&self, kind: &'static str) -> sse::Event {
        sse::Event::default()
            .id(self.last.to_string())
            .event(kind)
            .data("{}")
    }

    async fn session_is_live(&self) -> Result<bool, ApiError> {
        sessions::is_live(&self.db, self.session, self.user).await
    }
}

#[cfg(test)]
mod tests {
    use super::Resume;

    #[test]
    fn last_event_id_is_a_plain_decimal_number_or_invalid() {
        assert_eq!(Resume::parse(None), Resume::Now);
        assert_eq!(Resume::parse(Some(b"0")), Resume::After(0));
        assert_eq!(Resume::parse(Some(b"42")), Resume::After(42));
        for bad in [
            &b""[..],
            b"-1",
            b"+1",
            b" 1",
            b"1.0",
            b"abc",
            b"99999999999999999999",
            "\u{661}".as_bytes(),
        ] {
            assert_eq!(Resume::parse(Some(bad)), Resume::Invalid, "{bad:?}");
        }
    }
}
