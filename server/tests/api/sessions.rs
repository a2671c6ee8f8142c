use reqwest::Method;

use crate::helpers::{TestUser, assert_error, send, spawn_app};

#[tokio::test]
async fn sessions_lists_each_login_and_marks_the_current_one() {
    let app = spawn_app().await;
    let (user, laptop) = TestUser::signed_up(&app).await;
    user.login(&app).await;
    let response = app
        .get_authed("/api/v1/sessions", &laptop.access_token)
        .await;
    assert_eq!(response.status(), 200);
    let sessions: Vec<serde_json::Value> = response.json().await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    for session in &sessions {
        for field in ["id", "created_at", "last_used_at"] {
            assert!(session[field].is_string(), "{field} in {session}");
        }
        assert!(session["user_agent"].is_string() || session["user_agent"].is_null());
    }
}

#[tokio::test]
async fn revoking_another_session_cuts_its_access_at_once() {
    let app = spawn_app().await;
    let (user, laptop) = TestUser::signed_up(&app).await;
    let phone = user.login(&app).await;
    let sessions: Vec<serde_json::Value> = app
        .get_authed("/api/v1/sessions", &laptop.access_token)
        .await
        .json()
        .await
        .unwrap();
    let phone_id = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = send(app.request(
        Method::DELETE,
        &format!("/api/v1/sessions/{phone_id}"),
        Some(&laptop.access_token),
    ))
    .await;
    assert_eq!(response.status(), 204);
    assert_error(
        app.get_authed("/api/v1/users/me", &phone.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
    assert_eq!(
        app.get_authed("/api/v1/users/me", &laptop.access_token)
            .await
            .status(),
        200
    );
}

/// `GET /todos` and `GET /users/me` check the session in the statement that reads their
/// data, not before it: the answer for a signed-out session must not change for that,
/// not even when the query is also invalid (401 comes before 422, as on every route).
#[tokio::test]
async fn the_reads_that_check_the_session_themselves_refuse_a_signed_out_one() {
    let app = spawn_app().await;
    let (user, laptop) = TestUser::signed_up(&app).await;
    let phone = user.login(&app).await;
    for path in ["/api/v1/todos", "/api/v1/todos?limit=0", "/api/v1/users/me"] {
        assert_eq!(
            app.get_authed(path, &phone.access_token).await.status(),
            if path.contains("limit=0") { 422 } else { 200 },
            "{path} while signed in"
        );
    }
    let logout = serde_json::json!({ "refresh_token": phone.refresh_token });
    assert_eq!(app.post_json("/api/v1/logout", &logout).await.status(), 204);
    for path in [
        "/api/v1/todos",
        "/api/v1/todos?status=completed",
        "/api/v1/todos?limit=0",
        "/api/v1/todos?status=nonsense",
        "/api/v1/users/me",
    ] {
        assert_error(
            app.get_authed(path, &phone.access_token).await,
            401,
            "session_revoked",
        )
        .await;
    }
    assert_eq!(
        app.get_authed("/api/v1/todos", &laptop.access_token)
            .await
            .status(),
        200,
        "the other session reads on"
    );
}

/// A signed-out session's requests for its todos get its 401 before any 404 or 422, with
/// or without an `Idempotency-Key`, whatever the body, and write nothing: each checks the
/// session in the statement that does the work, and asks again only when that found no
/// row or the request was invalid.
#[tokio::test]
async fn a_signed_out_sessions_writes_of_a_todo_are_401_before_404_or_422() {
    let app = spawn_app().await;
    let (user, laptop) = TestUser::signed_up(&app).await;
    let phone = user.login(&app).await;
    let created = send(
        app.request(Method::POST, "/api/v1/todos", Some(&laptop.access_token))
            .json(&serde_json::json!({ "title": "milk" })),
    )
    .await;
    assert_eq!(created.status(), 201);
    let todo: serde_json::Value = created.json().await.unwrap();
    let mine = format!("/api/v1/todos/{}", todo["id"].as_str().unwrap());
    let missing = format!("/api/v1/todos/{}", uuid::Uuid::now_v7());
    let logout = serde_json::json!({ "refresh_token": phone.refresh_token });
    assert_eq!(app.post_json("/api/v1/logout", &logout).await.status(), 204);

    let title = serde_json::json!({ "title": "bread" });
    let bad_title = serde_json::json!({ "title": "" });
    let writes = [
        (Method::POST, "/api/v1/todos", Some(&title), None),
        (Method::POST, "/api/v1/todos", Some(&bad_title), None),
        (Method::POST, "/api/v1/todos", Some(&title), Some("key-1")),
        (
            Method::POST,
            "/api/v1/todos",
            Some(&title),
            Some("not ascii é"),
        ),
        (Method::PATCH, mine.as_str(), Some(&title), None),
        (Method::PATCH, mine.as_str(), Some(&bad_title), None),
        (
            Method::PATCH,
            mine.as_str(),
            Some(&serde_json::json!({})),
            None,
        ),
        (Method::PATCH, missing.as_str(), Some(&title), None),
        (
            Method::PATCH,
            "/api/v1/todos/not-a-uuid",
            Some(&title),
            None,
        ),
        (Method::DELETE, mine.as_str(), None, None),
        (Method::DELETE, missing.as_str(), None, None),
        (Method::DELETE, "/api/v1/todos/not-a-uuid", None, None),
    ];
    for (method, path, body, key) in writes {
        let mut request = app.request(method.clone(), path, Some(&phone.access_token));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = send(request).await;
        assert_eq!(response.status(), 401, "{method} {path} {body:?} {key:?}");
        assert_error(response, 401, "session_revoked").await;
    }
    let completed = serde_json::json!({ "completed": true }).to_string();
    let others = [
        (Method::GET, mine.as_str(), None),
        (Method::GET, missing.as_str(), None),
        (Method::GET, "/api/v1/todos/not-a-uuid", None),
        (Method::PATCH, "/api/v1/todos", Some(completed.as_str())),
        (Method::PATCH, "/api/v1/todos", Some("{}")),
        (Method::DELETE, "/api/v1/todos?status=completed", None),
        (Method::DELETE, "/api/v1/todos?status=active", None),
        (Method::POST, "/api/v1/todos", Some("{\"title\":")),
        (Method::POST, "/api/v1/todos", Some("[1]")),
        (Method::PATCH, mine.as_str(), Some("not json")),
    ];
    for (method, path, body) in others {
        let mut request = app.request(method.clone(), path, Some(&phone.access_token));
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        let response = send(request).await;
        assert_eq!(response.status(), 401, "{method} {path} {body:?}");
        assert_error(response, 401, "session_revoked").await;
    }

    let list: serde_json::Value = app
        .get_authed("/api/v1/todos", &laptop.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        list["items"],
        serde_json::json!([todo]),
        "nothing was written"
    );
}

#[tokio::test]
async fn another_users_session_or_a_malformed_id_is_not_found() {
    let app = spawn_app().await;
    let (_, alice) = TestUser::signed_up(&app).await;
    let (_, bob) = TestUser::signed_up(&app).await;
    let bobs: Vec<serde_json::Value> = app
        .get_authed("/api/v1/sessions", &bob.access_token)
        .await
        .json()
        .await
        .unwrap();
    let bob_session = bobs[0]["id"].as_str().unwrap().to_owned();
    for id in [
        bob_session.as_str(),
        "not-a-uuid",
        "123",
        &"9".repeat(400),
        "%FF",
    ] {
        let response = send(app.request(
            Method::DELETE,
            &format!("/api/v1/sessions/{id}"),
            Some(&alice.access_token),
        ))
        .await;
        assert_error(response, 404, "not_found").await;
    }
    assert_eq!(
        app.get_authed("/api/v1/users/me", &bob.access_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn signing_out_everywhere_revokes_every_session_including_this_one() {
    let app = spawn_app().await;
    let (user, laptop) = TestUser::signed_up(&app).await;
    let phone = user.login(&app).await;
    let response = send(app.request(
        Method::DELETE,
        "/api/v1/sessions",
        Some(&laptop.access_token),
    ))
    .await;
    assert_eq!(response.status(), 204);
    for tokens in [&laptop, &phone] {
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
    }
}
