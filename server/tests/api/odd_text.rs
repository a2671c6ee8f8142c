//! Text that meets a column: whatever a client sends, the answer is never a 500, on SQLite
//! or on PostgreSQL (which checks `varchar(n)` lengths and refuses NUL bytes in text,
//! where SQLite stores anything). Run these with `TEST_DATABASE_URL` set to see the
//! PostgreSQL side.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestUser, assert_error, send, spawn_app, spawn_app_with};

/// 200 characters as typed, 400 once lower-cased (`İ` becomes `i` and a combining dot).
fn growing_email() -> String {
    format!("{}@example.com", "İ".repeat(200))
}

#[tokio::test]
async fn an_email_that_lower_casing_lengthens_past_254_characters_is_422_not_500() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/users",
            &json!({ "email": growing_email(), "password": "password1" }),
        )
        .await;
    let error = assert_error(response, 422, "validation_error").await;
    assert!(
        error["detail"].as_str().unwrap().starts_with("email"),
        "{error}"
    );
    // The longest that fits once normalised is still an account.
    let fits = format!("{}@example.com", "İ".repeat(121));
    let created = app
        .post_json(
            "/api/v1/users",
            &json!({ "email": fits, "password": "password1" }),
        )
        .await;
    assert_eq!(created.status(), 201);
    TestUser {
        email: fits.to_lowercase(),
        password: "password1".into(),
    }
    .login(&app)
    .await;
}

#[tokio::test]
async fn failed_logins_with_odd_emails_are_401_and_count_towards_the_lockout() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let long = "x".repeat(20_000);
    let cases = [
        growing_email(),
        format!("{}@example.com", "İ".repeat(2_000)),
        "nul\u{0}byte@example.com".to_owned(),
        "\u{0}".to_owned(),
        long,
        "🦀🦀🦀@🦀.example".to_owned(),
        "e\u{301}\u{301}\u{301}@example.com".to_owned(),
        String::new(),
    ];
    for email in cases {
        let why = format!("{:?}", email.chars().take(40).collect::<String>());
        let body = json!({ "email": email, "password": "wrong-password" });
        for _ in 0..2 {
            let response = app.post_json("/api/v1/login", &body).await;
            assert_eq!(response.status(), 401, "{why}");
            assert_error(response, 401, "invalid_credentials").await;
        }
        let locked = app.post_json("/api/v1/login", &body).await;
        assert_eq!(locked.status(), 429, "{why}");
        let form = send(
            app.client
                .post(app.url("/api/v1/login"))
                .form(&[("username", email.as_str()), ("password", "wrong-password")]),
        )
        .await;
        assert_eq!(
            form.status(),
            429,
            "the form counts under the same key: {why}"
        );
    }
}

#[tokio::test]
async fn odd_titles_are_stored_whole_or_refused_with_422() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let accepted = [
        "𝄞".repeat(500),
        "é".repeat(500),
        "\u{FFFF}\u{FEFF}\u{200B}zero-width".to_owned(),
        "'; DROP TABLE todos; --".to_owned(),
    ];
    for title in accepted {
        let response = send(
            app.request(Method::POST, "/api/v1/todos", Some(token))
                .json(&json!({ "title": title })),
        )
        .await;
        assert_eq!(response.status(), 201, "{title:?}");
        let todo: Value = response.json().await.unwrap();
        assert_eq!(todo["title"], title.trim());
    }
    let refused = [
        "𝄞".repeat(501),
        "e\u{301}".repeat(300),
        "nul\u{0}".to_owned(),
        "\u{0}".repeat(10),
        "bidi\u{202E}over\u{9}ride".to_owned(),
    ];
    for title in refused {
        let response = send(
            app.request(Method::POST, "/api/v1/todos", Some(token))
                .json(&json!({ "title": title })),
        )
        .await;
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"].as_str().unwrap().starts_with("title"),
            "{error}"
        );
    }
    // A lone surrogate is not Unicode: the JSON is malformed, not a 500.
    let surrogate = send(
        app.request(Method::POST, "/api/v1/todos", Some(token))
            .header("content-type", "application/json")
            .body(r#"{"title":"\ud800"}"#),
    )
    .await;
    assert!(
        matches!(surrogate.status().as_u16(), 400 | 422),
        "{}",
        surrogate.status()
    );
}

#[tokio::test]
async fn odd_passwords_are_hashed_not_stored() {
    let app = spawn_app().await;
    for (i, password) in ["nul\u{0}in-the-middle", "İİİİİİİİ", &"🦀".repeat(128)]
        .into_iter()
        .enumerate()
    {
        let user = TestUser {
            email: format!("odd-password-{i}@example.com"),
            password: password.to_owned(),
        };
        user.register(&app).await;
        user.login(&app).await;
    }
}

#[tokio::test]
async fn a_long_unicode_user_agent_is_kept_bounded() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let agent = "İ".repeat(2_000);
    let response = send(
        app.client
            .post(app.url("/api/v1/login"))
            .header(
                "user-agent",
                reqwest::header::HeaderValue::from_bytes(agent.as_bytes()).unwrap(),
            )
            .json(&json!({ "email": user.email, "password": user.password })),
    )
    .await;
    assert_eq!(response.status(), 200);
    let tokens: crate::helpers::Tokens = response.json().await.unwrap();
    let sessions: Value = app
        .get_authed("/api/v1/sessions", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    let stored = sessions[0]["user_agent"].as_str().unwrap();
    assert!(stored.chars().count() <= 512, "{}", stored.len());
}
