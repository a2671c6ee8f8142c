//! Setting the stage through Ticked's own API: the users and todos each scenario needs.

use serde::{Deserialize, de::DeserializeOwned};
use serde_json::json;

use crate::BenchError;

/// A signed-up user and a session of theirs.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct TokenPair {
    access_token: String,
    refresh_token: String,
}

/// Talks to one server.
pub struct Api {
    client: reqwest::Client,
    base_url: String,
}

impl Api {
    pub fn new(base_url: &str) -> Self {
        Self {
            client: reqwest::Client::new(),
            base_url: base_url.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base_url)
    }

    /// Signs up `bench-<name>@example.com` and logs in.
    ///
    /// # Errors
    /// [`BenchError`] if the server refuses either.
    pub async fn sign_up(&self, name: &str) -> Result<User, BenchError> {
        let email = format!("bench-{name}@example.com");
        let password = format!("correct horse battery {name}");
        let credentials = json!({ "email": email, "password": password });
        let created: Created = self.post("/users", &credentials, None).await?;
        let pair: TokenPair = self.post("/login", &credentials, None).await?;
        Ok(User {
            id: created.id,
            email,
            password,
            access_token: pair.access_token,
            refresh_token: pair.refresh_token,
        })
    }

    /// Creates `count` todos for `user`, one request each; returns their ids.
    ///
    /// # Errors
    /// [`BenchError`] if the server refuses one.
    pub async fn create_todos(&self, user: &User, count: usize) -> Result<Vec<String>, BenchError> {
        let mut ids = Vec::with_capacity(count);
        for n in 1..=count {
            let todo = json!({ "title": format!("Todo number {n}"), "completed": n % 3 == 0 });
            let created: Created = self.post("/todos", &todo, Some(&user.access_token)).await?;
            ids.push(created.id);
        }
        Ok(ids)
    }

    /// Creates one todo titled `title` for `user`.
    ///
    /// # Errors
    /// [`BenchError`] if the server refuses it.
    pub async fn create_todo(&self, user: &User, title: &str) -> Result<(), BenchError> {
        let _: Created = self
            .post(
                "/todos",
                &json!({ "title": title }),
                Some(&user.access_token),
            )
            .await?;
        Ok(())
    }

    /// `POST`s `body` to the API path `path` and reads the JSON answer, which must be 2xx.
    /// A 503 (the server's password-hashing queue is full, as it is right after a login
    /// storm) is sent again after its `Retry-After`, as a well-behaved client would.
    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> Result<T, BenchError> {
        const ATTEMPTS: usize = 30;
        for _ in 1..ATTEMPTS {
            let response = self.post_once(path, body, token).await?;
            if response.status() != reqwest::StatusCode::SERVICE_UNAVAILABLE {
                return Ok(response.error_for_status()?.json().await?);
            }
            let wait = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(1);
            tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
        }
        let response = self.post_once(path, body, token).await?;
        Ok(response.error_for_status()?.json().await?)
    }

    async fn post_once(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> Result<reqwest::Response, BenchError> {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        Ok(request.send().await?)
    }

    /// How many todos `GET /todos?limit=…` returns for `user`: checks that a page is
    /// what the scenario thinks it is before it is measured.
    ///
    /// # Errors
    /// [`BenchError`] if the server refuses the request.
    pub async fn count_page(&self, user: &User, query: &str) -> Result<(usize, u64), BenchError> {
        #[derive(Deserialize)]
        struct Page {
            items: Vec<serde_json::Value>,
            active_count: u64,
            completed_count: u64,
        }
        let page: Page = self
            .client
            .get(self.url(&format!("/todos{query}")))
            .bearer_auth(&user.access_token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok((page.items.len(), page.active_count + page.completed_count))
    }
}
