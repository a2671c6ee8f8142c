use serde_json::json;

use crate::helpers::{
    TestApp, TestUser, assert_error, burst, own_client, send, spawn_app, spawn_app_with,
    status_counts,
};

#[tokio::test]
async fn logging_in_with_json_returns_an_uncached_token_pair() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let response = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email.to_uppercase(), "password": user.password }),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let pair: serde_json::Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_eq!(pair["refresh_expires_in"], 1_209_600);
    assert!(pair["access_token"].is_string() && pair["refresh_token"].is_string());
}

#[tokio::test]
async fn logging_in_with_the_oauth2_password_form_works() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let response = send(app.client.post(app.url("/api/v1/login")).form(&[
        ("username", user.email.as_str()),
        ("password", user.password.as_str()),
    ]))
    .await;
    assert_eq!(response.status(), 200);
    let missing = send(
        app.client
            .post(app.url("/api/v1/login"))
            .form(&[("username", user.email.as_str())]),
    )
    .await;
    assert_error(missing, 422, "validation_error").await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    let user = TestUser::generate();
    user.register(&app).await;
    let wrong_password = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": "not-the-password" }),
        )
        .await;
    let unknown_email = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": "nobody@example.com", "password": "not-the-password" }),
        )
        .await;
    assert_eq!(wrong_password.headers()["www-authenticate"], "Bearer");
    assert_eq!(unknown_email.headers()["www-authenticate"], "Bearer");
    let a = assert_error(wrong_password, 401, "invalid_credentials").await;
    let b = assert_error(unknown_email, 401, "invalid_credentials").await;
    assert_eq!(a, b);
}

#[tokio::test]
async fn repeated_failures_lock_the_pair_out_even_with_the_right_password() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECONDS", "60")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let bystander = TestUser::generate();
    bystander.register(&app).await;
    for _ in 0..3 {
        let response = app
            .post_json(
                "/api/v1/login",
                &json!({ "email": user.email, "password": "wrong-password" }),
            )
            .await;
        assert_error(response, 401, "invalid_credentials").await;
    }
    let locked = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_error(locked, 429, "rate_limited").await;
    bystander.login(&app).await;
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "2")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let wrong = json!({ "email": user.email, "password": "wrong-password" });
    let fail = || app.post_json("/api/v1/login", &wrong);
    fail().await;
    user.login(&app).await;
    fail().await;
    user.login(&app).await;
}

#[tokio::test]
async fn the_lockout_ends_when_the_window_passes() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "1"), ("LOGIN_LOCKOUT_SECONDS", "1")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    app.post_json(
        "/api/v1/login",
        &json!({ "email": user.email, "password": "wrong-password" }),
    )
    .await;
    let locked = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_eq!(locked.status(), 429);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    user.login(&app).await;
}

