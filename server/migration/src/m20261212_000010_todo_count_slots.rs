//! `todo_counts` becomes numbered slots per user, so that one user's concurrent writes stop
//! taking turns on one counter row.
//!
//! Each trigger of `todo_counts` (the migration that made the table) updated the user's
//! single row, and PostgreSQL holds that row's lock until the writer commits: one user's
//! writes went one commit at a time, whatever the pool size (`BENCHMARKS.md`, "The database
//! path": 1 474 inserts/s with the trigger, 10 922 without). Now a PostgreSQL trigger adds
//! its change to the slot of the database connection that runs it (`pg_backend_pid()`
//! modulo [`SLOTS`]), creating the slot's row on first use, and a reader sums the user's
//! slots. Two writers contend only when their connections share a slot; a slot's counts
//! may go negative (a todo created on one and deleted on another), their sum may not.
//!
//! SQLite runs one writer at a time anyway: its triggers keep using slot 0, so a user has
//! one row there, as before. The table is rebuilt for its new primary key (SQLite cannot
//! alter one) and its triggers with it.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::{
    m20261126_000001_create_users::Users,
    m20261129_000005_create_todo_counts::{
        POSTGRES_TRIGGERS, SQLITE_TRIGGER_NAMES, SQLITE_TRIGGERS, counts_table,
    },
};

/// How many slots a user's counts are spread over on PostgreSQL. A pool of 16 connections
/// puts two of them on one slot about twice per instance: rarely enough, and a reader
/// sums a handful of short rows.
const SLOTS: i32 = 64;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                rebuild_sqlite(
                    manager,
                    slotted_table(),
                    "SELECT user_id, 0, active_count, completed_count",
                )
                .await
            }
            _ => {
                for statement in POSTGRES_UP {
                    db.execute_unprepared(&statement.replace("{SLOTS}", &SLOTS.to_string()))
                        .await?;
                }
                Ok(())
            }
        }
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                rebuild_sqlite(
                    manager,
                    counts_table(),
                    "SELECT user_id, SUM(active_count), SUM(completed_count)",
                )
                .await
            }
            _ => {
                for statement in POSTGRES_DOWN {
                    db.execute_unprepared(statement).await?;
                }
                // The trigger functions as the migration that made the table wrote them.
                for function in POSTGRES_TRIGGERS.iter().filter(|statement| {
                    statement.starts_with("CREATE FUNCTION") && !statement.contains("_open()")
                }) {
                    let replacing =
                        function.replacen("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1);
                    db.execute_unprepared(&replacing).await?;
                }
                db.execute_unprepared("DROP FUNCTION todo_counts_slot()")
                    .await?;
                Ok(())
            }
        }
    }
}

