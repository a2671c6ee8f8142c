//! `events`: each user's recent live updates (`API.md`, "Live updates"), so that a stream
//! reconnecting with `Last-Event-ID` on any instance can replay what it missed.
//!
//! Ids are per user and dense: `event_cursors.last_id` is bumped (`… + 1 RETURNING`) in
//! the transaction that writes the change and its event. That row lock orders one user's
//! writers, so on PostgreSQL a user's events commit in id order and a transaction that
//! rolls back takes its id with it. A global sequence would not do: a later id could
//! commit before an earlier one, and a client that saw the later one would never be
//! replayed the earlier. The history is pruned per user by count and age as it grows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EventCursors::Table)
                    .col(pk_uuid(EventCursors::UserId))
                    // The id of the user's latest event; 0 before the first.
                    .col(big_integer(EventCursors::LastId).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_event_cursors_user_id")
                            .from(EventCursors::Table, EventCursors::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(uuid(Events::UserId))
                    .col(big_integer(Events::Id))
                    // `todo`, `todo_deleted`, `todos` or `session_revoked`.
                    .col(string_len(Events::Kind, 32))
                    // The event's `data:` line, JSON, exactly as streams send it.
                    .col(text(Events::Data))
                    .col(timestamp_with_time_zone(Events::CreatedAt))
                    .primary_key(
                        Index::create()
                            .name("pk_events")
                            .col(Events::UserId)
                            .col(Events::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_events_user_id")
                            .from(Events::Table, Events::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(EventCursors::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum EventCursors {
    Table,
    UserId,
    LastId,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    UserId,
    Id,
    Kind,
    Data,
    CreatedAt,
}
