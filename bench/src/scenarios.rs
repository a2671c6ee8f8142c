//! The scenarios of `BENCHMARKS.md`, run against one server on one database, and the two
//! references they are read against: one bcrypt verification, and the ceiling server.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use serde_json::json;

use crate::{
    BenchError,
    api::Api,
    cli::Options,
    database::Database,
    load::{self, Outcome, Request, Settings},
    page::{self, PageResult},
    seed,
    server::Server,
};

/// The production bcrypt cost (`BCRYPT_COST`'s default).
pub const BCRYPT_COST: u32 = 12;
/// The todos of the user whose list is read in scenarios 1 and 6, and on the page.
const READER_TODOS: usize = 50;
/// Connections that read a list in scenario 6, with and without the login storm.
const READERS: u32 = 4;
/// The login storm of scenario 6.
const LOGIN_CLIENTS: u32 = 32;

/// The server under test.
pub enum Stack<'a> {
    /// Ticked's release build: every scenario, and the page.
    Ticked { measure_page: bool },
    /// The FastAPI reference in this Python virtual environment: scenarios 1–6.
    FastApi { venv: &'a Path },
}

/// One line of the table: a scenario and what it measured.
#[derive(Clone, Debug)]
pub struct Row {
    pub label: String,
    pub connections: u32,
    pub outcome: Outcome,
}

/// What one server on one database produced.
pub struct Run {
    pub rows: Vec<Row>,
    /// The server's peak resident memory after scenario 6 (all its processes together).
    pub peak_memory: Option<u64>,
    /// Measured on Ticked's first run only: the page does not depend on the database.
    pub page: Option<PageResult>,
}

/// Only the page: a fresh Ticked server on `database`, a user with the todos of scenario 1,
/// and [`page::measure`]. For work on the bundle, without the half hour of the rest.
///
/// # Errors
/// [`BenchError`] if the server does not start, or set-up or the browser fails.
pub async fn page_only(options: &Options, database: &Database) -> Result<PageResult, BenchError> {
    let data_dir = tempfile::tempdir().map_err(BenchError::io("creating a temporary directory"))?;
    let server = Server::ticked(options, &database.url, data_dir.path()).await?;
    let url = server.base_url.as_str();
    let api = Api::new(url);
    let reader = api.sign_up("reader").await?;
    api.create_todos(&reader, READER_TODOS).await?;
    page::measure(options, url, &reader, READER_TODOS)
}

/// Scenarios 1–6 (and, on Ticked, 7 and the page) against a fresh server on `database`.
///
/// # Errors
/// [`BenchError`] if the server does not start, or set-up or wrk fails.
pub async fn run(
    options: &Options,
    settings: &Settings,
    stack: &Stack<'_>,
    database: &Database,
) -> Result<Run, BenchError> {
    let data_dir = tempfile::tempdir().map_err(BenchError::io("creating a temporary directory"))?;
    let server = match stack {
        Stack::Ticked { .. } => Server::ticked(options, &database.url, data_dir.path()).await?,
        Stack::FastApi { venv } => {
            Server::fastapi(venv, &database.sqlalchemy_url, data_dir.path()).await?
        }
    };
    let url = server.base_url.as_str();
    let api = Api::new(url);
    let mut table = Table {
        server: &server,
        rows: Vec::new(),
    };

    let reader = api.sign_up("reader").await?;
    api.create_todos(&reader, READER_TODOS).await?;
    let writer = api.sign_up("writer").await?;
    let patched = api.create_todos(&writer, 1).await?.remove(0);
    // One account per login connection: logins as many people, as a real storm is, and
    // not one account's attempts in flight, which its lockout caps.
    let mut logins = Vec::new();
    for n in 0..LOGIN_CLIENTS {
        let signer = api.sign_up(&format!("signer-{n}")).await?;
        logins.push(json!({ "email": signer.email, "password": signer.password }).to_string());
    }
    let read_list = Request::get("/api/v1/todos", &reader.access_token);
    let login = Request::with_bodies("POST", "/api/v1/login", logins);

    table.measure("1. GET /todos (50 todos)", settings, &read_list)?;
    table.measure(
        "2. POST /todos",
        settings,
        &Request::with_body(
            "POST",
            "/api/v1/todos",
            json!({ "title": "Benchmark todo" }).to_string(),
        )
        .authorized(&writer.access_token),
    )?;
    table.measure(
        "3. PATCH /todos/{id}",
        settings,
        &Request::with_body(
            "PATCH",
            format!("/api/v1/todos/{patched}"),
            json!({ "completed": true }).to_string(),
        )
        .authorized(&writer.access_token),
    )?;
    table.measure(
        "4. GET /users/me",
        settings,
        &Request::get("/api/v1/users/me", &reader.access_token),
    )?;
    table.measure("5. POST /login (bcrypt cost 12)", settings, &login)?;

    let readers = settings.with_connections(READERS);
    table.measure("6a. GET /todos, quiet", &readers, &read_list)?;
    eprintln!("    6b. GET /todos, {LOGIN_CLIENTS} clients logging in");
    server.wait_until_idle();
    let (reads, logins) = load::run_beside(
        (&readers, url, &read_list),
        (&settings.with_connections(LOGIN_CLIENTS), url, &login),
    )?;
    table.push(
        format!("6b. GET /todos, {LOGIN_CLIENTS} clients logging in"),
        READERS,
        reads,
    );
    table.push(
        "6c. … the logins beside them".to_owned(),
        LOGIN_CLIENTS,
        logins,
    );
    let peak_memory = server.peak_memory();

    let Stack::Ticked { measure_page } = stack else {
        return Ok(Run {
            rows: table.rows,
            peak_memory,
            page: None,
        });
    };

    let hoarder = api.sign_up("hoarder").await?;
    let read_page = Request::get("/api/v1/todos?limit=100", &hoarder.access_token);
    let mut seeded = 0;
    for size in [1_000, large_table(options.quick)] {
        eprintln!("    seeding {} todos", thousands(size));
        seed::add_todos(&database.url, &hoarder.id, seeded, size).await?;
        seeded = size;
        let (items, total) = api.count_page(&hoarder, "?limit=100").await?;
        if items != 100 || total != size {
            return Err(BenchError::Setup(format!(
                "the seeded list has {total} todos and a page of {items}, not {size} and 100"
            )));
        }
        table.measure(
            &format!(
                "7. GET /todos?limit=100, user with {} todos",
                thousands(size)
            ),
            settings,
            &read_page,
        )?;
    }

    let page = if *measure_page {
        Some(page::measure(options, url, &reader, READER_TODOS)?)
    } else {
        None
    };
    Ok(Run {
        rows: table.rows,
        peak_memory,
        page,
    })
}

