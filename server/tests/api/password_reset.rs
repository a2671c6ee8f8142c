//! Password reset by mail (`API.md`, "Password reset"), against a real SMTP server: the
//! [`MailSink`] started by each test, which the server under test sends to over TCP.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{
        TestApp, TestUser, Tokens, assert_error, burst, send, spawn_app_with, status_counts,
    },
    mail_sink::{MailSink, ReceivedMail},
    startup::run_ticked,
};

const PUBLIC_URL: &str = "http://ticked.test";
const NEW_PASSWORD: &str = "a-new-password-after-reset";

/// A server that mails to a fresh sink, with `extra` settings.
async fn app_with_sink(extra: &[(&str, &str)]) -> (TestApp, MailSink) {
    let sink = MailSink::start().await;
    let url = sink.url();
    let mut settings = vec![("SMTP_URL", url.as_str()), ("PUBLIC_URL", PUBLIC_URL)];
    settings.extend_from_slice(extra);
    (spawn_app_with(&settings).await, sink)
}

async fn request_reset(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json("/api/v1/password-reset", &json!({ "email": email }))
        .await
}

async fn confirm(app: &TestApp, token: &str, new_password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/password-reset/confirm",
        &json!({ "token": token, "new_password": new_password }),
    )
    .await
}

/// Asks for a reset of `user` and returns the mail that arrives.
async fn reset_mail(app: &TestApp, sink: &mut MailSink, user: &TestUser) -> ReceivedMail {
    assert_eq!(request_reset(app, &user.email).await.status(), 202);
    sink.next_mail().await
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/login",
        &json!({ "email": email, "password": password }),
    )
    .await
}

#[tokio::test]
async fn a_mailed_link_sets_the_password_and_signs_out_every_session() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, first) = TestUser::signed_up(&app).await;
    let second = user.login(&app).await;

    let mail = reset_mail(&app, &mut sink, &user).await;
    assert_eq!(mail.recipients, vec![user.email.clone()]);
    let links = mail.links();
    let types: Vec<&str> = links.iter().map(|(t, _)| t.as_str()).collect();
    assert!(
        types.iter().any(|t| t.starts_with("text/plain")),
        "{types:?}"
    );
    assert!(
        types.iter().any(|t| t.starts_with("text/html")),
        "{types:?}"
    );
    let token = mail.token();
    for (_, link) in &links {
        assert_eq!(link, &format!("{PUBLIC_URL}/reset-password?token={token}"));
    }
    assert!(token.len() >= 22, "at least 128 bits: {token}");
    assert!(
        !mail.raw.contains(&user.password),
        "no other secret in the mail"
    );

    let response = confirm(&app, &token, NEW_PASSWORD).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let fresh: Tokens = response.json().await.unwrap();
    let me = app
        .get_authed("/api/v1/users/me", &fresh.access_token)
        .await;
    assert_eq!(me.status(), 200);

    for old in [&first, &second] {
        let refused = app.get_authed("/api/v1/users/me", &old.access_token).await;
        assert_error(refused, 401, "session_revoked").await;
        assert_error(
            app.refresh(&old.refresh_token).await,
            401,
            "session_revoked",
        )
        .await;
    }
    let old_password = login(&app, &user.email, &user.password).await;
    assert_error(old_password, 401, "invalid_credentials").await;
    assert_eq!(login(&app, &user.email, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_unknown_email_gets_the_same_answer_and_no_mail() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, _) = TestUser::signed_up(&app).await;
    let unknown = request_reset(&app, "nobody-here@example.com").await;
    let unknown_status = unknown.status();
    let unknown_body: Value = unknown.json().await.unwrap();
    let known = request_reset(&app, &user.email.to_uppercase()).await;
    assert_eq!(known.status(), unknown_status);
    assert_eq!(unknown_status, 202);
    let known_body: Value = known.json().await.unwrap();
    assert_eq!(known_body, unknown_body);
    // Requests are handled in order: once the known one's mail is here, the unknown one
    // was handled before it, and sent nothing.
    let mail = sink.next_mail().await;
    assert_eq!(mail.recipients, vec![user.email.clone()]);
    sink.assert_no_mail(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_used_token_is_400_invalid_reset_token_never_401() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, _) = TestUser::signed_up(&app).await;
    let token = reset_mail(&app, &mut sink, &user).await.token();
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 200);
    let again = confirm(&app, &token, "yet-another-password").await;
    assert!(again.headers().get("www-authenticate").is_none());
    assert_error(again, 400, "invalid_reset_token").await;
    assert_eq!(login(&app, &user.email, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn one_token_confirmed_five_times_at_once_works_once() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, _) = TestUser::signed_up(&app).await;
    let token = reset_mail(&app, &mut sink, &user).await.token();
    let requests = (0..5)
        .map(|i| {
            crate::helpers::own_client()
                .post(app.url("/api/v1/password-reset/confirm"))
                .json(&json!({ "token": token, "new_password": format!("{NEW_PASSWORD}-{i}") }))
        })
        .collect();
    let responses = burst(requests).await;
    let counts = status_counts(&responses);
    assert_eq!(counts.get(&200), Some(&1), "{counts:?}");
    assert_eq!(counts.get(&400), Some(&4), "{counts:?}");
}

