//! `todo_json` (PostgreSQL only): a todo as the JSON text the server's serde writes for it,
//! computed by PostgreSQL from a row.
//!
//! A `PATCH` stages its live-update event in the statement that updates the todo (the
//! server's `events::store::stage_per_row`), so the event's `data` must be made from the
//! updated row inside that statement: the server does not know the fields the patch left
//! alone, nor `created_at`, until the row comes back. The text must be the same as
//! `serde_json::to_string(&dto::Todo)`, byte for byte, or a stream would tell a client one
//! thing and the `200` another: the same key order, no spaces, PostgreSQL's `to_json` for
//! the title (it escapes exactly what serde_json escapes), and the timestamps as chrono
//! writes a `DateTime<Utc>` (RFC 3339 with `Z`, and 0, 3 or 6 fractional digits, the
//! fewest that hold the value). The server's tests compare the two on edge cases.

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: [&str; 2] = [
    "
CREATE FUNCTION rfc3339_utc(t timestamptz) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT to_char(utc, 'YYYY-MM-DD\"T\"HH24:MI:SS')
        || CASE
            WHEN micros = 0 THEN ''
            WHEN micros % 1000 = 0 THEN '.' || lpad((micros / 1000)::text, 3, '0')
            ELSE '.' || lpad(micros::text, 6, '0')
        END
        || 'Z'
      FROM (SELECT t AT TIME ZONE 'UTC' AS utc) AS u,
           LATERAL (SELECT extract(microseconds FROM utc)::bigint % 1000000 AS micros) AS m
$$",
    "
CREATE FUNCTION todo_json(
    id uuid, title text, completed boolean, created_at timestamptz, updated_at timestamptz
) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT '{\"id\":\"' || id::text
        || '\",\"title\":' || to_json(title)::text
        || ',\"completed\":' || completed::text
        || ',\"created_at\":\"' || rfc3339_utc(created_at)
        || '\",\"updated_at\":\"' || rfc3339_utc(updated_at)
        || '\"}'
$$",
];

const DROP: [&str; 2] = [
    "DROP FUNCTION todo_json(uuid, text, boolean, timestamptz, timestamptz)",
    "DROP FUNCTION rfc3339_utc(timestamptz)",
];

/// Runs `statements` in order on PostgreSQL; SQLite has no such functions.
async fn on_postgres(manager: &SchemaManager<'_>, statements: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Sqlite {
        return Ok(());
    }
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, &CREATE).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(manager, &DROP).await
    }
}
