//! A field sent as `null` is a 422 naming the field, never read as absent (`API.md`,
//! "Conventions"): optional fields are left out, not nulled.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestUser, assert_error, send, spawn_app};

#[tokio::test]
async fn a_null_field_is_422_naming_the_field_on_every_route() {
    let app = spawn_app().await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let created: Value = send(
        app.request(Method::POST, "/api/v1/todos", Some(token))
            .json(&json!({ "title": "keep me" })),
    )
    .await
    .json()
    .await
    .unwrap();
    let todo = format!("/api/v1/todos/{}", created["id"].as_str().unwrap());
    let email = user.email.as_str();
    let cases: Vec<(Method, &str, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/todos",
            json!({ "title": "x", "completed": null }),
            "completed",
        ),
        (
            Method::POST,
            "/api/v1/todos",
            json!({ "title": null }),
            "title",
        ),
        (Method::PATCH, &todo, json!({ "title": null }), "title"),
        (
            Method::PATCH,
            &todo,
            json!({ "completed": null }),
            "completed",
        ),
        (
            Method::PATCH,
            &todo,
            json!({ "title": "changed", "completed": null }),
            "completed",
        ),
        (
            Method::PATCH,
            &todo,
            json!({ "title": null, "completed": true }),
            "title",
        ),
        (
            Method::PATCH,
            "/api/v1/todos",
            json!({ "completed": null }),
            "completed",
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({ "email": null, "password": "password1" }),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/users",
            json!({ "email": "n@example.com", "password": null }),
            "password",
        ),
        (
            Method::POST,
            "/api/v1/login",
            json!({ "email": null, "password": "password1" }),
            "email",
        ),
        (
            Method::POST,
            "/api/v1/login",
            json!({ "email": email, "password": null }),
            "password",
        ),
        (
            Method::POST,
            "/api/v1/refresh",
            json!({ "refresh_token": null }),
            "refresh_token",
        ),
        (
            Method::POST,
            "/api/v1/logout",
            json!({ "refresh_token": null }),
            "refresh_token",
        ),
        (
            Method::PUT,
            "/api/v1/users/me/password",
            json!({ "current_password": null, "new_password": "password2" }),
            "current_password",
        ),
        (
            Method::PUT,
            "/api/v1/users/me/password",
            json!({ "current_password": user.password, "new_password": null }),
            "new_password",
        ),
        (
            Method::DELETE,
            "/api/v1/users/me",
            json!({ "password": null }),
            "password",
        ),
    ];
    for (method, path, body, field) in cases {
        let why = format!("{method} {path} {body}");
        let response = send(app.request(method, path, Some(token)).json(&body)).await;
        assert_eq!(response.status(), 422, "{why}");
        let error = assert_error(response, 422, "validation_error").await;
        let detail = error["detail"].as_str().unwrap();
        assert!(detail.starts_with(field), "{why}: {detail}");
    }
    // Nothing was changed or created by any of them.
    let list: Value = send(app.request(Method::GET, "/api/v1/todos", Some(token)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([created]));
    assert_eq!(
        app.get_authed("/api/v1/users/me", token).await.status(),
        200
    );
}
