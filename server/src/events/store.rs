//! The events table: giving an event its place in the user's history, reading what a
//! stream missed, and keeping the history bounded.
//!
//! A user's ids are dense (1, 2, 3, …) and commit in id order: a stream that has `n` and
//! receives `n + 2` knows it missed exactly one, and a history that starts above `n + 1`
//! has lost what `n` needs. Each id comes from bumping the user's `event_cursors` row, and
//! the two databases do it at different times:
//!
//! - SQLite runs one writer at a time: [`append`] bumps it in the writer's transaction,
//!   and a transaction that rolls back returns its id.
//! - On PostgreSQL that row's lock would make a user's writers commit one at a time. So a
//!   writer only [`stage`]s its event, and after its commit [`sequence`] moves the user's
//!   committed staged events into the history, in one short transaction for however many
//!   there are (see the migration that made `staged_events`, and
//!   [`Sequencer`](super::sequencer::Sequencer), which runs it).

use chrono::Duration;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder,
    Statement,
    sea_query::{
        Alias, Asterisk, CommonTableExpression, Expr, ExprTrait, OnConflict, Query,
        SubQueryStatement, WithClause, WithQuery,
    },
};
use uuid::Uuid;

use super::{Event, Kind, listener};
use crate::{
    config::LiveSettings,
    db::{self, Db},
    entities::{event, event_cursor},
    error::ApiError,
};

/// Appends an event to `user`'s history and returns its id (SQLite). Call it in the
/// transaction of the write it reports, after the write.
///
/// # Errors
/// [`ApiError::Database`] if a query fails.
pub async fn append(
    db: &impl ConnectionTrait,
    settings: LiveSettings,
    user: Uuid,
    kind: Kind,
    data: &str,
) -> Result<i64, ApiError> {
    let now = db::now();
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
    if prune_due(id - 1, id, settings.history) {
        prune(db, settings, user, id - 1, id, now).await?;
    }
    Ok(id)
}

/// Whether the ids after `before` up to `latest` reach a pruning point: one every tenth
/// of the history, at most every 100 events. Pruning is one indexed delete of the oldest
/// of the user's events, so the history holds between `history` and `history + 99` events.
fn prune_due(before: i64, latest: i64, history: i64) -> bool {
    let every = prune_step(history);
    latest / every > before / every
}

