//! Several instances on one database behave as one server (`API.md`, "Durability").

use futures::future::join_all;
use serde_json::json;

use crate::{
    helpers::{TestUser, Tokens, assert_error},
    process::Deployment,
};

#[tokio::test]
async fn a_token_issued_by_one_instance_works_on_the_other() {
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (_, tokens) = TestUser::signed_up(&a.app).await;
    assert_eq!(
        b.app
            .get_authed("/api/v1/users/me", &tokens.access_token)
            .await
            .status(),
        200
    );
    let refreshed = b.app.refresh(&tokens.refresh_token).await;
    assert_eq!(refreshed.status(), 200);
}

#[tokio::test]
async fn a_token_rotated_on_one_instance_is_reuse_on_the_other() {
    let deployment = Deployment::new(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (_, first) = TestUser::signed_up(&a.app).await;
    let second: Tokens = a
        .app
        .refresh(&first.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    assert_error(
        b.app.refresh(&first.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
    assert_error(
        a.app
            .get_authed("/api/v1/users/me", &second.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn signing_out_on_one_instance_is_refused_on_the_other_at_once() {
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (_, tokens) = TestUser::signed_up(&a.app).await;
    assert_eq!(
        b.app
            .get_authed("/api/v1/users/me", &tokens.access_token)
            .await
            .status(),
        200
    );
    let logout = a
        .app
        .post_json(
            "/api/v1/logout",
            &json!({ "refresh_token": tokens.refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert_error(
        b.app
            .get_authed("/api/v1/users/me", &tokens.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn ten_concurrent_refreshes_split_across_instances_leave_one_live_chain() {
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (_, first) = TestUser::signed_up(&a.app).await;
    let calls = (0..10).map(|i| {
        if i % 2 == 0 {
            a.app.refresh(&first.refresh_token)
        } else {
            b.app.refresh(&first.refresh_token)
        }
    });
    let mut chains = Vec::new();
    for response in join_all(calls).await {
        assert_eq!(response.status(), 200);
        chains.push(response.json::<Tokens>().await.unwrap().refresh_token);
    }
    chains.dedup();
    assert_eq!(chains.len(), 1, "one live chain");
    let next = b.app.refresh(&chains[0]).await;
    assert_eq!(next.status(), 200);
}

#[tokio::test]
async fn the_failed_login_lockout_counts_across_instances() {
    let deployment = Deployment::new(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let user = TestUser::generate();
    user.register(&a.app).await;
    let wrong = json!({ "email": user.email, "password": "wrong-password" });
    assert_error(
        a.app.post_json("/api/v1/login", &wrong).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_error(
        b.app.post_json("/api/v1/login", &wrong).await,
        401,
        "invalid_credentials",
    )
    .await;
    let right = json!({ "email": user.email, "password": user.password });
    assert_error(
        a.app.post_json("/api/v1/login", &right).await,
        429,
        "rate_limited",
    )
    .await;
    assert_error(
        b.app.post_json("/api/v1/login", &right).await,
        429,
        "rate_limited",
    )
    .await;
}

/// Skews one `ticked` process's clock by this many seconds (a test-only setting; see
/// `ticked::db`).
const CLOCK_SKEW: &str = "TICKED_TEST_CLOCK_SKEW_SECONDS";

#[tokio::test]
async fn an_instance_with_a_skewed_clock_cannot_widen_the_reuse_grace_window() {
    let deployment = Deployment::new(&[("REFRESH_REUSE_GRACE_SECONDS", "2")]).await;
    let honest = deployment.start().await;
    let behind = deployment.start_with(&[(CLOCK_SKEW, "-3600")]).await;
    let ahead = deployment.start_with(&[(CLOCK_SKEW, "3600")]).await;

    // Rotated by an honest instance; within the window the lagging one forgives a replay.
    let (_, first) = TestUser::signed_up(&honest.app).await;
    assert_eq!(honest.app.refresh(&first.refresh_token).await.status(), 200);
    assert_eq!(behind.app.refresh(&first.refresh_token).await.status(), 200);
    // Rotated by the instance whose clock runs an hour ahead.
    let (_, other) = TestUser::signed_up(&honest.app).await;
    assert_eq!(ahead.app.refresh(&other.refresh_token).await.status(), 200);

    tokio::time::sleep(std::time::Duration::from_millis(3_000)).await;

    // Past the window on the one clock that counts, whatever the instances' clocks say.
    assert_error(
        behind.app.refresh(&first.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
    assert_error(
        honest.app.refresh(&other.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
}
