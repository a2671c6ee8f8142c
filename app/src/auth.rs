//! The auth context: whether this tab is signed in, kept in step with the token store,
//! with the other tabs, and with the API client's verdicts.
//!
//! The server cannot read `localStorage`, so it renders every page as [`SessionState::Unknown`]:
//! a neutral placeholder, neither a sign-in prompt nor an empty todo list. The browser
//! hydrates that same placeholder (so hydration matches), then looks at the stored tokens.

use std::time::Duration;

use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::{self, refresh, tokens},
    nav,
    routes::AppRoute,
};

/// What this tab knows about the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionState {
    /// Not known yet: rendering on the server, or hydrating.
    Unknown,
    SignedOut,
    SignedIn,
}

/// The auth context, provided once by [`AuthProvider`].
#[derive(Clone, Copy)]
pub struct Auth {
    state: RwSignal<SessionState>,
    email: RwSignal<Option<String>>,
}

impl Auth {
    /// The current state (reactive).
    #[must_use]
    pub fn state(&self) -> SessionState {
        self.state.get()
    }

    /// The signed-in user's email, once loaded (reactive).
    #[must_use]
    pub fn email(&self) -> Option<String> {
        self.email.get()
    }

    /// Call after signing in: tokens are stored, the app may show the user's data.
    pub fn signed_in(&self) {
        self.state.set(SessionState::SignedIn);
        self.load_email();
    }

    /// Call after signing out or deleting the account: tokens are gone.
    pub fn signed_out(&self) {
        self.email.set(None);
        self.state.set(SessionState::SignedOut);
    }

    fn load_email(&self) {
        let email = self.email;
        spawn_local(async move {
            if let Ok(user) = api::endpoints::me().await {
                email.set(Some(user.email));
            }
        });
    }

    /// Looks at the token store again (after a `storage` event, or on start).
    fn sync_with_storage(&self) {
        let signed_in = tokens::is_signed_in();
        match (self.state.get_untracked(), signed_in) {
            (SessionState::SignedIn, true) => {}
            (_, true) => self.signed_in(),
            (_, false) => self.signed_out(),
        }
    }
}

/// The auth context of the nearest [`AuthProvider`].
///
/// # Panics
/// Outside an [`AuthProvider`], which the `Session` island (`crate::App`) puts around every page.
#[must_use]
pub fn use_auth() -> Auth {
    use_context::<Auth>().expect("AuthProvider is around every page")
}

/// Where to send a user who must sign in: the sign-in page, remembering where they were.
#[must_use]
pub fn login_url_returning_to(here: &str) -> String {
    let next = js_sys::encode_uri_component(here);
    format!("{}?next={}", AppRoute::Login.path(), String::from(next))
}

/// A `next` parameter that is safe to navigate to: a path on this site, nothing else.
#[must_use]
pub fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
        .unwrap_or_else(|| AppRoute::Todos.path().to_owned())
}

/// Provides [`Auth`] to its children and keeps it true.
#[component]
pub fn AuthProvider(children: Children) -> impl IntoView {
    let auth = Auth {
        state: RwSignal::new(SessionState::Unknown),
        email: RwSignal::new(None),
    };
    provide_context(auth);

    // The stored access token, as this tab last saw it change: by its own writes
    // (`tokens::on_change`) or another tab's (`storage` events).
    let stored_access = RwSignal::new(None::<String>);

    // Runs only in the browser, after hydration.
    Effect::new(move |_| {
        auth.sync_with_storage();
        stored_access.set(tokens::access_token());
        tokens::on_change(move || stored_access.set(tokens::access_token()));
        // The API client found the session over: this tab is signed out, and
        // `RequireAuth` sends the user to sign in, keeping their place.
        refresh::on_signed_out(move || auth.signed_out());
        // Another tab signed in or out, or renewed the pair.
        let storage = window_event_listener(leptos::ev::storage, move |event| {
            let key = event.key();
            if key.is_none() || key.as_deref() == Some(tokens::ACCESS_KEY) {
                stored_access.set(tokens::access_token());
            }
            if key.is_none_or(|key| key == tokens::REFRESH_KEY) {
                auth.sync_with_storage();
            }
        });
        // A hidden tab's timer may have fired without renewing: catch up on return.
        let visibility = window_event_listener_untyped("visibilitychange", move |_| {
            if page_visible() {
                renew_if_due();
            }
        });
        on_cleanup(move || {
            storage.remove();
            visibility.remove();
        });
    });

    // One timer renews the access token a little before it expires, so that most
    // requests never meet a 401 (the retry-on-401 path still covers the rest). It is
    // re-armed on every change of the stored token, whoever renewed it: this timer, the
    // 401 path, or another tab.
    let timer = StoredValue::new(None::<TimeoutHandle>);
    Effect::new(move |_| {
        let token = stored_access.get();
        if let Some(previous) = timer.get_value() {
            previous.clear();
        }
        timer.set_value(token.and_then(|token| arm_renewal(&token, stored_access)));
    });

    children()
}

