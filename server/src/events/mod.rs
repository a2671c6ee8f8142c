//! Live updates (`API.md`, "Live updates"): every write appends an event for its user, and
//! `GET /api/v1/events` streams them.
//!
//! The path of one event:
//!
//! 1. A write path opens an [`EventTxn`] instead of a plain transaction, makes its change
//!    and calls [`EventTxn::publish`], which stores the event in the same transaction
//!    ([`store`]): it exists if and only if the change does. On SQLite it gets its id,
//!    one above the user's previous event, there and then. On PostgreSQL it is staged,
//!    and once the write has committed the [`sequencer`] gives it its id, before the
//!    write answers. A write that is one statement (a create, a PATCH, a delete of a
//!    todo) stages its event in that statement instead, without a transaction around it
//!    ([`Events::write_and_publish_each`]).
//! 2. The event reaches this instance's [`Hub`]. On SQLite (one process) the transaction
//!    hands it over after the commit. On PostgreSQL the sequencer sends it with
//!    `pg_notify`, which PostgreSQL delivers on commit, in commit order, to the
//!    [`listener`] of every instance, and the listener feeds each hub; the writer's own
//!    instance hears it that way too.
//! 3. The hub wakes only that user's streams ([`stream`]), which send it on. A stream that
//!    misses something (a lagging receiver, a listener that reconnected, an id that skips
//!    one) reads what it missed from the database by id, so every stream sees every event
//!    of its user, in id order, whichever instance wrote it.

pub mod hub;
pub mod listener;
pub mod sequencer;
pub mod store;
pub mod stream;

use std::sync::Arc;

use sea_orm::{
    ConnectionTrait, DbBackend, QueryResult,
    sea_query::{Expr, SubQueryStatement},
};
use serde::Serialize;
use tokio::sync::watch;
use uuid::Uuid;

pub use hub::Hub;
use sequencer::Sequencer;

use crate::{
    config::LiveSettings,
    db::{Db, Txn},
    error::ApiError,
};

/// What an event says happened. `token_expired` and `resync` are not here: a stream says
/// those on its own, they are never stored or shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A todo was created or changed; its JSON as the API returns it.
    Todo,
    /// A todo was deleted: `{"id"}`.
    TodoDeleted,
    /// Many todos changed at once (toggle all, clear completed): the new counts.
    Todos,
    /// Sessions of the user were revoked. Streams check whether theirs is one of them.
    SessionRevoked,
}

impl Kind {
    /// The SSE `event:` name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::TodoDeleted => "todo_deleted",
            Self::Todos => "todos",
            Self::SessionRevoked => "session_revoked",
        }
    }

    /// The kind named `name`, as stored or notified.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::Todo,
            Self::TodoDeleted,
            Self::Todos,
            Self::SessionRevoked,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == name)
    }
}

/// One event of one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub user: Uuid,
    /// Its place in the user's history. `None` for a signal that has no history to live
    /// in: the account was deleted, with its events.
    pub id: Option<i64>,
    pub kind: Kind,
    /// The `data:` line: JSON, `{}` when there is nothing to say.
    pub data: String,
}

/// Live updates as the rest of the server sees them: where writes publish, where streams
/// subscribe. Cloned into every request's state.
#[derive(Clone)]
pub struct Events {
    hub: Hub,
    settings: LiveSettings,
    /// Gives staged events their ids (PostgreSQL); `None` on SQLite.
    sequencer: Option<Arc<Sequencer>>,
    /// Becomes `true` when the server shuts down: streams end so that the graceful
    /// shutdown, which waits for every response to finish, does not wait forever.
    shutdown: Arc<watch::Sender<bool>>,
}

impl Events {
    /// Live updates on `db`. On PostgreSQL this starts the instance's listener first, so
    /// that no stream can open before events from other instances can reach it, and its
    /// sequencer.
    ///
    /// # Errors
    /// A message naming `DATABASE_URL` when the listener cannot connect.
    pub async fn start(
        db: &Db,
        database_url: &str,
        settings: LiveSettings,
    ) -> Result<Self, String> {
        let hub = Hub::default();
        let mut sequencer = None;
        if db.get_database_backend() == DbBackend::Postgres {
            listener::start(database_url, hub.clone()).await?;
            sequencer = Some(Sequencer::start(db.clone(), settings));
        }
        Ok(Self {
            hub,
            settings,
            sequencer,
            shutdown: Arc::new(watch::channel(false).0),
        })
    }

