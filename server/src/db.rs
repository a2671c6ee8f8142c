//! Opening the database and bringing its schema up to date.
//!
//! The URL decides the backend: `sqlite://…` (the embedded default) or `postgres://…`
//! (several instances on one server). Both are compiled in, and the rest of the code
//! does not care which one it talks to.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// How long a writer waits for SQLite's write lock before giving up. Writes are short,
/// so this only matters under a burst; it is what turns "database is locked" into a wait.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long start-up and `/readyz` wait for the database before calling it unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the database could not be used at start.
#[derive(Debug, thiserror::Error)]
pub enum DbStartError {
    #[error("DATABASE_URL: cannot connect to the database: {0}")]
    Connect(sea_orm::DbErr),
    #[error("DATABASE_URL: migrating the database failed: {0}")]
    Migrate(sea_orm::DbErr),
}

/// Connects to `url` and runs every pending migration.
///
/// SQLite is opened in WAL mode (readers never wait for the writer) with a busy timeout
/// (writers queue rather than fail) and `synchronous = NORMAL`, which in WAL mode keeps
/// every committed transaction across a crash of the process.
///
/// # Errors
/// [`DbStartError`] when the database cannot be reached or migrated.
pub async fn connect_and_migrate(url: &str) -> Result<DatabaseConnection, DbStartError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                .create_if_missing(true)
        });
    if url.starts_with("sqlite:") {
        // One writer at a time is all SQLite allows; a small pool still lets reads run
        // beside it.
        options.max_connections(8).min_connections(1);
    } else {
        options.max_connections(16).min_connections(1);
    }
    let db = Database::connect(options.clone())
        .await
        .map_err(DbStartError::Connect)?;
    Migrator::up(&db, None)
        .await
        .map_err(DbStartError::Migrate)?;
    if !url.starts_with("sqlite:") {
        return Ok(db);
    }
    // A SQLite connection caches the schema it read when it opened, and a statement
    // prepared against a stale cache can fail for good instead of being re-prepared (an
    // `ON CONFLICT` naming a unique index that a migration just created: "does not match
    // any PRIMARY KEY or UNIQUE constraint"). The pool's other connections may predate
    // the migration, so serve from fresh ones.
    db.close().await.map_err(DbStartError::Connect)?;
    Database::connect(options)
        .await
        .map_err(DbStartError::Connect)
}

/// Whether the database answers a trivial query within [`CONNECT_TIMEOUT`].
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(CONNECT_TIMEOUT, db.ping()).await,
        Ok(Ok(()))
    )
}

/// The current time at the precision both databases store (microseconds), so that a
/// timestamp read back compares equal to the one written: keyset cursors depend on it.
///
/// This is the instance's clock. Where several instances must agree on an interval
/// (the refresh-token reuse grace), use [`database_now`] instead.
#[must_use]
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    (chrono::Utc::now() + test_clock::skew()).trunc_subsecs(6)
}

/// The database's current time: one clock for every instance, however far their own
/// clocks drift. PostgreSQL's `clock_timestamp()` is the server's; SQLite's `'now'` is the
/// clock of the machine that holds the file, which every process sharing it reads.
/// SQLite gives milliseconds; PostgreSQL microseconds.
///
/// # Errors
/// A [`DbErr`](sea_orm::DbErr) if the query fails or returns no time.
pub async fn database_now(
    db: &impl ConnectionTrait,
) -> Result<chrono::DateTime<chrono::Utc>, sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000) AS BIGINT)"
        }
        _ => "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER) * 1000",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?
        .ok_or_else(|| sea_orm::DbErr::Custom("the database gave no time".to_owned()))?;
    let micros: i64 = row.try_get_by_index(0)?;
    chrono::DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        sea_orm::DbErr::Custom(format!("the database's time {micros} is out of range"))
    })
}

/// A skew of this process's clock for tests that show what a skewed instance can and
/// cannot do. It exists only in builds with the `test-clock-skew` feature, which only the
/// integration tests turn on; a release build reads no such variable.
#[cfg(feature = "test-clock-skew")]
mod test_clock {
    /// Seconds to add to this instance's clock, from `TICKED_TEST_CLOCK_SKEW_SECONDS`.
    pub fn skew() -> chrono::Duration {
        static SKEW: std::sync::OnceLock<chrono::Duration> = std::sync::OnceLock::new();
        *SKEW.get_or_init(|| {
            std::env::var("TICKED_TEST_CLOCK_SKEW_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .map_or_else(chrono::Duration::zero, chrono::Duration::seconds)
        })
    }
}

#[cfg(not(feature = "test-clock-skew"))]
mod test_clock {
    pub fn skew() -> chrono::Duration {
        chrono::Duration::zero()
    }
}
