//! Password confirmation (`PUT /users/me/password`, `DELETE /users/me`) under the
//! failed-login limits (`API.md`, "Abuse limits"): a stolen access token is not an
//! oracle for guessing the password.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestUser, Tokens, assert_error, burst, own_client, send, spawn_app_with, status_counts,
};

const LIMITS: [(&str, &str); 2] = [("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECONDS", "60")];

async fn change_password(app: &TestApp, tokens: &Tokens, current: &str) -> reqwest::Response {
    send(
        app.request(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(&tokens.access_token),
        )
        .json(&json!({ "current_password": current, "new_password": "a-brand-new-password" })),
    )
    .await
}

async fn delete_account(app: &TestApp, tokens: &Tokens, password: &str) -> reqwest::Response {
    send(
        app.request(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&tokens.access_token),
        )
        .json(&json!({ "password": password })),
    )
    .await
}

async fn assert_rate_limited(response: reqwest::Response) -> Value {
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(response, 429, "rate_limited").await
}

#[tokio::test]
async fn wrong_confirmations_lock_both_routes_and_login_even_with_the_right_password() {
    let app = spawn_app_with(&LIMITS).await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    for _ in 0..2 {
        assert_error(
            change_password(&app, &tokens, "wrong-password").await,
            403,
            "invalid_credentials",
        )
        .await;
    }
    assert_error(
        delete_account(&app, &tokens, "wrong-password").await,
        403,
        "invalid_credentials",
    )
    .await;
    assert_rate_limited(change_password(&app, &tokens, &user.password).await).await;
    assert_rate_limited(delete_account(&app, &tokens, &user.password).await).await;
    let login = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_rate_limited(login).await;
    // The session is untouched: nothing here is a 401.
    assert_eq!(
        app.get_authed("/api/v1/users/me", &tokens.access_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn failed_logins_lock_the_confirmations_too() {
    let app = spawn_app_with(&LIMITS).await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    for _ in 0..3 {
        let response = app
            .post_json(
                "/api/v1/login",
                &json!({ "email": user.email.to_uppercase(), "password": "wrong-password" }),
            )
            .await;
        assert_error(response, 401, "invalid_credentials").await;
    }
    assert_rate_limited(change_password(&app, &tokens, &user.password).await).await;
    assert_rate_limited(delete_account(&app, &tokens, &user.password).await).await;
}

#[tokio::test]
async fn a_right_confirmation_resets_the_count_like_a_login() {
    let app = spawn_app_with(&LIMITS).await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    for _ in 0..2 {
        change_password(&app, &tokens, "wrong-password").await;
    }
    let changed = change_password(&app, &tokens, &user.password).await;
    assert_eq!(changed.status(), 200);
    let fresh: Tokens = changed.json().await.unwrap();
    // Counted from zero again: three more wrong ones are 403, then the pair is locked.
    for _ in 0..3 {
        assert_error(
            delete_account(&app, &fresh, "wrong-password").await,
            403,
            "invalid_credentials",
        )
        .await;
    }
    assert_rate_limited(delete_account(&app, &fresh, "a-brand-new-password").await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_wrong_confirmations_gets_at_most_the_limit_of_403s() {
    let app = spawn_app_with(&LIMITS).await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let requests = (0..20)
        .map(|i| {
            let client = own_client();
            if i % 2 == 0 {
                client
                    .put(app.url("/api/v1/users/me/password"))
                    .bearer_auth(&tokens.access_token)
                    .json(&json!({ "current_password": "wrong-password", "new_password": "a-brand-new-password" }))
            } else {
                client
                    .delete(app.url("/api/v1/users/me"))
                    .bearer_auth(&tokens.access_token)
                    .json(&json!({ "password": "wrong-password" }))
            }
        })
        .collect();
    let counts = status_counts(&burst(requests).await);
    assert_eq!(counts.get(&403), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&17), "{counts:?}");
}