/// Only tokens living at least this long are renewed ahead of time; shorter ones (tests
/// use two seconds) would be renewed constantly.
const MIN_LIFETIME_FOR_EARLY_REFRESH: i64 = 60;

/// After an early renewal failed (server down, say), how long until the next try. The
/// token still works meanwhile, and the 401 path takes over once it does not.
const RENEWAL_RETRY: Duration = Duration::from_secs(15);

/// Seconds before `exp` at which to renew: a tenth of the lifetime, at most a minute.
fn early_refresh_margin(lifetime: i64) -> i64 {
    (lifetime / 10).min(60)
}

/// When `token` is due for early renewal (seconds since the epoch), if it lives long
/// enough to be renewed early at all.
fn renewal_due(token: &str) -> Option<i64> {
    let (exp, iat) = (tokens::expires_at(token)?, tokens::issued_at(token)?);
    let lifetime = exp - iat;
    (lifetime >= MIN_LIFETIME_FOR_EARLY_REFRESH).then(|| exp - early_refresh_margin(lifetime))
}

/// Starts the timer that renews `token` when it is due. A failed renewal tries again
/// after [`RENEWAL_RETRY`], by feeding `stored_access` the token again.
fn arm_renewal(token: &str, stored_access: RwSignal<Option<String>>) -> Option<TimeoutHandle> {
    let due = renewal_due(token)?;
    let delay = u64::try_from((due - now_seconds()).max(1)).unwrap_or(1);
    set_timeout_with_handle(
        move || {
            if !page_visible() {
                return; // renewed on `visibilitychange`, if still needed
            }
            spawn_local(async move {
                let Some(token) = tokens::access_token() else {
                    return;
                };
                if refresh::renewed_access_token(Some(token)).await.is_err() {
                    set_timeout(
                        move || stored_access.set(tokens::access_token()),
                        RENEWAL_RETRY,
                    );
                }
            });
        },
        Duration::from_secs(delay),
    )
    .ok()
}

/// Renews the stored access token now if it is due.
fn renew_if_due() {
    let Some(token) = tokens::access_token() else {
        return;
    };
    if renewal_due(&token).is_some_and(|due| due <= now_seconds()) {
        spawn_local(async move {
            let _ = refresh::renewed_access_token(Some(token)).await;
        });
    }
}

fn page_visible() -> bool {
    document().visibility_state() == web_sys::VisibilityState::Visible
}

fn now_seconds() -> i64 {
    // Whole seconds are plenty for scheduling; f64 milliseconds are exact up to 2^53.
    #[allow(clippy::cast_possible_truncation)]
    let seconds = (js_sys::Date::now() / 1000.0) as i64;
    seconds
}

/// Shows `children` only to a signed-in user; sends anyone else to sign in, with a way
/// back. Until the browser knows, it shows a neutral placeholder.
#[component]
pub fn RequireAuth(children: ChildrenFn) -> impl IntoView {
    let auth = use_auth();
    Effect::new(move |_| {
        // Not when this page signed the user out and is already on its way elsewhere
        // (to sign-in, or to register after deleting the account).
        if auth.state() == SessionState::SignedOut && !nav::leaving() {
            nav::replace(&login_url_returning_to(&nav::here()));
        }
    });
    // The session island may know the user before this page's island is hydrated: the
    // children wait until it is, or they would not match the server's placeholder.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    move || match auth.state() {
        SessionState::SignedIn if hydrated.get() => children().into_any(),
        _ => view! { <p class="placeholder" aria-busy="true">"Loading…"</p> }.into_any(),
    }
}
