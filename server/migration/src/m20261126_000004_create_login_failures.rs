use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One row per failed login. Kept in the database rather than in memory so that
        // the lockout holds across server instances. A locked-out pair stops adding rows,
        // so each (email, address) pair holds at most LOGIN_MAX_FAILURES of them.
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

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginFailures::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Id,
    EmailNormalized,
    ClientIp,
    FailedAt,
}
