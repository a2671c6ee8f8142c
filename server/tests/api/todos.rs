use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestUser, assert_error, send, spawn_app};

/// A signed-in user's view of the todo API.
struct Client<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Client<'a> {
    async fn new(app: &'a TestApp) -> Self {
        let (_, tokens) = TestUser::signed_up(app).await;
        Self {
            app,
            token: tokens.access_token,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> reqwest::Response {
        let mut request = self
            .app
            .request(method, &format!("/api/v1{path}"), Some(&self.token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        send(request).await
    }

    async fn create(&self, title: &str) -> Value {
        let response = self
            .call(Method::POST, "/todos", Some(json!({ "title": title })))
            .await;
        assert_eq!(response.status(), 201, "creating {title:?}");
        response.json().await.unwrap()
    }

    async fn list(&self, query: &str) -> Value {
        let response = self
            .call(Method::GET, &format!("/todos{query}"), None)
            .await;
        assert_eq!(response.status(), 200, "listing {query}");
        response.json().await.unwrap()
    }

    async fn patch(&self, id: &str, body: Value) -> reqwest::Response {
        self.call(Method::PATCH, &format!("/todos/{id}"), Some(body))
            .await
    }
}

fn titles(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_created_todo_can_be_read_changed_and_deleted() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let todo = me.create("  buy milk  ").await;
    assert_eq!(todo["title"], "buy milk");
    assert_eq!(todo["completed"], false);
    assert_eq!(todo["created_at"], todo["updated_at"]);
    let id = todo["id"].as_str().unwrap();

    let fetched: Value = me
        .call(Method::GET, &format!("/todos/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, todo);

    let changed: Value = me
        .patch(id, json!({ "completed": true }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(changed["completed"], true);
    assert_eq!(changed["title"], "buy milk", "only the fields given change");
    assert_ne!(changed["updated_at"], todo["updated_at"]);

    let renamed: Value = me
        .patch(id, json!({ "title": " buy oat milk " }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(renamed["title"], "buy oat milk");
    assert_eq!(renamed["completed"], true);

    assert_eq!(
        me.call(Method::DELETE, &format!("/todos/{id}"), None)
            .await
            .status(),
        204
    );
    assert_error(
        me.call(Method::GET, &format!("/todos/{id}"), None).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        me.call(Method::DELETE, &format!("/todos/{id}"), None).await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_todo_may_be_created_completed() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let response = me
        .call(
            Method::POST,
            "/todos",
            Some(json!({ "title": "done already", "completed": true })),
        )
        .await;
    let todo: Value = response.json().await.unwrap();
    assert_eq!(todo["completed"], true);
}

#[tokio::test]
async fn invalid_titles_are_422_and_store_nothing() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let cases = [
        (json!({ "title": "" }), "empty"),
        (json!({ "title": "   " }), "blank"),
        (json!({ "title": "x".repeat(501) }), "501 characters"),
        (json!({ "title": "nul\u{0}byte" }), "NUL byte"),
        (json!({ "title": "line\nbreak" }), "newline"),
        (json!({ "title": "bell\u{7}" }), "control character"),
        (json!({ "title": 5 }), "number"),
        (json!({}), "missing"),
        (
            json!({ "title": "ok", "completed": "yes" }),
            "completed as string",
        ),
    ];
    for (body, why) in cases {
        let response = me.call(Method::POST, "/todos", Some(body)).await;
        let error = assert_error(response, 422, "validation_error").await;
        assert!(
            error["detail"].as_str().unwrap().contains("title") || why == "completed as string",
            "{why}: {error}"
        );
    }
    assert!(
        me.create(&"é".repeat(500)).await["title"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            == 500
    );
    let list = me.list("").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_invalid_patch_changes_nothing() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let todo = me.create("keep me").await;
    let id = todo["id"].as_str().unwrap();
    assert_error(
        me.patch(id, json!({ "title": "", "completed": true }))
            .await,
        422,
        "validation_error",
    )
    .await;
    let fetched: Value = me
        .call(Method::GET, &format!("/todos/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, todo);
}

#[tokio::test]
async fn fields_a_client_may_not_set_are_ignored() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let forged_id = uuid::Uuid::new_v4().to_string();
    let response = me
        .call(
            Method::POST,
            "/todos",
            Some(json!({
                "title": "mine",
                "id": forged_id,
                "user_id": uuid::Uuid::new_v4(),
                "created_at": "2000-01-01T00:00:00Z",
                "updated_at": "2000-01-01T00:00:00Z",
            })),
        )
        .await;
    let todo: Value = response.json().await.unwrap();
    assert_ne!(todo["id"], forged_id.as_str());
    assert!(!todo["created_at"].as_str().unwrap().starts_with("2000"));
    let id = todo["id"].as_str().unwrap();
    let patched: Value = me
        .patch(
            id,
            json!({ "id": forged_id, "created_at": "2000-01-01T00:00:00Z" }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patched["id"], todo["id"]);
    assert_eq!(patched["created_at"], todo["created_at"]);
}

#[tokio::test]
async fn the_list_is_oldest_first_and_filters_keep_counts_for_all() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let a = me.create("a").await;
    me.create("b").await;
    let c = me.create("c").await;
    me.patch(a["id"].as_str().unwrap(), json!({ "completed": true }))
        .await;
    me.patch(c["id"].as_str().unwrap(), json!({ "completed": true }))
        .await;

    let all = me.list("").await;
    assert_eq!(titles(&all), ["a", "b", "c"]);
    assert_eq!(all["next_cursor"], Value::Null);
    for (query, expected) in [
        ("?status=all", vec!["a", "b", "c"]),
        ("?status=active", vec!["b"]),
        ("?status=completed", vec!["a", "c"]),
    ] {
        let list = me.list(query).await;
        assert_eq!(titles(&list), expected, "{query}");
        assert_eq!(list["active_count"], 1, "{query}");
        assert_eq!(list["completed_count"], 2, "{query}");
    }
}

#[tokio::test]
async fn pages_of_ten_walk_25_todos_in_order_without_gaps_or_repeats() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    for i in 0..25 {
        me.create(&format!("todo {i:02}")).await;
    }
    let mut seen = Vec::new();
    let mut query = "?limit=10".to_owned();
    let mut pages = 0;
    loop {
        let page = me.list(&query).await;
        pages += 1;
        seen.extend(titles(&page));
        assert_eq!(page["active_count"], 25);
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=10&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..25).map(|i| format!("todo {i:02}")).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn bad_list_parameters_are_422() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    for query in [
        "?limit=0",
        "?limit=1001",
        "?limit=abc",
        "?limit=-1",
        "?status=done",
        "?cursor=bogus",
    ] {
        let response = me.call(Method::GET, &format!("/todos{query}"), None).await;
        assert_error(response, 422, "validation_error").await;
    }
    assert_eq!(
        me.call(Method::GET, "/todos?limit=1000", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        me.call(Method::GET, "/todos?limit=1", None).await.status(),
        200
    );
}

#[tokio::test]
async fn toggle_all_and_clear_completed_report_what_they_changed() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    for title in ["a", "b", "c"] {
        me.create(title).await;
    }
    let toggled: Value = me
        .call(Method::PATCH, "/todos", Some(json!({ "completed": true })))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(toggled, json!({ "updated": 3 }));
    assert_eq!(me.list("").await["completed_count"], 3);
    let back: Value = me
        .call(Method::PATCH, "/todos", Some(json!({ "completed": false })))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(back, json!({ "updated": 3 }));
    let first = &me.list("").await["items"][0];
    me.patch(first["id"].as_str().unwrap(), json!({ "completed": true }))
        .await;
    let cleared: Value = me
        .call(Method::DELETE, "/todos?status=completed", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cleared, json!({ "deleted": 1 }));
    assert_eq!(titles(&me.list("").await), ["b", "c"]);
    let without_status = me.call(Method::DELETE, "/todos", None).await;
    assert_error(without_status, 422, "validation_error").await;
    assert_eq!(titles(&me.list("").await), ["b", "c"]);
}

#[tokio::test]
async fn another_users_todos_are_not_found_on_every_route() {
    let app = spawn_app().await;
    let alice = Client::new(&app).await;
    let bob = Client::new(&app).await;
    let todo = alice.create("alice's").await;
    let id = todo["id"].as_str().unwrap();
    assert_error(
        bob.call(Method::GET, &format!("/todos/{id}"), None).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        bob.patch(id, json!({ "title": "mine now" })).await,
        404,
        "not_found",
    )
    .await;
    assert_error(
        bob.call(Method::DELETE, &format!("/todos/{id}"), None)
            .await,
        404,
        "not_found",
    )
    .await;
    bob.call(Method::PATCH, "/todos", Some(json!({ "completed": true })))
        .await;
    bob.call(Method::DELETE, "/todos?status=completed", None)
        .await;
    let bobs = bob.list("").await;
    assert_eq!(bobs["items"], json!([]));
    assert_eq!(bobs["active_count"], 0);
    let fetched: Value = alice
        .call(Method::GET, &format!("/todos/{id}"), None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched, todo, "untouched by bob");
}

#[tokio::test]
async fn odd_ids_are_json_404s() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let long = "1".repeat(5000);
    for id in [
        "abc",
        "0",
        "-1",
        "99999999999999999999999999",
        &long,
        "%00",
        "%FF%FE",
        "..%2F..",
        &uuid::Uuid::new_v4().to_string(),
    ] {
        for method in [Method::GET, Method::DELETE] {
            let response = me.call(method.clone(), &format!("/todos/{id}"), None).await;
            assert_error(response, 404, "not_found").await;
        }
        assert_error(
            me.patch(id, json!({ "completed": true })).await,
            404,
            "not_found",
        )
        .await;
    }
}

#[tokio::test]
async fn a_hundred_concurrent_creates_all_succeed_and_stay() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let bodies: Vec<Value> = (0..100)
        .map(|i| json!({ "title": format!("todo {i}") }))
        .collect();
    let responses = join_all(
        bodies
            .into_iter()
            .map(|b| me.call(Method::POST, "/todos", Some(b))),
    )
    .await;
    for response in responses {
        assert_eq!(response.status(), 201);
    }
    let list = me.list("").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 100);
    assert_eq!(list["active_count"], 100);
}

#[tokio::test]
async fn concurrent_patches_to_different_fields_both_stick() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    for round in 0..5 {
        let todo = me.create(&format!("round {round}")).await;
        let id = todo["id"].as_str().unwrap();
        let (a, b) = tokio::join!(
            me.patch(id, json!({ "title": format!("renamed {round}") })),
            me.patch(id, json!({ "completed": true })),
        );
        assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
        let fetched: Value = me
            .call(Method::GET, &format!("/todos/{id}"), None)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(fetched["title"], format!("renamed {round}"));
        assert_eq!(fetched["completed"], true);
    }
}

#[tokio::test]
async fn todos_need_a_valid_token() {
    let app = spawn_app().await;
    assert_error(app.get("/api/v1/todos").await, 401, "invalid_token").await;
}

#[tokio::test]
async fn counts_stay_exact_under_concurrent_toggles_deletes_and_bulk_writes() {
    let app = spawn_app().await;
    let me = Client::new(&app).await;
    let mut ids = Vec::new();
    for i in 0..30 {
        let todo = me.create(&format!("todo {i}")).await;
        ids.push(todo["id"].as_str().unwrap().to_owned());
    }
    // Every todo is completed twice at once (only one of the two may count), some are
    // reopened or deleted at the same time, and a toggle-all, a clear-completed and new
    // todos land in the middle of it all.
    let mut writes = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        writes.push((
            Method::PATCH,
            format!("/todos/{id}"),
            Some(json!({ "completed": true })),
        ));
        writes.push((
            Method::PATCH,
            format!("/todos/{id}"),
            Some(json!({ "completed": true })),
        ));
        match i % 3 {
            0 => writes.push((Method::DELETE, format!("/todos/{id}"), None)),
            1 => writes.push((
                Method::PATCH,
                format!("/todos/{id}"),
                Some(json!({ "completed": false })),
            )),
            _ => {}
        }
        if i == 10 {
            writes.push((
                Method::PATCH,
                "/todos".to_owned(),
                Some(json!({ "completed": false })),
            ));
        }
        if i == 20 {
            writes.push((Method::DELETE, "/todos?status=completed".to_owned(), None));
        }
        if i % 5 == 0 {
            writes.push((
                Method::POST,
                "/todos".to_owned(),
                Some(json!({ "title": format!("new {i}") })),
            ));
        }
    }
    let responses = join_all(
        writes
            .iter()
            .map(|(method, path, body)| me.call(method.clone(), path, body.clone())),
    )
    .await;
    for (response, (method, path, _)) in responses.iter().zip(&writes) {
        // A todo that another write deleted first is a 404; nothing else may fail.
        assert!(
            matches!(response.status().as_u16(), 200 | 201 | 204 | 404),
            "{method} {path}: {}",
            response.status()
        );
    }

    let list = me.list("").await;
    let items = list["items"].as_array().unwrap();
    let completed = items.iter().filter(|t| t["completed"] == true).count();
    assert_eq!(list["completed_count"], completed, "{list}");
    assert_eq!(list["active_count"], items.len() - completed, "{list}");
}

#[tokio::test]
async fn deleting_the_account_deletes_its_counts_with_its_todos() {
    let app = spawn_app().await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let me = Client {
        app: &app,
        token: tokens.access_token.clone(),
    };
    me.create("soon gone").await;
    let deleted = me
        .call(
            Method::DELETE,
            "/users/me",
            Some(json!({ "password": user.password })),
        )
        .await;
    assert_eq!(deleted.status(), 204);
    // Signing up again with the same email starts from nothing.
    user.register(&app).await;
    let again = Client {
        app: &app,
        token: user.login(&app).await.access_token,
    };
    let list = again.list("").await;
    assert_eq!(
        (
            list["active_count"].clone(),
            list["completed_count"].clone()
        ),
        (json!(0), json!(0))
    );
}
