//! Live updates: while someone is signed in and the tab is in use, the tab follows the
//! server's stream of changes to the account ([`api::events`]) and hands each change to
//! whichever page listens.
//!
//! One stream per tab, not one per browser shared through a Web Lock or a
//! `BroadcastChannel`. Sharing would save the server one idle connection per extra tab,
//! which costs it little (BENCHMARKS.md measures 1 000 of them), and would cost the
//! browser a leader election with failover (a leader tab closed or frozen in the
//! background would leave the others deaf until one noticed), a second copy of every
//! event over the channel, and a shared `Last-Event-ID`. A stream per tab keeps every
//! tab's place its own, and every renewal still goes through the one client layer, so
//! tabs never spend a refresh token twice.
//!
//! A tab hidden for longer than [`HIDDEN_LIMIT`] lets its stream go; when it is shown
//! again, a new stream picks up with `Last-Event-ID`, so nothing is missed.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
    time::Duration,
};

use leptos::{prelude::*, task::spawn_local};
use uuid::Uuid;
use web_sys::AbortController;

use crate::{
    api::{
        ApiError,
        events::{EventStream, LiveEvent},
        refresh,
    },
    auth::{SessionState, use_auth},
    dto::Todo,
};

/// How long a hidden tab keeps its stream. Long enough for a glance at another tab to
/// cost nothing; short enough that background tabs, which browsers throttle anyway,
/// do not hold connections for hours. Shown again, the tab catches up in one request.
pub const HIDDEN_LIMIT: Duration = Duration::from_secs(60);

/// The pause before the first reconnection after a failure; it doubles with each
/// failure in a row, up to [`LONGEST_PAUSE`], and is spread by a random factor so that
/// the tabs of a restarted server's clients do not all come back in the same instant.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);

/// A stream that ended for an expired token sooner than this after it opened is
/// reopened only after a pause, so that a clock or token problem cannot turn into a
/// tight loop of requests.
const SHORTEST_STREAM: Duration = Duration::from_secs(1);

/// A change another device (or this tab) made, as a page needs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A todo was created or changed: its current state.
    Todo(Todo),
    /// A todo was deleted.
    Deleted(Uuid),
    /// The list may have changed in ways no single event tells: reload it.
    Reload,
}

impl From<LiveEvent> for Change {
    fn from(event: LiveEvent) -> Self {
        match event {
            LiveEvent::Todo(todo) => Self::Todo(todo),
            LiveEvent::TodoDeleted(id) => Self::Deleted(id),
            LiveEvent::Todos | LiveEvent::Resync => Self::Reload,
        }
    }
}

type Listener = Rc<dyn Fn(&Change)>;

#[derive(Default)]
struct Listeners {
    next_id: u64,
    each: Vec<(u64, Listener)>,
}

/// The live-updates context, provided once by [`LiveProvider`].
#[derive(Clone, Copy)]
pub struct Live {
    listeners: StoredValue<Rc<RefCell<Listeners>>, LocalStorage>,
}

impl Live {
    /// Calls `listener` with every change, until the calling component is cleaned up.
    pub fn on_change(&self, listener: impl Fn(&Change) + 'static) {
        let id = self.listeners.with_value(|listeners| {
            let mut listeners = listeners.borrow_mut();
            listeners.next_id += 1;
            let id = listeners.next_id;
            listeners.each.push((id, Rc::new(listener)));
            id
        });
        let listeners = self.listeners;
        on_cleanup(move || {
            listeners.with_value(|listeners| {
                listeners.borrow_mut().each.retain(|(each, _)| *each != id);
            });
        });
    }

    fn publish(&self, change: &Change) {
        // Cloned out first: a listener may add or remove listeners.
        let listeners: Vec<Listener> = self.listeners.with_value(|listeners| {
            listeners
                .borrow()
                .each
                .iter()
                .map(|(_, l)| l.clone())
                .collect()
        });
        for listener in listeners {
            listener(change);
        }
    }
}

/// The live-updates context of the nearest [`LiveProvider`].
///
/// # Panics
/// Outside a [`LiveProvider`], which the `Session` island (`crate::App`) puts around every page.
#[must_use]
pub fn use_live() -> Live {
    use_context::<Live>().expect("LiveProvider is around every page")
}

