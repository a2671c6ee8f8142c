use leptos::{prelude::*, task::spawn_local};

use crate::{
    api::endpoints,
    auth::{SessionState, use_auth},
    nav,
    routes::AppRoute,
};

/// The bar above every page: the user's email and "Sign out", or the way in.
#[component]
pub fn Header() -> impl IntoView {
    let auth = use_auth();
    let busy = RwSignal::new(false);
    let sign_out = move |_| {
        busy.set(true);
        spawn_local(async move {
            endpoints::logout().await;
            auth.signed_out();
            busy.set(false);
            nav::go(AppRoute::Login.path());
        });
    };
    view! {
        <header class="topbar">
            <a class="brand" href=AppRoute::Todos.path()>"Ticked"</a>
            <nav aria-label="Account">
                {move || match auth.state() {
                    SessionState::SignedIn => view! {
                        <a class="user-email" href=AppRoute::Account.path()>
                            {move || auth.email().unwrap_or_else(|| "Account".to_owned())}
                        </a>
                        <button class="sign-out" on:click=sign_out disabled=move || busy.get()>
                            "Sign out"
                        </button>
                    }
                    .into_any(),
                    SessionState::SignedOut => view! {
                        <a href=AppRoute::Login.path()>"Sign in"</a>
                        <a href=AppRoute::Register.path()>"Create account"</a>
                    }
                    .into_any(),
                    SessionState::Unknown => ().into_any(),
                }}
            </nav>
        </header>
    }
}
