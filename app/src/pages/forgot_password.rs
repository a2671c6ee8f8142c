//! "Forgot your password?": asks the server to mail a reset link.
//!
//! What the page says afterwards is the same whether or not an account has that email:
//! the server answers alike in both cases, and so must the page, or it would tell anyone
//! which addresses have accounts.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::{
    api::endpoints,
    components::{Field, FieldInput},
    domain::Email,
    routes::AppRoute,
};

/// The form that asks for a reset mail, then the note that it is on its way.
#[island]
pub fn ForgotPasswordPage() -> impl IntoView {
    let email = Field::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let sent_to = RwSignal::new(None::<String>);

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let email_value = email.value.get_untracked();
        if let Err(e) = Email::parse(&email_value) {
            email.error.set(Some(format!("Email {}", e.message)));
            return;
        }
        email.error.set(None);
        busy.set(true);
        spawn_local(async move {
            match endpoints::request_password_reset(email_value.clone()).await {
                Ok(_) => sent_to.set(Some(email_value.trim().to_owned())),
                Err(e) if e.code() == Some("rate_limited") => error.set(Some(
                    "Too many requests for this email. Please wait a few minutes and try again."
                        .to_owned(),
                )),
                Err(e) if e.field() == Some("email") => email.error.set(Some(e.to_string())),
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="auth-page">
            <h1>"Forgot your password?"</h1>
            <Show
                when=move || sent_to.get().is_some()
                fallback=move || view! {
                    <p class="hint">
                        "Enter the email of your account and we will mail you a link to choose a new password."
                    </p>
                    <form on:submit=submit novalidate>
                        <FieldInput id="email" label="Email" kind="email" autocomplete="username" field=email/>
                        <p class="form-error" role="alert">{move || error.get()}</p>
                        <button type="submit" disabled=move || busy.get()>
                            {move || if busy.get() { "Sending…" } else { "Send the link" }}
                        </button>
                    </form>
                }
            >
                <p class="form-status" role="status">
                    "Check your inbox. If an account exists for "
                    <strong>{move || sent_to.get().unwrap_or_default()}</strong>
                    ", we have sent it a link to choose a new password. The link works once, for a limited time."
                </p>
            </Show>
            <p><a href=AppRoute::Login.path()>"Back to sign in"</a></p>
        </section>
    }
}
