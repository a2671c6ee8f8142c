//! `staged_events` (PostgreSQL only): a write's event waits here, without an id, until the
//! write has committed; then it gets its place in the user's history.
//!
//! Before, each write bumped the user's `event_cursors` row in its own transaction (the
//! migration that made `events`), and PostgreSQL held that row's lock until the commit: a
//! user's writers committed one at a time. Now a writer only inserts its event here; after
//! its commit, a sequencing transaction (`events::sequencer` in the server) takes the lock
//! of the user's history, moves every staged event of the user that has committed into
//! `events` with the next ids, in staging order, and notifies them. Ids stay dense and in
//! commit order, and the lock is held by one short transaction for many writes at once
//! instead of by every writer through its commit.
//!
//! SQLite runs one writer at a time, so it keeps assigning ids in the writer's transaction
//! and has no such table.

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::m20261126_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager
            .create_table(
                Table::create()
                    .table(StagedEvents::Table)
                    // The staging order, which becomes the order of the ids.
                    .col(big_pk_auto(StagedEvents::Seq))
                    .col(uuid(StagedEvents::UserId))
                    .col(string_len(StagedEvents::Kind, 32))
                    .col(text(StagedEvents::Data))
                    .col(timestamp_with_time_zone(StagedEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_staged_events_user_id")
                            .from(StagedEvents::Table, StagedEvents::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_staged_events_user_id_seq")
                    .table(StagedEvents::Table)
                    .col(StagedEvents::UserId)
                    .col(StagedEvents::Seq)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            return Ok(());
        }
        manager
            .drop_table(Table::drop().table(StagedEvents::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum StagedEvents {
    Table,
    Seq,
    UserId,
    Kind,
    Data,
    CreatedAt,
}
