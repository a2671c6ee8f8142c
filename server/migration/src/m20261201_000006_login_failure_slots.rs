//! Failed-login records become numbered slots, so that the lockout cannot be raced.
//!
//! Before, a login read the count, ran bcrypt, then added a row: twenty concurrent wrong
//! passwords all read "not locked" and were all verified. Now an attempt first claims one
//! of `LOGIN_MAX_FAILURES` slots of its (email, address) pair, by inserting `(pair, slot)`
//! under a unique index or by taking over a slot whose failure has left the window with a
//! conditional update. The database lets only one claimant have each slot, on SQLite and
//! PostgreSQL alike, so at most `LOGIN_MAX_FAILURES` attempts per window get as far as the
//! password check.
//!
//! The key column is renamed to `email_key`: it holds the normalised email, or a hash of
//! what was typed when that does not fit (see `auth::login_throttle`). The old rows are
//! dropped with the old table: at worst an upgrade forgets a few recent failed logins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_uuid(LoginFailures::Id))
                    .col(string_len(LoginFailures::EmailKey, 254))
                    .col(string_len(LoginFailures::ClientIp, 64))
                    .col(integer(LoginFailures::Slot))
                    .col(timestamp_with_time_zone(LoginFailures::FailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_login_failures_pair_slot")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::EmailKey)
                    .col(LoginFailures::ClientIp)
                    .col(LoginFailures::Slot)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LoginFailures::Table)
                    .col(pk_uuid(LoginFailures::Id))
                    .col(string_len(LoginFailures::EmailNormalized, 254))
                    .col(string_len(LoginFailures::ClientIp, 64))
                    .col(timestamp_with_time_zone(LoginFailures::FailedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_failures_pair_time")
                    .table(LoginFailures::Table)
                    .col(LoginFailures::EmailNormalized)
                    .col(LoginFailures::ClientIp)
                    .col(LoginFailures::FailedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    EmailKey,
    EmailNormalized,
    ClientIp,
    Slot,
    FailedAt,
}
