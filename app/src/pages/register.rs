use leptos::prelude::*;

/// The `register` page.
#[component]
pub fn RegisterPage() -> impl IntoView {
    view! { <section class="page page-register"><h1>"Create an account"</h1></section> }
}
