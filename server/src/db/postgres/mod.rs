//! PostgreSQL through a pool of our own: sqlx connections behind sea-orm's
//! [`ConnectionTrait`], handed out and taken back without a round trip.
//!
//! Why not sqlx's pool, which sea-orm uses: it pings every connection as it takes it
//! back, from a task it spawns for each release. That is a round trip per statement that
//! PostgreSQL and the server both pay for (BENCHMARKS.md, issue #12's step 9), and there
//! is no setting to turn it off. The ping is there to flush what a cancelled statement
//! or a dropped transaction left behind. Here the pool knows when that is:
//!
//! - **Settled** (its last statement finished, no transaction open): the connection goes
//!   straight back on the idle stack, on the releasing thread, with no I/O.
//! - **Left mid-way** (a transaction dropped without commit, as on an error path, or a
//!   statement whose future was dropped because the request was): a task rolls it back,
//!   which first reads whatever PostgreSQL still had to send, then returns it. The pool's
//!   slot goes with the task, so the pool never holds more connections than its size.
//! - **Broken** (any error but PostgreSQL's own report of a failed statement): closed.
//!
//! Handing out: the most recently used connection first, so a burst's extra connections
//! age at the bottom of the stack and are closed after [`PoolOptions::idle_timeout`]. One
//! idle for longer than [`PoolOptions::ping_after_idle`] is pinged first: connections die
//! while idle (a restart of PostgreSQL, a proxy's or a firewall's timeout). One that dies
//! within that time of its last use fails the request that takes it, as a request in
//! flight would have failed, and is closed.

use std::{
    str::FromStr,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DbBackend, DbErr, ExecResult, QueryResult, RuntimeErr,
    Statement,
    sea_query::Values,
    sqlx::{
        self, ConnectOptions as _, Connection as _, Executor as _,
        postgres::{
            PgConnectOptions, PgConnection, PgDatabaseError, PgQueryResult, PgRow, PgSeverity,
            Postgres,
        },
    },
};
use sea_query_sqlx::SqlxValues;
use tokio::{
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, timeout, timeout_at},
};

/// How many connections the pool keeps, and how long it waits for things.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Connections open at most.
    pub max_connections: usize,
    /// How long a caller waits for a connection, including opening or checking one.
    pub acquire_timeout: Duration,
    /// A connection idle for this long is checked with a round trip before it is handed
    /// out; one used more recently is handed out as it is.
    pub ping_after_idle: Duration,
    /// A connection idle for this long is closed (as sqlx's pool does after 10 minutes),
    /// so a burst does not hold PostgreSQL's connections for good.
    pub idle_timeout: Duration,
}

/// The pool. Cloning shares it.
#[derive(Clone)]
pub struct Pool(Arc<Shared>);

struct Shared {
    connect: PgConnectOptions,
    options: PoolOptions,
    /// The most recently returned on top.
    idle: Mutex<Vec<IdleConnection>>,
    slots: Arc<Semaphore>,
}

struct IdleConnection {
    conn: PgConnection,
    since: Instant,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("postgres::Pool")
            .field("options", &self.0.options)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// Parses `url` and opens a first connection, so that a wrong URL or an unreachable
    /// server is found at start.
    ///
    /// # Errors
    /// A [`DbErr`] when the URL is not PostgreSQL's or no connection opens in time.
    pub async fn connect(url: &str, options: PoolOptions) -> Result<Self, DbErr> {
        let connect = PgConnectOptions::from_str(url)
            .map_err(conn_error)?
            .disable_statement_logging();
        let pool = Self(Arc::new(Shared {
            connect,
            slots: Arc::new(Semaphore::new(options.max_connections)),
            options,
            idle: Mutex::new(Vec::new()),
        }));
        let first = pool.acquire().await?;
        drop(first);
        Ok(pool)
    }

    /// Begins a transaction on a connection it holds until the transaction ends.
    ///
    /// # Errors
    /// A [`DbErr`] when no connection comes in time or `BEGIN` fails.
    pub async fn begin(&self) -> Result<Txn, DbErr> {
        let mut conn = self.acquire().await?;
        // Counted as open from before it is sent: a `BEGIN` cut off on its way may have
        // started one.
        conn.in_transaction = true;
        conn.execute_unprepared("BEGIN").await.map_err(exec_error)?;
        Ok(Txn {
            conn: tokio::sync::Mutex::new(conn),
        })
    }

