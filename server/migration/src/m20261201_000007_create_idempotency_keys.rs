//! `Idempotency-Key` on `POST /todos`: what each key of each user created, for 24 hours.
//!
//! The unique index on `(user_id, key)` is what makes a repeat create nothing, also when
//! ten repeats arrive at once: every request inserts its key first, one insert wins, and
//! the others find the winner's row (insert-or-conflict, then read). `todo_id` is not a
//! foreign key on purpose: a repeat after the todo was deleted still answers what the
//! first request answered, from `response`.

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
                    .table(IdempotencyKeys::Table)
                    .col(pk_uuid(IdempotencyKeys::Id))
                    .col(uuid(IdempotencyKeys::UserId))
                    // 1–255 visible ASCII characters, checked before it gets here.
                    .col(string_len(IdempotencyKeys::Key, 255))
                    // SHA-256 (hex) of the request as the server read it: a repeat with
                    // another body is refused rather than answered with this one's result.
                    .col(string_len(IdempotencyKeys::Fingerprint, 64))
                    .col(uuid(IdempotencyKeys::TodoId))
                    // The todo as the first request answered it, as JSON.
                    .col(text(IdempotencyKeys::Response))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_idempotency_keys_user_id")
                            .from(IdempotencyKeys::Table, IdempotencyKeys::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_idempotency_keys_user_key")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::UserId)
                    .col(IdempotencyKeys::Key)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Expired keys are deleted per user as new ones arrive.
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_keys_user_created")
                    .table(IdempotencyKeys::Table)
                    .col(IdempotencyKeys::UserId)
                    .col(IdempotencyKeys::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    UserId,
    Key,
    Fingerprint,
    TodoId,
    Response,
    CreatedAt,
}
