//! Each user's number of active and completed todos, as the list shows them. The
//! database keeps them in `todo_counts`, in triggers on `todos` (see the migration that
//! made the table), so reading them costs one primary-key lookup however many todos the
//! user has, and no write has to remember them.

use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

use crate::{entities::todo_count, error::ApiError};

/// The user's (active, completed) counts.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn read(db: &impl ConnectionTrait, user: Uuid) -> Result<(u64, u64), ApiError> {
    let row = todo_count::Entity::find_by_id(user).one(db).await?;
    let non_negative = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(row.map_or((0, 0), |row| {
        (
            non_negative(row.active_count),
            non_negative(row.completed_count),
        )
    }))
}