    /// Whether a connection answers a round trip.
    ///
    /// # Errors
    /// A [`DbErr`] when it does not.
    pub async fn ping(&self) -> Result<(), DbErr> {
        let mut conn = self.acquire().await?;
        let conn_ref = conn.start();
        let result = conn_ref.ping().await;
        conn.finish(result).map_err(conn_error)
    }

    async fn acquire(&self) -> Result<Checkout, DbErr> {
        let deadline = Instant::now() + self.0.options.acquire_timeout;
        let slot = super::pool_slot(&self.0.slots, deadline).await?;
        let conn = loop {
            let idle = self
                .0
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some(IdleConnection { mut conn, since }) = idle else {
                break timeout_at(deadline, PgConnection::connect_with(&self.0.connect))
                    .await
                    .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
                    .map_err(conn_error)?;
            };
            if since.elapsed() < self.0.options.ping_after_idle {
                break conn;
            }
            match timeout_at(deadline, conn.ping()).await {
                Ok(Ok(())) => break conn,
                // Dead while idle: dropped (its socket closed), and the next one tried.
                Ok(Err(_)) => {}
                Err(_) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
            }
        };
        Ok(Checkout {
            conn: Some(conn),
            settled: true,
            in_transaction: false,
            broken: false,
            pool: Arc::clone(&self.0),
            slot: Some(slot),
        })
    }
}

impl Shared {
    /// Puts a settled connection back on top of the idle stack, and closes the ones at
    /// the bottom that have been idle too long.
    fn put_back(&self, conn: PgConnection) {
        let now = Instant::now();
        let expired = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            let fresh_from = idle
                .iter()
                .position(|c| now.duration_since(c.since) < self.options.idle_timeout)
                .unwrap_or(idle.len());
            let expired: Vec<_> = idle.drain(..fresh_from).collect();
            idle.push(IdleConnection { conn, since: now });
            expired
        };
        for IdleConnection { conn, .. } in expired {
            close_in_background(conn);
        }
    }
}

/// Says goodbye to PostgreSQL (a `Terminate`, so it logs no lost client) off the caller's
/// path; without a runtime, the socket is simply closed.
fn close_in_background(conn: PgConnection) {
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let _ = timeout(RECOVERY_TIMEOUT, conn.close()).await;
        });
    }
}

/// How long a connection left mid-way may take to roll back and drain, or a closing one
/// to say goodbye, before it is dropped instead.
const RECOVERY_TIMEOUT: Duration = Duration::from_secs(5);

