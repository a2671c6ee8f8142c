use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestUser, assert_error, send, spawn_app};

#[tokio::test]
async fn registering_returns_the_user_with_a_trimmed_email() {
    let app = spawn_app().await;
    let response = app
        .post_json(
            "/api/v1/users",
            &json!({ "email": "  Ada@Example.com ", "password": "correct horse" }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let user: serde_json::Value = response.json().await.unwrap();
    assert_eq!(user["email"], "Ada@Example.com");
    assert!(user["id"].is_string());
    assert!(
        user["created_at"].as_str().unwrap().ends_with('Z'),
        "{user}"
    );
    assert!(user.get("password_hash").is_none());
}

#[tokio::test]
async fn an_email_differing_only_in_case_is_a_duplicate() {
    let app = spawn_app().await;
    let first = app
        .post_json(
            "/api/v1/users",
            &json!({ "email": "bob@example.com", "password": "password1" }),
        )
        .await;
    assert_eq!(first.status(), 201);
    let second = app
        .post_json(
            "/api/v1/users",
            &json!({ "email": " BOB@Example.COM", "password": "password2" }),
        )
        .await;
    assert_error(second, 409, "conflict").await;
}

#[tokio::test]
async fn concurrent_sign_ups_with_one_email_create_one_account() {
    let app = spawn_app().await;
    let bodies: Vec<_> = (0..8)
        .map(|i| json!({ "email": format!("Race@Example.com{}", " ".repeat(i)), "password": "password1" }))
        .collect();
    let attempts = bodies
        .iter()
        .map(|body| app.post_json("/api/v1/users", body));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        7,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn invalid_registrations_are_422_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "email": "not-an-email", "password": "password1" }),
            "email",
            "no @",
        ),
        (
            json!({ "email": "a\u{0}b@example.com", "password": "password1" }),
            "email",
            "NUL byte",
        ),
        (
            json!({ "email": "a@example.com", "password": "short" }),
            "password",
            "7 characters",
        ),
        (
            json!({ "email": "a@example.com", "password": "x".repeat(129) }),
            "password",
            "129 characters",
        ),
        (
            json!({ "email": "a@example.com" }),
            "password",
            "missing password",
        ),
        (
            json!({ "email": 42, "password": "password1" }),
            "email",
            "number as email",
        ),
    ];
    for (body, field, why) in cases {
        let response = app.post_json("/api/v1/users", &body).await;
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"].as_str().unwrap().contains(field),
            "{why}: {error}"
        );
    }
}

#[tokio::test]
async fn password_length_bounds_are_inclusive_and_spaces_count() {
    let app = spawn_app().await;
    for (i, password) in [
        "12345678".to_owned(),
        "x".repeat(128),
        "   8   ".to_owned() + " ",
    ]
    .into_iter()
    .enumerate()
    {
        let response = app
            .post_json(
                "/api/v1/users",
                &json!({ "email": format!("b{i}@example.com"), "password": password }),
            )
            .await;
        assert_eq!(response.status(), 201, "{password:?}");
    }
}

#[tokio::test]
async fn passwords_that_differ_after_byte_72_are_different_passwords() {
    let app = spawn_app().await;
    let prefix = "p".repeat(72);
    let user = TestUser {
        email: "long@example.com".into(),
        password: format!("{prefix}-one"),
    };
    user.register(&app).await;
    let wrong = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": format!("{prefix}-two") }),
        )
        .await;
    assert_error(wrong, 401, "invalid_credentials").await;
    user.login(&app).await;
}

#[tokio::test]
async fn malformed_bodies_get_400_415_and_413() {
    let app = spawn_app().await;
    let url = app.url("/api/v1/users");
    let not_json = send(
        app.client
            .post(&url)
            .header("content-type", "application/json")
            .body("{\"email\":"),
    )
    .await;
    assert_error(not_json, 400, "malformed_body").await;
    let no_type = send(app.client.post(&url).body("{}")).await;
    assert_error(no_type, 415, "unsupported_media_type").await;
    let text = send(
        app.client
            .post(&url)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_error(text, 415, "unsupported_media_type").await;
    let huge = json!({ "email": "a@example.com", "password": "x".repeat(70 * 1024) });
    let too_large = app.post_json("/api/v1/users", &huge).await;
    assert_error(too_large, 413, "payload_too_large").await;
}

#[tokio::test]
async fn a_known_route_with_the_wrong_method_is_a_json_405_with_allow() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/login").await;
    assert_eq!(response.headers()["allow"], "POST");
    assert_error(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn me_returns_the_callers_account() {
    let app = spawn_app().await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let response = app
        .get_authed("/api/v1/users/me", &tokens.access_token)
        .await;
    assert_eq!(response.status(), 200);
    let me: serde_json::Value = response.json().await.unwrap();
    assert_eq!(me["email"], user.email.as_str());
}

#[tokio::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    assert_error(app.get("/api/v1/users/me").await, 401, "invalid_token").await;
}

#[tokio::test]
async fn changing_the_password_with_a_wrong_current_password_is_403() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let response = send(
        app.request(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(&tokens.access_token),
        )
        .json(&json!({ "current_password": "wrong-password", "new_password": "new-password-1" })),
    )
    .await;
    assert_error(response, 403, "invalid_credentials").await;
}

#[tokio::test]
async fn changing_the_password_opens_a_new_session_and_revokes_the_others() {
    let app = spawn_app().await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let other_device = user.login(&app).await;
    let response = send(
        app.request(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(&tokens.access_token),
        )
        .json(&json!({ "current_password": user.password, "new_password": "brand-new-password" })),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let fresh: crate::helpers::Tokens = response.json().await.unwrap();
    assert_eq!(
        app.get_authed("/api/v1/users/me", &fresh.access_token)
            .await
            .status(),
        200
    );
    for old in [&tokens, &other_device] {
        assert_error(
            app.get_authed("/api/v1/users/me", &old.access_token).await,
            401,
            "session_revoked",
        )
        .await;
        assert_error(
            app.refresh(&old.refresh_token).await,
            401,
            "session_revoked",
        )
        .await;
    }
    let old_password = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_error(old_password, 401, "invalid_credentials").await;
    TestUser {
        email: user.email,
        password: "brand-new-password".into(),
    }
    .login(&app)
    .await;
}

#[tokio::test]
async fn deleting_the_account_needs_the_password() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let response = send(
        app.request(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&tokens.access_token),
        )
        .json(&json!({ "password": "not-my-password" })),
    )
    .await;
    assert_error(response, 403, "invalid_credentials").await;
    assert_eq!(
        app.get_authed("/api/v1/users/me", &tokens.access_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_deleted_account_loses_its_tokens_and_its_email_is_free_again() {
    let app = spawn_app().await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let response = send(
        app.request(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&tokens.access_token),
        )
        .json(&json!({ "password": user.password })),
    )
    .await;
    assert_eq!(response.status(), 204);
    assert_error(
        app.get_authed("/api/v1/users/me", &tokens.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
    assert_error(
        app.refresh(&tokens.refresh_token).await,
        401,
        "session_revoked",
    )
    .await;
    let login = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_error(login, 401, "invalid_credentials").await;
    user.register(&app).await;
}
