//! The events table: appending an event in the writer's transaction, reading what a
//! stream missed, and keeping the history bounded.
//!
//! A user's ids are dense (1, 2, 3, …): each comes from bumping the user's row in
//! `event_cursors` in the writer's transaction, and a transaction that rolls back returns
//! its id. So a stream that has `n` and receives `n + 2` knows it missed exactly one, and
//! a history that starts above `n + 1` has lost what `n` needs (see the migration).

use chrono::Duration;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    Statement,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};
use uuid::Uuid;

use super::{Event, Kind, listener};
use crate::{
    config::LiveSettings,
    db,
    entities::{event, event_cursor},
    error::ApiError,
};

/// Appends an event to `user`'s history and returns its id. Call it in the transaction
/// of the write it reports, after the write: the bump of the user's counter row holds
/// that row's lock until the commit, which is what commits one user's events in id order.
///
/// # Errors
/// [`ApiError::Database`] if a query fails.
///
/// On PostgreSQL the same statement also queues the event's notification for every
/// instance's listener ([`listener`](super::listener)), delivered on commit.
pub async fn append(
    db: &impl ConnectionTrait,
    settings: LiveSettings,
    user: Uuid,
    kind: Kind,
    data: &str,
) -> Result<i64, ApiError> {
    let now = db::now();
    let id = if db.get_database_backend() == DbBackend::Postgres {
        append_and_notify(db, user, kind, data, now).await?
    } else {
        let id = next_id(db, user).await?;
        event::Entity::insert(event::ActiveModel {
            user_id: Set(user),
            id: Set(id),
            kind: Set(kind.as_str().to_owned()),
            data: Set(data.to_owned()),
            created_at: Set(now),
        })
        .exec_without_returning(db)
        .await?;
        id
    };
    if id % prune_every(settings.history) == 0 {
        prune(db, settings, user, id, now).await?;
    }
    Ok(id)
}

/// How many events go between two prunings of a user's history: a tenth of what is
/// kept, at most 100. Pruning is one indexed delete of a prefix of the user's events, so
/// the history holds between `history` and `history + prune_every - 1` events.
fn prune_every(history: i64) -> i64 {
    (history / 10).clamp(1, 100)
}

/// `UPDATE … SET last_id = last_id + 1 RETURNING last_id`, as an upsert so that a user's
/// first event creates the row.
async fn next_id(db: &impl ConnectionTrait, user: Uuid) -> Result<i64, ApiError> {
    let mut insert = Query::insert();
    insert
        .into_table(event_cursor::Entity)
        .columns([event_cursor::Column::UserId, event_cursor::Column::LastId])
        .values([user.into(), 1_i64.into()])
        .map_err(|e| ApiError::Internal(format!("building the event id upsert: {e}")))?
        .on_conflict(
            OnConflict::column(event_cursor::Column::UserId)
                .value(
                    event_cursor::Column::LastId,
                    Expr::col((event_cursor::Entity, event_cursor::Column::LastId)).add(1),
                )
                .to_owned(),
        )
        .returning_col(event_cursor::Column::LastId);
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(backend.build(&insert))
        .await?
        .ok_or_else(|| ApiError::Internal("the event id upsert returned no row".to_owned()))?;
    Ok(row.try_get_by_index(0)?)
}

/// PostgreSQL's [`append`]: the counter bump, the event and its `pg_notify` in one
/// statement, so one round trip. The bump locks the user's `event_cursors` row until the
/// commit (that is what keeps ids in commit order), and every round trip made while
/// holding it is a wait for the user's next write: this makes it the last statement
/// before the commit, and the only one.
async fn append_and_notify(
    db: &impl ConnectionTrait,
    user: Uuid,
    kind: Kind,
    data: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<i64, ApiError> {
    const SQL: &str = "\
        WITH next AS (\
            INSERT INTO event_cursors (user_id, last_id) VALUES ($1, 1) \
            ON CONFLICT (user_id) DO UPDATE SET last_id = event_cursors.last_id + 1 \
            RETURNING last_id\
        ), stored AS (\
            INSERT INTO events (user_id, id, kind, data, created_at) \
            SELECT $1, last_id, $2, $3, $4 FROM next RETURNING id\
        ) \
        SELECT id, pg_notify($5, $6 || id || $7) FROM stored";
    let (channel, before_id, after_id) = listener::payload_around_id(user, kind, data);
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            SQL,
            [
                user.into(),
                kind.as_str().into(),
                data.into(),
                now.into(),
                channel.into(),
                before_id.into(),
                after_id.into(),
            ],
        ))
        .await?
        .ok_or_else(|| ApiError::Internal("appending an event returned no row".to_owned()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Deletes the events of `user` that are `settings.history` or more behind `latest`, or
/// older than `settings.max_age`.
async fn prune(
    db: &impl ConnectionTrait,
    settings: LiveSettings,
    user: Uuid,
    latest: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let too_old = now - Duration::from_std(settings.max_age).unwrap_or(Duration::MAX);
    event::Entity::delete_many()
        .filter(event::Column::UserId.eq(user))
        .filter(
            Condition::any()
                .add(event::Column::Id.lte(latest - settings.history))
                .add(event::Column::CreatedAt.lt(too_old)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The id of `user`'s latest event, 0 before the first.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn last_id(db: &impl ConnectionTrait, user: Uuid) -> Result<i64, ApiError> {
    Ok(event_cursor::Entity::find_by_id(user)
        .one(db)
        .await?
        .map_or(0, |cursor| cursor.last_id))
}

/// What a stream that has seen `after` missed, up to and including `upto`.
pub enum Missed {
    /// Every event it missed, in id order (maybe none).
    Events(Vec<Event>),
    /// Some are no longer kept: the client must reload.
    Pruned,
}

/// The events of `user` after `after` and up to `upto` (read [`last_id`] first: every
/// id up to it has committed), or [`Missed::Pruned`] when the first of them is gone.
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn missed(
    db: &impl ConnectionTrait,
    user: Uuid,
    after: i64,
    upto: i64,
) -> Result<Missed, ApiError> {
    if upto <= after {
        return Ok(Missed::Events(Vec::new()));
    }
    let rows = event::Entity::find()
        .filter(event::Column::UserId.eq(user))
        .filter(event::Column::Id.gt(after))
        .filter(event::Column::Id.lte(upto))
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    if rows.first().map(|row| row.id) != Some(after + 1) {
        return Ok(Missed::Pruned);
    }
    Ok(Missed::Events(
        rows.into_iter()
            .filter_map(|row| {
                // A kind this build does not know (written by a newer instance) is skipped
                // rather than sent under a name clients may not expect.
                Kind::parse(&row.kind).map(|kind| Event {
                    user: row.user_id,
                    id: Some(row.id),
                    kind,
                    data: row.data,
                })
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::prune_every;

    #[test]
    fn the_history_is_pruned_every_tenth_of_its_length_and_at_least_every_100_events() {
        assert_eq!(prune_every(1_000), 100);
        assert_eq!(prune_every(100_000), 100);
        assert_eq!(prune_every(50), 5);
        assert_eq!(prune_every(5), 1);
        assert_eq!(prune_every(1), 1);
    }
}
