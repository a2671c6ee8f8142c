//! Ticked's database schema as sea-orm migrations, one file per change, applied in order by
//! [`Migrator`] when the server starts. They are written with sea-query's builders, so the
//! same migration runs on SQLite and on PostgreSQL.
//!
//! Names are explicit (`uq_…`, `fk_…`, `idx_…`) so errors and query plans read clearly.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_users;
mod m20261126_000002_create_sessions;
mod m20261126_000003_create_todos;
mod m20261126_000004_create_login_failures;
mod m20261129_000005_create_todo_counts;
mod m20261201_000006_login_failure_slots;
mod m20261201_000007_create_idempotency_keys;
mod m20261202_000008_create_password_reset_tokens;
mod m20261210_000009_create_events;
mod m20261212_000010_todo_count_slots;
mod m20261212_000011_create_staged_events;
mod m20261213_000012_sequence_events_function;
mod m20261214_000013_todo_json_function;

/// Every migration, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_users::Migration),
            Box::new(m20261126_000002_create_sessions::Migration),
            Box::new(m20261126_000003_create_todos::Migration),
            Box::new(m20261126_000004_create_login_failures::Migration),
            Box::new(m20261129_000005_create_todo_counts::Migration),
            Box::new(m20261201_000006_login_failure_slots::Migration),
            Box::new(m20261201_000007_create_idempotency_keys::Migration),
            Box::new(m20261202_000008_create_password_reset_tokens::Migration),
            Box::new(m20261210_000009_create_events::Migration),
            Box::new(m20261212_000010_todo_count_slots::Migration),
            Box::new(m20261212_000011_create_staged_events::Migration),
            Box::new(m20261213_000012_sequence_events_function::Migration),
            Box::new(m20261214_000013_todo_json_function::Migration),
        ]
    }
}
