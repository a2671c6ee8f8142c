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

mod schema;
mod values;

use std::{
    collections::BTreeMap,
    ops::Deref,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use rusqlite::{CachedStatement, Connection, OpenFlags};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, ExecResult,
    ProxyDatabaseTrait, ProxyExecResult, ProxyRow, QueryResult, RuntimeErr, Statement,
};
use tokio::sync::{OwnedMutexGuard, OwnedSemaphorePermit, Semaphore};

use schema::ColumnKinds;
use values::ColumnKind;

/// How the pool opens and waits. Read from the same settings as before this driver.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Connections open at most (reads beside one writer).
    pub max_connections: usize,
    /// How long to wait for a connection, or for the writer's turn.
    pub acquire_timeout: Duration,
    /// How long SQLite itself waits for a lock another process holds.
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
        let slots = &self.0.slots;
        let slot = match Arc::clone(slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => tokio::time::timeout(
                self.0.options.acquire_timeout,
                Arc::clone(slots).acquire_owned(),
            )
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?,
        };
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

    /// The writer's turn (see the module docs). Waiting longer than the acquire timeout
    /// is an error, as SQLite's own "database is locked" was: a write never hangs.
    async fn writer_turn(&self) -> Result<OwnedMutexGuard<()>, DbErr> {
        let writer = &self.0.writer;
        if let Ok(turn) = Arc::clone(writer).try_lock_owned() {
            return Ok(turn);
        }
        tokio::time::timeout(
            self.0.options.acquire_timeout,
            Arc::clone(writer).lock_owned(),
        )
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

/// One connection as a sea-orm [`DatabaseConnection`], through sea-orm's proxy: for
/// sea-orm-migration, which takes nothing else, and for tests that reach past the API.
/// Not for serving: it is one connection, used by one caller at a time.
///
/// # Errors
/// A [`DbErr`] when the file cannot be opened (or created) as a database.
pub async fn single_connection(
    path: &Path,
    busy_timeout: Duration,
) -> Result<DatabaseConnection, DbErr> {
    let conn = open_connection_with(path, busy_timeout, OpenFlags::SQLITE_OPEN_CREATE)
        .map_err(conn_error)?;
    let proxy: Box<dyn ProxyDatabaseTrait> = Box::new(SingleConnection {
        conn: Mutex::new(conn),
        columns: ColumnKinds::of_the_schema(),
    });
    Database::connect_proxy(DbBackend::Sqlite, Arc::new(proxy)).await
}

struct SingleConnection {
    conn: Mutex<Connection>,
    columns: ColumnKinds,
}

impl std::fmt::Debug for SingleConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("sqlite::SingleConnection")
    }
}

impl SingleConnection {
    fn run<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        f(&self.conn.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// sea-orm's proxy gives transactions no way to fail; a failure is logged, and the
    /// statements after it fail in turn if SQLite refuses them.
    fn run_logged(&self, sql: &str) {
        if let Err(e) = self.run(|conn| conn.execute_batch(sql)) {
            tracing::error!(error = %e, "SQLite: {sql} failed");
        }
    }
}

#[async_trait::async_trait]
impl ProxyDatabaseTrait for SingleConnection {
    async fn query(&self, statement: Statement) -> Result<Vec<ProxyRow>, DbErr> {
        self.run(|conn| query(conn, &self.columns, &statement, usize::MAX))
    }

    async fn execute(&self, statement: Statement) -> Result<ProxyExecResult, DbErr> {
        self.run(|conn| execute(conn, &statement))
    }

    async fn begin(&self) {
        self.run_logged("BEGIN");
    }

    async fn commit(&self) {
        self.run_logged("COMMIT");
    }

    async fn rollback(&self) {
        self.run_logged("ROLLBACK");
    }

    fn start_rollback(&self) {
        self.run_logged("ROLLBACK");
    }

