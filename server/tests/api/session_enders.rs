//! The operations that end the caller's own session (`POST /logout`, `DELETE /sessions`,
//! `DELETE /sessions/{id}`, `DELETE /users/me`, `PUT /users/me/password`) are left out of
//! the schemathesis run (`scripts/fuzz-api.sh`), whose requests all carry one token. Here
//! each gets the kinds of request the fuzzer would send, and every answer must be one the
//! OpenAPI document lists for that operation: its status, its `code`, its headers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, send, spawn_app};

/// Asserts that `response` is documented for `method path` in `doc`; returns its status.
async fn assert_documented(
    doc: &Value,
    method: &Method,
    path: &str,
    response: reqwest::Response,
) -> u16 {
    let status = response.status().as_u16();
    let documented =
        &doc["paths"][path][method.as_str().to_lowercase()]["responses"][status.to_string()];
    assert!(
        documented.is_object(),
        "{method} {path} answered an undocumented {status}"
    );
    for header in documented["headers"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        assert!(
            response.headers().contains_key(header.as_str()),
            "{method} {path} {status} lacks {header}"
        );
    }
    if let Some(codes) =
        documented["content"]["application/json"]["schema"]["properties"]["code"]["enum"].as_array()
    {
        let body: Value = response.json().await.expect("a JSON error");
        assert!(
            codes.contains(&body["code"]),
            "{method} {path} {status}: {body} not in {codes:?}"
        );
    }
    status
}

/// What the fuzzer would try on an operation: no token, a bad token, no body, a body
/// that is not JSON, one of the wrong media type, an array, a `null` field, then `good`.
async fn try_everything(
    app: &TestApp,
    doc: &Value,
    method: Method,
    path: &str,
    concrete: &str,
    token: &str,
    good: Option<Value>,
) -> Vec<u16> {
    let request = |token: Option<&str>| app.request(method.clone(), concrete, token);
    let mut statuses = Vec::new();
    let mut cases = vec![request(None), request(Some("not-a-jwt"))];
    if good.is_some() {
        cases.extend([
            request(Some(token)),
            request(Some(token))
                .header("content-type", "application/json")
                .body("{not json"),
            request(Some(token))
                .header("content-type", "text/plain")
                .body("{}"),
            request(Some(token)).json(&json!([])),
            request(Some(token)).json(&json!({ "password": null, "refresh_token": null })),
            request(Some(token)).json(&json!({})),
            request(Some(token))
                .header("content-type", "application/json")
                .body(vec![b' '; 70 * 1024]),
        ]);
    }
    for case in cases {
        statuses.push(assert_documented(doc, &method, path, send(case).await).await);
    }
    let last = match good {
        Some(body) => request(Some(token)).json(&body),
        None => request(Some(token)),
    };
    statuses.push(assert_documented(doc, &method, path, send(last).await).await);
    statuses
}

#[tokio::test]
async fn the_operations_that_end_a_session_answer_only_what_the_document_lists() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let user = TestUser::generate();
    user.register(&app).await;

    let tokens = user.login(&app).await;
    let statuses = try_everything(
        &app,
        &doc,
        Method::POST,
        "/api/v1/logout",
        "/api/v1/logout",
        &tokens.access_token,
        Some(json!({ "refresh_token": tokens.refresh_token })),
    )
    .await;
    assert_eq!(statuses.last(), Some(&204), "{statuses:?}");

    let tokens = user.login(&app).await;
    let unknown = format!("/api/v1/sessions/{}", uuid::Uuid::new_v4());
    let statuses = try_everything(
        &app,
        &doc,
        Method::DELETE,
        "/api/v1/sessions/{id}",
        &unknown,
        &tokens.access_token,
        None,
    )
    .await;
    assert_eq!(statuses.last(), Some(&404), "{statuses:?}");
    let sessions: Value = app
        .get_authed("/api/v1/sessions", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    let own = format!("/api/v1/sessions/{}", sessions[0]["id"].as_str().unwrap());
    let statuses = try_everything(
        &app,
        &doc,
        Method::DELETE,
        "/api/v1/sessions/{id}",
        &own,
        &tokens.access_token,
        None,
    )
    .await;
    assert_eq!(statuses.last(), Some(&204), "{statuses:?}");

    let tokens = user.login(&app).await;
    let statuses = try_everything(
        &app,
        &doc,
        Method::DELETE,
        "/api/v1/sessions",
        "/api/v1/sessions",
        &tokens.access_token,
        None,
    )
    .await;
    assert_eq!(statuses.last(), Some(&204), "{statuses:?}");

    let tokens = user.login(&app).await;
    let wrong = json!({ "current_password": "not the password", "new_password": "short" });
    let statuses = try_everything(
        &app,
        &doc,
        Method::PUT,
        "/api/v1/users/me/password",
        "/api/v1/users/me/password",
        &tokens.access_token,
        Some(wrong),
    )
    .await;
    assert_eq!(statuses.last(), Some(&422), "{statuses:?}");
    let new_password = "a brand new password";
    let statuses = try_everything(
        &app,
        &doc,
        Method::PUT,
        "/api/v1/users/me/password",
        "/api/v1/users/me/password",
        &tokens.access_token,
        Some(json!({ "current_password": user.password, "new_password": new_password })),
    )
    .await;
    assert_eq!(statuses.last(), Some(&200), "{statuses:?}");

    let user = TestUser {
        password: new_password.to_owned(),
        ..user
    };
    let tokens = user.login(&app).await;
    let statuses = try_everything(
        &app,
        &doc,
        Method::DELETE,
        "/api/v1/users/me",
        "/api/v1/users/me",
        &tokens.access_token,
        Some(json!({ "password": "not the password" })),
    )
    .await;
    assert_eq!(statuses.last(), Some(&403), "{statuses:?}");
    let statuses = try_everything(
        &app,
        &doc,
        Method::DELETE,
        "/api/v1/users/me",
        "/api/v1/users/me",
        &tokens.access_token,
        Some(json!({ "password": user.password })),
    )
    .await;
    assert_eq!(statuses.last(), Some(&204), "{statuses:?}");
}
