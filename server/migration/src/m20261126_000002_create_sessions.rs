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
                    .table(Sessions::Table)
                    .col(pk_uuid(Sessions::Id))
                    .col(uuid(Sessions::UserId))
                    // The refresh token that may be used next, by its `jti`, with the exact
                    // `iat`/`exp` it was signed with so the grace window can hand it out again.
                    .col(uuid(Sessions::RefreshJti))
                    .col(big_integer(Sessions::RefreshIssuedAt))
                    .col(big_integer(Sessions::RefreshExpiresAt))
                    // The token that the last rotation spent, and when: the only one that the
                    // reuse grace window forgives.
                    .col(uuid_null(Sessions::PreviousRefreshJti))
                    .col(timestamp_with_time_zone_null(Sessions::RotatedAt))
                    .col(string_len_null(Sessions::UserAgent, 512))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastUsedAt))
                    .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_user_id")
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user_id")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub enum Sessions {
    Table,
    Id,
    UserId,
    RefreshJti,
    RefreshIssuedAt,
    RefreshExpiresAt,
    PreviousRefreshJti,
    RotatedAt,
    UserAgent,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}
