//! Opening the database and bringing its schema up to date.
//!
//! The URL decides the backend: `sqlite://…` (the embedded default) or `postgres://…`
//! (several instances on one server). Both are compiled in, and the rest of the code
//! does not care which one it talks to: it speaks sea-orm to a [`Db`], and writes in a
//! [`Txn`] from [`Db::begin`].
//!
//! PostgreSQL goes through [`postgres`], our pool of sqlx connections that hands them out
//! and takes them back without a round trip. SQLite goes through [`sqlite`], our pool of
//! `rusqlite` connections that runs each statement on the calling thread. Migrations run
//! on sea-orm's own connection ([`admin_connection`]) before either opens.

mod postgres;
mod sqlite;

use std::{path::PathBuf, sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnAcquireErr, ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    DbErr, ExecResult, QueryResult, Statement,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a write waits for its turn, behind this process's other writers (see
/// [`sqlite`]) or for another process's lock, before it fails as "database is locked".
/// Writes are short, so this only matters under a burst or behind a very long one.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long start-up and `/readyz` wait for the database before calling it unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A pooled PostgreSQL connection idle for this long is checked with a round trip before
/// it is handed out; one used more recently is handed out as it is. Checking every
/// connection on every acquire, as sqlx's pool does by default, is a round trip per
/// statement that PostgreSQL and the server both pay for (BENCHMARKS.md, issue #12's
/// step 8). Connections die while idle (a restart of PostgreSQL, a proxy's or a
/// firewall's timeout), and those are checked; one that dies within a second of its last
/// use fails the request that takes it, as a request in flight would have failed, and is
/// closed.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// PostgreSQL connections one instance opens at most. Several instances share one server
/// (PostgreSQL's default allows 100 connections).
const POSTGRES_MAX_CONNECTIONS: usize = 16;

/// A PostgreSQL connection idle this long is closed, as sqlx's pool closes them, so that a
/// burst does not hold PostgreSQL's connections for good.
const POSTGRES_IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

/// Why the database could not be used at start.
#[derive(Debug, thiserror::Error)]
pub enum DbStartError {
    #[error("DATABASE_URL: cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("DATABASE_URL: migrating the database failed: {0}")]
    Migrate(DbErr),
    #[error("DATABASE_URL: {0}")]
    Unsupported(&'static str),
}

/// The server's database. Cloning shares the pool.
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(postgres::Pool),
    Sqlite(sqlite::Pool),
}

/// A transaction from [`Db::begin`]. Dropped without [`Txn::commit`], it rolls back.
pub enum Txn {
    Postgres(postgres::Txn),
    Sqlite(sqlite::Txn),
}

impl Db {
    /// Begins a transaction for a write. On SQLite it waits for the writer's turn and
    /// holds SQLite's write lock from the start (see [`sqlite`]).
    ///
    /// # Errors
    /// A [`DbErr`] if the transaction cannot begin.
    pub async fn begin(&self) -> Result<Txn, DbErr> {
        Ok(match self {
            Self::Postgres(pool) => Txn::Postgres(pool.begin().await?),
            Self::Sqlite(pool) => Txn::Sqlite(pool.begin().await?),
        })
    }

    /// Whether a connection answers a trivial query.
    ///
    /// # Errors
    /// A [`DbErr`] when it does not.
    pub async fn ping(&self) -> Result<(), DbErr> {
        match self {
            Self::Postgres(pool) => pool.ping().await,
            Self::Sqlite(pool) => pool.ping().await,
        }
    }
}

impl Txn {
    /// Commits.
    ///
    /// # Errors
    /// A [`DbErr`] if the commit fails; nothing of the transaction is kept then.
    pub async fn commit(self) -> Result<(), DbErr> {
        match self {
            Self::Postgres(txn) => txn.commit().await,
            Self::Sqlite(txn) => txn.commit(),
        }
    }
}

/// [`ConnectionTrait`] for an enum whose variants all implement it.
macro_rules! connection_by_backend {
    ($enum:ident) => {
        #[async_trait::async_trait]
        impl ConnectionTrait for $enum {
            fn get_database_backend(&self) -> DbBackend {
                match self {
                    Self::Postgres(c) => c.get_database_backend(),
                    Self::Sqlite(c) => c.get_database_backend(),
                }
            }

            async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
                match self {
                    Self::Postgres(c) => c.execute_raw(stmt).await,
                    Self::Sqlite(c) => c.execute_raw(stmt).await,
                }
            }

            async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
                match self {
                    Self::Postgres(c) => c.execute_unprepared(sql).await,
                    Self::Sqlite(c) => c.execute_unprepared(sql).await,
                }
            }

            async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
                match self {
                    Self::Postgres(c) => c.query_one_raw(stmt).await,
                    Self::Sqlite(c) => c.query_one_raw(stmt).await,
                }
            }

            async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
                match self {
                    Self::Postgres(c) => c.query_all_raw(stmt).await,
                    Self::Sqlite(c) => c.query_all_raw(stmt).await,
                }
            }

            fn support_returning(&self) -> bool {
                match self {
                    Self::Postgres(c) => c.support_returning(),
                    Self::Sqlite(c) => c.support_returning(),
                }
            }
        }
    };
}