#[async_trait::async_trait]
impl ConnectionTrait for Pool {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.acquire().await?.execute(&stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.acquire()
            .await?
            .execute_unprepared(sql)
            .await
            .map(Into::into)
            .map_err(exec_error)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.acquire().await?.query_one(&stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.acquire().await?.query_all(&stmt).await
    }

    fn support_returning(&self) -> bool {
        DbBackend::Postgres.support_returning()
    }
}

/// A transaction (see [`Pool::begin`]). Dropped without [`Txn::commit`], it rolls back.
pub struct Txn {
    /// In a mutex because sea-orm's connections take `&self`: a transaction is used by
    /// one task, one statement at a time, so the lock is never contended.
    conn: tokio::sync::Mutex<Checkout>,
}

impl Txn {
    /// Commits.
    ///
    /// # Errors
    /// A [`DbErr`] if the commit fails; nothing of the transaction is kept then.
    pub async fn commit(self) -> Result<(), DbErr> {
        let mut conn = self.conn.into_inner();
        let result = conn.execute_unprepared("COMMIT").await;
        // A `COMMIT` that PostgreSQL answered, with success or an error, ends the
        // transaction; one that did not reach it leaves the connection broken.
        if matches!(&result, Ok(_) | Err(sqlx::Error::Database(_))) {
            conn.in_transaction = false;
        }
        result.map(drop).map_err(exec_error)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Txn {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.conn.lock().await.execute(&stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.conn
            .lock()
            .await
            .execute_unprepared(sql)
            .await
            .map(Into::into)
            .map_err(exec_error)
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.conn.lock().await.query_one(&stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.conn.lock().await.query_all(&stmt).await
    }

    fn support_returning(&self) -> bool {
        DbBackend::Postgres.support_returning()
    }
}

/// A connection out of the pool, with what its release needs to know (see the module
/// docs). Back in the pool when dropped.
struct Checkout {
    conn: Option<PgConnection>,
    /// False from the start of a statement until its result is read: still false when
    /// dropped, the statement's future was dropped mid-way.
    settled: bool,
    /// A transaction is (or may be) open.
    in_transaction: bool,
    /// An error other than PostgreSQL's report of a failed statement: the connection is
    /// not to be trusted again.
    broken: bool,
    pool: Arc<Shared>,
    /// Released after the connection is back in the pool (fields drop in order), or
    /// taken by the task that recovers it.
    slot: Option<OwnedSemaphorePermit>,
}

impl Checkout {
    /// The connection, marked as in use until [`Checkout::finish`].
    fn start(&mut self) -> &mut PgConnection {
        self.settled = false;
        self.conn
            .as_mut()
            .expect("a checkout holds its connection until dropped")
    }

    /// Marks the statement done and judges the connection by its result.
    fn finish<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        self.settled = true;
        if let Err(err) = &result
            && !leaves_connection_usable(err)
        {
            self.broken = true;
        }
        result
    }

    async fn execute(&mut self, stmt: &Statement) -> Result<ExecResult, DbErr> {
        let query = bind(stmt);
        let result = query.execute(self.start()).await;
        self.finish(result).map(Into::into).map_err(exec_error)
    }

    async fn execute_unprepared(&mut self, sql: &str) -> Result<PgQueryResult, sqlx::Error> {
        let result = self.start().execute(sqlx::AssertSqlSafe(sql)).await;
        self.finish(result)
    }

    async fn query_one(&mut self, stmt: &Statement) -> Result<Option<QueryResult>, DbErr> {
        let query = bind(stmt);
        let result = query.fetch_optional(self.start()).await;
        self.finish(result)
            .map(|row| row.map(Into::into))
            .map_err(query_error)
    }

    async fn query_all(&mut self, stmt: &Statement) -> Result<Vec<QueryResult>, DbErr> {
        let query = bind(stmt);
        let result: Result<Vec<PgRow>, _> = query.fetch_all(self.start()).await;
        self.finish(result)
            .map(|rows| rows.into_iter().map(Into::into).collect())
            .map_err(query_error)
    }
}

impl Drop for Checkout {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        if self.broken {
            return;
        }
        if self.settled && !self.in_transaction {
            self.pool.put_back(conn);
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to recover it on: closing the socket makes PostgreSQL roll back.
            return;
        };
        let pool = Arc::clone(&self.pool);
        let slot = self.slot.take();
        let in_transaction = self.in_transaction;
        runtime.spawn(async move {
            if let Some(conn) = recover(conn, in_transaction).await {
                pool.put_back(conn);
            }
            drop(slot);
        });
    }
}

/// Brings a connection left mid-way back to a settled state: reads what PostgreSQL still
/// owes it and rolls back an open transaction. `None` if that fails or takes too long.
async fn recover(mut conn: PgConnection, in_transaction: bool) -> Option<PgConnection> {
    let recovered = timeout(RECOVERY_TIMEOUT, async {
        if in_transaction {
            // sqlx reads the answers still owed before it sends this.
            conn.execute("ROLLBACK").await.map(drop)
        } else {
            conn.ping().await
        }
    })
    .await;
    match recovered {
        Ok(Ok(())) => Some(conn),
        Ok(Err(error)) => {
            tracing::warn!(%error, "closing a PostgreSQL connection that could not recover");
            None
        }
        Err(_) => {
            tracing::warn!("closing a PostgreSQL connection that took too long to recover");
            None
        }
    }
}

/// Whether the connection can serve the next statement after `err`: yes after
/// PostgreSQL's own report of a failed statement (a constraint, a bad value) or an empty
/// result; not after a fatal report (PostgreSQL ends the session after sending it, as
/// when an administrator or a shutdown terminates it), nor after anything else (I/O,
/// protocol, TLS).
fn leaves_connection_usable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::RowNotFound => true,
        sqlx::Error::Database(db_err) => db_err
            .try_downcast_ref::<PgDatabaseError>()
            .is_none_or(|pg| !matches!(pg.severity(), PgSeverity::Fatal | PgSeverity::Panic)),
        _ => false,
    }
}

/// `stmt` as a sqlx query with its values bound, prepared once per connection (sqlx
/// caches it by its text).
fn bind(stmt: &Statement) -> sqlx::query::Query<'_, Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

fn exec_error(err: sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(err)))
}

fn query_error(err: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(err)))
}

fn conn_error(err: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(err)))
}

#[cfg(test)]
mod tests;
