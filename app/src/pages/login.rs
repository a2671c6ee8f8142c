use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::{
    api::endpoints,
    auth::{safe_next, use_auth},
    components::{Field, FieldInput},
    domain::Email,
    nav,
    routes::AppRoute,
};

/// Sign in; afterwards, back to where the user was (`?next=`).
#[island]
pub fn LoginPage() -> impl IntoView {
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
        email.error.set(None);
        password.error.set(None);
        let email_value = email.value.get_untracked();
        if let Err(e) = Email::parse(&email_value) {
            email.error.set(Some(format!("Email {}", e.message)));
            return;
        }
        let password_value = password.value.get_untracked();
        if password_value.is_empty() {
            password.error.set(Some("Enter your password".to_owned()));
            return;
        }
        let next = safe_next(nav::query("next"));
        busy.set(true);
        spawn_local(async move {
            match endpoints::login(email_value, password_value).await {
                Ok(()) => {
                    auth.signed_in();
                    nav::go(&next);
                }
                Err(e) if e.code() == Some("invalid_credentials") => {
                    error.set(Some("Incorrect email or password.".to_owned()));
                }
                Err(other) => error.set(Some(other.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="auth-page">
            <h1>"Sign in"</h1>
            <form on:submit=submit novalidate>
                <FieldInput id="email" label="Email" kind="email" autocomplete="username" field=email/>
                <FieldInput id="password" label="Password" kind="password" autocomplete="current-password" field=password/>
                <p class="form-error" role="alert">{move || error.get()}</p>
                <button type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </form>
            <p><a href=AppRoute::ForgotPassword.path()>"Forgot your password?"</a></p>
            <p>"No account yet? " <a href=AppRoute::Register.path()>"Create one"</a></p>
        </section>
    }
}
