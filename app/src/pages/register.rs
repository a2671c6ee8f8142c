use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::{
    api::endpoints,
    auth::use_auth,
    components::{Field, FieldInput},
    domain::{Email, Password},
    nav,
    routes::AppRoute,
};

/// Create an account, then sign straight in.
#[island]
pub fn RegisterPage() -> impl IntoView {
    let auth = use_auth();
    let email = Field::new();
    let password = Field::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let email_value = email.value.get_untracked();
        let password_value = password.value.get_untracked();
        // The same checks the server makes, so most mistakes are caught before sending.
        email.error.set(
            Email::parse(&email_value)
                .err()
                .map(|e| format!("Email {}", e.message)),
        );
        password.error.set(
            Password::parse(&password_value)
                .err()
                .map(|e| format!("Password {}", e.message)),
        );
        if email.error.get_untracked().is_some() || password.error.get_untracked().is_some() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result =
                match endpoints::register(email_value.clone(), password_value.clone()).await {
                    Ok(()) => endpoints::login(email_value, password_value).await,
                    Err(e) => Err(e),
                };
            match result {
                Ok(()) => {
                    auth.signed_in();
                    nav::go(AppRoute::Todos.path());
                }
                Err(e) if e.code() == Some("conflict") => email.error.set(Some(e.to_string())),
                Err(e) if e.field() == Some("email") => email.error.set(Some(e.to_string())),
                Err(e) if e.field() == Some("password") => password.error.set(Some(e.to_string())),
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="auth-page">
            <h1>"Create an account"</h1>
            <form on:submit=submit novalidate>
                <FieldInput id="email" label="Email" kind="email" autocomplete="username" field=email/>
                <FieldInput id="password" label="Password" kind="password" autocomplete="new-password" field=password/>
                <p class="hint">"8 to 128 characters."</p>
                <p class="form-error" role="alert">{move || error.get()}</p>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Creating…" } else { "Create account" }}
                </button>
            </form>
            <p>"Already have an account? " <a href=AppRoute::Login.path()>"Sign in"</a></p>
        </section>
    }
}
