//! Todos. Every query is scoped by the owner: a todo of another user is, to the caller,
//! a todo that does not exist. The first statement of each function also checks that the
//! caller's session is live ([`sessions::live_condition`]): no session lookup before the
//! work, one round trip less a request; a statement that finds no row asks
//! [`sessions::missing_row`] whether that is a 401 or a 404. The owner's counts follow
//! every write by themselves: the database's triggers keep `todo_counts` (see the
//! migration that made it).
//!
//! Every write publishes its live-update event with itself, both or neither ([`Events`]:
//! in the write's transaction, or on PostgreSQL in the write's own statement): a
//! `todo` with the todo as this API answers it, a `todo_deleted`, or for the bulk
//! changes a `todos` with the new counts — only when something changed, since a toggle
//! or clear that changes nothing has nothing to tell other devices.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
    sea_query::{Alias, Expr, Func, InsertStatement, Query},
};
use serde::Serialize;
use uuid::Uuid;

use app::{
    domain::{PageCursor, TodoTitle},
    dto::{self, StatusFilter},
};

use super::todo_counts;
use crate::{
    auth::{UncheckedSession, sessions},
    db::{self, Db},
    entities::todo,
    error::ApiError,
    events::{self, EventTxn, Events, Kind},
};

impl From<todo::Model> for dto::Todo {
    fn from(todo: todo::Model) -> Self {
        Self {
            id: todo.id,
            title: todo.title,
            completed: todo.completed,
            created_at: todo.created_at,
            updated_at: todo.updated_at,
        }
    }
}

