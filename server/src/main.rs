//! `ticked`: serves the Ticked web app (pages, static files and the JSON API).
//!
//! Configured entirely through environment variables (see `README.md` and `API.md`);
//! with none set it serves `http://127.0.0.1:3000` on a SQLite database under `./data`.
//! A configuration mistake stops it at start with one line naming the variable.

use std::process::ExitCode;

use ticked::{config::Config, limits, startup::Application, telemetry};

/// mimalloc rather than the C library's allocator: a request allocates and frees many
/// small buffers (rows, JSON, headers) across worker threads, and glibc's malloc spent a
/// sixth of the server's time doing it (`BENCHMARKS.md`, "The database path").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    telemetry::init();
    if let Some(open_files) = limits::raise_open_file_limit() {
        tracing::debug!(open_files, "open-file limit");
    }
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            // One line, no backtrace: the operator needs to know which setting to fix.
            eprintln!("ticked: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let app = Application::build(config)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(address = %app.address(), "listening on http://{}", app.address());
    app.run_until_stopped()
        .await
        .map_err(|e| format!("server stopped: {e}"))
}
