//! Password-reset tokens (`API.md`, "Password reset").
//!
//! Only the SHA-256 of a token is stored (hex, unique): whoever reads the database cannot
//! use a reset link from it. A user has at most one live token — a new request deletes
//! the older ones, and so do a confirmation and any password change — so "spent" is
//! simply "gone", and a token is claimed by deleting its row: of two confirmations with
//! one token, the database lets exactly one delete it.

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
                    .table(PasswordResetTokens::Table)
                    .col(pk_uuid(PasswordResetTokens::Id))
                    .col(uuid(PasswordResetTokens::UserId))
                    .col(string_len(PasswordResetTokens::TokenHash, 64))
                    .col(timestamp_with_time_zone(PasswordResetTokens::CreatedAt))
                    .col(timestamp_with_time_zone(PasswordResetTokens::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_password_reset_tokens_user_id")
                            .from(PasswordResetTokens::Table, PasswordResetTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_password_reset_tokens_token_hash")
                    .table(PasswordResetTokens::Table)
                    .col(PasswordResetTokens::TokenHash)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Spending a user's tokens (new request, confirmation, password change).
        manager
            .create_index(
                Index::create()
                    .name("idx_password_reset_tokens_user_id")
                    .table(PasswordResetTokens::Table)
                    .col(PasswordResetTokens::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResetTokens::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum PasswordResetTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
}
