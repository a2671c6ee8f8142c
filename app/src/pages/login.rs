use leptos::prelude::*;

/// The `login` page.
#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <section class="page page-login"><h1>"Sign in"</h1></section> }
}