connection_by_backend!(Db);
connection_by_backend!(Txn);

/// A slot of a pool of `slots`, waited for until `deadline`: both pools bound their
/// connections this way, and a caller that waits too long gets sea-orm's own timeout.
async fn pool_slot(
    slots: &Arc<Semaphore>,
    deadline: tokio::time::Instant,
) -> Result<OwnedSemaphorePermit, DbErr> {
    if let Ok(slot) = Arc::clone(slots).try_acquire_owned() {
        return Ok(slot);
    }
    tokio::time::timeout_at(deadline, Arc::clone(slots).acquire_owned())
        .await
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))
}

/// Whether `err` is a unique-constraint violation, on either backend.
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) || sqlite::is_unique_violation(err)
}

/// Connects to `url` and runs every pending migration.
///
/// SQLite is opened in WAL mode (readers never wait for the writer) with a busy timeout
/// (a writer of another process is waited for rather than failed) and `synchronous =
/// NORMAL`, which in WAL mode keeps every committed transaction across a crash of the
/// process.
///
/// # Errors
/// [`DbStartError`] when the database cannot be reached or migrated.
pub async fn connect_and_migrate(url: &str) -> Result<Db, DbStartError> {
    let migrating = admin_connection(url).await?;
    Migrator::up(&migrating, None)
        .await
        .map_err(DbStartError::Migrate)?;
    // The pools open their connections after the migrations: a SQLite connection caches
    // the schema it read when it opened, and one that predates a migration can fail for
    // good on a statement that names what the migration made.
    migrating.close().await.map_err(DbStartError::Connect)?;
    let Some(path) = sqlite_path(url)? else {
        let pool = postgres::Pool::connect(
            url,
            postgres::PoolOptions {
                max_connections: POSTGRES_MAX_CONNECTIONS,
                acquire_timeout: CONNECT_TIMEOUT,
                ping_after_idle: PING_AFTER_IDLE,
                idle_timeout: POSTGRES_IDLE_TIMEOUT,
            },
        )
        .await
        .map_err(DbStartError::Connect)?;
        return Ok(Db::Postgres(pool));
    };
    let pool = sqlite::Pool::open(
        &path,
        sqlite::PoolOptions {
            // One writer at a time is all SQLite allows; the others read beside it.
            max_connections: 8,
            acquire_timeout: CONNECT_TIMEOUT,
            busy_timeout: SQLITE_BUSY_TIMEOUT,
        },
    )
    .map_err(DbStartError::Connect)?;
    Ok(Db::Sqlite(pool))
}

/// A sea-orm [`DatabaseConnection`] to `url`, not migrated: what sea-orm-migration runs
/// on, and what tests use to reach past the API. On PostgreSQL sea-orm's pool of sqlx
/// connections, as sea-orm configures it; on SQLite one connection, through sea-orm's proxy (see
/// [`sqlite::single_connection`]), that creates the file if it is missing.
///
/// # Errors
/// [`DbStartError`] when the URL is not one the server takes or nothing answers there.
pub async fn admin_connection(url: &str) -> Result<DatabaseConnection, DbStartError> {
    if let Some(path) = sqlite_path(url)? {
        return sqlite::single_connection(&path, SQLITE_BUSY_TIMEOUT)
            .await
            .map_err(DbStartError::Connect);
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .connect_timeout(CONNECT_TIMEOUT)
        .acquire_timeout(CONNECT_TIMEOUT)
        .sqlx_logging(false)
        .max_connections(16);
    Database::connect(options)
        .await
        .map_err(DbStartError::Connect)
}

/// The file of a `sqlite://PATH` or `sqlite:PATH` URL (percent-decoded, the query left
/// out), or `None` for any other URL. `mode=rwc` and `mode=rw` are accepted as sqlx
/// accepted them; the file is created either way.
fn sqlite_path(url: &str) -> Result<Option<PathBuf>, DbStartError> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(None);
    };
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:";
    for parameter in query.split('&').filter(|p| !p.is_empty()) {
        match parameter.split_once('=') {
            Some(("mode", "rwc" | "rw")) => {}
            Some(("mode", "memory")) => {
                return Err(DbStartError::Unsupported(IN_MEMORY));
            }
            _ => {
                return Err(DbStartError::Unsupported(
                    "a SQLite URL takes no parameter but mode=rwc (sqlite://PATH?mode=rwc)",
                ));
            }
        }
    }
    if memory {
        return Err(DbStartError::Unsupported(IN_MEMORY));
    }
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .map_err(|_| DbStartError::Unsupported("the SQLite file name is not UTF-8"))?;
    Ok(Some(PathBuf::from(decoded.as_ref())))
}

const IN_MEMORY: &str = "an in-memory SQLite database is not supported: name a file";

/// Whether the database answers a trivial query within [`CONNECT_TIMEOUT`].
pub async fn is_ready(db: &Db) -> bool {
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
