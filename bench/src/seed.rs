//! A million todos cannot be created through the API in a benchmark's time (that would be
//! most of an hour), so the large-table scenario writes them straight into the table, in
//! multi-row `INSERT`s through the server's own database code (`ticked::db`), so values are
//! bound and stored exactly as the server stores them; the database's triggers keep the user's counts as
//! for any other write. Then it refreshes the planner's statistics as autovacuum
//! (PostgreSQL) or an operator (SQLite) would.

use chrono::TimeDelta;
use sea_orm::{
    ConnectionTrait,
    prelude::{DateTimeUtc, Uuid},
    sea_query::{Alias, Query},
};
use ticked::db::{self, Db};

use crate::BenchError;

/// Rows per `INSERT`: 6 000 bound values, under both databases' limits.
const ROWS_PER_INSERT: u64 = 1_000;
/// `INSERT`s per transaction.
const INSERTS_PER_TRANSACTION: u64 = 50;

/// Gives `user` todos numbered `from..to`, created a millisecond apart from
/// 2026-01-01 on, so that the oldest page (the one measured) is the same whatever `to` is.
///
/// # Errors
/// [`BenchError`] if the user id is not a UUID or a statement fails.
pub async fn add_todos(
    database_url: &str,
    user: &str,
    from: u64,
    to: u64,
) -> Result<(), BenchError> {
    let user =
        Uuid::parse_str(user).map_err(|e| BenchError::Setup(format!("user id {user:?}: {e}")))?;
    // The server's own connection to its database, so values are stored as it stores them.
    let db = db::connect_and_migrate(database_url)
        .await
        .map_err(|e| BenchError::Setup(e.to_string()))?;
    let mut next = from;
    while next < to {
        let transaction = db.begin().await?;
        for _ in 0..INSERTS_PER_TRANSACTION {
            if next >= to {
                break;
            }
            let end = std::cmp::min(next + ROWS_PER_INSERT, to);
            insert_rows(&transaction, user, next, end).await?;
            next = end;
        }
        transaction.commit().await?;
    }
    analyze(&db).await
}

async fn insert_rows(
    db: &impl ConnectionTrait,
    user: Uuid,
    from: u64,
    to: u64,
) -> Result<(), BenchError> {
    let epoch = DateTimeUtc::from_timestamp(1_767_225_600, 0)
        .ok_or_else(|| BenchError::Setup("the seed epoch is out of range".to_owned()))?;
    let mut insert = Query::insert();
    insert.into_table(Alias::new("todos")).columns(
        [
            "id",
            "user_id",
            "title",
            "completed",
            "created_at",
            "updated_at",
        ]
        .map(Alias::new),
    );
    for n in from..to {
        let created_at = epoch + TimeDelta::milliseconds(i64::try_from(n).unwrap_or(i64::MAX));
        insert
            .values([
                seeded_id(user, n).into(),
                user.into(),
                format!("Seeded todo {n}").into(),
                (n % 3 == 0).into(),
                created_at.into(),
                created_at.into(),
            ])
            .map_err(|e| BenchError::Setup(format!("building the seed insert: {e}")))?;
    }
    db.execute(&insert).await?;
    Ok(())
}

/// Distinct per user and row: the high half of the user's id, then the row number.
fn seeded_id(user: Uuid, n: u64) -> Uuid {
    let high = (user.as_u128() >> 64) as u64;
    Uuid::from_u128((u128::from(high) << 64) | u128::from(n))
}

/// Fresh planner statistics, as PostgreSQL's autovacuum would gather within a minute of
/// such an insert.
async fn analyze(db: &Db) -> Result<(), BenchError> {
    db.execute_unprepared("ANALYZE todos").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::prelude::Uuid;

    use super::seeded_id;

    #[test]
    fn seeded_ids_differ_per_row_and_per_user() {
        let a = Uuid::from_u128(0x0123_4567_89ab_cdef_0000_0000_0000_0000);
        let b = Uuid::from_u128(0xfedc_ba98_7654_3210_0000_0000_0000_0000);
        assert_ne!(seeded_id(a, 1), seeded_id(a, 2));
        assert_ne!(seeded_id(a, 1), seeded_id(b, 1));
    }
}
