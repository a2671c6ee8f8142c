use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261126_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Every list response carries the user's active and completed counts. Counting
        // them costs a scan of all the user's todos, which made a page of a million-todo
        // list a hundred times dearer than a page of a short one; these counters are kept
        // in step with every write, in the same transaction, so a page costs the same
        // however long the list is.
        manager
            .create_table(
                Table::create()
                    .table(TodoCounts::Table)
                    .col(pk_uuid(TodoCounts::UserId))
                    .col(big_integer(TodoCounts::ActiveCount).default(0))
                    .col(big_integer(TodoCounts::CompletedCount).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_todo_counts_user_id")
                            .from(TodoCounts::Table, TodoCounts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The counts of the todos that are already there; plain SQL that both databases
        // read the same way (SQLite stores booleans as 0 and 1, and CASE takes either).
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO todo_counts (user_id, active_count, completed_count) \
                 SELECT user_id, \
                        SUM(CASE WHEN completed THEN 0 ELSE 1 END), \
                        SUM(CASE WHEN completed THEN 1 ELSE 0 END) \
                 FROM todos GROUP BY user_id",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TodoCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum TodoCounts {
    Table,
    UserId,
    ActiveCount,
    CompletedCount,
}
