//! Live updates, `GET /api/v1/events` (`API.md`, "Live updates"): who may open a stream,
//! what every write path sends on it, replay and `resync`, and when a stream ends.

use std::time::{Duration, Instant};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{
        ACCESS_SECRET, TestApp, TestUser, Tokens, assert_error, on_postgres, send, spawn_app,
        spawn_app_with,
    },
    mail_sink::MailSink,
    process::Deployment,
    sse::{Frame, SECOND, SseEvent, Stream},
};

async fn create(app: &TestApp, token: &str, title: &str) -> Value {
    let response = send(
        app.request(Method::POST, "/api/v1/todos", Some(token))
            .json(&json!({ "title": title })),
    )
    .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> u16 {
    let mut request = app.request(method, path, Some(token));
    if let Some(body) = body {
        request = request.json(&body);
    }
    send(request).await.status().as_u16()
}

/// Asserts that `event` is `kind` with the next id after `previous`, and returns its data.
fn assert_next(event: &SseEvent, kind: &str, previous: i64) -> Value {
    assert_eq!(event.event, kind, "{event:?}");
    assert_eq!(event.number(), previous + 1, "{event:?}");
    event.json()
}

#[tokio::test]
async fn a_stream_needs_a_live_access_token_and_says_why_before_it_starts() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let events = |token: Option<&str>| app.request(Method::GET, "/api/v1/events", token);
    for (request, code, why) in [
        (events(None), "invalid_token", "no token"),
        (events(Some("not-a-jwt")), "invalid_token", "garbage"),
        (
            events(Some(&tokens.refresh_token)),
            "invalid_token",
            "a refresh token",
        ),
    ] {
        let response = send(request).await;
        assert_ne!(
            response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("text/event-stream"),
            "{why}"
        );
        assert_error(response, 401, code).await;
    }
    let logout = app
        .post_json(
            "/api/v1/logout",
            &json!({ "refresh_token": tokens.refresh_token }),
        )
        .await;
    assert_eq!(logout.status(), 204);
    assert_error(
        send(events(Some(&tokens.access_token))).await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn the_document_describes_the_stream_and_its_401() {
    let app = spawn_app().await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let operation = &doc["paths"]["/api/v1/events"]["get"];
    let responses = &operation["responses"];
    assert!(
        responses["200"]["content"]["text/event-stream"].is_object(),
        "{operation}"
    );
    assert!(responses["200"]["headers"]["X-Accel-Buffering"].is_object());
    assert!(responses["401"]["headers"]["WWW-Authenticate"].is_object());
    assert_eq!(
        responses["401"]["content"]["application/json"]["schema"]["properties"]["code"]["enum"],
        json!(["invalid_token", "token_expired", "session_revoked"])
    );
    let parameters = operation["parameters"].as_array().unwrap();
    assert!(
        parameters
            .iter()
            .any(|p| p["name"] == "Last-Event-ID" && p["in"] == "header"),
        "{parameters:?}"
    );
}

#[tokio::test]
async fn an_expired_access_token_opens_no_stream() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    // The token's own claims, signed again with `exp` 7 seconds ago: past the 5 seconds
    // of leeway.
    let payload = tokens.access_token.split('.').nth(1).unwrap();
    let mut claims: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).expect("JSON claims");
    let now = chrono::Utc::now().timestamp();
    claims["iat"] = json!(now - 60);
    claims["exp"] = json!(now - 7);
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(ACCESS_SECRET.as_bytes()),
    )
    .unwrap();
    assert_error(
        app.get_authed("/api/v1/events", &expired).await,
        401,
        "token_expired",
    )
    .await;
}

