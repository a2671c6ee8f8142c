use leptos::prelude::*;

/// The `todos` page.
#[component]
pub fn TodosPage() -> impl IntoView {
    view! { <section class="page page-todos"><h1>"todos"</h1></section> }
}
