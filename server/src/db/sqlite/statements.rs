//! One statement on one connection: opening connections, binding values, running a
//! statement and reading its rows.

use std::{collections::BTreeMap, path::Path, time::Duration};

use rusqlite::{CachedStatement, Connection, OpenFlags, config::DbConfig};
use sea_orm::{DbErr, ProxyExecResult, ProxyRow, QueryResult, Statement};

use super::{
    errors::{exec_error, query_error},
    schema::ColumnKinds,
    values::{self, ColumnKind},
};

/// Opens one connection of the pool (the file exists: migrations made it).
pub(super) fn open_connection(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    open_connection_with(path, busy_timeout, OpenFlags::empty())
}

/// Opens one connection with the settings every connection has.
pub(super) fn open_connection_with(
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
    // The query planner stability guarantee: plans never depend on bound values. Without
    // it SQLite marks a statement whose plan *could* depend on a value (a `LIMIT ?`, which
    // every sea-orm `.one()` has, or, after `ANALYZE`, a value compared to an indexed
    // column) and prepares it again after every new binding: the statement cache saved
    // nothing, and every request paid SQLite's parser.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

pub(super) fn prepare<'c>(
    conn: &'c Connection,
    stmt: &Statement,
) -> rusqlite::Result<CachedStatement<'c>> {
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

pub(super) fn execute(conn: &Connection, stmt: &Statement) -> Result<ProxyExecResult, DbErr> {
    let rows_affected = prepare(conn, stmt)
        .and_then(|mut prepared| prepared.raw_execute())
        .map_err(exec_error)?;
    Ok(ProxyExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or(0),
        rows_affected: rows_affected as u64,
    })
}

pub(super) fn execute_unprepared(conn: &Connection, sql: &str) -> Result<ProxyExecResult, DbErr> {
    conn.execute_batch(sql).map_err(exec_error)?;
    Ok(ProxyExecResult {
        last_insert_id: u64::try_from(conn.last_insert_rowid()).unwrap_or(0),
        rows_affected: conn.changes(),
    })
}

pub(super) fn into_results(rows: Vec<ProxyRow>) -> Vec<QueryResult> {
    rows.into_iter().map(Into::into).collect()
}

/// Runs `stmt` and reads up to `limit` rows, each column as its entity field's type.
pub(super) fn query(
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use rusqlite::StatementStatus;

    use super::open_connection_with;

    /// A cached statement is prepared once, however often it is bound again: with a
    /// `LIMIT ?` (every sea-orm `.one()`) SQLite would otherwise prepare it anew after
    /// each binding.
    #[test]
    fn a_cached_statement_is_not_prepared_again_when_bound_again() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open_connection_with(
            &dir.path().join("t.db"),
            Duration::from_secs(1),
            rusqlite::OpenFlags::SQLITE_OPEN_CREATE,
        )
        .unwrap();
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .unwrap();
        for round in 0..5_i64 {
            let mut stmt = conn
                .prepare_cached("SELECT v FROM t WHERE id > ? LIMIT ?")
                .unwrap();
            stmt.raw_bind_parameter(1, round).unwrap();
            stmt.raw_bind_parameter(2, 1_i64).unwrap();
            let mut rows = stmt.raw_query();
            while rows.next().unwrap().is_some() {}
            drop(rows);
            assert_eq!(
                stmt.get_status(StatementStatus::RePrepare),
                0,
                "round {round}"
            );
        }
    }
}