#[tokio::test]
async fn an_expired_token_is_refused_and_changes_nothing() {
    let (app, mut sink) = app_with_sink(&[("PASSWORD_RESET_TTL_SECONDS", "1")]).await;
    let (user, _) = TestUser::signed_up(&app).await;
    let token = reset_mail(&app, &mut sink, &user).await.token();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_error(
        confirm(&app, &token, NEW_PASSWORD).await,
        400,
        "invalid_reset_token",
    )
    .await;
    assert_eq!(login(&app, &user.email, &user.password).await.status(), 200);
}

#[tokio::test]
async fn a_newer_request_spends_the_older_token() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, _) = TestUser::signed_up(&app).await;
    let older = reset_mail(&app, &mut sink, &user).await.token();
    let newer = reset_mail(&app, &mut sink, &user).await.token();
    assert_ne!(older, newer);
    assert_error(
        confirm(&app, &older, NEW_PASSWORD).await,
        400,
        "invalid_reset_token",
    )
    .await;
    assert_eq!(confirm(&app, &newer, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn a_password_change_spends_the_token() {
    let (app, mut sink) = app_with_sink(&[]).await;
    let (user, tokens) = TestUser::signed_up(&app).await;
    let token = reset_mail(&app, &mut sink, &user).await.token();
    let changed = send(
        app.request(
            Method::PUT,
            "/api/v1/users/me/password",
            Some(&tokens.access_token),
        )
        .json(&json!({ "current_password": user.password, "new_password": "changed-by-hand" })),
    )
    .await;
    assert_eq!(changed.status(), 200);
    assert_error(
        confirm(&app, &token, NEW_PASSWORD).await,
        400,
        "invalid_reset_token",
    )
    .await;
    assert_eq!(
        login(&app, &user.email, "changed-by-hand").await.status(),
        200
    );
}

#[tokio::test]
async fn requests_beyond_the_limit_are_429_for_that_email_and_address_only() {
    let limits = [("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECONDS", "60")];
    let (app, _sink) = app_with_sink(&limits).await;
    let (user, _) = TestUser::signed_up(&app).await;
    for email in [user.email.as_str(), "nobody-here@example.com"] {
        for _ in 0..3 {
            assert_eq!(request_reset(&app, email).await.status(), 202, "{email}");
        }
        let limited = request_reset(&app, email).await;
        let retry_after: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&retry_after), "{retry_after}");
        assert_error(limited, 429, "rate_limited").await;
    }
    // Another email is not affected, and asking for resets locks nobody out of signing in.
    assert_eq!(
        request_reset(&app, "someone-else@example.com")
            .await
            .status(),
        202
    );
    assert_eq!(login(&app, &user.email, &user.password).await.status(), 200);
}

#[tokio::test]
async fn a_mail_server_that_is_down_or_silent_never_holds_the_answer() {
    // Nothing listens on a port just freed; a listener that accepts and never speaks
    // holds a client until its timeout.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = silent.accept().await {
            held.push(stream);
        }
    });
    for port in [closed_port, silent_port] {
        let url = format!("smtp://127.0.0.1:{port}");
        let app = spawn_app_with(&[("SMTP_URL", url.as_str())]).await;
        let (user, _) = TestUser::signed_up(&app).await;
        for _ in 0..3 {
            let started = Instant::now();
            let response = request_reset(&app, &user.email).await;
            assert_eq!(response.status(), 202, "port {port}");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "answered in {:?}",
                started.elapsed()
            );
        }
        // The server goes on serving.
        assert_eq!(app.get("/healthz").await.status(), 200);
        assert_eq!(login(&app, &user.email, &user.password).await.status(), 200);
    }
}

