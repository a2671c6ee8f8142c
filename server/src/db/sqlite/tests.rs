//! The driver against a real, migrated database file, and against sqlx's driver reading
//! and writing the same file.

use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tempfile::TempDir;
use uuid::Uuid;

use crate::{
    db::{self, Db},
    entities::{session, todo, user},
};

struct TestDb {
    db: Db,
    _dir: TempDir,
}

async fn migrated() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
    let db = db::connect_and_migrate(&url).await.unwrap();
    assert!(matches!(db, Db::Sqlite(_)));
    TestDb { db, _dir: dir }
}

fn a_user() -> user::Model {
    let id = Uuid::now_v7();
    let now = db::now();
    user::Model {
        id,
        email: format!("{id}@example.com"),
        email_normalized: format!("{id}@example.com"),
        password_hash: "not a hash".to_owned(),
        created_at: now,
        updated_at: now,
    }
}

fn a_todo(user: Uuid, title: &str) -> todo::Model {
    let now = db::now();
    todo::Model {
        id: Uuid::now_v7(),
        user_id: user,
        title: title.to_owned(),
        completed: false,
        created_at: now,
        updated_at: now,
    }
}

async fn insert_user(db: &impl ConnectionTrait, user: &user::Model) {
    user::Entity::insert(user::ActiveModel::from(user.clone()))
        .exec_without_returning(db)
        .await
        .unwrap();
}

async fn insert_todo(db: &impl ConnectionTrait, todo: &todo::Model) {
    todo::Entity::insert(todo::ActiveModel::from(todo.clone()))
        .exec_without_returning(db)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_row_is_stored_as_sqlx_stored_it_and_reads_back_whole() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    let todo = todo::Model {
        completed: true,
        ..a_todo(user.id, "stored")
    };
    insert_todo(&test.db, &todo).await;

    assert_eq!(
        todo::Entity::find_by_id(todo.id)
            .one(&test.db)
            .await
            .unwrap(),
        Some(todo.clone())
    );
    // The forms sqlx's SQLite driver wrote, which databases from before this driver
    // hold: a uuid as a 16-byte blob, a boolean as 1, a timestamp as RFC 3339 text.
    let raw = rusqlite::Connection::open(test._dir.path().join("t.db")).unwrap();
    let (id, completed, created_at): (Vec<u8>, i64, String) = raw
        .query_row("SELECT id, completed, created_at FROM todos", [], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap();
    assert_eq!(id, todo.id.as_bytes());
    assert_eq!(completed, 1);
    assert_eq!(
        created_at,
        todo.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
    );
    // SQL comparisons meet the same forms: a keyset cursor compares stored text.
    let later = todo::Entity::find()
        .filter(todo::Column::UserId.eq(user.id))
        .filter(todo::Column::CreatedAt.gte(todo.created_at))
        .count(&test.db)
        .await
        .unwrap();
    assert_eq!(later, 1);
}

#[tokio::test]
async fn nullable_columns_read_back_as_none_and_some() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    let now = db::now();
    let session = session::Model {
        id: Uuid::new_v4(),
        user_id: user.id,
        refresh_jti: Uuid::new_v4(),
        refresh_issued_at: now.timestamp(),
        refresh_expires_at: now.timestamp() + 60,
        previous_refresh_jti: None,
        rotated_at: Some(now),
        user_agent: None,
        created_at: now,
        last_used_at: now,
        revoked_at: None,
    };
    session::Entity::insert(session::ActiveModel::from(session.clone()))
        .exec_without_returning(&test.db)
        .await
        .unwrap();
    let read = session::Entity::find_by_id(session.id)
        .one(&test.db)
        .await
        .unwrap();
    assert_eq!(read, Some(session));
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_leaves_nothing() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    {
        let txn = test.db.begin().await.unwrap();
        insert_todo(&txn, &a_todo(user.id, "never committed")).await;
    }
    let committed = {
        let txn = test.db.begin().await.unwrap();
        let todo = a_todo(user.id, "committed");
        insert_todo(&txn, &todo).await;
        txn.commit().await.unwrap();
        todo
    };
    let all = todo::Entity::find().all(&test.db).await.unwrap();
    assert_eq!(all, vec![committed]);
}

#[tokio::test]
async fn a_duplicate_is_a_unique_violation_and_other_errors_are_not() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    let duplicate = user::Entity::insert(user::ActiveModel::from(user.clone()))
        .exec_without_returning(&test.db)
        .await
        .unwrap_err();
    assert!(db::is_unique_violation(&duplicate), "{duplicate}");
    let orphan = todo::Entity::insert(todo::ActiveModel::from(a_todo(Uuid::now_v7(), "x")))
        .exec_without_returning(&test.db)
        .await
        .unwrap_err();
    assert!(!db::is_unique_violation(&orphan), "{orphan}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_write_transactions_all_commit_one_at_a_time() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    let writers = (0..40).map(|i| {
        let db = test.db.clone();
        tokio::spawn(async move {
            let txn = db.begin().await?;
            insert_todo(&txn, &a_todo(user.id, &format!("todo {i}"))).await;
            // Hold the transaction across a real suspension: the others must wait for
            // their turn, not fail or block a worker.
            tokio::time::sleep(Duration::from_millis(2)).await;
            txn.commit().await
        })
    });
    for writer in futures::future::join_all(writers).await {
        writer.unwrap().unwrap();
    }
    let counts = crate::services::todo_counts::read(&test.db, user.id)
        .await
        .unwrap();
    assert_eq!(counts, (40, 0));
}

#[tokio::test]
async fn reads_go_on_while_a_write_transaction_is_open() {
    let test = migrated().await;
    let user = a_user();
    insert_user(&test.db, &user).await;
    let txn = test.db.begin().await.unwrap();
    insert_todo(&txn, &a_todo(user.id, "not yet")).await;
    let seen = tokio::time::timeout(Duration::from_secs(1), todo::Entity::find().count(&test.db))
        .await
        .expect("a read does not wait for the writer")
        .unwrap();
    assert_eq!(seen, 0);
    txn.commit().await.unwrap();
    assert_eq!(todo::Entity::find().count(&test.db).await.unwrap(), 1);
}

#[tokio::test]
async fn an_in_memory_database_is_refused_with_one_line() {
    let err = db::connect_and_migrate("sqlite::memory:")
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "DATABASE_URL: an in-memory SQLite database is not supported: name a file"
    );
}
