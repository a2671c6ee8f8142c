//! Each user's number of active and completed todos, as the list shows them. The
//! database keeps them in `todo_counts`, in triggers on `todos` (see the migration that
//! made the table), so reading them costs one primary-key lookup however many todos the
//! user has, and no write has to remember them.

use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QuerySelect};
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
    let row = todo_count::Entity::find_by_id(user).one(db).await?;
    Ok(row.map_or((0, 0), |row| {
        counts(Some(row.active_count), Some(row.completed_count))
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
        .column(todo_count::Column::ActiveCount)
        .column(todo_count::Column::CompletedCount)
        .join(
            JoinType::LeftJoin,
            session::Entity::belongs_to(todo_count::Entity)
                .from(session::Column::UserId)
                .to(todo_count::Column::UserId)
                .into(),
        )
        .into_model::<LiveCounts>()
        .one(db)
        .await?;
    let found = sessions::live_session(caller, found)?;
    Ok(counts(found.active_count, found.completed_count))
}

/// The counts beside a live session; `None` if its user has no counts row (none yet).
#[derive(FromQueryResult)]
struct LiveCounts {
    active_count: Option<i64>,
    completed_count: Option<i64>,
}

fn counts(active: Option<i64>, completed: Option<i64>) -> (u64, u64) {
    let non_negative = |n: Option<i64>| n.and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
    (non_negative(active), non_negative(completed))
}
