//! Renewing and ending the session: once per tab however many requests need it, once
//! across tabs, and never on a mere failure to reach the server.
//!
//! Refresh tokens rotate, so two refreshes with one token would look like theft to the
//! server. Within a tab, every caller that needs a new token awaits the same in-flight
//! refresh. Across tabs, everything that writes the stored pair on a refusal (refresh,
//! sign-out, the end of a session) runs under one Web Lock; whoever gets the lock second
//! finds what the first one stored and goes on from there instead of acting on a pair
//! that is gone.
//!
//! Only a refused refresh token (a 401 from `/refresh`) ends the session. A 5xx (a
//! deploy's 502, a database blip's 500), a 429, a timeout or a dropped connection leave
//! the tokens alone: the request that needed the refresh fails with that error, and the
//! next one tries again.

use std::{cell::RefCell, rc::Rc, time::Duration};

use futures::{
    FutureExt,
    future::{LocalBoxFuture, Shared},
};

use super::{ApiError, client::PublicCall, interop, tokens};
use crate::dto::{RefreshRequest, TokenPair};

/// The Web Lock every tab takes around a change of the stored pair.
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
/// cleared, if no newer pair was stored meanwhile, and the sign-out hook runs); any other
/// error of `/refresh` (network, timeout, 5xx, 429) as it came, with nothing cleared.
pub async fn renewed_access_token(stale: Option<String>) -> Result<String, ApiError> {
    if let Some(current) = newer_access_token(stale.as_deref()) {
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
        notify_signed_out();
    }
    result
}

/// The stored access token, if it is not `refused`.
fn newer_access_token(refused: Option<&str>) -> Option<String> {
    tokens::access_token().filter(|t| Some(t.as_str()) != refused)
}

async fn renew(stale: Option<String>) -> Result<String, ApiError> {
    under_lock(LOCK_LINGER, move || async move {
        // While we waited for the lock, another tab may have refreshed already.
        if let Some(current) = newer_access_token(stale.as_deref()) {
            return Ok(current);
        }
        let Some(spent) = tokens::refresh_token() else {
            return Err(ApiError::SignedOut);
        };
        match PublicCall::post("/refresh")
            .json(&RefreshRequest {
                refresh_token: spent.clone(),
            })
            .fetch::<TokenPair>()
            .await
        {
            // Stored only if the pair it replaces is still there: a sign-out, or a
            // sign-in as someone else, may have happened while it was on its way.
            Ok(pair) if tokens::store_replacing(&spent, &pair) => Ok(pair.access_token),
            Ok(_) => newer_access_token(None).ok_or(ApiError::SignedOut),
            Err(refused) if refused.status() == Some(401) => {
                tokens::clear_if_refresh_is(&spent);
                newer_access_token(None).ok_or(ApiError::SignedOut)
            }
            Err(other) => Err(other),
        }
    })
    .await
}

/// Called when `refused` was refused in a way that means the session is over
/// (`session_revoked`, or a second 401 in a row). If storage holds another access token,
/// a newer pair was stored meanwhile (another tab changed the password, say): that token
/// is returned to try. Otherwise the tokens are cleared and the user is signed out.
///
/// # Errors
/// [`ApiError::SignedOut`] when the session is over; a network error if the browser
/// refused the lock.
pub(super) async fn end_session_unless_renewed(refused: &str) -> Result<String, ApiError> {
    let refused = refused.to_owned();
    let result = under_lock(Duration::ZERO, move || async move {
        if let Some(newer) = newer_access_token(Some(&refused)) {
            return Ok(newer);
        }
        tokens::clear_if_access_is(&refused);
        Err(ApiError::SignedOut)
    })
    .await;
    if result == Err(ApiError::SignedOut) {
        notify_signed_out();
    }
    result
}

/// Signs this browser out: forgets the tokens in every tab, then tells the server (best
/// effort). Runs under the refresh lock, so a refresh in flight finishes first and the
/// server is told about the pair it produced, which then is never stored again.
pub async fn sign_out() {
    let refresh_token = under_lock(Duration::ZERO, || async {
        let token = tokens::refresh_token();
        tokens::clear();
        Ok(token)
    })
    .await
    .ok()
    .flatten();
    if let Some(refresh_token) = refresh_token {
        let _ = PublicCall::post("/logout")
            .json(&RefreshRequest { refresh_token })
            .execute()
            .await;
    }
}

/// Forgets the tokens after the server ended the session on request (account deleted,
/// signed out everywhere), under the refresh lock like every other change of the pair.
pub async fn forget_session() {
    let _ = under_lock(Duration::ZERO, || async {
        tokens::clear();
        Ok(())
    })
    .await;
}

/// Runs `task` under the refresh lock; a lock the browser refused is a network error
/// (nothing was done, nothing is cleared).
async fn under_lock<T, Fut>(
    linger: Duration,
    task: impl FnOnce() -> Fut + 'static,
) -> Result<T, ApiError>
where
    T: 'static,
    Fut: Future<Output = Result<T, ApiError>> + 'static,
{
    interop::with_lock(LOCK_NAME, linger, task)
        .await
        .unwrap_or(Err(ApiError::Network))
}

/// Registers what happens when this tab is signed out by the client layer (the auth
/// context sends the user to the sign-in page, keeping their place).
pub fn on_signed_out(hook: impl Fn() + 'static) {
    ON_SIGNED_OUT.with(|slot| *slot.borrow_mut() = Some(Rc::new(hook)));
}

fn notify_signed_out() {
    if let Some(hook) = ON_SIGNED_OUT.with(|slot| slot.borrow().clone()) {
        hook();
    }
}
