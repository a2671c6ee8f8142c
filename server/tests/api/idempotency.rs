//! `Idempotency-Key` on `POST /todos` (`API.md`): a create whose answer was lost can be
//! sent again without creating a second todo.

use reqwest::{Method, header::HeaderValue};
use sea_orm::{EntityTrait, sea_query::Expr};
use serde_json::{Value, json};
use ticked::entities::idempotency_key;

use crate::helpers::{
    TestApp, TestUser, assert_error, burst, own_client, send, spawn_app, status_counts,
};

async fn signed_up(app: &TestApp) -> String {
    TestUser::signed_up(app).await.1.access_token
}

fn create(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::RequestBuilder {
    app.request(Method::POST, "/api/v1/todos", Some(token))
        .header("idempotency-key", key)
        .json(body)
}

async fn titles(app: &TestApp, token: &str) -> Vec<String> {
    let list: Value = app
        .get_authed("/api/v1/todos", token)
        .await
        .json()
        .await
        .unwrap();
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_repeat_with_the_same_key_creates_nothing_and_answers_the_same_todo() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    let body = json!({ "title": "buy milk" });
    let first = send(create(&app, &token, "create-1", &body)).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    // The same request as the server reads it: the title is trimmed, absent is false.
    let again = json!({ "title": "  buy milk ", "completed": false });
    let second = send(create(&app, &token, "create-1", &again)).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.json::<Value>().await.unwrap(), first);
    assert_eq!(titles(&app, &token).await, ["buy milk"]);
    // A new key is a new todo.
    assert_eq!(
        send(create(&app, &token, "create-2", &body)).await.status(),
        201
    );
    assert_eq!(titles(&app, &token).await, ["buy milk", "buy milk"]);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_422_and_creates_nothing() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    send(create(&app, &token, "k", &json!({ "title": "first" }))).await;
    for body in [
        json!({ "title": "second" }),
        json!({ "title": "first", "completed": true }),
    ] {
        let response = send(create(&app, &token, "k", &body)).await;
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"]
                .as_str()
                .unwrap()
                .starts_with("Idempotency-Key"),
            "{error}"
        );
    }
    assert_eq!(titles(&app, &token).await, ["first"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_repeats_create_one_todo_and_all_answer_it() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    let requests = (0..10)
        .map(|_| {
            own_client()
                .post(app.url("/api/v1/todos"))
                .bearer_auth(&token)
                .header("idempotency-key", "one-and-only")
                .json(&json!({ "title": "just once" }))
        })
        .collect();
    let responses = burst(requests).await;
    assert_eq!(status_counts(&responses).get(&201), Some(&10));
    let mut answers = Vec::new();
    for response in responses {
        answers.push(response.json::<Value>().await.unwrap());
    }
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(titles(&app, &token).await, ["just once"]);
}

#[tokio::test]
async fn another_users_same_key_is_independent() {
    let app = spawn_app().await;
    let (alice, bob) = (signed_up(&app).await, signed_up(&app).await);
    let body = json!({ "title": "shared key" });
    let a: Value = send(create(&app, &alice, "same", &body))
        .await
        .json()
        .await
        .unwrap();
    let b = send(create(&app, &bob, "same", &json!({ "title": "bob's own" }))).await;
    assert_eq!(b.status(), 201);
    let b: Value = b.json().await.unwrap();
    assert_ne!(a["id"], b["id"]);
    assert_eq!(titles(&app, &alice).await, ["shared key"]);
    assert_eq!(titles(&app, &bob).await, ["bob's own"]);
}

#[tokio::test]
async fn a_repeat_after_the_todo_was_deleted_answers_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    let body = json!({ "title": "short-lived" });
    let first: Value = send(create(&app, &token, "gone", &body))
        .await
        .json()
        .await
        .unwrap();
    let id = first["id"].as_str().unwrap();
    let deleted =
        send(app.request(Method::DELETE, &format!("/api/v1/todos/{id}"), Some(&token))).await;
    assert_eq!(deleted.status(), 204);
    let repeat = send(create(&app, &token, "gone", &body)).await;
    assert_eq!(repeat.status(), 201);
    assert_eq!(repeat.json::<Value>().await.unwrap(), first);
    assert!(titles(&app, &token).await.is_empty());
}

#[tokio::test]
async fn a_key_older_than_24_hours_is_forgotten() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    let body = json!({ "title": "daily" });
    send(create(&app, &token, "day-key", &body)).await;
    // Age the key by 25 hours, as if the first request had been sent yesterday.
    let db = ticked::db::admin_connection(app.database_url.as_deref().unwrap())
        .await
        .unwrap();
    let yesterday = ticked::db::now() - chrono::Duration::hours(25);
    let aged = idempotency_key::Entity::update_many()
        .col_expr(idempotency_key::Column::CreatedAt, Expr::value(yesterday))
        .exec(&db)
        .await
        .unwrap();
    assert_eq!(aged.rows_affected, 1);
    assert_eq!(
        send(create(&app, &token, "day-key", &body)).await.status(),
        201
    );
    assert_eq!(titles(&app, &token).await, ["daily", "daily"]);
}

#[tokio::test]
async fn malformed_keys_are_422_naming_the_header_and_create_nothing() {
    let app = spawn_app().await;
    let token = signed_up(&app).await;
    let body = json!({ "title": "never" });
    let long = "k".repeat(256);
    let cases: Vec<(HeaderValue, &str)> = vec![
        (HeaderValue::from_static(""), "empty"),
        (HeaderValue::from_str(&long).unwrap(), "256 characters"),
        (HeaderValue::from_static("with space"), "inner space"),
        (HeaderValue::from_static("tab\there"), "tab"),
        (
            HeaderValue::from_bytes("café".as_bytes()).unwrap(),
            "non-ASCII",
        ),
        (HeaderValue::from_bytes(b"\xff\xfe").unwrap(), "not UTF-8"),
    ];
    for (value, why) in cases {
        let response = send(
            app.request(Method::POST, "/api/v1/todos", Some(&token))
                .header("idempotency-key", value)
                .json(&body),
        )
        .await;
        assert_eq!(response.status(), 422, "{why}");
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"]
                .as_str()
                .unwrap()
                .starts_with("Idempotency-Key"),
            "{why}: {error}"
        );
    }
    let twice = send(
        app.request(Method::POST, "/api/v1/todos", Some(&token))
            .header("idempotency-key", "a")
            .header("idempotency-key", "b")
            .json(&body),
    )
    .await;
    assert_error(twice, 422, "validation_error").await;
    assert!(titles(&app, &token).await.is_empty());
    // The bounds are inclusive.
    for key in ["x".to_owned(), "~".repeat(255)] {
        assert_eq!(
            send(create(&app, &token, &key, &body)).await.status(),
            201,
            "{} characters",
            key.len()
        );
    }
}
