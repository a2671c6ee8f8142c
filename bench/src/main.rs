//! `ticked-bench`: Ticked's benchmarks. Run through `bench/run` (or `make bench`), which
//! builds the release binaries first; see `BENCHMARKS.md` for what each row means.
//!
//! It starts real `ticked` servers on loopback (SQLite, and PostgreSQL where one answers),
//! drives them with `wrk`, measures the shipped page in headless Chromium, runs the same
//! scenarios against the FastAPI reference when asked, and prints Markdown tables. Nothing here asserts a time: the numbers are for people to read.
//!
//! ```text
//! ticked-bench [--quick] [--live-only|--page-only] [--ticked PATH] [--site DIR] [--postgres URL|none] [--fastapi VENV]
//!              [--update FILE]
//! ticked-bench ceiling ADDR     (the bare axum server that every figure is compared with)
//! ```

/// The HTTP calls that set up users and todos before a scenario runs.
mod api;
/// The bare axum JSON handler: the machine's ceiling for an HTTP server.
mod ceiling;
/// Command-line options.
mod cli;
/// Fresh SQLite and PostgreSQL databases for each run.
mod database;
/// Scenario 9: idle live-update streams and the time from a write to its event.
mod live;
/// Driving `wrk` and reading its numbers.
mod load;
/// Page weight and time to interactive in headless Chromium.
mod page;
/// Turning results into the Markdown table.
mod report;
/// The scenarios, run against one database.
mod scenarios;
/// Filling the todos table straight through SQL, for the million-row scenario.
mod seed;
/// Starting and stopping `ticked` and the ceiling server as child processes.
mod server;

use std::process::ExitCode;

use cli::{Command, Options};
use scenarios::Stack;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("ticked-bench: {message}\n\n{}", cli::USAGE);
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("ticked-bench: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = match command {
        Command::Ceiling(address) => runtime.block_on(ceiling::serve(address)),
        Command::Run(options) => runtime.block_on(run(options)),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ticked-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Every scenario on every database, the ceiling and the page; then the table.
async fn run(options: Options) -> Result<(), BenchError> {
    live::raise_open_file_limit();
    let machine = report::Machine::describe();
    eprintln!("==> {machine}");
    let settings = load::Settings::for_run(options.quick);
    let mut results = report::Results::default();

    let (backends, skipped) = database::backends(&options).await;
    results.skipped = skipped;
    if options.page_only {
        // The page does not depend on the database: the first one (SQLite) will do.
        if let Some(backend) = backends.first() {
            eprintln!("==> Ticked on {}: the page", backend.name());
            let database = backend.create("ticked_bench_page").await?;
            let page = scenarios::page_only(&options, &database).await;
            database.remove().await?;
            results.page = Some(page?);
        }
        println!("{}", report::render(&machine, &settings, &results));
        return Ok(());
    }
    if options.live_only {
        for backend in &backends {
            eprintln!("==> Ticked on {}: 9. live updates", backend.name());
            results
                .live
                .push((backend.name(), live_updates(&options, backend).await?));
        }
        println!("{}", report::render(&machine, &settings, &results));
        return Ok(());
    }

    eprintln!(
        "==> one bcrypt verification at cost {}",
        scenarios::BCRYPT_COST
    );
    results.bcrypt = Some(scenarios::time_bcrypt_verify(options.quick)?);
    for backend in &backends {
        eprintln!("==> Ticked on {}", backend.name());
        let database = backend.create("ticked_bench").await?;
        let stack = Stack::Ticked {
            measure_page: results.page.is_none() && !options.api_only,
        };
        let mut run = scenarios::run(&options, &settings, &stack, &database).await?;
        database.remove().await?;
        results.page = results.page.take().or(run.page.take());
        results.ticked.push((backend.name(), run));

        if !options.api_only {
            eprintln!("    9. live updates");
            results
                .live
                .push((backend.name(), live_updates(&options, backend).await?));
        }

        if let Some(venv) = &options.fastapi {
            eprintln!("==> the FastAPI reference on {}", backend.name());
            let database = backend.create("ticked_bench_fastapi").await?;
            let stack = Stack::FastApi { venv };
            let run = scenarios::run(&options, &settings, &stack, &database).await?;
            database.remove().await?;
            results.fastapi.push((backend.name(), run));
        }
    }

    eprintln!("==> ceiling: a bare axum JSON handler");
    results.ceiling = Some(scenarios::run_ceiling(&settings).await?);

    let table = report::render(&machine, &settings, &results);
    println!("{table}");
    if let Some(path) = &options.update {
        report::update_file(path, &table)?;
        eprintln!("==> wrote the table into {}", path.display());
    }
    Ok(())
}

/// Scenario 9 on a fresh database of `backend`.
async fn live_updates(
    options: &Options,
    backend: &database::Backend,
) -> Result<live::LiveResult, BenchError> {
    let database = backend.create("ticked_bench_live").await?;
    let result = live::run(options, &database).await;
    database.remove().await?;
    result
}

/// Why a benchmark run stopped.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("{0}")]
    Setup(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
}

impl BenchError {
    /// An I/O error, with what was being done when it happened.
    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let context = context.into();
        move |source| Self::Io { context, source }
    }
}