/// The rows measured so far against one server.
struct Table<'a> {
    server: &'a Server,
    rows: Vec<Row>,
}

impl Table<'_> {
    fn measure(
        &mut self,
        label: &str,
        settings: &Settings,
        request: &Request,
    ) -> Result<(), BenchError> {
        eprintln!("    {label}");
        self.server.wait_until_idle();
        let outcome = load::run(settings, &self.server.base_url, request)?;
        self.push(label.to_owned(), settings.connections, outcome);
        Ok(())
    }

    fn push(&mut self, label: String, connections: u32, outcome: Outcome) {
        self.rows.push(Row {
            label,
            connections,
            outcome,
        });
    }
}

/// Scenario 8: the bare axum handler, with the same load settings.
///
/// # Errors
/// [`BenchError`] if the ceiling server does not start or wrk fails.
pub async fn run_ceiling(settings: &Settings) -> Result<Outcome, BenchError> {
    let dir = tempfile::tempdir().map_err(BenchError::io("creating a temporary directory"))?;
    let server = Server::ceiling(dir.path()).await?;
    load::run(
        settings,
        &server.base_url,
        &Request {
            method: "GET",
            path: "/".to_owned(),
            bodies: Vec::new(),
            token: None,
        },
    )
}

/// The size of the large table: a million, or 20 000 for a quick run.
fn large_table(quick: bool) -> u64 {
    if quick { 20_000 } else { 1_000_000 }
}

/// `1000000` as `1 000 000`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The median time of one bcrypt verification at the production cost, on one core of
/// this machine: the login ceiling is the number of cores divided by it.
///
/// # Errors
/// [`BenchError`] if bcrypt fails.
pub fn time_bcrypt_verify(quick: bool) -> Result<Duration, BenchError> {
    // What the server feeds bcrypt: the 44-character base64 of an HMAC of the password.
    let input = "q2hXUHr4f0n1b7lYV6yXq5mZ3dQ0pC8wJt9sKx1aE2s=";
    let bcrypt_error = |e: bcrypt::BcryptError| BenchError::Setup(format!("bcrypt: {e}"));
    let hash = bcrypt::hash(input, BCRYPT_COST).map_err(bcrypt_error)?;
    let mut times = Vec::new();
    for _ in 0..if quick { 3 } else { 7 } {
        let start = Instant::now();
        bcrypt::verify(input, &hash).map_err(bcrypt_error)?;
        times.push(start.elapsed());
    }
    Ok(page::median(times))
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_grouped_by_three() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(1_000), "1 000");
        assert_eq!(thousands(20_000), "20 000");
        assert_eq!(thousands(1_000_000), "1 000 000");
    }
}
