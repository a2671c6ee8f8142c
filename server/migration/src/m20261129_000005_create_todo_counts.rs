//! `todo_counts`: each user's number of active and completed todos, kept by the database.
//!
//! Every list response carries these counts. Counting them on each request scans all of
//! the user's todos, which made a page of a million-todo list a hundred times dearer than
//! a page of a short one (`BENCHMARKS.md`, scenario 7). So the database keeps them, in
//! triggers that run inside the very statement that changes `todos`: every write, the
//! API's and any other, keeps them exact, concurrent ones included, with no extra round
//! trip. SQLite has row triggers only; PostgreSQL gets statement triggers over transition
//! tables, so that toggling or clearing a long list updates the counters once, not once
//! per row.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::m20261126_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(counts_table()).await?;
        let db = manager.get_connection();
        // Every user has a row from the start, so the triggers only ever update.
        db.execute_unprepared(BACKFILL).await?;
        let triggers = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => SQLITE_TRIGGERS,
            _ => POSTGRES_TRIGGERS,
        };
        for statement in triggers {
            db.execute_unprepared(statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                for name in SQLITE_TRIGGER_NAMES {
                    db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
                        .await?;
                }
                &[]
            }
            _ => &[
                "DROP TRIGGER IF EXISTS todo_counts_open ON users",
                "DROP TRIGGER IF EXISTS todo_counts_on_insert ON todos",
                "DROP TRIGGER IF EXISTS todo_counts_on_delete ON todos",
                "DROP TRIGGER IF EXISTS todo_counts_on_update ON todos",
                "DROP FUNCTION IF EXISTS todo_counts_open()",
                "DROP FUNCTION IF EXISTS todo_counts_add_new()",
                "DROP FUNCTION IF EXISTS todo_counts_remove_old()",
                "DROP FUNCTION IF EXISTS todo_counts_move()",
            ],
        };
        for statement in drops {
            db.execute_unprepared(statement).await?;
        }
        manager
            .drop_table(Table::drop().table(TodoCounts::Table).to_owned())
            .await
    }
}

/// The table as this migration makes it: one row per user.
pub(crate) fn counts_table() -> TableCreateStatement {
    Table::create()
        .table(TodoCounts::Table)
        .col(pk_uuid(TodoCounts::UserId))
        .col(big_integer(TodoCounts::ActiveCount).default(0))
        .col(big_integer(TodoCounts::CompletedCount).default(0))
        .foreign_key(
            ForeignKey::create()
                .name("fk_todo_counts_user_id")
                .from(TodoCounts::Table, TodoCounts::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// The counts of the todos already there, for every user. Plain SQL that both databases
/// read alike (SQLite's booleans are 0 and 1, which `NOT` and `AND` take as they are).
const BACKFILL: &str = "\
INSERT INTO todo_counts (user_id, active_count, completed_count)
SELECT u.id,
       (SELECT COUNT(*) FROM todos t WHERE t.user_id = u.id AND NOT t.completed),
       (SELECT COUNT(*) FROM todos t WHERE t.user_id = u.id AND t.completed)
FROM users u";

/// The names of [`SQLITE_TRIGGERS`], in order.
pub(crate) const SQLITE_TRIGGER_NAMES: [&str; 4] = [
    "todo_counts_open",
    "todo_counts_on_insert",
    "todo_counts_on_delete",
    "todo_counts_on_status",
];

/// One row trigger per kind of change. A status change fires only when the status really
/// changed, as the row's old and new values say, whatever the statement looked like.
pub(crate) const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER todo_counts_open AFTER INSERT ON users BEGIN
        INSERT INTO todo_counts (user_id, active_count, completed_count) VALUES (NEW.id, 0, 0);
    END",
    "CREATE TRIGGER todo_counts_on_insert AFTER INSERT ON todos BEGIN
        UPDATE todo_counts
           SET active_count = active_count + (CASE WHEN NEW.completed THEN 0 ELSE 1 END),
               completed_count = completed_count + (CASE WHEN NEW.completed THEN 1 ELSE 0 END)
         WHERE user_id = NEW.user_id;
    END",
    "CREATE TRIGGER todo_counts_on_delete AFTER DELETE ON todos BEGIN
        UPDATE todo_counts
           SET active_count = active_count - (CASE WHEN OLD.completed THEN 0 ELSE 1 END),
               completed_count = completed_count - (CASE WHEN OLD.completed THEN 1 ELSE 0 END)
         WHERE user_id = OLD.user_id;
    END",
    "CREATE TRIGGER todo_counts_on_status AFTER UPDATE OF completed ON todos
     WHEN OLD.completed <> NEW.completed BEGIN
        UPDATE todo_counts
           SET active_count = active_count + (CASE WHEN NEW.completed THEN -1 ELSE 1 END),
               completed_count = completed_count + (CASE WHEN NEW.completed THEN 1 ELSE -1 END)
         WHERE user_id = NEW.user_id;
    END",
];

/// Statement triggers: each sums the rows its statement inserted, deleted or changed, per
/// user, and updates each user's counters once. An update that changed no status (a new
/// title) leaves the counters, and their row lock, alone.
pub(crate) const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION todo_counts_open() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO todo_counts (user_id, active_count, completed_count) VALUES (NEW.id, 0, 0);
        RETURN NULL;
    END $$",
    "CREATE TRIGGER todo_counts_open AFTER INSERT ON users
     FOR EACH ROW EXECUTE FUNCTION todo_counts_open()",
    "CREATE FUNCTION todo_counts_add_new() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
           SET active_count = c.active_count + d.active,
               completed_count = c.completed_count + d.completed
          FROM (SELECT user_id,
                       COUNT(*) FILTER (WHERE NOT completed) AS active,
                       COUNT(*) FILTER (WHERE completed) AS completed
                  FROM new_rows GROUP BY user_id) AS d
         WHERE c.user_id = d.user_id;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER todo_counts_on_insert AFTER INSERT ON todos
     REFERENCING NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_add_new()",
    "CREATE FUNCTION todo_counts_remove_old() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
           SET active_count = c.active_count - d.active,
               completed_count = c.completed_count - d.completed
          FROM (SELECT user_id,
                       COUNT(*) FILTER (WHERE NOT completed) AS active,
                       COUNT(*) FILTER (WHERE completed) AS completed
                  FROM old_rows GROUP BY user_id) AS d
         WHERE c.user_id = d.user_id;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER todo_counts_on_delete AFTER DELETE ON todos
     REFERENCING OLD TABLE AS old_rows
     FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_remove_old()",
    "CREATE FUNCTION todo_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE todo_counts AS c
           SET active_count = c.active_count + d.active,
               completed_count = c.completed_count + d.completed
          FROM (SELECT n.user_id,
                       SUM(CASE WHEN n.completed THEN -1 ELSE 1 END) AS active,
                       SUM(CASE WHEN n.completed THEN 1 ELSE -1 END) AS completed
                  FROM new_rows n JOIN old_rows o ON o.id = n.id
                 WHERE n.completed <> o.completed
                 GROUP BY n.user_id) AS d
         WHERE c.user_id = d.user_id;
        RETURN NULL;
    END $$",
    "CREATE TRIGGER todo_counts_on_update AFTER UPDATE ON todos
     REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
     FOR EACH STATEMENT EXECUTE FUNCTION todo_counts_move()",
];

#[derive(DeriveIden)]
enum TodoCounts {
    Table,
    UserId,
    ActiveCount,
    CompletedCount,
}
