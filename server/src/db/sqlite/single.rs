//! One SQLite connection as a sea-orm [`DatabaseConnection`], for what takes nothing
//! else: sea-orm-migration, and tests that reach past the API.

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use rusqlite::{Connection, OpenFlags};
use sea_orm::{
    Database, DatabaseConnection, DbBackend, DbErr, ProxyDatabaseTrait, ProxyExecResult, ProxyRow,
    Statement,
};

use super::{
    errors::{conn_error, query_error},
    schema::ColumnKinds,
    statements::{execute, open_connection_with, query},
};

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
