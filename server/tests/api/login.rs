use serde_json::json;

use crate::helpers::{TestUser, assert_error, send, spawn_app, spawn_app_with};

#[tokio::test]
async fn logging_in_with_json_returns_an_uncached_token_pair() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let response = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email.to_uppercase(), "password": user.password }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let pair: serde_json::Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["refresh_expires_in"], 1_209_600);
    assert!(pair["access_token"].is_string() && pair["refresh_token"].is_string());
}

#[tokio::test]
async fn logging_in_with_the_oauth2_password_form_works() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let response = send(app.client.post(app.url("/api/v1/login")).form(&[
        ("username", user.email.as_str()),
        ("password", user.password.as_str()),
    ]))
    .await;
    assert_eq!(response.status(), 200);
    let missing = send(
        app.client
            .post(app.url("/api/v1/login"))
            .form(&[("username", user.email.as_str())]),
    )
    .await;
    assert_error(missing, 422, "validation_error").await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let wrong_password = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": "not-the-password" }),
        )
        .await;
    let unknown_email = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": "nobody@example.com", "password": "not-the-password" }),
        )
        .await;
    assert_eq!(wrong_password.headers()["www-authenticate"], "Bearer");
    assert_eq!(unknown_email.headers()["www-authenticate"], "Bearer");
    let a = assert_error(wrong_password, 401, "invalid_credentials").await;
    let b = assert_error(unknown_email, 401, "invalid_credentials").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn repeated_failures_lock_the_pair_out_even_with_the_right_password() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECONDS", "60")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let bystander = TestUser::generate();
    bystander.register(&app).await;
    for _ in 0..3 {
        let response = app
            .post_json(
                "/api/v1/login",
                &json!({ "email": user.email, "password": "wrong-password" }),
            )
            .await;
        assert_error(response, 401, "invalid_credentials").await;
    }
    let locked = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(locked, 429, "rate_limited").await;
    bystander.login(&app).await;
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let wrong = json!({ "email": user.email, "password": "wrong-password" });
    let fail = || app.post_json("/api/v1/login", &wrong);
    fail().await;
    user.login(&app).await;
    fail().await;
    user.login(&app).await;
}

#[tokio::test]
async fn the_lockout_ends_when_the_window_passes() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "1"), ("LOGIN_LOCKOUT_SECONDS", "1")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    app.post_json(
        "/api/v1/login",
        &json!({ "email": user.email, "password": "wrong-password" }),
    )
    .await;
    let locked = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_eq!(locked.status(), 429);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    user.login(&app).await;
}
