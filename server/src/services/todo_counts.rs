//! Each user's number of active and completed todos, as the list shows them. The
//! database keeps them in `todo_counts`, in triggers on `todos` (see the migration that
//! made the table), so reading them costs one short index range however many todos the
//! user has, and no write has to remember them. A user's counts are spread over a few
//! slots, so that concurrent writers do not queue on one row (the migration that made
//! slots); a read sums them.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    auth::{UncheckedSession, sessions},
    entities::{session, todo_count},
    error::ApiError,
};

/// The user's (active, completed) counts.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn read(db: &impl ConnectionTrait, user: Uuid) -> Result<(u64, u64), ApiError> {
    let found = todo_count::Entity::find()
        .select_only()
        .column_as(sum(todo_count::Column::ActiveCount), "active_count")
        .column_as(sum(todo_count::Column::CompletedCount), "completed_count")
        .filter(todo_count::Column::UserId.eq(user))
        .into_model::<SlotSums>()
        .one(db)
        .await?;
    Ok(found.map_or((0, 0), |found| {
        counts(found.active_count, found.completed_count)
    }))
}

/// The caller's counts, read in one statement with the check that their session is live
/// (see [`UncheckedSession`]): the live session's row, joined to its user's counts.
///
/// # Errors
/// [`ApiError::Token`] (`session_revoked`) for a signed-out session;
/// [`ApiError::Database`] if the query fails.
pub async fn read_for(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
) -> Result<(u64, u64), ApiError> {
    let found = sessions::find_live(caller)
        .select_only()
        .column_as(sum(todo_count::Column::ActiveCount), "active_count")
        .column_as(sum(todo_count::Column::CompletedCount), "completed_count")
        .join(
            JoinType::LeftJoin,
            session::Entity::belongs_to(todo_count::Entity)
                .from(session::Column::UserId)
                .to(todo_count::Column::UserId)
                .into(),
        )
        // One row for the live session, none for any other, whatever the slots.
        .group_by(session::Column::Id)
        .into_model::<SlotSums>()
        .one(db)
        .await?;
    let found = sessions::live_session(caller, found)?;
    Ok(counts(found.active_count, found.completed_count))
}

/// The sum of a user's slots, as a `BIGINT` on both databases (PostgreSQL's `SUM` of
/// `BIGINT`s is a `NUMERIC`).
fn sum(column: todo_count::Column) -> SimpleExpr {
    Expr::col((todo_count::Entity, column))
        .sum()
        .cast_as(Alias::new("BIGINT"))
}

/// A user's counts, summed over their slots; `None` if they have no slot (none yet).
#[derive(FromQueryResult)]
struct SlotSums {
    active_count: Option<i64>,
    completed_count: Option<i64>,
}

fn counts(active: Option<i64>, completed: Option<i64>) -> (u64, u64) {
    let non_negative = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    (non_negative(active), non_negative(completed))
}