/// Provides [`Live`] and keeps the tab's stream open while it is wanted.
///
/// In the signed-out pages' bundle (`routes::Bundle::SignedOut`, the one browser build
/// without the `signed-in` feature) it opens no stream: no page there shows the user's
/// data or listens for changes to it, and the stream's code was 7 kB of that bundle's
/// brotli (BENCHMARKS.md, "Page weight", step 9). The condition is a constant, so the
/// compiler drops the rest of the function from that bundle.
#[component]
pub fn LiveProvider(children: Children) -> impl IntoView {
    let live = Live {
        listeners: StoredValue::new_local(Rc::default()),
    };
    provide_context(live);
    if cfg!(all(feature = "hydrate", not(feature = "signed-in"))) {
        return children();
    }
    let auth = use_auth();
    let connection = StoredValue::new_local(Rc::new(Connection::default()));

    // Whether the tab is in use: shown, or hidden for less than HIDDEN_LIMIT.
    let in_use = RwSignal::new(true);
    Effect::new(move |_| {
        let hidden_timer = StoredValue::new(None::<TimeoutHandle>);
        let on_visibility = move || {
            if let Some(timer) = hidden_timer.get_value() {
                timer.clear();
            }
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                in_use.set(true);
            } else {
                let timer = set_timeout_with_handle(move || in_use.set(false), HIDDEN_LIMIT);
                hidden_timer.set_value(timer.ok());
            }
        };
        on_visibility();
        let listener = window_event_listener_untyped("visibilitychange", move |_| on_visibility());
        on_cleanup(move || listener.remove());
    });

    let signed_in = Memo::new(move |_| auth.state() == SessionState::SignedIn);
    let wanted = Memo::new(move |_| signed_in.get() && in_use.get());
    Effect::new(move |_| {
        let connection = connection.get_value();
        if !signed_in.get() {
            // Whoever signs in next starts from their own list, not from this place.
            connection.forget_place();
        }
        if wanted.get() {
            connection.start(move |change| live.publish(&change));
        } else {
            connection.stop();
        }
    });

    children()
}

/// The tab's stream: at most one loop follows it at a time.
#[derive(Default)]
struct Connection {
    /// Bumped by every start and stop; a loop runs while its number is the current one.
    generation: Cell<u64>,
    /// Ends the stream being read, for [`Connection::stop`].
    abort: RefCell<Option<AbortController>>,
    /// The id of the last event received, for the next stream's `Last-Event-ID`.
    last_event_id: RefCell<Option<String>>,
}

impl Connection {
    fn start(self: &Rc<Self>, publish: impl Fn(Change) + 'static) {
        self.stop();
        let generation = self.generation.get();
        spawn_local(follow(self.clone(), generation, publish));
    }

    fn stop(&self) {
        self.generation.set(self.generation.get() + 1);
        if let Some(abort) = self.abort.take() {
            abort.abort();
        }
    }

    fn forget_place(&self) {
        self.last_event_id.take();
    }

    fn is_current(&self, generation: u64) -> bool {
        self.generation.get() == generation
    }
}

/// Follows the stream until [`Connection::stop`] or the end of the session: opens it,
/// hands over each change, and opens it again whenever it ends, at once after an expired
/// token (with a renewed one), after a growing pause after a failure. A failure is never
/// a reason to sign out: only the client layer's verdict on the tokens is.
async fn follow(connection: Rc<Connection>, generation: u64, publish: impl Fn(Change)) {
    let mut failures = 0;
    while connection.is_current(generation) {
        let Ok(abort) = AbortController::new() else {
            return;
        };
        connection.abort.replace(Some(abort.clone()));
        let place = connection.last_event_id.borrow().clone();
        let opened_at = js_sys::Date::now();
        let ended = match EventStream::open(place.clone(), abort).await {
            Ok(mut stream) if connection.is_current(generation) => {
                failures = 0;
                if place.is_none() {
                    // Nothing to pick up after: what happened before this stream is
                    // only in the list.
                    publish(Change::Reload);
                }
                loop {
                    let next = stream.next().await;
                    connection.last_event_id.replace(stream.last_event_id());
                    if !connection.is_current(generation) {
                        return;
                    }
                    match next {
                        Ok(Some(event)) => publish(event.into()),
                        Ok(None) => break Ok(stream.token().to_owned()),
                        Err(error) => break Err(error),
                    }
                }
            }
            Ok(_) => return, // stopped while opening; dropping the stream aborts it
            Err(error) => Err(error),
        };
        if !connection.is_current(generation) {
            return;
        }
        match ended {
            Ok(spent) => {
                // Its access token expired (or its session gave way to a newer one that
                // this tab already holds): renew it unless that happened already.
                if refresh::renewed_access_token(Some(spent)).await == Err(ApiError::SignedOut) {
                    return;
                }
                if js_sys::Date::now() - opened_at < SHORTEST_STREAM.as_secs_f64() * 1000.0 {
                    failures += 1;
                    pause(failures).await;
                }
            }
            Err(ApiError::SignedOut) => return,
            Err(_) => {
                failures += 1;
                pause(failures).await;
            }
        }
    }
}

/// Waits before the reconnection that follows `failures` failures in a row.
async fn pause(failures: u32) {
    let doubled = FIRST_PAUSE.saturating_mul(1 << failures.saturating_sub(1).min(5));
    let spread = 0.5 + js_sys::Math::random() / 2.0;
    let (wake, woken) = futures::channel::oneshot::channel();
    set_timeout(
        move || {
            let _ = wake.send(());
        },
        doubled.min(LONGEST_PAUSE).mul_f64(spread),
    );
    let _ = woken.await;
}
