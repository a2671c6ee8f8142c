//! The live stream of changes to the user's account (`GET /events`, Server-Sent Events).
//!
//! An `EventSource` cannot send the `Authorization` header, so the stream is a `fetch`
//! through the same client layer as every other call: it is opened with the stored
//! access token, and a 401 on opening renews that token (single flight, across tabs) and
//! opens again. Once open, the body is read as it arrives and parsed by [`sse`].
//!
//! The stream ends in one of three ways, and the caller only has to tell them apart by
//! the result of [`EventStream::next`]: `Ok(None)` (the access token expired, or the
//! session of the token changed: open again now), `Err(SignedOut)` (the session was
//! revoked: the user has been signed out), any other error (the connection dropped, the
//! server went away or went quiet: open again after a pause, with `Last-Event-ID`).

use std::{collections::VecDeque, time::Duration};

use futures::{
    FutureExt,
    future::{Either, select},
};
use js_sys::Uint8Array;
use uuid::Uuid;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, ReadableStreamDefaultReader, ReadableStreamReadResult};

use super::{
    ApiError,
    client::AuthorizedCall,
    interop::sleep,
    refresh,
    sse::{self, Message},
    tokens,
};
use crate::dto::Todo;

/// How long the stream may stay silent before it counts as dropped. The server sends a
/// keep-alive comment at least every 30 s (API.md); a connection that a sleeping laptop
/// or a changed network broke without a word would otherwise look open forever.
const SILENCE_LIMIT: Duration = Duration::from_secs(45);

/// How long a revoked stream waits for a newer pair to be stored before it signs the
/// tab out (see [`EventStream::next`]). A password change's answer follows the
/// revocation by milliseconds on a good connection; a revocation from elsewhere still
/// signs the tab out well within a second.
const NEWER_PAIR_WAIT: Duration = Duration::from_millis(500);

/// A change the server announced.
#[derive(Clone, Debug, PartialEq)]
pub enum LiveEvent {
    /// A todo was created or changed; its whole current state.
    Todo(Todo),
    /// A todo was deleted.
    TodoDeleted(Uuid),
    /// Many todos changed at once (toggle all, clear completed): reload the list.
    Todos,
    /// The server could not replay what was missed: reload the list.
    Resync,
}

/// An open stream.
pub struct EventStream {
    reader: ReadableStreamDefaultReader,
    abort: AbortController,
    /// The access token that opened the stream: a revocation is about its session.
    token: String,
    parser: sse::Parser,
    ready: VecDeque<Message>,
    last_event_id: Option<String>,
}

impl EventStream {
    /// Opens the stream, picking up after `last_event_id` if given. `abort` ends it
    /// from outside (the tab was hidden, the user signed out).
    ///
    /// # Errors
    /// As for any authorized call: [`ApiError::SignedOut`] when the session is over,
    /// a network or server error otherwise.
    pub async fn open(
        last_event_id: Option<String>,
        abort: AbortController,
    ) -> Result<Self, ApiError> {
        let mut call = AuthorizedCall::get("/events");
        if let Some(id) = &last_event_id {
            call = call.last_event_id(id);
        }
        let (token, body) = call.open_stream(&abort).await?;
        let reader = body
            .get_reader()
            .dyn_into::<ReadableStreamDefaultReader>()
            .map_err(|_| ApiError::Network)?;
        Ok(Self {
            reader,
            abort,
            token,
            parser: sse::Parser::default(),
            ready: VecDeque::new(),
            last_event_id,
        })
    }

    /// The id of the last event read, to pass to [`EventStream::open`] next time.
    #[must_use]
    pub fn last_event_id(&self) -> Option<String> {
        self.last_event_id.clone()
    }

    /// The access token that opened the stream.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The next change; `Ok(None)` when the stream has ended and should be opened again
    /// at once (see the module's documentation).
    ///
    /// # Errors
    /// [`ApiError::SignedOut`] when the server revoked the session; [`ApiError::Network`]
    /// when the stream broke, ended unannounced, or went silent.
    pub async fn next(&mut self) -> Result<Option<LiveEvent>, ApiError> {
        loop {
            while let Some(message) = self.ready.pop_front() {
                if message.id.is_some() {
                    self.last_event_id.clone_from(&message.id);
                }
                match message.event.as_str() {
                    "todo" => {
                        return Ok(Some(super::json::from_str(&message.data).map_or(
                            // A todo this client cannot read: the list will tell.
                            LiveEvent::Resync,
                            LiveEvent::Todo,
                        )));
                    }
                    "todo_deleted" => {
                        #[derive(serde::Deserialize)]
                        struct Deleted {
                            id: Uuid,
                        }
                        let deleted = super::json::from_str::<Deleted>(&message.data);
                        return Ok(Some(
                            deleted.map_or(LiveEvent::Resync, |d| LiveEvent::TodoDeleted(d.id)),
                        ));
                    }
                    "todos" => return Ok(Some(LiveEvent::Todos)),
                    "resync" => return Ok(Some(LiveEvent::Resync)),
                    "token_expired" => return Ok(None),
                    "session_revoked" => {
                        // The session of the token that opened the stream is over. If
                        // this browser changed the password, the answer carrying the new
                        // pair is on its way: the server revoked the old session a moment
                        // before sending it. Give it that moment; then, if a newer pair
                        // is stored, this tab goes on with it.
                        self.await_newer_pair().await;
                        return refresh::end_session_unless_renewed(&self.token)
                            .await
                            .map(|_| None);
                    }
                    _ => {} // an event this client does not know
                }
            }
            let chunk = self.read().await?;
            self.ready.extend(self.parser.feed(&chunk));
        }
    }

    /// Waits up to [`NEWER_PAIR_WAIT`] for storage to hold another access token than the
    /// one that opened the stream.
    async fn await_newer_pair(&self) {
        let step = Duration::from_millis(25);
        let mut waited = Duration::ZERO;
        while waited < NEWER_PAIR_WAIT
            && tokens::access_token().as_deref() == Some(self.token.as_str())
        {
            sleep(step).await;
            waited += step;
        }
    }

    /// The next chunk of the body.
    async fn read(&self) -> Result<Vec<u8>, ApiError> {
        let read = JsFuture::from(self.reader.read()).fuse();
        let silence = sleep(SILENCE_LIMIT).fuse();
        futures::pin_mut!(read, silence);
        let result = match select(read, silence).await {
            Either::Left((Ok(result), _)) => result,
            // Aborted, reset, or silent for too long.
            Either::Left((Err(_), _)) | Either::Right(_) => return Err(ApiError::Network),
        };
        let result: ReadableStreamReadResult = result.unchecked_into();
        if result.get_done().unwrap_or(true) {
            // Closed without `token_expired`: a restart, a proxy's timeout.
            return Err(ApiError::Network);
        }
        Ok(result
            .get_value()
            .dyn_into::<Uint8Array>()
            .map_or_else(|_| Vec::new(), |bytes| bytes.to_vec()))
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.abort.abort();
    }
}
