//! `sequence_staged_events` (PostgreSQL only): a sequencing run (`events::sequencer` in the
//! server) as one function call, one round trip instead of four.
//!
//! A run must take the user's history lock before it reads the user's last event id, and
//! in PostgreSQL's read-committed mode a statement sees what had committed when it
//! started: the lock and the move cannot be one SQL statement, or a run that waited for
//! the lock would number its events after a stale last id. From the server they were
//! `BEGIN`, the lock, the move and `COMMIT`. In a function, each statement takes a fresh
//! snapshot, so the move, after the lock, sees every run that committed before it; and the
//! call is its own transaction, which ends when it returns, releasing the lock.
//!
//! The move itself is the statement the server ran before: the user's staged events
//! leave `staged_events`, numbered after the user's last id in staging order, are stored
//! in `events`, the cursor moves to the last of them, and each is notified in id order as
//! the server's listener reads a payload (`<user> <id> <kind> <data>`).

use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const CREATE: &str = "
CREATE FUNCTION sequence_staged_events(target uuid, lock_key bigint, channel text)
RETURNS TABLE (first_sequenced bigint, last_sequenced bigint, sequenced bigint)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    RETURN QUERY
    WITH moved AS (
        DELETE FROM staged_events WHERE user_id = target
        RETURNING seq, kind, data, created_at
    ), numbered AS (
        SELECT COALESCE((SELECT c.last_id FROM event_cursors c WHERE c.user_id = target), 0)
               + row_number() OVER (ORDER BY seq) AS id, kind, data, created_at
          FROM moved
    ), stored AS (
        INSERT INTO events (user_id, id, kind, data, created_at)
        SELECT target, n.id, n.kind, n.data, n.created_at FROM numbered n
        RETURNING events.id, events.kind, events.data
    ), cursor AS (
        INSERT INTO event_cursors (user_id, last_id)
        SELECT target, MAX(n.id) FROM numbered n HAVING COUNT(*) > 0
        ON CONFLICT (user_id) DO UPDATE SET last_id = EXCLUDED.last_id
    )
    SELECT MIN(sent.id)::bigint, MAX(sent.id)::bigint,
           COUNT(pg_notify(channel, target::text || ' ' || sent.id || ' ' || sent.kind || ' ' || sent.data))
      FROM (SELECT s.id, s.kind, s.data FROM stored s ORDER BY s.id) AS sent;
END
$$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(CREATE).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared("DROP FUNCTION sequence_staged_events(uuid, bigint, text)")
            .await?;
        Ok(())
    }
}
