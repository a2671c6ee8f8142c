use chrono::{DateTime, Datelike, Timelike, Utc};
use leptos::{ev::SubmitEvent, prelude::*, task::spawn_local};

use crate::{
    api::{ApiError, endpoints},
    auth::{RequireAuth, use_auth},
    components::{Field, FieldInput},
    domain::Password,
    dto::Session,
    nav,
    routes::AppRoute,
};

/// The user's account: password, sessions, deletion.
#[island]
pub fn AccountPage() -> impl IntoView {
    view! {
        <RequireAuth>
            <section class="account-page">
                <h1>"Your account"</h1>
                <AccountEmail/>
                <ChangePassword/>
                <Sessions/>
                <DeleteAccount/>
            </section>
        </RequireAuth>
    }
}

#[component]
fn AccountEmail() -> impl IntoView {
    let auth = use_auth();
    view! {
        <p class="account-email">
            "Signed in as " <strong>{move || auth.email().unwrap_or_default()}</strong>
        </p>
    }
}

#[component]
fn ChangePassword() -> impl IntoView {
    let current = Field::new();
    let new = Field::new();
    let status = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        current.error.set(None);
        status.set(None);
        new.error.set(
            Password::parse(&new.value.get_untracked())
                .err()
                .map(|e| format!("New password {}", e.message)),
        );
        if new.error.get_untracked().is_some() || busy.get_untracked() {
            return;
        }
        busy.set(true);
        spawn_local(async move {
            match endpoints::change_password(
                current.value.get_untracked(),
                new.value.get_untracked(),
            )
            .await
            {
                Ok(()) => {
                    current.value.set(String::new());
                    new.value.set(String::new());
                    status.set(Some(
                        "Password changed. Your other sessions were signed out.".to_owned(),
                    ));
                }
                Err(e) if e.code() == Some("invalid_credentials") => {
                    current
                        .error
                        .set(Some("The current password is not right.".to_owned()));
                }
                Err(e) => status.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card">
            <h2>"Change password"</h2>
            <form on:submit=submit novalidate>
                <FieldInput id="current-password" label="Current password" kind="password" autocomplete="current-password" field=current/>
                <FieldInput id="new-password" label="New password" kind="password" autocomplete="new-password" field=new/>
                <p class="form-status" role="status">{move || status.get()}</p>
                <button type="submit" disabled=move || busy.get()>"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let auth = use_auth();
    let sessions = RwSignal::new(None::<Result<Vec<Session>, ApiError>>);
    let reload = move || {
        spawn_local(async move { sessions.set(Some(endpoints::sessions().await)) });
    };
    reload();
    let revoke = move |id| {
        spawn_local(async move {
            if let Err(e) = endpoints::revoke_session(id).await {
                sessions.set(Some(Err(e)));
            }
            reload();
        });
    };
    let everywhere = move |_| {
        spawn_local(async move {
            if endpoints::revoke_all_sessions().await.is_ok() {
                auth.signed_out();
                nav::go(AppRoute::Login.path());
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Where you are signed in"</h2>
            {move || match sessions.get() {
                None => view! { <p class="placeholder" aria-busy="true">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(list)) => view! {
                    <ul class="sessions">
                        {list.into_iter().map(|s| {
                            let id = s.id;
                            view! {
                                <li class:current=s.current>
                                    <span class="device">{s.user_agent.unwrap_or_else(|| "Unknown device".to_owned())}</span>
                                    <span class="when">"Last used " {to_the_minute(s.last_used_at)}</span>
                                    {if s.current {
                                        view! { <span class="badge">"This device"</span> }.into_any()
                                    } else {
                                        view! { <button on:click=move |_| revoke(id)>"Sign out"</button> }.into_any()
                                    }}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
            <button class="danger-outline" on:click=everywhere>"Sign out everywhere"</button>
        </section>
    }
}

/// `2026-12-07 14:05 UTC`. Written field by field: chrono's `format` reads its pattern
/// at run time, which brings its whole formatting engine into the browser's bundle.
fn to_the_minute(time: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        time.year(),
        time.month(),
        time.day(),
        time.hour(),
        time.minute()
    )
}

#[component]
fn DeleteAccount() -> impl IntoView {
    let auth = use_auth();
    let password = Field::new();
    let confirming = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        password.error.set(None);
        busy.set(true);
        spawn_local(async move {
            match endpoints::delete_account(password.value.get_untracked()).await {
                Ok(()) => {
                    auth.signed_out();
                    nav::go(AppRoute::Register.path());
                }
                Err(e) if e.code() == Some("invalid_credentials") => {
                    password
                        .error
                        .set(Some("The password is not right.".to_owned()));
                }
                Err(e) => password.error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <section class="card danger-zone">
            <h2>"Delete account"</h2>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button class="danger" on:click=move |_| confirming.set(true)>"Delete my account…"</button>
                }
            >
                <form on:submit=submit novalidate>
                    <p>"This deletes your account and all your todos. It cannot be undone."</p>
                    <FieldInput id="delete-password" label="Password" kind="password" autocomplete="current-password" field=password/>
                    <button type="submit" class="danger" disabled=move || busy.get()>"Delete account for good"</button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
                </form>
            </Show>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::to_the_minute;

    #[test]
    fn a_session_time_reads_to_the_minute_in_utc() {
        let time = Utc.with_ymd_and_hms(2026, 3, 7, 4, 5, 59).unwrap();
        assert_eq!(to_the_minute(time), "2026-03-07 04:05 UTC");
    }
}
