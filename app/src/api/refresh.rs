//! Renewing the token pair: once per tab however many requests need it, and once across
//! tabs.
//!
//! Refresh tokens rotate, so two refreshes with one token would look like theft to the
//! server. Within a tab, every caller that needs a new token awaits the same in-flight
//! refresh. Across tabs, the refresh runs under a Web Lock; whoever gets the lock second
//! finds the pair the first one stored and adopts it instead of refreshing again.

use std::{cell::RefCell, rc::Rc, time::Duration};

use futures::{
    FutureExt,
    future::{LocalBoxFuture, Shared},
};

use super::{ApiError, client::Call, interop, tokens};
use crate::dto::{RefreshRequest, TokenPair};

/// The Web Lock every tab takes around a refresh.
const LOCK_NAME: &str = "ticked.refresh";
/// How long a tab that refreshed keeps the lock after storing the new pair, so that the
/// next tab to take it reads that pair and does not spend the old refresh token again.
/// Seen needed on a loaded machine: a tab got the lock 8 ms after the other stored, and
/// its copy of `localStorage` had not caught up.
const LOCK_LINGER: Duration = Duration::from_millis(250);

type Renewal = Shared<LocalBoxFuture<'static, Result<String, ApiError>>>;

thread_local! {
    static IN_FLIGHT: RefCell<Option<Renewal>> = const { RefCell::new(None) };
    static ON_SIGNED_OUT: RefCell<Option<Rc<dyn Fn()>>> = RefCell::new(None);
}

/// A usable access token to replace `stale` (the token a request just had refused, or
/// the one about to expire). If storage already holds a different one, another request
/// or tab has refreshed: that one is returned without calling the server.
///
/// # Errors
/// [`ApiError::SignedOut`] when the refresh token was refused (the tokens are then
/// cleared and the sign-out hook runs); [`ApiError::Network`] when the server could not
/// be reached (nothing is cleared).
pub async fn renewed_access_token(stale: Option<String>) -> Result<String, ApiError> {
    if let Some(current) = tokens::access_token().filter(|t| Some(t) != stale.as_ref()) {
        return Ok(current);
    }
    let renewal = IN_FLIGHT.with(|slot| {
        slot.borrow_mut()
            .get_or_insert_with(|| renew(stale).boxed_local().shared())
            .clone()
    });
    let result = renewal.clone().await;
    IN_FLIGHT.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot
            .as_ref()
            .is_some_and(|current| current.ptr_eq(&renewal))
        {
            *slot = None;
        }
    });
    if result == Err(ApiError::SignedOut) {
        sign_out_here();
    }
    result
}

async fn renew(stale: Option<String>) -> Result<String, ApiError> {
    interop::with_lock(LOCK_NAME, LOCK_LINGER, move || async move {
        // While we waited for the lock, another tab may have refreshed already.
        if let Some(current) = tokens::access_token().filter(|t| Some(t) != stale.as_ref()) {
            return Ok(current);
        }
        let Some(refresh_token) = tokens::refresh_token() else {
            return Err(ApiError::SignedOut);
        };
        // The refresh call is public: it is never retried, whatever it answers.
        match Call::post("/refresh")
            .json(&RefreshRequest { refresh_token })
            .public()
            .fetch::<TokenPair>()
            .await
        {
            Ok(pair) => {
                tokens::store(&pair);
                Ok(pair.access_token)
            }
            Err(ApiError::Network) => Err(ApiError::Network),
            Err(_) => Err(ApiError::SignedOut),
        }
    })
    .await
    .unwrap_or(Err(ApiError::Network))
}

/// Registers what happens when this tab is signed out by the client layer (the auth
/// context sends the user to the sign-in page, keeping their place).
pub fn on_signed_out(hook: impl Fn() + 'static) {
    ON_SIGNED_OUT.with(|slot| *slot.borrow_mut() = Some(Rc::new(hook)));
}

/// Clears the tokens and runs the sign-out hook.
pub(super) fn sign_out_here() {
    tokens::clear();
    if let Some(hook) = ON_SIGNED_OUT.with(|slot| slot.borrow().clone()) {
        hook();
    }
}
