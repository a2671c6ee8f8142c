//! The few browser APIs that `web-sys` does not offer as stable bindings.

use std::{future::Future, time::Duration};

use futures::{
    channel::oneshot,
    future::{Either, select},
};
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::{JsFuture, future_to_promise};

/// Runs `task` while holding the Web Lock `name` (`navigator.locks.request`), so that of
/// all the tabs of this origin only one runs it at a time.
///
/// Where Web Locks is missing (old browsers, some embedded views) `task` runs without the
/// lock. That is still safe: within a tab, refreshes are single-flight anyway, and two
/// tabs refreshing with the same token at once are what the server's reuse grace window
/// forgives (the second gets the pair the first produced, nothing is revoked).
///
/// The result comes back as soon as `task` is done; the lock is held `linger` longer.
/// Each tab keeps its own copy of `localStorage`, which the browser brings up to date
/// asynchronously: a tab that took the lock the moment another let go of it could still
/// read the old tokens there. Lingering gives the browser that time.
///
/// `None` when the browser refused the lock request (it then never ran `task`).
pub async fn with_lock<T, Fut>(
    name: &str,
    linger: Duration,
    task: impl FnOnce() -> Fut + 'static,
) -> Option<T>
where
    T: 'static,
    Fut: Future<Output = T> + 'static,
{
    let Some((locks, request)) = lock_manager() else {
        return Some(task().await);
    };
    let (done, result) = oneshot::channel();
    // The lock is held until the promise this callback returns settles.
    let callback = Closure::once_into_js(move |_lock: JsValue| -> Promise {
        future_to_promise(async move {
            let _ = done.send(task().await);
            sleep(linger).await;
            Ok(JsValue::UNDEFINED)
        })
    });
    let promise = request
        .call2(&locks, &JsValue::from_str(name), &callback)
        .ok()?;
    // Whichever comes first: our result, or the end of the request (which, if it was
    // granted, comes after the result was sent).
    match select(result, JsFuture::from(Promise::from(promise))).await {
        Either::Left((result, _)) => result.ok(),
        Either::Right((Ok(_), result)) => result.await.ok(),
        Either::Right((Err(_), _)) => None,
    }
}

/// Resolves after `duration`, on the browser's timer.
pub(super) async fn sleep(duration: Duration) {
    let (wake, woken) = oneshot::channel();
    leptos::prelude::set_timeout(
        move || {
            let _ = wake.send(());
        },
        duration,
    );
    let _ = woken.await;
}

fn lock_manager() -> Option<(JsValue, Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &JsValue::from_str("locks")).ok()?;
    if locks.is_undefined() || locks.is_null() {
        return None;
    }
    let request = Reflect::get(&locks, &JsValue::from_str("request"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    Some((locks, request))
}
