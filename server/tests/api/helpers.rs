//! `spawn_app()` and the typed helpers the tests share.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, Database};
use serde::Deserialize;
use serde_json::{Value, json};
use tempfile::TempDir;
use ticked::{config::Config, startup::Application};

/// The signing secrets of every test server, so tests can forge tokens.
pub const ACCESS_SECRET: &str = "test-access-secret-0123456789abcdef";
pub const REFRESH_SECRET: &str = "test-refresh-secret-0123456789abcdef";
pub const PASSWORD_PEPPER: &str = "test-password-pepper-0123456789abcdef";

/// A running server and a client to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    pub client: reqwest::Client,
    /// The database of an in-process server, for tests that must reach past the API.
    pub database_url: Option<String>,
    /// Holds the SQLite file and generated secrets until the test ends.
    _data_dir: Option<TempDir>,
}

impl TestApp {
    /// A client for a server that something else started at `address` (`host:port`).
    pub fn at(address: &str) -> Self {
        Self {
            address: format!("http://{address}"),
            client: reqwest::Client::new(),
            database_url: None,
            _data_dir: None,
        }
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request reaches the server")
    }

    /// A request to `path` with `token` as its bearer token (if any).
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let builder = self.client.request(method, self.url(path));
        match token {
            Some(token) => builder.bearer_auth(token),
            None => builder,
        }
    }

    /// `POST path` with a JSON body and no token.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        send(self.request(reqwest::Method::POST, path, None).json(body)).await
    }

    /// `GET path` with a bearer token.
    pub async fn get_authed(&self, path: &str, token: &str) -> reqwest::Response {
        send(self.request(reqwest::Method::GET, path, Some(token))).await
    }

    /// `POST /api/v1/refresh`.
    pub async fn refresh(&self, refresh_token: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/refresh",
            &json!({ "refresh_token": refresh_token }),
        )
        .await
    }
}

/// Sends a request built by a test.
pub async fn send(builder: reqwest::RequestBuilder) -> reqwest::Response {
    builder.send().await.expect("request reaches the server")
}

/// The token pair of a successful login or refresh.
#[derive(Clone, Debug, Deserialize)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
}

/// A user with a random email, not yet registered.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub email: String,
    pub password: String,
}

impl TestUser {
    pub fn generate() -> Self {
        Self {
            email: format!("user-{}@example.com", uuid::Uuid::new_v4().simple()),
            password: format!("pw-{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// `POST /api/v1/users`, asserting 201.
    pub async fn register(&self, app: &TestApp) -> Value {
        let response = app
            .post_json(
                "/api/v1/users",
                &json!({ "email": self.email, "password": self.password }),
            )
            .await;
        assert_eq!(response.status(), 201, "registering {}", self.email);
        response.json().await.expect("user JSON")
    }

    /// Logs in with JSON, asserting 200.
    pub async fn login(&self, app: &TestApp) -> Tokens {
        let response = app
            .post_json(
                "/api/v1/login",
                &json!({ "email": self.email, "password": self.password }),
            )
            .await;
        assert_eq!(response.status(), 200, "logging in {}", self.email);
        response.json().await.expect("token pair")
    }

    /// Registers, then logs in.
    pub async fn signed_up(app: &TestApp) -> (Self, Tokens) {
        let user = Self::generate();
        user.register(app).await;
        let tokens = user.login(app).await;
        (user, tokens)
    }
}

/// Asserts a JSON error response: its status, its `code`, and the RFC 6750 challenge on
/// every 401 that is about a token.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status for expected {code}");
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    let body: Value = response.json().await.expect("JSON error body");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    if status == 401 && code != "invalid_credentials" {
        let challenge = challenge.expect("WWW-Authenticate on a token 401");
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        assert!(challenge.contains("error_description="), "{challenge}");
    }
    body
}

/// Starts the app with test defaults: port 0, cheap bcrypt, its own database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Starts the app with some settings overridden, e.g. `("ACCESS_TOKEN_TTL_SECONDS", "2")`.
pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    ticked::telemetry::init();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let database_url = test_database(data_dir.path()).await;
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATA_DIR".into(), data_dir.path().display().to_string()),
        ("DATABASE_URL".into(), database_url.clone()),
        ("LEPTOS_SITE_ADDR".into(), "127.0.0.1:0".into()),
        ("BCRYPT_COST".into(), "4".into()),
        ("JWT_ACCESS_SECRET".into(), ACCESS_SECRET.into()),
        ("JWT_REFRESH_SECRET".into(), REFRESH_SECRET.into()),
        ("PASSWORD_PEPPER".into(), PASSWORD_PEPPER.into()),
    ]);
    for (key, value) in overrides {
        vars.insert((*key).to_owned(), (*value).to_owned());
    }
    let config = Config::from_lookup(|key| vars.get(key).cloned()).expect("valid test config");
    let app = Application::build(config).await.expect("app starts");
    let address = format!("http://{}", app.address());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        database_url: Some(database_url),
        _data_dir: Some(data_dir),
    }
}

/// Whether the tests run on PostgreSQL (`TEST_DATABASE_URL` set). Several processes on
/// one SQLite file share no live updates (the contract: on SQLite, one process), so the
/// cross-instance tests are for PostgreSQL only.
pub fn on_postgres() -> bool {
    std::env::var("TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

/// A database of the test's own: a fresh PostgreSQL database when `TEST_DATABASE_URL` is
/// set, else a SQLite file in `dir`.
pub async fn test_database(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(server_url) if !server_url.is_empty() => fresh_postgres_database(&server_url).await,
        _ => format!("sqlite://{}?mode=rwc", dir.join("ticked.db").display()),
    }
}

/// Creates an empty database on the PostgreSQL server of `server_url` and returns its
/// URL, so that tests never share data or need to run one at a time.
async fn fresh_postgres_database(server_url: &str) -> String {
    let name = format!("ticked_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(server_url)
        .await
        .expect("TEST_DATABASE_URL reachable");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = server_url
        .rsplit_once('/')
        .expect("URL with a database name");
    format!("{base}/{name}")
}

/// Sends every request at the same moment, each on a connection of its own: the
/// requests are built first, then released together by a barrier, as a burst from many
/// clients would arrive. Returns the responses in order.
pub async fn burst(requests: Vec<reqwest::RequestBuilder>) -> Vec<reqwest::Response> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(requests.len()));
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|request| {
            let barrier = std::sync::Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                send(request).await
            })
        })
        .collect();
    let mut responses = Vec::with_capacity(tasks.len());
    for task in tasks {
        responses.push(task.await.expect("request task"));
    }
    responses
}

/// A fresh client with a connection pool of its own, so that its request opens a new
/// connection rather than waiting for another request's.
pub fn own_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

/// Counts the statuses of `responses`, e.g. `{401: 3, 429: 17}`.
pub fn status_counts(responses: &[reqwest::Response]) -> std::collections::BTreeMap<u16, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for response in responses {
        *counts.entry(response.status().as_u16()).or_default() += 1;
    }
    counts
}