/// `count` wrong logins for `email`, each from a client of its own.
fn wrong_logins(app: &TestApp, email: &str, count: usize) -> Vec<reqwest::RequestBuilder> {
    (0..count)
        .map(|_| {
            own_client()
                .post(app.url("/api/v1/login"))
                .json(&json!({ "email": email, "password": "wrong-password" }))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_simultaneous_wrong_logins_gets_at_most_the_limit_of_401s() {
    let app = spawn_app_with(&[("LOGIN_MAX_FAILURES", "3"), ("LOGIN_LOCKOUT_SECONDS", "60")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let responses = burst(wrong_logins(&app, &user.email, 20)).await;
    let counts = status_counts(&responses);
    assert_eq!(counts.get(&401), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&17), "{counts:?}");
    for response in responses.into_iter().filter(|r| r.status() == 429) {
        assert!(response.headers().contains_key("retry-after"));
        assert_error(response, 429, "rate_limited").await;
    }
    let right = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": user.password }),
        )
        .await;
    assert_error(right, 429, "rate_limited").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_100_wrong_logins_costs_at_most_the_limit_of_password_checks() {
    // The production cost, so the time printed is what a real server spends.
    let app = spawn_app_with(&[("BCRYPT_COST", "12")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    let started = std::time::Instant::now();
    let responses = burst(wrong_logins(&app, &user.email, 100)).await;
    let elapsed = started.elapsed();
    let counts = status_counts(&responses);
    // Each 401 is one bcrypt run; a 429 is answered before any.
    eprintln!(
        "burst of 100 wrong logins, LOGIN_MAX_FAILURES=10, BCRYPT_COST=12: {counts:?} \
         (bcrypt runs = the 401s) in {elapsed:?}"
    );
    assert_eq!(counts.get(&401), Some(&10), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&90), "{counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_answers_503_with_retry_after_never_401() {
    // Many accounts at once (each its own pair, so the lockout does not stop them), at a
    // cost high enough that the queue cannot drain as fast as the requests arrive.
    let app = spawn_app_with(&[("BCRYPT_COST", "12")]).await;
    let requests = (0..120)
        .map(|i| {
            own_client().post(app.url("/api/v1/login")).json(
                &json!({ "email": format!("storm-{i}@example.com"), "password": "wrong-password" }),
            )
        })
        .collect();
    let responses = burst(requests).await;
    let counts = status_counts(&responses);
    assert!(counts.get(&503).is_some_and(|n| *n > 0), "{counts:?}");
    assert_eq!(
        counts.keys().copied().collect::<Vec<_>>(),
        [401, 503],
        "{counts:?}"
    );
    let unavailable = responses
        .into_iter()
        .find(|r| r.status() == 503)
        .expect("a 503");
    let retry_after: u64 = unavailable.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_error(unavailable, 503, "unavailable").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_refused_with_503_is_not_counted_as_a_failure() {
    let app = spawn_app_with(&[("BCRYPT_COST", "12"), ("LOGIN_MAX_FAILURES", "1")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    // Other accounts' logins fill the queue; once one of them is refused, the queue is
    // full for a while (each queued hash takes a quarter of a second).
    let (statuses, mut refused) = tokio::sync::mpsc::unbounded_channel();
    let storm: Vec<_> = (0..80)
        .map(|i| {
            let request = own_client().post(app.url("/api/v1/login")).json(
                &json!({ "email": format!("storm-{i}@example.com"), "password": "wrong-password" }),
            );
            let statuses = statuses.clone();
            tokio::spawn(async move {
                let status = send(request).await.status().as_u16();
                let _ = statuses.send(status);
            })
        })
        .collect();
    tokio::time::timeout(std::time::Duration::from_secs(20), async {
        while refused.recv().await != Some(503) {}
    })
    .await
    .expect("the storm fills the hashing queue");
    let wrong = app
        .post_json(
            "/api/v1/login",
            &json!({ "email": user.email, "password": "wrong-password" }),
        )
        .await;
    assert_error(wrong, 503, "unavailable").await;
    for task in storm {
        task.await.unwrap();
    }
    // The refused attempt spent none of the pair's one allowed failure.
    user.login(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_abandoned_before_their_answer_do_not_lock_the_user_out() {
    let app = spawn_app_with(&[("BCRYPT_COST", "12"), ("LOGIN_MAX_FAILURES", "3")]).await;
    let user = TestUser::generate();
    user.register(&app).await;
    // Twice the allowed failures, each given up long before its quarter-second bcrypt
    // could answer: a phone losing its connection mid-login, again and again.
    let impatient = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(30))
        .build()
        .unwrap();
    for _ in 0..6 {
        let outcome = impatient
            .post(app.url("/api/v1/login"))
            .json(&json!({ "email": user.email, "password": user.password }))
            .send()
            .await;
        assert!(outcome.unwrap_err().is_timeout(), "not refused with 429");
        // The server notices the hang-up and gives the attempt back.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    user.login(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_burst_limit_holds_across_instances() {
    let deployment = crate::process::Deployment::new(&[
        ("LOGIN_MAX_FAILURES", "3"),
        ("LOGIN_LOCKOUT_SECONDS", "60"),
    ])
    .await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let user = TestUser::generate();
    user.register(&a.app).await;
    let mut requests = wrong_logins(&a.app, &user.email, 10);
    requests.extend(wrong_logins(&b.app, &user.email, 10));
    let counts = status_counts(&burst(requests).await);
    assert_eq!(counts.get(&401), Some(&3), "{counts:?}");
    assert_eq!(counts.get(&429), Some(&17), "{counts:?}");
}