#[tokio::test]
async fn a_create_arrives_on_every_stream_of_the_user_with_the_json_of_its_201() {
    let app = spawn_app().await;
    let (user, phone) = TestUser::signed_up(&app).await;
    let laptop = user.login(&app).await;
    let mut on_phone = Stream::open(&app, &phone.access_token, None).await;
    let mut on_laptop = Stream::open(&app, &laptop.access_token, None).await;
    let (_, stranger) = TestUser::signed_up(&app).await;
    let mut strangers = Stream::open(&app, &stranger.access_token, None).await;

    let created = create(&app, &phone.access_token, "milk").await;

    for stream in [&mut on_phone, &mut on_laptop] {
        let event = stream.event(SECOND).await;
        assert_eq!(assert_next(&event, "todo", 0), created);
    }
    strangers.assert_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn every_todo_write_publishes_its_event() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let mut stream = Stream::open(&app, token, None).await;
    let first = create(&app, token, "one").await;
    let second = create(&app, token, "two").await;
    stream.event(SECOND).await;
    stream.event(SECOND).await;
    let path = |todo: &Value| format!("/api/v1/todos/{}", todo["id"].as_str().unwrap());

    let patched = send(
        app.request(Method::PATCH, &path(&first), Some(token))
            .json(&json!({ "title": "one, renamed" })),
    )
    .await;
    assert_eq!(patched.status(), 200);
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(assert_next(&stream.event(SECOND).await, "todo", 2), patched);

    let toggled = json!({ "completed": true });
    assert_eq!(
        call(
            &app,
            Method::PATCH,
            "/api/v1/todos",
            token,
            Some(toggled.clone())
        )
        .await,
        200
    );
    assert_eq!(
        assert_next(&stream.event(SECOND).await, "todos", 3),
        json!({ "active_count": 0, "completed_count": 2 })
    );

    assert_eq!(
        call(&app, Method::DELETE, &path(&second), token, None).await,
        204
    );
    assert_eq!(
        assert_next(&stream.event(SECOND).await, "todo_deleted", 4),
        json!({ "id": second["id"] })
    );

    let clear = "/api/v1/todos?status=completed";
    assert_eq!(call(&app, Method::DELETE, clear, token, None).await, 200);
    assert_eq!(
        assert_next(&stream.event(SECOND).await, "todos", 5),
        json!({ "active_count": 0, "completed_count": 0 })
    );

    // A toggle or a clear that changes nothing tells nothing; neither do failed writes.
    assert_eq!(
        call(&app, Method::PATCH, "/api/v1/todos", token, Some(toggled)).await,
        200
    );
    assert_eq!(call(&app, Method::DELETE, clear, token, None).await, 200);
    assert_eq!(
        call(&app, Method::DELETE, &path(&second), token, None).await,
        404
    );
    stream.assert_quiet(Duration::from_millis(300)).await;
    let third = create(&app, token, "three").await;
    assert_eq!(assert_next(&stream.event(SECOND).await, "todo", 6), third);
}

