//! SQLite, run on the calling thread: a pool of `rusqlite` connections behind sea-orm's
//! [`ConnectionTrait`], so the services speak sea-orm to it as to PostgreSQL.
//!
//! Why not sqlx's SQLite driver: it runs each connection on a thread of its own and sends
//! every row back over a channel, so a page of 50 todos cost dozens of thread wake-ups,
//! and under load the server spent more time in the scheduler than in SQLite. Here a
//! statement runs where the request runs: a primary-key lookup takes microseconds, less
//! than one hand-off to another thread would, and a whole result comes back at once.
//! Statements are prepared once per connection and kept (`prepare_cached`).
//!
//! What that asks in return:
//!
//! - **A writer never waits inside SQLite.** SQLite lets one writer in at a time, and its
//!   busy handler waits by sleeping, which here would put a whole async worker to sleep.
//!   So writers queue on an async lock first (`writer`): a write transaction, or a
//!   write outside one, holds it until it is done; reads never take it (WAL: readers do
//!   not wait for the writer). Write transactions begin `IMMEDIATE`, so they hold
//!   SQLite's write lock from the start and can never be refused it halfway.
//! - **Long statements hold a worker.** A statement that scans a large table blocks the
//!   worker running it for its duration, as CPU work would. The API's statements use
//!   indexes and are bounded; the rare large one (deleting an account with a big list)
//!   is paid once.
//!
//! - **Columns are found by name.** sea-orm's proxy rows keep their columns in name
//!   order, so reading a row by position (`into_tuple`, `try_get_by_index` past 0) gets
//!   the wrong column on SQLite: select into a model (`into_model`) instead.
//!
//! A database written through sqlx's driver (before this one) reads the same through
//! this one and back: values are stored as sqlx stores them ([`values`]).

mod errors;
mod schema;
mod single;
mod statements;
mod values;

use std::{
    ops::Deref,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use rusqlite::Connection;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr, Statement};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

pub use errors::is_unique_violation;
pub use single::single_connection;

use errors::{conn_error, exec_error, query_error};
use schema::ColumnKinds;
use statements::{execute, execute_unprepared, into_results, open_connection, query};

/// How many connections the pool opens, and how long a caller waits for one.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Connections open at most (reads beside one writer).
    pub max_connections: usize,
    /// How long to wait for a connection.
    pub acquire_timeout: Duration,
    /// How long a write waits for its turn: here, behind this process's other writers,
    /// and in SQLite, for a lock another process holds. As long as sqlx's busy timeout
    /// was, so a burst of writes behind a long one queues rather than fails.
    pub busy_timeout: Duration,
}

/// The pool. Cloning shares it.
#[derive(Clone)]
pub struct Pool(Arc<Shared>);

struct Shared {
    path: PathBuf,
    options: PoolOptions,
    idle: Mutex<Vec<Connection>>,
    slots: Arc<Semaphore>,
    writer: Arc<tokio::sync::Mutex<()>>,
    columns: ColumnKinds,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("sqlite::Pool")
            .field("path", &self.0.path)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Opens the database at `path` (which must exist: migrations create it) and checks
    /// that a connection works.
    ///
    /// # Errors
    /// A [`DbErr`] when the file cannot be opened as a database.
    pub fn open(path: &Path, options: PoolOptions) -> Result<Self, DbErr> {
        let first = open_connection(path, options.busy_timeout).map_err(conn_error)?;
        Ok(Self(Arc::new(Shared {
            path: path.to_owned(),
            slots: Arc::new(Semaphore::new(options.max_connections)),
            options,
            idle: Mutex::new(vec![first]),
            writer: Arc::new(tokio::sync::Mutex::new(())),
            columns: ColumnKinds::of_the_schema(),
        })))
    }

    /// Begins a write transaction: it waits for the writer's turn, and holds it (and
    /// SQLite's write lock) until it commits or is dropped.
    ///
    /// # Errors
    /// A [`DbErr`] when no connection or no turn comes within the acquire timeout, or
    /// `BEGIN` fails.
    pub async fn begin(&self) -> Result<Txn, DbErr> {
        let writer = self.writer_turn().await?;
        let conn = self.acquire().await?;
        conn.execute_batch("BEGIN IMMEDIATE").map_err(exec_error)?;
        Ok(Txn {
            conn: Mutex::new(conn),
            _writer: writer,
        })
    }

    /// Whether a connection answers a trivial query.
    ///
    /// # Errors
    /// A [`DbErr`] when it does not.
    pub async fn ping(&self) -> Result<(), DbErr> {
        let conn = self.acquire().await?;
        conn.query_row("SELECT 1", [], |_| Ok(()))
            .map_err(query_error)
    }