/// How many events apart the pruning points of a history of `history` are.
fn prune_step(history: i64) -> i64 {
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

/// Stages an event for `user` in the writer's transaction (PostgreSQL): no lock beyond
/// the new row's. It gets its id from [`sequence`], after the commit.
///
/// # Errors
/// [`ApiError::Database`] if the insert fails.
pub async fn stage(
    db: &impl ConnectionTrait,
    user: Uuid,
    kind: Kind,
    data: &str,
) -> Result<(), ApiError> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "INSERT INTO staged_events (user_id, kind, data, created_at) VALUES ($1, $2, $3, $4)",
        [
            user.into(),
            kind.as_str().into(),
            data.into(),
            db::now().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// The name [`stage_per_row`] gives its write's rows.
const WRITTEN: &str = "written";

/// `write`, an `INSERT`, `UPDATE` or `DELETE` with `RETURNING *` (PostgreSQL), as one
/// statement that also stages an event of `kind` for `user` for every row it writes, its
/// `data` computed by SQL from that row's columns, and returns the written rows. It replaces
/// `BEGIN`, the write, [`stage`] and `COMMIT`: PostgreSQL runs a data-modifying `WITH`
/// exactly once, the statement is atomic and commits on its own; and the events come
/// from the rows the write really wrote: a write that found no row (a 404, or a
/// concurrent delete that got there first) stages nothing.
///
/// Committed on its own, the write also holds its row's lock for one statement instead of
/// for the `BEGIN` … `COMMIT` of four round trips, which is what concurrent writes of one
/// row wait for.
pub fn stage_per_row(
    write: impl Into<SubQueryStatement>,
    user: Uuid,
    kind: Kind,
    data: Expr,
) -> WithQuery {
    let mut per_row = Query::select();
    per_row
        .expr(Expr::val(user))
        .expr(Expr::val(kind.as_str()))
        .expr(data)
        .expr(Expr::val(db::now()))
        .from(Alias::new(WRITTEN));
    let mut staging = Query::insert();
    staging
        .into_table(Alias::new("staged_events"))
        .columns([
            Alias::new("user_id"),
            Alias::new("kind"),
            Alias::new("data"),
            Alias::new("created_at"),
        ])
        .select_from(per_row)
        .expect("four columns and four values");
    let written = CommonTableExpression::new()
        .query(write)
        .table_name(Alias::new(WRITTEN))
        .to_owned();
    let staged = CommonTableExpression::new()
        .query(staging)
        .table_name(Alias::new("staged"))
        .to_owned();
    WithClause::new().cte(written).cte(staged).to_owned().query(
        Query::select()
            .column(Asterisk)
            .from(Alias::new(WRITTEN))
            .to_owned(),
    )
}

/// Moves every committed staged event of `user` into the history, with the next ids in
/// staging order, and notifies each (PostgreSQL). Returns how many it moved.
///
/// One transaction, which first takes the user's history lock, a transaction-scoped
/// advisory lock: sequencers of one user, on any instance, take turns. What a writer
/// staged and committed before the lock was granted is moved by this run, since each
/// statement after the lock sees every commit before it; staged events that commit later
/// are left for the run their writer starts after its commit. A run with nothing to move
/// writes nothing, so its commit costs no flush.
///
/// # Errors
/// [`ApiError::Database`] if a query fails; nothing moves then.
pub async fn sequence(db: &Db, settings: LiveSettings, user: Uuid) -> Result<u64, ApiError> {
    // One round trip: the history lock, the move and the notifications are migration
    // 12's function, in a transaction of its own (why a function: its doc comment).
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT first_sequenced, last_sequenced, sequenced \
               FROM sequence_staged_events($1, $2, $3)",
            [
                user.into(),
                history_lock(user).into(),
                listener::CHANNEL.into(),
            ],
        ))
        .await?
        .ok_or_else(|| ApiError::Internal("sequencing events returned no row".to_owned()))?;
    let first: Option<i64> = row.try_get_by_index(0)?;
    let last: Option<i64> = row.try_get_by_index(1)?;
    let moved: i64 = row.try_get_by_index(2)?;
    // Pruning needs no lock: it only deletes ids far below the ones runs still write.
    if let (Some(first), Some(last)) = (first, last)
        && prune_due(first - 1, last, settings.history)
    {
        prune(db, settings, user, first - 1, last, db::now()).await?;
    }
    Ok(u64::try_from(moved).unwrap_or(0))
}

/// The advisory lock key of `user`'s history: the uuid's two halves folded into one
/// `bigint`. Two users sharing a key only take turns; nothing else takes these locks.
fn history_lock(user: Uuid) -> i64 {
    let (high, low) = user.as_u64_pair();
    (high ^ low).cast_signed()
}

/// The users with staged events that have committed: whatever a writer could not
/// sequence (its instance stopped, or the database failed it after the commit).
///
/// # Errors
/// [`ApiError::Database`] if the query fails.
pub async fn users_with_staged_events(db: &Db) -> Result<Vec<Uuid>, ApiError> {
    let rows = db
        .query_all_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT DISTINCT user_id FROM staged_events",
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get_by_index(0).map_err(ApiError::from))
        .collect()
}

/// Reclaims the rows that sequencing runs deleted from `staged_events` (PostgreSQL).
///
/// Every event passes through `staged_events` and leaves it a moment later: the live rows
/// are only the writes in flight, but PostgreSQL keeps each deleted row and its index
/// entry until a vacuum, and a run's delete of a user's staged events steps over all of
/// them. With autovacuum off, as on this project's CI machines, one user writing without
/// pause left 54 000 such entries after a minute and each run took 5.5 ms; where
/// autovacuum runs, it looks at a table once a minute by default, slower than this queue
/// churns. A table this small vacuums in a few milliseconds. `SKIP_LOCKED`: when another
/// instance is vacuuming it, that one does the work.
///
/// # Errors
/// [`ApiError::Database`] if the statement fails.
pub async fn vacuum_staging(db: &Db) -> Result<(), ApiError> {
    db.execute_unprepared("VACUUM (SKIP_LOCKED) staged_events")
        .await?;
    Ok(())
}