#[tokio::test]
async fn an_idempotent_repeat_of_a_create_publishes_nothing_new() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let mut stream = Stream::open(&app, &tokens.access_token, None).await;
    let create_once = || {
        app.request(Method::POST, "/api/v1/todos", Some(&tokens.access_token))
            .header("idempotency-key", "the-same-key")
            .json(&json!({ "title": "once" }))
    };
    let first: Value = send(create_once()).await.json().await.unwrap();
    assert_eq!(assert_next(&stream.event(SECOND).await, "todo", 0), first);
    assert_eq!(send(create_once()).await.status(), 201);
    stream.assert_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn reconnecting_with_last_event_id_replays_what_was_missed_in_order() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let mut stream = Stream::open(&app, token, None).await;
    create(&app, token, "seen").await;
    let seen = stream.event(SECOND).await;
    drop(stream);

    let missed = [
        create(&app, token, "missed 1").await,
        create(&app, token, "missed 2").await,
    ];
    let mut stream = Stream::open(&app, token, seen.id.as_deref()).await;
    for (i, todo) in missed.iter().enumerate() {
        let event = stream.event(SECOND).await;
        assert_eq!(&assert_next(&event, "todo", 1 + i as i64), todo);
    }
    // Then live, with no repeat.
    let live = create(&app, token, "live").await;
    assert_eq!(assert_next(&stream.event(SECOND).await, "todo", 3), live);

    // Up to date: nothing to replay.
    let mut current = Stream::open(&app, token, Some("4")).await;
    current.assert_quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_last_event_id_that_cannot_be_replayed_gets_one_resync() {
    let app = spawn_app_with(&[("TICKED_TEST_EVENT_HISTORY", "3")]).await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    for i in 0..6 {
        create(&app, token, &format!("todo {i}")).await;
    }
    // Events 1 to 3 are pruned; 4 to 6 are kept. Each case below adds one.
    for (i, (last_event_id, why)) in [
        ("1", "pruned"),
        ("1000", "in the future"),
        ("abc", "not a number"),
        ("-1", "negative"),
        ("", "empty"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut stream = Stream::open(&app, token, Some(last_event_id)).await;
        let event = stream.event(SECOND).await;
        assert_eq!(event.event, "resync", "{why}");
        assert_eq!(event.data, "{}", "{why}");
        assert_eq!(event.number(), 6 + i as i64, "the latest id, {why}");
        let live = create(&app, token, why).await;
        let next = stream.event(SECOND).await;
        assert_eq!(next.json(), live, "{why}");
    }
    // The oldest kept one's predecessor replays fine.
    let latest = 6 + 5;
    let mut stream = Stream::open(&app, token, Some(&(latest - 3).to_string())).await;
    for id in latest - 2..=latest {
        assert_eq!(stream.event(SECOND).await.number(), id);
    }
}

#[tokio::test]
async fn a_stream_ends_with_token_expired_when_its_access_token_expires() {
    let app = spawn_app_with(&[("ACCESS_TOKEN_TTL_SECONDS", "2")]).await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let started = Instant::now();
    let mut stream = Stream::open(&app, &tokens.access_token, None).await;
    create(&app, &tokens.access_token, "before expiry").await;
    stream.event(SECOND).await;
    let expired = stream
        .assert_ends_with("token_expired", Duration::from_secs(4))
        .await;
    assert_eq!(expired.id.as_deref(), Some("1"), "the stream's current id");
    assert!(
        started.elapsed() <= Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn idle_streams_send_keep_alive_comments() {
    let app = spawn_app_with(&[("TICKED_TEST_KEEP_ALIVE_SECONDS", "1")]).await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let mut stream = Stream::open(&app, &tokens.access_token, None).await;
    assert_eq!(
        stream.frame(Duration::from_millis(1_800)).await,
        Some(Frame::Comment("keep-alive".to_owned()))
    );
}

/// Two devices of one user, each with a stream open.
struct TwoDevices {
    user: TestUser,
    this: Tokens,
    other: Tokens,
    this_stream: Stream,
    other_stream: Stream,
}

impl TwoDevices {
    async fn open(app: &TestApp) -> Self {
        let (user, this) = TestUser::signed_up(app).await;
        let other = user.login(app).await;
        Self {
            this_stream: Stream::open(app, &this.access_token, None).await,
            other_stream: Stream::open(app, &other.access_token, None).await,
            user,
            this,
            other,
        }
    }
}

#[tokio::test]
async fn logging_out_ends_that_sessions_stream_within_a_second_and_no_other() {
    let app = spawn_app().await;
    let mut devices = TwoDevices::open(&app).await;
    let logout = json!({ "refresh_token": devices.other.refresh_token });
    assert_eq!(app.post_json("/api/v1/logout", &logout).await.status(), 204);
    devices
        .other_stream
        .assert_ends_with("session_revoked", SECOND)
        .await;
    devices
        .this_stream
        .assert_quiet(Duration::from_millis(300))
        .await;
    // Logging out twice changes nothing and tells nothing.
    assert_eq!(app.post_json("/api/v1/logout", &logout).await.status(), 204);
    let todo = create(&app, &devices.this.access_token, "still here").await;
    assert_eq!(devices.this_stream.event(SECOND).await.json(), todo);
}

#[tokio::test]
async fn revoking_one_session_ends_its_stream_within_a_second() {
    let app = spawn_app().await;
    let mut devices = TwoDevices::open(&app).await;
    let sessions: Vec<Value> = app
        .get_authed("/api/v1/sessions", &devices.this.access_token)
        .await
        .json()
        .await
        .unwrap();
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    let path = format!("/api/v1/sessions/{}", other["id"].as_str().unwrap());
    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &path,
            &devices.this.access_token,
            None
        )
        .await,
        204
    );
    devices
        .other_stream
        .assert_ends_with("session_revoked", SECOND)
        .await;
    devices
        .this_stream
        .assert_quiet(Duration::from_millis(300))
        .await;
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_stream_of_the_user_within_a_second() {
    let app = spawn_app().await;
    let mut devices = TwoDevices::open(&app).await;
    let token = devices.this.access_token.clone();
    assert_eq!(
        call(&app, Method::DELETE, "/api/v1/sessions", &token, None).await,
        204
    );
    for stream in [&mut devices.this_stream, &mut devices.other_stream] {
        stream.assert_ends_with("session_revoked", SECOND).await;
    }
}

#[tokio::test]
async fn a_password_change_ends_the_other_streams_but_not_the_new_sessions() {
    let app = spawn_app().await;
    let mut devices = TwoDevices::open(&app).await;
    let change = send(
        app.request(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(&devices.this.access_token),
        )
        .json(&json!({
            "current_password": devices.user.password,
            "new_password": "a-brand-new-password",
        })),
    )
    .await;
    assert_eq!(change.status(), 200);
    let fresh: Tokens = change.json().await.unwrap();
    for stream in [&mut devices.this_stream, &mut devices.other_stream] {
        stream.assert_ends_with("session_revoked", SECOND).await;
    }
    // The new session's stream replays from before the change, revocation included, and
    // is not signed out by it.
    let mut fresh_stream = Stream::open(&app, &fresh.access_token, Some("0")).await;
    fresh_stream.assert_quiet(Duration::from_millis(300)).await;
    let todo = create(&app, &fresh.access_token, "after the change").await;
    assert_eq!(fresh_stream.event(SECOND).await.json(), todo);
}

#[tokio::test]
async fn a_password_reset_ends_every_stream_of_the_user_within_a_second() {
    let sink = MailSink::start().await;
    let mut sink = sink;
    let url = sink.url();
    let app = spawn_app_with(&[("SMTP_URL", url.as_str())]).await;
    let mut devices = TwoDevices::open(&app).await;
    let email = json!({ "email": devices.user.email });
    assert_eq!(
        app.post_json("/api/v1/password-reset", &email)
            .await
            .status(),
        202
    );
    let token = sink.next_mail().await.token();
    let confirm = json!({ "token": token, "new_password": "a-reset-password" });
    let confirmed = app
        .post_json("/api/v1/password-reset/confirm", &confirm)
        .await;
    assert_eq!(confirmed.status(), 200);
    for stream in [&mut devices.this_stream, &mut devices.other_stream] {
        stream.assert_ends_with("session_revoked", SECOND).await;
    }
}

#[tokio::test]
async fn deleting_the_account_ends_its_streams_within_a_second() {
    let app = spawn_app().await;
    let mut devices = TwoDevices::open(&app).await;
    let deleted = send(
        app.request(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&devices.this.access_token),
        )
        .json(&json!({ "password": devices.user.password })),
    )
    .await;
    assert_eq!(deleted.status(), 204);
    for stream in [&mut devices.this_stream, &mut devices.other_stream] {
        stream.assert_ends_with("session_revoked", SECOND).await;
    }
}

#[tokio::test]
async fn refresh_token_reuse_ends_the_sessions_stream_within_a_second() {
    let app = spawn_app_with(&[("REFRESH_REUSE_GRACE_SECONDS", "0")]).await;
    let mut devices = TwoDevices::open(&app).await;
    assert_eq!(
        app.refresh(&devices.other.refresh_token).await.status(),
        200
    );
    // The rotation itself ends nothing.
    devices
        .other_stream
        .assert_quiet(Duration::from_millis(300))
        .await;
    assert_error(
        app.refresh(&devices.other.refresh_token).await,
        401,
        "refresh_reused",
    )
    .await;
    devices
        .other_stream
        .assert_ends_with("session_revoked", SECOND)
        .await;
    devices
        .this_stream
        .assert_quiet(Duration::from_millis(300))
        .await;
}

#[tokio::test]
async fn writes_and_revocations_through_one_instance_reach_streams_on_another_within_a_second() {
    if !on_postgres() {
        return;
    }
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (user, phone) = TestUser::signed_up(&a.app).await;
    let laptop = user.login(&a.app).await;
    let mut on_b = Stream::open(&b.app, &laptop.access_token, None).await;
    let mut on_a = Stream::open(&a.app, &phone.access_token, None).await;

    let todo = create(&a.app, &phone.access_token, "across instances").await;
    assert_eq!(assert_next(&on_b.event(SECOND).await, "todo", 0), todo);
    assert_eq!(assert_next(&on_a.event(SECOND).await, "todo", 0), todo);

    let logout = json!({ "refresh_token": laptop.refresh_token });
    assert_eq!(
        a.app.post_json("/api/v1/logout", &logout).await.status(),
        204
    );
    on_b.assert_ends_with("session_revoked", SECOND).await;
    on_a.assert_quiet(Duration::from_millis(300)).await;

    // B replays what A wrote, from the database.
    let later = create(&a.app, &phone.access_token, "replayed on B").await;
    let mut replaying = Stream::open(&b.app, &phone.access_token, Some("1")).await;
    assert_eq!(replaying.event(SECOND).await.json(), later);
}

#[tokio::test]
async fn a_stream_misses_nothing_when_the_database_listener_reconnects() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let mut stream = Stream::open(&app, &tokens.access_token, None).await;
    let admin = sea_orm::Database::connect(app.database_url.clone().unwrap())
        .await
        .unwrap();
    let killed = sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .await
    .unwrap();
    assert!(
        killed.rows_affected() >= 1,
        "the listener's connection was found"
    );
    let todo = create(&app, &tokens.access_token, "while the listener was away").await;
    assert_eq!(stream.event(Duration::from_secs(3)).await.json(), todo);
    let next = create(&app, &tokens.access_token, "after it came back").await;
    assert_eq!(stream.event(SECOND).await.json(), next);
}
