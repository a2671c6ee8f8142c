//! Runs [`store::sequence`] after writes commit on PostgreSQL: at most one run per user at
//! a time on this instance, each run covering every write that committed before it
//! started, and a sweep for whatever a stopped instance or a failed run left staged.
//!
//! A write waits for its event to have an id before it answers, so the history is as
//! fresh as the response: a client that reconnects with `Last-Event-ID` after a 201
//! gets the event replayed. While a run is under way, the writers that commit meanwhile
//! wait for one more run after it, which moves all of their events at once: under a
//! burst, one short transaction per batch, not one lock hand-off per write.
//!
//! A run that fails leaves the events staged (the writes stay committed and answer as
//! such); the next run for the user, or the sweep, moves them. The sweep also vacuums the
//! staging table when this instance's runs have emptied rows out of it since the last time
//! ([`store::vacuum_staging`] says why).

use std::{
    collections::{HashMap, hash_map::Entry},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::sync::watch;
use uuid::Uuid;

use super::store;
use crate::{config::LiveSettings, db::Db};

/// How often each instance looks for staged events no run has moved.
const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// The longest a write waits for its event's id before it answers anyway: its change is
/// committed, and its event is moved by a later run.
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// The sequencing runs of one instance.
pub struct Sequencer {
    db: Db,
    settings: LiveSettings,
    /// The users with a run under way, and where their runs stand.
    runs: Mutex<HashMap<Uuid, Runs>>,
    /// Whether this instance's runs moved any event since its last vacuum of the staging.
    moved_since_vacuum: AtomicBool,
}

/// Where one user's runs stand. Each request for a run gets the next ticket; a run
/// started after ticket `n` was issued covers it, and publishes `n` in `done` when over.
struct Runs {
    issued: u64,
    done: watch::Sender<u64>,
}

impl Sequencer {
    /// The sequencer of this instance, with its sweep started.
    pub fn start(db: Db, settings: LiveSettings) -> Arc<Self> {
        let sequencer = Arc::new(Self {
            db,
            settings,
            runs: Mutex::new(HashMap::new()),
            moved_since_vacuum: AtomicBool::new(false),
        });
        tokio::spawn(Arc::clone(&sequencer).sweep());
        sequencer
    }

    /// Returns once a run that started after this call has moved `user`'s committed
    /// staged events into the history (or failed, and left them to a later one), or
    /// after [`LONGEST_WAIT`].
    pub async fn sequence(self: &Arc<Self>, user: Uuid) {
        let (ticket, mut done) = {
            let mut runs = self.lock();
            match runs.entry(user) {
                Entry::Occupied(mut entry) => {
                    let runs = entry.get_mut();
                    runs.issued += 1;
                    (runs.issued, runs.done.subscribe())
                }
                Entry::Vacant(entry) => {
                    let (done, watching) = watch::channel(0);
                    entry.insert(Runs { issued: 1, done });
                    tokio::spawn(Arc::clone(self).run(user));
                    (1, watching)
                }
            }
        };
        let covered = tokio::time::timeout(LONGEST_WAIT, done.wait_for(|&run| run >= ticket));
        if covered.await.is_err() {
            tracing::warn!(%user, "a write answers before its live-update event has an id");
        }
    }

    /// Runs for `user` until a run has covered every ticket issued.
    async fn run(self: Arc<Self>, user: Uuid) {
        loop {
            let covers = self.lock().get(&user).map_or(0, |runs| runs.issued);
            match store::sequence(&self.db, self.settings, user).await {
                Ok(moved) => {
                    if moved > 0 {
                        self.moved_since_vacuum.store(true, Ordering::Relaxed);
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, %user, "sequencing live-update events failed; retried later");
                }
            }
            let mut runs = self.lock();
            let Some(state) = runs.get(&user) else {
                return;
            };
            state.done.send_replace(covers);
            if state.issued == covers {
                runs.remove(&user);
                return;
            }
        }
    }

    /// Sequences, every [`SWEEP_EVERY`], the users whose staged events no run moved, and
    /// vacuums the staging if this instance's runs moved any since the last sweep.
    async fn sweep(self: Arc<Self>) {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        loop {
            every.tick().await;
            if self.moved_since_vacuum.swap(false, Ordering::Relaxed)
                && let Err(error) = store::vacuum_staging(&self.db).await
            {
                tracing::warn!(%error, "vacuuming the staged live-update events failed");
            }
            match store::users_with_staged_events(&self.db).await {
                Ok(users) => {
                    for user in users {
                        let sequencer = Arc::clone(&self);
                        tokio::spawn(async move { sequencer.sequence(user).await });
                    }
                }
                Err(error) => tracing::warn!(%error, "looking for staged events failed"),
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Runs>> {
        // Nothing panics while holding it; if something did, the map is still whole.
        self.runs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
