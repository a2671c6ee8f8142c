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
                    .table(Todos::Table)
                    .col(pk_uuid(Todos::Id))
                    .col(uuid(Todos::UserId))
                    .col(text(Todos::Title))
                    .col(boolean(Todos::Completed))
                    .col(timestamp_with_time_zone(Todos::CreatedAt))
                    .col(timestamp_with_time_zone(Todos::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_todos_user_id")
                            .from(Todos::Table, Todos::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Serves the list query (`WHERE user_id = ? ORDER BY created_at, id`) and its keyset
        // cursor, so a page costs the same however many todos the table holds.
        manager
            .create_index(
                Index::create()
                    .name("idx_todos_user_created")
                    .table(Todos::Table)
                    .col(Todos::UserId)
                    .col(Todos::CreatedAt)
                    .col(Todos::Id)
                    .to_owned(),
            )
            .await?;
        // The same for the `active` and `completed` filters, and the per-status counts.
        manager
            .create_index(
                Index::create()
                    .name("idx_todos_user_completed_created")
                    .table(Todos::Table)
                    .col(Todos::UserId)
                    .col(Todos::Completed)
                    .col(Todos::CreatedAt)
                    .col(Todos::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Todos::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Todos {
    Table,
    Id,
    UserId,
    Title,
    Completed,
    CreatedAt,
    UpdatedAt,
}
