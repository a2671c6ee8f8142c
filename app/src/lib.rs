//! Ticked's user interface and the vocabulary its two halves share.
//!
//! This crate is compiled twice: with `ssr` into the `ticked` server, which renders every
//! page to HTML and routes every link, and with `hydrate` into the WASM bundle
//! (`frontend`), which takes over the parts of that HTML marked `#[island]`. Everything
//! both sides must agree on lives here.

// The todo page's view type is deep enough to exceed the default limit when the WASM
// build computes its layout.
#![recursion_limit = "256"]

/// The browser's client of the HTTP API: tokens, retry on 401, single-flight refresh.
pub mod api;
/// Whether the user is signed in, kept in step across tabs; `RequireAuth` for pages.
pub mod auth;
/// Parts shared by several pages: the header, form fields.
pub mod components;
/// Validated domain values (`Email`, `Password`, `TodoTitle`): the browser's forms and the
/// server's handlers parse input with the very same code.
pub mod domain;
/// JSON bodies of the HTTP API (`../shared/API.md`), shared by server and client.
pub mod dto;
/// Live updates: the tab's stream of changes made on other devices, handed to pages.
pub mod live;
/// Moving between pages, which are page loads.
pub mod nav;
/// The pages, one module per route.
pub mod pages;
/// The route table: every path the app serves, named once.
pub mod routes;
/// The HTML document around the app, with the hydration scripts and their CSP nonce.
#[cfg(feature = "ssr")]
mod shell;

#[cfg(feature = "ssr")]
pub use shell::{CspNonce, shell};

use leptos::prelude::*;
#[cfg(feature = "ssr")]
use leptos_router::components::{FlatRoutes, Route, Router};

use crate::auth::AuthProvider;
use crate::components::Header;
use crate::live::LiveProvider;
#[cfg(feature = "ssr")]
use crate::pages::{
    AccountPage, ForgotPasswordPage, LoginPage, NotFoundPage, RegisterPage, ResetPasswordPage,
    TodosPage,
};
#[cfg(feature = "ssr")]
use crate::routes::AppRoute;

/// The whole application: the router and the layout around every page.
///
/// Rendered on the server only: the browser hydrates the islands in it (`#[island]`),
/// and every link is a page load. The browser's bundles have no code for it, and each
/// has only some of its pages (`routes::Bundle`).
#[cfg(feature = "ssr")]
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Session>
                // Flat: no page nests in another, and leptos_router's nested `Routes`
                // was 12 kB more of the bundle's brotli (BENCHMARKS.md, "Page weight",
                // step 6).
                <FlatRoutes fallback=NotFoundPage>
                    <Route path=AppRoute::Todos.segment() view=TodosPage/>
                    <Route path=AppRoute::Active.segment() view=TodosPage/>
                    <Route path=AppRoute::Completed.segment() view=TodosPage/>
                    <Route path=AppRoute::Login.segment() view=LoginPage/>
                    <Route path=AppRoute::Register.segment() view=RegisterPage/>
                    <Route path=AppRoute::Account.segment() view=AccountPage/>
                    <Route path=AppRoute::ForgotPassword.segment() view=ForgotPasswordPage/>
                    <Route path=AppRoute::ResetPassword.segment() view=ResetPasswordPage/>
                </FlatRoutes>
            </Session>
        </Router>
    }
}

/// The layout around every page, and the session every page shares: the one island
/// whose context (the auth state, the live-update stream) reaches the page's islands.
#[island]
fn Session(children: Children) -> impl IntoView {
    // Effects only run in the browser, and only once the island is hydrated, so this
    // flag tells a person (and the browser tests) that the WASM half has taken over.
    // It is set before the page's own island is hydrated, but in the same run of
    // microtasks (Leptos's loader awaits nothing else between islands), so no click or
    // test sees the page in between.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <AuthProvider>
        <LiveProvider>
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <Header/>
            <main>{children()}</main>
        </div>
        </LiveProvider>
        </AuthProvider>
    }
}
