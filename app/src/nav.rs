//! Navigation without a client-side router: the server renders every page, so moving to
//! another page is a page load, and the URL is read from `window.location` (a query
//! parameter also from the request, while the server renders: see [`query`]).

use std::cell::Cell;

thread_local! {
    /// Set once this page has asked for another. The current page lives on until the
    /// next one arrives, and a redirect of its own meanwhile (`RequireAuth` seeing the
    /// user signed out by the very action that is leaving) would overtake the first. If
    /// the user stays after all (the todo page's unsaved-changes prompt), it stays set:
    /// the page keeps what it shows, and the next action or a reload moves on.
    static LEAVING: Cell<bool> = const { Cell::new(false) };
}

/// Loads `path` as a new page (a new history entry).
pub fn go(path: &str) {
    LEAVING.with(|leaving| leaving.set(true));
    let _ = window_location().assign(path);
}

/// Loads `path` in place of the current page (no new history entry).
pub fn replace(path: &str) {
    LEAVING.with(|leaving| leaving.set(true));
    let _ = window_location().replace(path);
}

/// Whether this page has started loading another: a redirect now would overtake it.
#[must_use]
pub fn leaving() -> bool {
    LEAVING.with(Cell::get)
}

/// Shows `path` without loading a page (a new history entry): for the parts of a page
/// that follow the URL themselves, like the todo list's filters.
pub fn push(path: &str) {
    if let Ok(history) = leptos::prelude::window().history() {
        let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(path));
    }
}

/// The path, query and fragment of the current page, as a link back to it.
#[must_use]
pub fn here() -> String {
    let location = window_location();
    format!(
        "{}{}{}",
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default(),
        location.hash().unwrap_or_default()
    )
}

/// The current path (`/active`).
#[must_use]
pub fn pathname() -> String {
    window_location().pathname().unwrap_or_default()
}

/// The current fragment, with its `#` (`#/active`), or empty.
#[must_use]
pub fn hash() -> String {
    window_location().hash().unwrap_or_default()
}

/// The value of the query parameter `name`, if the URL has it.
///
/// Unlike the rest of this module it also answers on the server, while a page renders,
/// from the request's URL: an island that renders from the query (the reset page's
/// token) then hydrates to what the server sent. The alternative, a prop, would reach
/// the browser as JSON that Leptos reads with serde_json, a parser the module otherwise
/// does without (BENCHMARKS.md, "Page weight", step 8).
#[must_use]
pub fn query(name: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use leptos::prelude::WithUntracked as _;
        leptos_router::hooks::use_query_map().with_untracked(|query| query.get(name))
    }
    #[cfg(not(feature = "ssr"))]
    {
        let search = window_location().search().ok()?;
        web_sys::UrlSearchParams::new_with_str(&search)
            .ok()?
            .get(name)
    }
}

fn window_location() -> web_sys::Location {
    leptos::prelude::window().location()
}
