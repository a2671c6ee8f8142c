//! The browser half of Ticked: a WASM module whose only job is to hydrate the islands
//! of the HTML the server rendered. `cargo leptos build` compiles it with the `hydrate`
//! feature, and Leptos's loader script (`HydrationScripts`) calls [`hydrate`] once the
//! module is loaded, then each island's function.

// Each `#[island]` of `app` is a function exported to JavaScript; naming the crate links
// it in, and with it those exports. This crate's features choose which pages' islands
// `app` compiles (`app::routes::Bundle`): `make build` builds it once with each.
use app as _;
use wasm_bindgen::prelude::wasm_bindgen;

/// Takes over the page's islands: attaches event handlers and reactivity.
#[wasm_bindgen]
pub fn hydrate() {
    // The release module stops at a panic before any hook could run
    // (`panic=immediate-abort`, see the Makefile), so only debug builds, whose panics
    // run the hook before they abort, install the one that prints the message in the
    // console.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