/// Deletes the events of `user` that are `settings.history` or more behind `latest`, or
/// older than `settings.max_age`, once the ids after `before` up to `latest` are stored
/// ([`prune_due`]).
///
/// It looks no further back than [`prune_floor`]: on PostgreSQL a deleted event's index
/// entry stays until a vacuum, and a delete of the whole prefix steps over every one of
/// them. With autovacuum off and one user writing without pause, that was 48 000 entries
/// and 8 ms a prune after a minute, and growing.
async fn prune(
    db: &impl ConnectionTrait,
    settings: LiveSettings,
    user: Uuid,
    before: i64,
    latest: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), ApiError> {
    let too_old = now - Duration::from_std(settings.max_age).unwrap_or(Duration::MAX);
    event::Entity::delete_many()
        .filter(event::Column::UserId.eq(user))
        .filter(event::Column::Id.gt(prune_floor(before, settings.history)))
        .filter(
            Condition::any()
                .add(event::Column::Id.lte(latest - settings.history))
                .add(event::Column::CreatedAt.lt(too_old)),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The id at and below which a prune after `before` finds nothing left to delete: the
/// prune before it ran at the last multiple of [`prune_step`] at or below `before`, or
/// later, and took everything up to `history` behind that. Twice the history back leaves
/// room for the prunes in between to have failed, and bounds what a prune reads whatever
/// the table holds.
fn prune_floor(before: i64, history: i64) -> i64 {
    before.saturating_sub(history.saturating_mul(2))
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
    use sea_orm::{
        DbBackend,
        sea_query::{Alias, Expr, ExprTrait, Query},
    };
    use uuid::Uuid;

    use super::{Kind, prune_due, prune_floor, prune_step, stage_per_row};

    #[test]
    fn a_write_that_stages_an_event_per_row_is_one_statement_that_returns_the_rows() {
        let write = Query::delete()
            .from_table(Alias::new("todos"))
            .and_where(Expr::col(Alias::new("id")).eq(1))
            .returning_all()
            .to_owned();
        let data = Expr::col(Alias::new("title"));
        let statement =
            DbBackend::Postgres.build(&stage_per_row(write, Uuid::nil(), Kind::Todo, data));
        assert_eq!(
            statement.sql,
            r#"WITH "written" AS (DELETE FROM "todos" WHERE "id" = $1 RETURNING *) , "staged" AS (INSERT INTO "staged_events" ("user_id", "kind", "data", "created_at") SELECT $2, $3, "title", $4 FROM "written") SELECT * FROM "written""#
        );
    }

    #[test]
    fn the_history_is_pruned_every_tenth_of_its_length_and_at_least_every_100_events() {
        // One event at a time (SQLite): at each multiple of the step.
        let pruned_at = |history| {
            (1..=300)
                .filter(|&id| prune_due(id - 1, id, history))
                .collect::<Vec<i64>>()
        };
        assert_eq!(pruned_at(1_000), [100, 200, 300]);
        assert_eq!(pruned_at(100_000), [100, 200, 300]);
        assert_eq!(pruned_at(50)[..3], [5, 10, 15]);
        assert_eq!(pruned_at(1).len(), 300);
        // Many at once (PostgreSQL): when the range crosses a multiple.
        assert!(prune_due(95, 130, 1_000));
        assert!(prune_due(99, 100, 1_000));
        assert!(!prune_due(100, 199, 1_000));
    }

    #[test]
    fn a_prune_reaches_back_past_every_id_the_prune_before_it_left() {
        // Every prune deletes ids up to `history` behind its latest. The one before a
        // prune after `before` had a latest at or above the last multiple of the step at
        // or below `before`; the one before that, a step lower.
        for history in [1, 3, 50, 1_000, 100_000] {
            let every = prune_step(history);
            for before in [0, 1, 7, 99, 100, 101, 1_234, 5_000_000] {
                let previous_latest = before / every * every;
                let cut_off_before_that = previous_latest - every - history;
                assert!(
                    prune_floor(before, history) <= cut_off_before_that,
                    "history {history}, before {before}: one failed prune is made good"
                );
            }
        }
        assert_eq!(prune_floor(5_000, 1_000), 3_000);
        assert_eq!(prune_floor(i64::MIN + 1, i64::MAX), i64::MIN);
    }
}