    async fn ping(&self) -> Result<(), DbErr> {
        self.run(|conn| conn.query_row("SELECT 1", [], |_| Ok(())))
            .map_err(query_error)
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

/// Opens one connection of the pool (the file exists: migrations made it).
fn open_connection(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    open_connection_with(path, busy_timeout, OpenFlags::empty())
}

/// Opens one connection with the settings every connection has.
fn open_connection_with(
    path: &Path,
    busy_timeout: Duration,
    extra: OpenFlags,
) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | extra,
    )?;
    conn.busy_timeout(busy_timeout)?;
    // WAL: readers never wait for the writer. `synchronous = NORMAL` in WAL mode keeps
    // every committed transaction across a crash of the process.
    conn.pragma_update_and_check(None, "journal_mode", "WAL", |_| Ok(()))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Enough for every statement the server makes, so none is ever prepared twice.
    conn.set_prepared_statement_cache_capacity(256);
    Ok(conn)
}

fn prepare<'c>(conn: &'c Connection, stmt: &Statement) -> rusqlite::Result<CachedStatement<'c>> {
    let mut prepared = conn.prepare_cached(&stmt.sql)?;
    if let Some(values) = &stmt.values {
        for (index, value) in values.0.iter().enumerate() {
            let value = values::to_sql(value)
                .map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.to_string().into()))?;
            prepared.raw_bind_parameter(index + 1, value)?;
        }
    }
    Ok(prepared)
}

fn execute(conn: &Connection, stmt: &Statement) -> Result<ProxyExecResult, DbErr> {
    let rows_affected = prepare(conn, stmt)
        .and_then(|mut prepared| prepared.raw_execute())
        .map_err(exec_error)?;
    Ok(ProxyExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or(0),
        rows_affected: rows_affected as u64,
    })
}

fn execute_unprepared(conn: &Connection, sql: &str) -> Result<ProxyExecResult, DbErr> {
    conn.execute_batch(sql).map_err(exec_error)?;
    Ok(ProxyExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or(0),
        rows_affected: conn.changes(),
    })
}

fn into_results(rows: Vec<ProxyRow>) -> Vec<QueryResult> {
    rows.into_iter().map(Into::into).collect()
}

/// Runs `stmt` and reads up to `limit` rows, each column as its entity field's type.
fn query(
    conn: &Connection,
    kinds: &ColumnKinds,
    stmt: &Statement,
    limit: usize,
) -> Result<Vec<ProxyRow>, DbErr> {
    let mut prepared = prepare(conn, stmt).map_err(query_error)?;
    let columns: Vec<(String, ColumnKind)> = prepared
        .columns_with_metadata()
        .iter()
        .map(|column| {
            let kind = match (column.table_name(), column.origin_name()) {
                (Some(table), Some(origin)) => kinds.get(table, origin),
                _ => ColumnKind::Untyped,
            };
            (column.name().to_owned(), kind)
        })
        .collect();
    let mut rows = prepared.raw_query();
    let mut results = Vec::new();
    while results.len() < limit {
        let Some(row) = rows.next().map_err(query_error)? else {
            break;
        };
        let mut values = BTreeMap::new();
        for (index, (name, kind)) in columns.iter().enumerate() {
            let raw = row.get_ref(index).map_err(query_error)?;
            values.insert(name.clone(), values::from_sql(*kind, raw)?);
        }
        results.push(ProxyRow::new(values));
    }
    Ok(results)
}

/// The prefix of every SQLite error this driver reports, before its extended code.
const ERROR_PREFIX: &str = "SQLite error ";

fn runtime_error(err: &rusqlite::Error) -> RuntimeErr {
    RuntimeErr::Internal(match err {
        rusqlite::Error::SqliteFailure(failure, message) => format!(
            "{ERROR_PREFIX}{}: {}",
            failure.extended_code,
            message.as_deref().unwrap_or("")
        ),
        other => format!("SQLite: {other}"),
    })
}

fn exec_error(err: rusqlite::Error) -> DbErr {
    DbErr::Exec(runtime_error(&err))
}

fn query_error(err: rusqlite::Error) -> DbErr {
    DbErr::Query(runtime_error(&err))
}

fn conn_error(err: rusqlite::Error) -> DbErr {
    DbErr::Conn(runtime_error(&err))
}

/// Whether `err` is this driver's report of a unique (or primary key) constraint
/// violation: SQLite's extended codes 2067 and 1555.
#[must_use]
pub fn is_unique_violation(err: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::Internal(message)) | DbErr::Query(RuntimeErr::Internal(message))) =
        err
    else {
        return false;
    };
    message
        .strip_prefix(ERROR_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(code, _)| matches!(code, "2067" | "1555"))
}

#[cfg(test)]
mod tests;