/// Rebuilds SQLite's `todo_counts` as `table`, with one row per user (`select` reads the
/// old table's rows, grouped by user, as the new one takes them), and its triggers.
async fn rebuild_sqlite(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
    select: &str,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    for name in SQLITE_TRIGGER_NAMES {
        db.execute_unprepared(&format!("DROP TRIGGER IF EXISTS {name}"))
            .await?;
    }
    db.execute_unprepared("ALTER TABLE todo_counts RENAME TO todo_counts_before_slots")
        .await?;
    manager.create_table(table).await?;
    db.execute_unprepared(&format!(
        "INSERT INTO todo_counts {select} FROM todo_counts_before_slots GROUP BY user_id"
    ))
    .await?;
    db.execute_unprepared("DROP TABLE todo_counts_before_slots")
        .await?;
    for statement in SQLITE_TRIGGERS {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

fn slotted_table() -> TableCreateStatement {
    Table::create()
        .table(TodoCounts::Table)
        .col(uuid(TodoCounts::UserId))
        .col(small_integer(TodoCounts::Slot).default(0))
        .col(big_integer(TodoCounts::ActiveCount).default(0))
        .col(big_integer(TodoCounts::CompletedCount).default(0))
        .primary_key(
            Index::create()
                .name("pk_todo_counts")
                .col(TodoCounts::UserId)
                .col(TodoCounts::Slot),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_todo_counts_user_id")
                .from(TodoCounts::Table, TodoCounts::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// The slot column and key, then each trigger function again, now adding to its slot.
/// `{SLOTS}` stands for [`SLOTS`].
const POSTGRES_UP: &[&str] = &[
    "ALTER TABLE todo_counts ADD COLUMN slot smallint NOT NULL DEFAULT 0",
    "ALTER TABLE todo_counts DROP CONSTRAINT todo_counts_pkey",
    "ALTER TABLE todo_counts ADD CONSTRAINT pk_todo_counts PRIMARY KEY (user_id, slot)",
    "CREATE FUNCTION todo_counts_slot() RETURNS smallint LANGUAGE sql STABLE AS
        'SELECT (pg_backend_pid() % {SLOTS})::smallint'",
    "CREATE OR REPLACE FUNCTION todo_counts_add_new() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO todo_counts AS c (user_id, slot, active_count, completed_count)
        SELECT user_id, todo_counts_slot(),
               COUNT(*) FILTER (WHERE NOT completed), COUNT(*) FILTER (WHERE completed)
          FROM new_rows GROUP BY user_id
        ON CONFLICT (user_id, slot) DO UPDATE
           SET active_count = c.active_count + EXCLUDED.active_count,
               completed_count = c.completed_count + EXCLUDED.completed_count;
        RETURN NULL;
    END $$",
    "CREATE OR REPLACE FUNCTION todo_counts_remove_old() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO todo_counts AS c (user_id, slot, active_count, completed_count)
        SELECT user_id, todo_counts_slot(),
               -COUNT(*) FILTER (WHERE NOT completed), -COUNT(*) FILTER (WHERE completed)
          FROM old_rows
         -- A user deleted with their todos has no counts left to keep.
         WHERE EXISTS (SELECT 1 FROM users u WHERE u.id = old_rows.user_id)
         GROUP BY user_id
        ON CONFLICT (user_id, slot) DO UPDATE
           SET active_count = c.active_count + EXCLUDED.active_count,
               completed_count = c.completed_count + EXCLUDED.completed_count;
        RETURN NULL;
    END $$",
    "CREATE OR REPLACE FUNCTION todo_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO todo_counts AS c (user_id, slot, active_count, completed_count)
        SELECT n.user_id, todo_counts_slot(),
               SUM(CASE WHEN n.completed THEN -1 ELSE 1 END),
               SUM(CASE WHEN n.completed THEN 1 ELSE -1 END)
          FROM new_rows n JOIN old_rows o ON o.id = n.id
         WHERE n.completed <> o.completed
         GROUP BY n.user_id
        ON CONFLICT (user_id, slot) DO UPDATE
           SET active_count = c.active_count + EXCLUDED.active_count,
               completed_count = c.completed_count + EXCLUDED.completed_count;
        RETURN NULL;
    END $$",
];

/// Every user's slots summed into one row (the functions of before follow, in `down`).
const POSTGRES_DOWN: &[&str] = &[
    "CREATE TEMPORARY TABLE todo_counts_summed AS
        SELECT user_id, SUM(active_count)::bigint AS active_count,
               SUM(completed_count)::bigint AS completed_count
          FROM todo_counts GROUP BY user_id",
    "DELETE FROM todo_counts",
    "ALTER TABLE todo_counts DROP CONSTRAINT pk_todo_counts",
    "ALTER TABLE todo_counts DROP COLUMN slot",
    "ALTER TABLE todo_counts ADD CONSTRAINT todo_counts_pkey PRIMARY KEY (user_id)",
    "INSERT INTO todo_counts SELECT user_id, active_count, completed_count FROM todo_counts_summed",
    "DROP TABLE todo_counts_summed",
];

#[derive(DeriveIden)]
enum TodoCounts {
    Table,
    UserId,
    Slot,
    ActiveCount,
    CompletedCount,
}
