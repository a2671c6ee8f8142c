//! Every acknowledged write survives `kill -9` and a restart; many concurrent writes all
//! land (`API.md`, "Durability").

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestUser, Tokens, assert_error, send},
    process::Deployment,
};

#[tokio::test]
async fn acknowledged_writes_survive_kill_9_and_a_restart() {
    let deployment = Deployment::new(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let before = deployment.start().await;
    let (_, first) = TestUser::signed_up(&before.app).await;
    let mut created = Vec::new();
    for i in 0..20 {
        let response = send(
            before
                .app
                .request(Method::POST, "/api/v1/todos", Some(&first.access_token))
                .json(&json!({ "title": format!("todo {i}") })),
        )
        .await;
        assert_eq!(response.status(), 201);
        created.push(response.json::<Value>().await.unwrap()["id"].clone());
    }
    let second: Tokens = before
        .app
        .refresh(&first.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    let (_, signed_out) = TestUser::signed_up(&before.app).await;
    let logout = before
        .app
        .post_json(
            "/api/v1/logout",
            &json!({ "refresh_token": signed_out.refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    before.kill_9().await;

    let after = deployment.start().await;
    let list: Value = after
        .app
        .get_authed("/api/v1/todos", &second.access_token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, created, "every acknowledged todo, in order");
    assert_eq!(
        after
            .app
            .get_authed("/api/v1/users/me", &first.access_token)
            .await
            .status(),
        200,
        "access tokens from before still validate"
    );
    assert_eq!(
        after.app.refresh(&second.refresh_token).await.status(),
        200,
        "the current refresh token works"
    );
    assert_error(
        after
            .app
            .get_authed("/api/v1/users/me", &signed_out.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn ten_users_making_twenty_concurrent_creates_with_refreshes_lose_nothing() {
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let mut users = Vec::new();
    for _ in 0..10 {
        users.push(TestUser::signed_up(&a.app).await.1);
    }
    let mut calls = Vec::new();
    for (u, tokens) in users.iter().enumerate() {
        for i in 0..20 {
            let app = if (u + i) % 2 == 0 { &a.app } else { &b.app };
            calls.push(async move {
                let create = send(
                    app.request(Method::POST, "/api/v1/todos", Some(&tokens.access_token))
                        .json(&json!({ "title": format!("u{u} t{i}") })),
                )
                .await;
                assert_eq!(create.status(), 201);
                if i % 5 == 0 {
                    assert_eq!(
                        app.refresh(&tokens.refresh_token).await.status(),
                        200,
                        "refresh within grace"
                    );
                }
            });
        }
    }
    join_all(calls).await;
    for tokens in &users {
        let list: Value = a
            .app
            .get_authed("/api/v1/todos", &tokens.access_token)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(list["active_count"], 20);
        assert_eq!(list["items"].as_array().unwrap().len(), 20);
    }
}
