use leptos::prelude::*;

/// The `account` page.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! { <section class="page page-account"><h1>"Account"</h1></section> }
}