    /// Opens a transaction whose events are published when, and only if, it commits.
    ///
    /// # Errors
    /// [`ApiError::Database`] if the transaction cannot begin.
    pub async fn begin(&self, db: &Db) -> Result<EventTxn<'_>, ApiError> {
        Ok(EventTxn {
            txn: db.begin().await?,
            events: self,
            after_commit: Vec::new(),
            staged_for: Vec::new(),
        })
    }

    /// Whether writes can stage their events in their own statement, through
    /// [`Events::write_and_publish_each`] (PostgreSQL). On SQLite a write that needs its
    /// rows back to make its event publishes through [`Events::begin`].
    #[must_use]
    pub fn stages_in_statement(&self) -> bool {
        self.sequencer.is_some()
    }

    /// Runs `write`, an `INSERT`, `UPDATE` or `DELETE … RETURNING *`, and publishes an
    /// event of `kind` for `user` for every row it writes, with `data` computed by SQL from
    /// the row; returns the written rows. One statement ([`store::stage_per_row`]), then the
    /// sequencing run: with the session check before it, a POST or PATCH is three round
    /// trips instead of six, and a PATCH holds its row's lock for one statement instead of
    /// a transaction (BENCHMARKS.md, issue #12, step 7).
    ///
    /// # Errors
    /// [`ApiError::Database`] if the write fails; nothing is stored or published then.
    /// [`ApiError::Internal`] on SQLite (see [`Events::stages_in_statement`]).
    pub async fn write_and_publish_each(
        &self,
        db: &Db,
        write: impl Into<SubQueryStatement>,
        user: Uuid,
        kind: Kind,
        data: Expr,
    ) -> Result<Vec<QueryResult>, ApiError> {
        let Some(sequencer) = &self.sequencer else {
            return Err(ApiError::Internal(
                "statement-level staging is PostgreSQL's".to_owned(),
            ));
        };
        let rows = db
            .query_all(&store::stage_per_row(write, user, kind, data))
            .await?;
        if !rows.is_empty() {
            sequencer.sequence(user).await;
        }
        Ok(rows)
    }

    /// The hub that streams subscribe to.
    #[must_use]
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The settings streams and the store follow.
    #[must_use]
    pub fn settings(&self) -> LiveSettings {
        self.settings
    }

    /// Tells every stream, open or still to open, that the server is stopping.
    pub fn shut_down(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once the server is stopping.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

/// A database transaction that can publish events. Dropped without [`EventTxn::commit`],
/// it rolls back, and its events with it.
pub struct EventTxn<'a> {
    txn: Txn,
    events: &'a Events,
    /// What to hand to this instance's hub once committed (SQLite); on PostgreSQL the
    /// listener hears it from the database.
    after_commit: Vec<Event>,
    /// The users whose staged events to sequence once committed (PostgreSQL).
    staged_for: Vec<Uuid>,
}

impl EventTxn<'_> {
    /// The transaction, for the queries of the write itself.
    #[must_use]
    pub fn conn(&self) -> &Txn {
        &self.txn
    }

    /// Stores an event of `kind` for `user`, with `data` as its JSON, in this transaction.
    ///
    /// # Errors
    /// [`ApiError::Database`] if a query fails.
    pub async fn publish(
        &mut self,
        user: Uuid,
        kind: Kind,
        data: &impl Serialize,
    ) -> Result<(), ApiError> {
        let data = to_json(data)?;
        if self.txn.get_database_backend() == DbBackend::Postgres {
            store::stage(&self.txn, user, kind, &data).await?;
            if !self.staged_for.contains(&user) {
                self.staged_for.push(user);
            }
        } else {
            let id = store::append(&self.txn, self.events.settings, user, kind, &data).await?;
            self.after_commit.push(Event {
                user,
                id: Some(id),
                kind,
                data,
            });
        }
        Ok(())
    }

    /// Tells the user's streams that their sessions may have ended, without storing an
    /// event: for an account being deleted, whose history goes with it.
    ///
    /// # Errors
    /// [`ApiError::Database`] if the notification cannot be queued (PostgreSQL).
    pub async fn signal_sessions_ended(&mut self, user: Uuid) -> Result<(), ApiError> {
        self.send(Event {
            user,
            id: None,
            kind: Kind::SessionRevoked,
            data: "{}".to_owned(),
        })
        .await
    }

    async fn send(&mut self, event: Event) -> Result<(), ApiError> {
        if self.txn.get_database_backend() == DbBackend::Postgres {
            listener::notify(&self.txn, &event).await
        } else {
            self.after_commit.push(event);
            Ok(())
        }
    }

    /// Commits, then wakes this instance's streams (SQLite) or gives the staged events
    /// their ids (PostgreSQL).
    ///
    /// # Errors
    /// [`ApiError::Database`] if the commit fails; nothing is published then. Once the
    /// commit has succeeded this succeeds: an event the sequencer could not move yet is
    /// moved later, and the write is saved either way.
    pub async fn commit(self) -> Result<(), ApiError> {
        self.txn.commit().await?;
        for event in self.after_commit {
            self.events.hub.publish(event);
        }
        if let Some(sequencer) = &self.events.sequencer {
            for user in self.staged_for {
                sequencer.sequence(user).await;
            }
        }
        Ok(())
    }
}

/// An event's `data:` JSON.
///
/// # Errors
/// [`ApiError::Internal`] if `data` cannot be serialised (it always can: the event data
/// types are plain structs).
pub fn to_json(data: &impl Serialize) -> Result<String, ApiError> {
    serde_json::to_string(data)
        .map_err(|e| ApiError::Internal(format!("serialising an event: {e}")))
}

#[cfg(test)]
mod tests {
    use super::Kind;

    #[test]
    fn every_kind_parses_back_from_its_name() {
        for kind in [
            Kind::Todo,
            Kind::TodoDeleted,
            Kind::Todos,
            Kind::SessionRevoked,
        ] {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("resync"), None);
    }
}