/// One page of the caller's todos, oldest first, with counts over all of them.
///
/// Keyset pagination on `(created_at, id)`, served by the `(user_id, [completed,]
/// created_at, id)` indexes, and counts read from `todo_counts`: a page costs the same
/// however long the list is and however far into it the page lies. The counts are read
/// first, in one statement with the check that the caller's session is live.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::Database`] if a query fails.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
    filter: StatusFilter,
    limit: u32,
    after: Option<PageCursor>,
) -> Result<dto::TodoList, ApiError> {
    let (active_count, completed_count) = todo_counts::read_for(db, caller).await?;
    let user = sessions::caller_id(caller);
    let mut query = todo::Entity::find().filter(todo::Column::UserId.eq(user));
    match filter {
        StatusFilter::All => {}
        StatusFilter::Active => query = query.filter(todo::Column::Completed.eq(false)),
        StatusFilter::Completed => query = query.filter(todo::Column::Completed.eq(true)),
    }
    if let Some(cursor) = after {
        query = query.filter(
            Condition::any()
                .add(todo::Column::CreatedAt.gt(cursor.created_at))
                .add(
                    Condition::all()
                        .add(todo::Column::CreatedAt.eq(cursor.created_at))
                        .add(todo::Column::Id.gt(cursor.id)),
                ),
        );
    }
    let mut rows = query
        .order_by_asc(todo::Column::CreatedAt)
        .order_by_asc(todo::Column::Id)
        .limit(u64::from(limit) + 1)
        .all(db)
        .await?;
    let next_cursor = if rows.len() > limit as usize {
        rows.truncate(limit as usize);
        rows.last().map(|last| {
            PageCursor {
                created_at: last.created_at,
                id: last.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(dto::TodoList {
        items: rows.into_iter().map(Into::into).collect(),
        active_count,
        completed_count,
        next_cursor,
    })
}

/// Adds a todo at the end of the caller's list: on PostgreSQL one statement that also
/// stages its event ([`Events::write_and_publish_each`]), on SQLite a transaction.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::Database`] if the insert
/// fails.
#[tracing::instrument(skip(db, events))]
pub async fn create(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
    title: TodoTitle,
    completed: bool,
) -> Result<dto::Todo, ApiError> {
    let user = sessions::caller_id(caller);
    let model = draft(user, title, completed);
    let todo = dto::Todo::from(model.clone());
    let mut write = insert_if_live(caller, model);
    if events.stages_in_statement() {
        write.returning_all();
        let data = Expr::val(events::to_json(&todo)?);
        let written = events
            .write_and_publish_each(db, write, user, Kind::Todo, data)
            .await?;
        sessions::live_session(caller, written.first())?;
        return Ok(todo);
    }
    let mut txn = events.begin(db).await?;
    let inserted = txn.conn().execute(&write).await?.rows_affected();
    sessions::live_session(caller, (inserted > 0).then_some(()))?;
    txn.publish(user, Kind::Todo, &todo).await?;
    txn.commit().await?;
    Ok(todo)
}

/// `INSERT INTO todos … SELECT <model> WHERE <the caller's session is live>`: inserts
/// nothing for a signed-out session.
fn insert_if_live(caller: UncheckedSession, model: todo::Model) -> InsertStatement {
    let mut values = Query::select();
    values
        .expr(Expr::val(model.id))
        .expr(Expr::val(model.user_id))
        .expr(Expr::val(model.title))
        .expr(Expr::val(model.completed))
        .expr(Expr::val(model.created_at))
        .expr(Expr::val(model.updated_at))
        .and_where(sessions::live_condition(caller));
    let mut insert = Query::insert();
    insert
        .into_table(todo::Entity)
        .columns([
            todo::Column::Id,
            todo::Column::UserId,
            todo::Column::Title,
            todo::Column::Completed,
            todo::Column::CreatedAt,
            todo::Column::UpdatedAt,
        ])
        .select_from(values)
        .expect("six columns and six values");
    insert
}

/// A new todo of `user`, not yet stored: its id and timestamps are decided here.
#[must_use]
pub fn draft(user: Uuid, title: TodoTitle, completed: bool) -> todo::Model {
    let now = db::now();
    todo::Model {
        id: Uuid::now_v7(),
        user_id: user,
        title: title.into_inner(),
        completed,
        created_at: now,
        updated_at: now,
    }
}

/// Stores a [`draft`] and publishes it, in `txn`, without checking the session: for a
/// caller that has checked it (the create with an `Idempotency-Key`, first of all).
///
/// # Errors
/// [`ApiError::Database`] if the insert fails.
pub async fn insert(txn: &mut EventTxn<'_>, model: todo::Model) -> Result<dto::Todo, ApiError> {
    todo::Entity::insert(todo::ActiveModel::from(model.clone()))
        .exec_without_returning(txn.conn())
        .await?;
    let user = model.user_id;
    let todo = dto::Todo::from(model);
    txn.publish(user, Kind::Todo, &todo).await?;
    Ok(todo)
}

/// One of the caller's todos.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::NotFound`] when the caller
/// has no todo with this id.
pub async fn get(
    db: &impl ConnectionTrait,
    caller: UncheckedSession,
    id: Uuid,
) -> Result<dto::Todo, ApiError> {
    let found = todo::Entity::find_by_id(id)
        .filter(todo::Column::UserId.eq(sessions::caller_id(caller)))
        .filter(sessions::live_condition(caller))
        .one(db)
        .await?;
    match found {
        Some(todo) => Ok(todo.into()),
        None => Err(sessions::missing_row(db, caller).await),
    }
}

/// What a PATCH changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct TodoChanges {
    pub title: Option<TodoTitle>,
    pub completed: Option<bool>,
}

/// Changes only the given fields, in one `UPDATE` that names only them: two concurrent
/// PATCHes of different fields both stick.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::NotFound`] when the caller
/// has no todo with this id.
#[tracing::instrument(skip(db, events))]
pub async fn update(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
    id: Uuid,
    changes: TodoChanges,
) -> Result<dto::Todo, ApiError> {
    if changes.title.is_none() && changes.completed.is_none() {
        // Nothing changes, so nothing is published.
        return get(db, caller, id).await;
    }
    let user = sessions::caller_id(caller);
    let mut update = todo::Entity::update_many()
        .col_expr(todo::Column::UpdatedAt, Expr::value(db::now()))
        .filter(todo::Column::Id.eq(id))
        .filter(todo::Column::UserId.eq(user))
        .filter(sessions::live_condition(caller));
    if let Some(title) = changes.title {
        update = update.col_expr(todo::Column::Title, Expr::value(title.into_inner()));
    }
    if let Some(completed) = changes.completed {
        update = update.col_expr(todo::Column::Completed, Expr::value(completed));
    }
    if events.stages_in_statement() {
        // PostgreSQL: the update stages its own event, whose JSON PostgreSQL makes from
        // the updated row (migration 13's `todo_json`, the same text as `dto::Todo`'s).
        let columns = [
            todo::Column::Id,
            todo::Column::Title,
            todo::Column::Completed,
            todo::Column::CreatedAt,
            todo::Column::UpdatedAt,
        ];
        let data = Func::cust(Alias::new("todo_json")).args(columns.map(Expr::col));
        let write = update.into_query().returning_all().to_owned();
        let written = events
            .write_and_publish_each(db, write, user, Kind::Todo, data.into())
            .await?;
        return match written.first() {
            Some(row) => Ok(todo::Model::from_query_result(row, "")?.into()),
            None => Err(sessions::missing_row(db, caller).await),
        };
    }
    let mut txn = events.begin(db).await?;
    let todo = if txn.conn().support_returning() {
        // The changed row comes back with the update, no second round trip.
        match update.exec_with_returning(txn.conn()).await?.pop() {
            Some(todo) => dto::Todo::from(todo),
            None => return Err(sessions::missing_row(txn.conn(), caller).await),
        }
    } else {
        if update.exec(txn.conn()).await?.rows_affected == 0 {
            return Err(sessions::missing_row(txn.conn(), caller).await);
        }
        get(txn.conn(), caller, id).await?
    };
    txn.publish(user, Kind::Todo, &todo).await?;
    txn.commit().await?;
    Ok(todo)
}

/// Deletes one of the caller's todos.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::NotFound`] when the caller
/// has no todo with this id.
#[tracing::instrument(skip(db, events))]
pub async fn delete(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
    id: Uuid,
) -> Result<(), ApiError> {
    let user = sessions::caller_id(caller);
    let delete = todo::Entity::delete_many()
        .filter(todo::Column::Id.eq(id))
        .filter(todo::Column::UserId.eq(user))
        .filter(sessions::live_condition(caller));
    let data = serde_json::json!({ "id": id });
    if events.stages_in_statement() {
        // PostgreSQL: the delete stages its own event, one statement.
        let write = delete.into_query().returning_all().to_owned();
        let deleted = events
            .write_and_publish_each(
                db,
                write,
                user,
                Kind::TodoDeleted,
                Expr::val(events::to_json(&data)?),
            )
            .await?;
        return if deleted.is_empty() {
            Err(sessions::missing_row(db, caller).await)
        } else {
            Ok(())
        };
    }
    let mut txn = events.begin(db).await?;
    if delete.exec(txn.conn()).await?.rows_affected == 0 {
        return Err(sessions::missing_row(txn.conn(), caller).await);
    }
    txn.publish(user, Kind::TodoDeleted, &data).await?;
    txn.commit().await
}

/// The `data` of a `todos` event: the counts after a bulk change.
#[derive(Serialize)]
struct Counts {
    active_count: u64,
    completed_count: u64,
}

/// Publishes the caller's new counts after a bulk change of `changed` todos, if any, and
/// commits. A change of none may also mean a signed-out session (the change checked it,
/// see the module docs): that is a 401.
async fn commit_bulk(
    mut txn: EventTxn<'_>,
    caller: UncheckedSession,
    changed: u64,
) -> Result<u64, ApiError> {
    let user = sessions::caller_id(caller);
    if changed == 0 {
        sessions::require_live(txn.conn(), caller).await?;
    } else {
        let (active_count, completed_count) = todo_counts::read(txn.conn(), user).await?;
        let counts = Counts {
            active_count,
            completed_count,
        };
        txn.publish(user, Kind::Todos, &counts).await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// Marks all of the caller's todos completed (or not); returns how many changed.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::Database`] if the update
/// fails.
#[tracing::instrument(skip(db, events))]
pub async fn set_all_completed(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
    completed: bool,
) -> Result<u64, ApiError> {
    let txn = events.begin(db).await?;
    let changed = todo::Entity::update_many()
        .col_expr(todo::Column::Completed, Expr::value(completed))
        .col_expr(todo::Column::UpdatedAt, Expr::value(db::now()))
        .filter(todo::Column::UserId.eq(sessions::caller_id(caller)))
        .filter(todo::Column::Completed.ne(completed))
        .filter(sessions::live_condition(caller))
        .exec(txn.conn())
        .await?
        .rows_affected;
    commit_bulk(txn, caller, changed).await
}

/// Deletes the caller's completed todos; returns how many.
///
/// # Errors
/// [`ApiError::Token`] for a signed-out session; [`ApiError::Database`] if the delete
/// fails.
#[tracing::instrument(skip(db, events))]
pub async fn delete_completed(
    db: &Db,
    events: &Events,
    caller: UncheckedSession,
) -> Result<u64, ApiError> {
    let txn = events.begin(db).await?;
    let changed = todo::Entity::delete_many()
        .filter(todo::Column::UserId.eq(sessions::caller_id(caller)))
        .filter(todo::Column::Completed.eq(true))
        .filter(sessions::live_condition(caller))
        .exec(txn.conn())
        .await?
        .rows_affected;
    commit_bulk(txn, caller, changed).await
}
