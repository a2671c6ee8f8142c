use leptos::prelude::*;

use crate::routes::AppRoute;

/// Shown for any path the router does not know; the server answers it with a 404.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page page-not-found">
            <h1>"Page not found"</h1>
            <a href=AppRoute::Todos.path()>"Back to your todos"</a>
        </section>
    }
}
