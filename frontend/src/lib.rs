//! The browser half of Ticked: a WASM module whose only job is to hydrate the HTML the
//! server rendered. `cargo leptos build` compiles it with the `hydrate` feature and the
//! generated `/pkg/ticked.js` calls [`hydrate`] once the module is loaded.

use wasm_bindgen::prelude::wasm_bindgen;

/// Takes over the server-rendered `<body>`: attaches event handlers and reactivity.
#[wasm_bindgen]
pub fn hydrate() {
    // The release module stops at a panic before any hook could run
    // (`panic=immediate-abort`, see the Makefile), so only debug builds, whose panics
    // run the hook before they abort, install the one that prints the message in the
    // console.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
