//! `/reset-password?token=…`: the page a reset mail links to. It sets the new password,
//! which signs the person in (every other session of the account is signed out), and
//! takes them to their todos.
//!
//! A link that expired, was used, or was spent by a newer request or a password change
//! is answered `invalid_reset_token`; the page says so and offers a new link, rather than
//! showing the API's words.

use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::{
    api::endpoints,
    auth::use_auth,
    components::{Field, FieldInput},
    domain::Password,
    nav,
    routes::AppRoute,
};

/// What went wrong with the link itself (as opposed to the password typed).
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkProblem {
    /// No `token` in the address: a link cut short when it was copied.
    Missing,
    /// The server refused the token.
    ExpiredOrUsed,
}

/// The new-password form of a reset link.
#[island]
pub fn ResetPasswordPage() -> impl IntoView {
    let auth = use_auth();
    // Read on both sides (see `nav::query`), so the page hydrates as it was rendered.
    let token = StoredValue::new(nav::query("token").filter(|t| !t.trim().is_empty()));
    let token = move || token.get_value();
    let password = Field::new();
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let refused = RwSignal::new(false);
    let problem = move || {
        if token().is_none() {
            Some(LinkProblem::Missing)
        } else if refused.get() {
            Some(LinkProblem::ExpiredOrUsed)
        } else {
            None
        }
    };

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        error.set(None);
        let Some(token_value) = token() else {
            return;
        };
        let password_value = password.value.get_untracked();
        if let Err(e) = Password::parse_field(&password_value, "new_password") {
            password.error.set(Some(format!("Password {}", e.message)));
            return;
        }
        password.error.set(None);
        busy.set(true);
        spawn_local(async move {
            match endpoints::confirm_password_reset(token_value, password_value).await {
                Ok(()) => {
                    auth.signed_in();
                    nav::go(AppRoute::Todos.path());
                }
                Err(e) if e.code() == Some("invalid_reset_token") => refused.set(true),
                Err(e) if e.field() == Some("new_password") => {
                    password.error.set(Some(e.to_string()));
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };

    view! {
        <section class="auth-page">
            <h1>"Choose a new password"</h1>
            {move || match problem() {
                Some(kind) => view! {
                    <p class="form-error" role="alert">
                        {match kind {
                            LinkProblem::Missing => "This link is incomplete: open the whole link from the mail, or ask for a new one.",
                            LinkProblem::ExpiredOrUsed => "This link has expired or was already used. Reset links work once, for a limited time, and only the newest one works. Ask for a new one.",
                        }}
                    </p>
                    <p><a href=AppRoute::ForgotPassword.path()>"Send me a new link"</a></p>
                }.into_any(),
                None => view! {
                    <form on:submit=submit novalidate>
                        <FieldInput id="new-password" label="New password" kind="password" autocomplete="new-password" field=password/>
                        <p class="hint">"8 to 128 characters. Every device signed in to your account will be signed out."</p>
                        <p class="form-error" role="alert">{move || error.get()}</p>
                        <button type="submit" disabled=move || busy.get()>
                            {move || if busy.get() { "Saving…" } else { "Set password and sign in" }}
                        </button>
                    </form>
                }.into_any(),
            }}
        </section>
    }
}