#[tokio::test]
async fn bad_fields_are_422_naming_the_field_and_bad_tokens_400() {
    let (app, _sink) = app_with_sink(&[]).await;
    let long_token = "x".repeat(60_000);
    let cases: Vec<(&str, Value, u16, &str, &str)> = vec![
        (
            "/api/v1/password-reset",
            json!({ "email": null }),
            422,
            "validation_error",
            "email",
        ),
        (
            "/api/v1/password-reset",
            json!({}),
            422,
            "validation_error",
            "email",
        ),
        (
            "/api/v1/password-reset",
            json!({ "email": 5 }),
            422,
            "validation_error",
            "email",
        ),
        (
            "/api/v1/password-reset",
            json!({ "email": "not-an-email" }),
            422,
            "validation_error",
            "email",
        ),
        (
            "/api/v1/password-reset",
            json!({ "email": "nul\u{0}@example.com" }),
            422,
            "validation_error",
            "email",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": null, "new_password": NEW_PASSWORD }),
            422,
            "validation_error",
            "token",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": "t", "new_password": null }),
            422,
            "validation_error",
            "new_password",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "new_password": NEW_PASSWORD }),
            422,
            "validation_error",
            "token",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": "t", "new_password": "short" }),
            422,
            "validation_error",
            "new_password",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": "t", "new_password": "x".repeat(129) }),
            422,
            "validation_error",
            "new_password",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": "", "new_password": NEW_PASSWORD }),
            400,
            "invalid_reset_token",
            "",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": "nul\u{0}byte", "new_password": NEW_PASSWORD }),
            400,
            "invalid_reset_token",
            "",
        ),
        (
            "/api/v1/password-reset/confirm",
            json!({ "token": long_token, "new_password": NEW_PASSWORD }),
            400,
            "invalid_reset_token",
            "",
        ),
    ];
    for (path, body, status, code, field) in cases {
        let response = app.post_json(path, &body).await;
        let error = assert_error(response, status, code).await;
        let detail = error["detail"].as_str().unwrap();
        assert!(detail.contains(field), "{path} {body}: {detail}");
    }
    for path in ["/api/v1/password-reset", "/api/v1/password-reset/confirm"] {
        let malformed = send(
            app.request(Method::POST, path, None)
                .header("content-type", "application/json")
                .body("{\"email\":"),
        )
        .await;
        assert_error(malformed, 400, "malformed_body").await;
        let wrong_type = send(app.request(Method::POST, path, None).body("email=a@b.c")).await;
        assert_error(wrong_type, 415, "unsupported_media_type").await;
    }
}

#[test]
fn a_bad_mail_setting_stops_the_server_with_one_line_naming_it() {
    let cases = [
        ("SMTP_URL", "mail.example.com:25"),
        ("SMTP_URL", "imap://user:hunter2@mail.example.com"),
        ("SMTP_URL", "smtp://user:hunter2@mail.example.com:99999"),
        ("PUBLIC_URL", "example.com"),
        ("MAIL_FROM", "nobody"),
        ("PASSWORD_RESET_TTL_SECONDS", "abc"),
    ];
    for (variable, value) in cases {
        let (status, stderr) = run_ticked(&[(variable, value)]);
        assert!(!status.success(), "{variable}={value} must stop the server");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {variable}, got {stderr:?}");
        assert!(lines[0].contains(variable), "{stderr}");
        assert!(
            !stderr.contains("hunter2"),
            "the password is never shown: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[tokio::test]
async fn without_smtp_url_the_whole_mail_is_written_to_the_log() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = crate::helpers::test_database(data_dir.path()).await;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_ticked"))
        .env_clear()
        .env("DATA_DIR", data_dir.path())
        .env("DATABASE_URL", &database_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("PUBLIC_URL", PUBLIC_URL)
        .env("BCRYPT_COST", "4")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("ticked starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let log = tokio::time::timeout(Duration::from_secs(60), async {
        let mut app = None;
        let mut user = None;
        let mut log = String::new();
        while let Some(line) = lines.next_line().await.expect("read stdout") {
            log.push_str(&line);
            log.push('\n');
            if let Some((_, rest)) = line.split_once("listening on http://") {
                let started = TestApp::at(rest.split_whitespace().next().unwrap());
                let (someone, _) = TestUser::signed_up(&started).await;
                assert_eq!(request_reset(&started, &someone.email).await.status(), 202);
                app = Some(started);
                user = Some(someone);
            }
            if line.contains("--") && log.contains("text/html") && line.trim_end().ends_with("--") {
                return (log, user.expect("signed up"), app.expect("started"));
            }
        }
        panic!("ticked exited: {log}");
    })
    .await
    .expect("the mail is logged within a minute");
    let (log, user, app) = log;
    assert!(log.contains(&format!("To: {}", user.email)), "{log}");
    assert!(log.contains("Subject: Reset your Ticked password"), "{log}");
    let token = log
        .split_once(&format!("{PUBLIC_URL}/reset-password?token="))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .expect("the link in the log")
        .to_owned();
    assert_eq!(confirm(&app, &token, NEW_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn the_openapi_document_describes_both_endpoints() {
    let (app, _sink) = app_with_sink(&[]).await;
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let paths = &doc["paths"];
    let request = &paths["/api/v1/password-reset"]["post"]["responses"];
    assert!(request["202"].is_object() && request["429"]["headers"]["Retry-After"].is_object());
    let confirm = &paths["/api/v1/password-reset/confirm"]["post"]["responses"];
    assert!(
        confirm["200"].is_object() && confirm["400"].is_object(),
        "{confirm}"
    );
    assert!(confirm.get("401").is_none());
}

#[tokio::test]
async fn the_reset_pages_are_rendered_on_the_server() {
    let (app, _sink) = app_with_sink(&[]).await;
    let cases = [
        ("/login", "href=\"/forgot-password\""),
        ("/forgot-password", "Send the link"),
        ("/reset-password?token=abc", "New password"),
        ("/reset-password", "This link is incomplete"),
    ];
    for (path, expected) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        assert!(response.headers().contains_key("content-security-policy"));
        let html = response.text().await.unwrap();
        assert!(html.contains(expected), "{path} lacks {expected}");
    }
}
