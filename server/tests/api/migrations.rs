//! Migrations applied to a database that already holds data, as an upgrade meets them.

use migration::{Migrator, MigratorTrait};
use sea_orm::EntityTrait;
use ticked::{
    entities::{todo, user},
    services::todo_counts,
};
use uuid::Uuid;

use crate::helpers::test_database;

/// The migrations before `todo_counts` existed.
const BEFORE_TODO_COUNTS: u32 = 4;

#[tokio::test]
async fn the_counts_migration_counts_the_todos_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = ticked::db::admin_connection(&test_database(dir.path()).await)
        .await
        .unwrap();
    Migrator::up(&db, Some(BEFORE_TODO_COUNTS)).await.unwrap();
    let now = ticked::db::now();
    let owner = Uuid::now_v7();
    user::Entity::insert(user::ActiveModel::from(user::Model {
        id: owner,
        email: "before@example.com".to_owned(),
        email_normalized: "before@example.com".to_owned(),
        password_hash: "not a real hash".to_owned(),
        created_at: now,
        updated_at: now,
    }))
    .exec_without_returning(&db)
    .await
    .unwrap();
    for completed in [false, false, true] {
        todo::Entity::insert(todo::ActiveModel::from(todo::Model {
            id: Uuid::now_v7(),
            user_id: owner,
            title: "from before the upgrade".to_owned(),
            completed,
            created_at: now,
            updated_at: now,
        }))
        .exec_without_returning(&db)
        .await
        .unwrap();
    }

    Migrator::up(&db, None).await.unwrap();

    assert_eq!(todo_counts::read(&db, owner).await.unwrap(), (2, 1));
    assert_eq!(
        todo_counts::read(&db, Uuid::now_v7()).await.unwrap(),
        (0, 0)
    );
}
