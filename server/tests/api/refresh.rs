//! Refresh-token rotation, reuse detection and the grace window.

use futures::future::join_all;

use crate::helpers::{TestUser, Tokens, assert_error, spawn_app, spawn_app_with};

async fn refreshed(app: &crate::helpers::TestApp, refresh_token: &str) -> Tokens {
    let response = app.refresh(refresh_token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    response.json().await.unwrap()
}

#[tokio::test]
async fn refreshing_rotates_the_refresh_token() {
    let app = spawn_app().await;
    let (_, first) = TestUser::signed_up(&app).await;
    let second = refreshed(&app, &first.refresh_token).await;
    assert_ne!(second.refresh_token, first.refresh_token);
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(
        app.get_authed("/api/v1/users/me", &second.access_token)
            .await
            .status(),
        200
    );
    let third = refreshed(&app, &second.refresh_token).await;
    assert_ne!(third.refresh_token, second.refresh_token);
}

#[tokio::test]
async fn refresh_with_a_spent_token_revokes_the_session() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let (_, first) = TestUser::signed_up(&app).await;
    let second = refreshed(&app, &first.refresh_token).await;
    assert_error(
        app.refresh(&first.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
    assert_error(
        app.get_authed("/api/v1/users/me", &second.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
    assert_error(
        app.refresh(&second.refresh_token).await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn within_the_grace_window_the_spent_token_gets_the_current_pair() {
    let app = spawn_app().await;
    let (_, first) = TestUser::signed_up(&app).await;
    let second = refreshed(&app, &first.refresh_token).await;
    let again = refreshed(&app, &first.refresh_token).await;
    assert_eq!(
        again.refresh_token, second.refresh_token,
        "the session's current refresh token"
    );
    assert_eq!(
        app.get_authed("/api/v1/users/me", &again.access_token)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.get_authed("/api/v1/users/me", &second.access_token)
            .await
            .status(),
        200
    );
    refreshed(&app, &second.refresh_token).await;
}

#[tokio::test]
async fn only_the_immediate_predecessor_has_grace() {
    let app = spawn_app().await;
    let (_, first) = TestUser::signed_up(&app).await;
    let second = refreshed(&app, &first.refresh_token).await;
    let third = refreshed(&app, &second.refresh_token).await;
    assert_error(
        app.refresh(&first.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
    assert_error(
        app.get_authed("/api/v1/users/me", &third.access_token)
            .await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn the_grace_window_closes() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECONDS", "1")]).await;
    let (_, first) = TestUser::signed_up(&app).await;
    refreshed(&app, &first.refresh_token).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_error(
        app.refresh(&first.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
}

#[tokio::test]
async fn ten_concurrent_refreshes_within_the_grace_window_leave_one_live_chain() {
    let app = spawn_app().await;
    let (_, first) = TestUser::signed_up(&app).await;
    let responses = join_all((0..10).map(|_| app.refresh(&first.refresh_token))).await;
    let mut pairs = Vec::new();
    for response in responses {
        assert_eq!(response.status(), 200);
        pairs.push(response.json::<Tokens>().await.unwrap());
    }
    let chain = &pairs[0].refresh_token;
    assert!(
        pairs.iter().all(|p| &p.refresh_token == chain),
        "one refresh token for all"
    );
    for pair in &pairs {
        assert_eq!(
            app.get_authed("/api/v1/users/me", &pair.access_token)
                .await
                .status(),
            200
        );
    }
    let next = refreshed(&app, chain).await;
    let sessions: Vec<serde_json::Value> = app
        .get_authed("/api/v1/sessions", &next.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
}

#[tokio::test]
async fn with_the_grace_off_one_of_ten_concurrent_refreshes_wins_and_the_rest_are_reuse() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let (_, first) = TestUser::signed_up(&app).await;
    let responses = join_all((0..10).map(|_| app.refresh(&first.refresh_token))).await;
    let mut ok = 0;
    for response in responses {
        if response.status() == 200 {
            ok += 1;
        } else {
            assert_error(response, 401, "refresh_reused").await;
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn logout_cuts_off_the_access_token_at_once_and_is_idempotent() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let body = serde_json::json!({ "refresh_token": tokens.refresh_token });
    assert_eq!(app.post_json("/api/v1/logout", &body).await.status(), 204);
    assert_eq!(app.post_json("/api/v1/logout", &body).await.status(), 204);
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

#[tokio::test]
async fn logout_with_a_forged_token_is_401() {
    let app = spawn_app().await;
    let body = serde_json::json!({ "refresh_token": "forged.token.value" });
    assert_error(
        app.post_json("/api/v1/logout", &body).await,
        401,
        "invalid_token",
    )
    .await;
}