    async fn acquire(&self) -> Result<Checkout, DbErr> {
        let deadline = tokio::time::Instant::now() + self.0.options.acquire_timeout;
        let slot = super::pool_slot(&self.0.slots, deadline).await?;
        let idle = self
            .0
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let conn = match idle {
            Some(conn) => conn,
            None => {
                open_connection(&self.0.path, self.0.options.busy_timeout).map_err(conn_error)?
            }
        };
        Ok(Checkout {
            conn: Some(conn),
            pool: Arc::clone(&self.0),
            _slot: slot,
        })
    }

    /// The writer's turn (see the module docs). Waiting longer than the busy timeout is
    /// an error, as SQLite's own "database is locked" was: a write never hangs.
    async fn writer_turn(&self) -> Result<OwnedMutexGuard<()>, DbErr> {
        let writer = &self.0.writer;
        if let Ok(turn) = Arc::clone(writer).try_lock_owned() {
            return Ok(turn);
        }
        tokio::time::timeout(self.0.options.busy_timeout, Arc::clone(writer).lock_owned())
            .await
            .map_err(|_| {
                DbErr::Exec(RuntimeErr::Internal(
                    "SQLite: database is locked (waited too long for another write)".to_owned(),
                ))
            })
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Pool {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let _turn = self.writer_turn().await?;
        let conn = self.acquire().await?;
        execute(&conn, &stmt).map(Into::into)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let _turn = self.writer_turn().await?;
        let conn = self.acquire().await?;
        execute_unprepared(&conn, sql).map(Into::into)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let _turn = self.turn_unless_read(&stmt).await?;
        let conn = self.acquire().await?;
        Ok(query(&conn, &self.0.columns, &stmt, 1)?
            .pop()
            .map(Into::into))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let _turn = self.turn_unless_read(&stmt).await?;
        let conn = self.acquire().await?;
        Ok(into_results(query(
            &conn,
            &self.0.columns,
            &stmt,
            usize::MAX,
        )?))
    }

    fn support_returning(&self) -> bool {
        DbBackend::Sqlite.support_returning()
    }
}

impl Pool {
    /// The writer's turn for a query that may write (`INSERT … RETURNING`); none for a
    /// plain `SELECT`.
    async fn turn_unless_read(
        &self,
        stmt: &Statement,
    ) -> Result<Option<OwnedMutexGuard<()>>, DbErr> {
        if is_read_only(&stmt.sql) {
            Ok(None)
        } else {
            self.writer_turn().await.map(Some)
        }
    }
}

/// Whether `sql` only reads: a `SELECT` (anything else, even a `WITH`, may write).
fn is_read_only(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|word| word.eq_ignore_ascii_case("select"))
}

/// A write transaction (see [`Pool::begin`]). Dropped without [`Txn::commit`], it rolls
/// back.
pub struct Txn {
    /// In a mutex only to be `Sync`, as sea-orm's connections must be: a transaction is
    /// used by one task, one statement at a time.
    conn: Mutex<Checkout>,
    /// Released after `conn` is back in the pool (fields drop in order).
    _writer: OwnedMutexGuard<()>,
}

impl Txn {
    /// Commits.
    ///
    /// # Errors
    /// A [`DbErr`] if the commit fails; the transaction is then rolled back.
    pub fn commit(self) -> Result<(), DbErr> {
        self.with_conn(|conn| conn.execute_batch("COMMIT").map_err(exec_error))
    }

    fn with_conn<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Sqlite
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.with_conn(|conn| execute(conn, &stmt)).map(Into::into)
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.with_conn(|conn| execute_unprepared(conn, sql))
            .map(Into::into)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(query(&conn, &conn.pool.columns, &stmt, 1)?
            .pop()
            .map(Into::into))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(into_results(query(
            &conn,
            &conn.pool.columns,
            &stmt,
            usize::MAX,
        )?))
    }

    fn support_returning(&self) -> bool {
        DbBackend::Sqlite.support_returning()
    }
}

/// A connection out of the pool; back in it when dropped, rolled back first if a
/// transaction was left open (and closed if even that fails).
struct Checkout {
    conn: Option<Connection>,
    pool: Arc<Shared>,
    _slot: OwnedSemaphorePermit,
}

impl Deref for Checkout {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("a checkout holds its connection until dropped")
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if !conn.is_autocommit()
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "closing a SQLite connection that could not roll back");
            return;
        }
        self.pool
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

#[cfg(test)]
mod tests;
