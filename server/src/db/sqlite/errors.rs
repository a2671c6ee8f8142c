//! SQLite's errors as sea-orm's, with SQLite's extended code kept where it can be read
//! back ([`is_unique_violation`]).

use sea_orm::{DbErr, RuntimeErr};

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

pub(super) fn exec_error(err: rusqlite::Error) -> DbErr {
    DbErr::Exec(runtime_error(&err))
}

pub(super) fn query_error(err: rusqlite::Error) -> DbErr {
    DbErr::Query(runtime_error(&err))
}

pub(super) fn conn_error(err: rusqlite::Error) -> DbErr {
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
