//! Migrations applied to a database that already holds data, as an upgrade meets them.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use ticked::{
    entities::{todo, todo_count, user},
    services::todo_counts,
};
use uuid::Uuid;

use crate::helpers::test_database;

/// The migrations before `todo_counts` existed.
const BEFORE_TODO_COUNTS: u32 = 4;

/// The migrations from `todo_counts` getting slots on: the slots, the staged events, their
/// sequencing function and the todo JSON function, undone last to first.
const SINCE_SLOTS: u32 = 4;

#[tokio::test]
async fn the_counts_migration_counts_the_todos_already_there() {
    let dir = tempfile::tempdir().unwrap();
    let db = ticked::db::admin_connection(&test_database(dir.path()).await)
        .await
        .unwrap();
    Migrator::up(&db, Some(BEFORE_TODO_COUNTS)).await.unwrap();
    let owner = owner_of_two_active_and_one_completed(&db).await;

    Migrator::up(&db, None).await.unwrap();

    assert_eq!(todo_counts::read(&db, owner).await.unwrap(), (2, 1));
    assert_eq!(
        todo_counts::read(&db, Uuid::now_v7()).await.unwrap(),
        (0, 0)
    );
}

#[tokio::test]
async fn the_slots_migration_keeps_every_users_counts_on_the_way_down_and_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = ticked::db::admin_connection(&test_database(dir.path()).await)
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let owner = owner_of_two_active_and_one_completed(&db).await;
    // Another slot, as the writes of another connection make on PostgreSQL; its own
    // counts can be negative, the sum cannot. (Connections write to slots 0 to 63, so
    // this test's own writes cannot have made this one already.)
    todo_count::Entity::insert(todo_count::ActiveModel {
        user_id: Set(owner),
        slot: Set(64),
        active_count: Set(2),
        completed_count: Set(-1),
    })
    .exec_without_returning(&db)
    .await
    .unwrap();
    assert_eq!(todo_counts::read(&db, owner).await.unwrap(), (4, 0));

    Migrator::down(&db, Some(SINCE_SLOTS)).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT active_count, completed_count FROM todo_counts WHERE user_id = $1",
            [owner.into()],
        ))
        .await
        .unwrap();
    let counts: Vec<(i64, i64)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
            )
        })
        .collect();
    assert_eq!(counts, [(4, 0)], "one row per user, the sum of its slots");

    Migrator::up(&db, None).await.unwrap();
    assert_eq!(todo_counts::read(&db, owner).await.unwrap(), (4, 0));
    // The triggers came back with the table.
    insert_todo(&db, owner, false).await;
    assert_eq!(todo_counts::read(&db, owner).await.unwrap(), (5, 0));
}

/// A user with two active todos and one completed one.
async fn owner_of_two_active_and_one_completed(db: &DatabaseConnection) -> Uuid {
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
    .exec_without_returning(db)
    .await
    .unwrap();
    for completed in [false, false, true] {
        insert_todo(db, owner, completed).await;
    }
    owner
}

async fn insert_todo(db: &DatabaseConnection, owner: Uuid, completed: bool) {
    let now = ticked::db::now();
    todo::Entity::insert(todo::ActiveModel::from(todo::Model {
        id: Uuid::now_v7(),
        user_id: owner,
        title: "from before the upgrade".to_owned(),
        completed,
        created_at: now,
        updated_at: now,
    }))
    .exec_without_returning(db)
    .await
    .unwrap();
}
