//! Each user's number of active and completed todos, kept in `todo_counts` rather than
//! counted on every list request: counting scans all of the user's todos, so a page of a
//! long list cost as much as the list. Every write to `todos` adjusts the counters in the
//! same transaction, by the rows that write actually changed, so they stay exact under
//! concurrent writes on SQLite and on PostgreSQL alike.

use sea_orm::{ConnectionTrait, EntityTrait, sea_query::Expr, sea_query::OnConflict};
use uuid::Uuid;

use crate::{entities::todo_count, error::ApiError};

/// A change to a user's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delta {
    pub active: i64,
    pub completed: i64,
}

impl Delta {
    /// `n` todos more (or, negative, fewer) with this status.
    #[must_use]
    pub fn of(completed: bool, n: i64) -> Self {
        if completed {
            Self {
                active: 0,
                completed: n,
            }
        } else {
            Self {
                active: n,
                completed: 0,
            }
        }
    }

    /// `n` todos that moved to `completed` from the other status.
    #[must_use]
    pub fn moved(to_completed: bool, n: i64) -> Self {
        let arrived = Self::of(to_completed, n);
        let left = Self::of(!to_completed, -n);
        Self {
            active: arrived.active + left.active,
            completed: arrived.completed + left.completed,
        }
    }
}

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

/// Adds `delta` to the user's counts, creating their row on their first todo. Call it in
/// the transaction of the write it accounts for.
///
/// # Errors
/// [`ApiError::Database`] if the statement fails.
pub async fn add(db: &impl ConnectionTrait, user: Uuid, delta: Delta) -> Result<(), ApiError> {
    if delta == Delta::default() {
        return Ok(());
    }
    let row = todo_count::ActiveModel::from(todo_count::Model {
        user_id: user,
        active_count: delta.active,
        completed_count: delta.completed,
    });
    // One atomic statement on both databases: `excluded` is the row that was not inserted.
    let on_conflict = OnConflict::column(todo_count::Column::UserId)
        .value(
            todo_count::Column::ActiveCount,
            Expr::cust("todo_counts.active_count + excluded.active_count"),
        )
        .value(
            todo_count::Column::CompletedCount,
            Expr::cust("todo_counts.completed_count + excluded.completed_count"),
        )
        .to_owned();
    todo_count::Entity::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Delta;

    #[test]
    fn a_delta_counts_todos_of_one_status() {
        assert_eq!(
            Delta::of(false, 1),
            Delta {
                active: 1,
                completed: 0
            }
        );
        assert_eq!(
            Delta::of(true, -2),
            Delta {
                active: 0,
                completed: -2
            }
        );
    }

    #[test]
    fn moving_todos_takes_from_one_status_what_it_gives_the_other() {
        assert_eq!(
            Delta::moved(true, 3),
            Delta {
                active: -3,
                completed: 3
            }
        );
        assert_eq!(
            Delta::moved(false, 3),
            Delta {
                active: 3,
                completed: -3
            }
        );
    }
}
