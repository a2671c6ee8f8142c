//! The pool against a real PostgreSQL (`TEST_DATABASE_URL`, a database of each test's
//! own): what each way of giving a connection back leaves for the next statement.
//!
//! Without `TEST_DATABASE_URL` these tests say so and pass; `make test` runs them on
//! PostgreSQL in its PostgreSQL pass.

use std::time::Duration;

use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement,
};

use super::{Pool, PoolOptions};

/// A fresh database on the test server, the pool under test on it, and a connection of
/// sea-orm's own to look from outside the pool.
struct TestDb {
    pool: Pool,
    outside: DatabaseConnection,
}

async fn test_db(max_connections: usize, ping_after_idle: Duration) -> Option<TestDb> {
    let Some(server_url) = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("TEST_DATABASE_URL not set: PostgreSQL pool test skipped");
        return None;
    };
    let name = format!("ticked_test_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(&server_url)
        .await
        .expect("TEST_DATABASE_URL");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .expect("create test database");
    admin.close().await.ok();
    let (base, _) = server_url.rsplit_once('/').expect("a database name");
    let url = format!("{base}/{name}");
    let pool = Pool::connect(
        &url,
        PoolOptions {
            max_connections,
            acquire_timeout: Duration::from_secs(5),
            ping_after_idle,
            idle_timeout: Duration::from_secs(600),
        },
    )
    .await
    .expect("pool");
    // One connection, so that the `SET` of `counter_from_outside` holds for its query.
    let outside = Database::connect(ConnectOptions::new(url).max_connections(1).to_owned())
        .await
        .expect("outside connection");
    outside
        .execute_unprepared("CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL)")
        .await
        .unwrap();
    outside
        .execute_unprepared("INSERT INTO t VALUES (1, 0)")
        .await
        .unwrap();
    Some(TestDb { pool, outside })
}

const NO_PING: Duration = Duration::from_secs(600);

async fn scalar(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .expect("a row");
    row.try_get_by_index(0).expect("an integer")
}

async fn backend_pid(db: &impl ConnectionTrait) -> i64 {
    scalar(db, "SELECT pg_backend_pid()::BIGINT").await
}

/// `t`'s counter, read from outside the pool, after waiting no more than a second for
/// its row lock: a lock still held fails the read instead of hanging the test. (A
/// dropped transaction is rolled back by a task, so its lock may take a moment to go.)
async fn counter_from_outside(outside: &DatabaseConnection) -> i64 {
    outside
        .execute_unprepared("SET lock_timeout = '1s'")
        .await
        .unwrap();
    scalar(outside, "SELECT n::BIGINT FROM t WHERE id = 1 FOR UPDATE").await
}

/// Ends backend `pid` as an administrator would, and waits until it is gone.
async fn terminate(outside: &DatabaseConnection, pid: i64) {
    scalar(
        outside,
        &format!("SELECT pg_terminate_backend({pid}, 5000)::INT::BIGINT"),
    )
    .await;
}

#[tokio::test]
async fn a_settled_connection_is_handed_out_again() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    db.pool
        .execute_unprepared("UPDATE t SET n = n + 1")
        .await
        .unwrap();
    assert_eq!(backend_pid(&db.pool).await, first);
    assert_eq!(counter_from_outside(&db.outside).await, 1);
}

#[tokio::test]
async fn a_failed_statement_leaves_the_connection_usable() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    let duplicate = db
        .pool
        .execute_unprepared("INSERT INTO t VALUES (1, 5)")
        .await;
    assert!(super::super::is_unique_violation(&duplicate.unwrap_err()));
    assert_eq!(backend_pid(&db.pool).await, first);
}

#[tokio::test]
async fn a_transaction_dropped_without_commit_is_rolled_back_and_its_connection_kept() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    let txn = db.pool.begin().await.unwrap();
    txn.execute_unprepared("UPDATE t SET n = 7").await.unwrap();
    drop(txn);
    // The row is freed (the rollback runs on a task, within the second that
    // `counter_from_outside` waits for the lock) and the update undone...
    assert_eq!(counter_from_outside(&db.outside).await, 0);
    // ...and the pool's one connection came back, outside any transaction: what it
    // writes now is kept without a commit.
    assert_eq!(backend_pid(&db.pool).await, first);
    db.pool
        .execute_unprepared("UPDATE t SET n = 3")
        .await
        .unwrap();
    assert_eq!(counter_from_outside(&db.outside).await, 3);
}

#[tokio::test]
async fn a_committed_transaction_is_kept_and_its_connection_reused() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    let txn = db.pool.begin().await.unwrap();
    txn.execute_unprepared("UPDATE t SET n = 9").await.unwrap();
    txn.commit().await.unwrap();
    assert_eq!(counter_from_outside(&db.outside).await, 9);
    assert_eq!(backend_pid(&db.pool).await, first);
}

#[tokio::test]
async fn a_statement_cut_off_mid_way_leaves_no_answer_behind_for_the_next() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    let cut_off = tokio::time::timeout(
        Duration::from_millis(100),
        scalar(&db.pool, "SELECT 1::BIGINT FROM pg_sleep(0.5)"),
    )
    .await;
    assert!(cut_off.is_err(), "the slow statement was not cut off");
    // The next statement gets its own answer, not the one still owed to the first, on the
    // same connection, recovered rather than closed.
    assert_eq!(scalar(&db.pool, "SELECT 2::BIGINT").await, 2);
    assert_eq!(backend_pid(&db.pool).await, first);
}

#[tokio::test]
async fn a_transaction_cut_off_mid_statement_is_rolled_back() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let cut_off = tokio::time::timeout(Duration::from_millis(100), async {
        let txn = db.pool.begin().await.unwrap();
        txn.execute_unprepared("UPDATE t SET n = 4").await.unwrap();
        scalar(&txn, "SELECT 1::BIGINT FROM pg_sleep(0.5)").await;
        txn.commit().await.unwrap();
    })
    .await;
    assert!(cut_off.is_err(), "the transaction was not cut off");
    assert_eq!(scalar(&db.pool, "SELECT 2::BIGINT").await, 2);
    assert_eq!(counter_from_outside(&db.outside).await, 0);
}

#[tokio::test]
async fn a_connection_the_server_ended_is_closed_not_handed_out_again() {
    let Some(db) = test_db(1, NO_PING).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    terminate(&db.outside, first).await;
    // Used again within the idle threshold, it is not checked: the request that takes it
    // fails, as one in flight would have. The one after gets a new connection.
    let failed = db
        .pool
        .query_one_raw(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
        .await;
    assert!(failed.is_err());
    assert_ne!(backend_pid(&db.pool).await, first);
}

#[tokio::test]
async fn a_connection_idle_past_the_threshold_is_checked_before_it_is_handed_out() {
    let Some(db) = test_db(1, Duration::from_millis(200)).await else {
        return;
    };
    let first = backend_pid(&db.pool).await;
    terminate(&db.outside, first).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    // The check finds it dead: the statement runs on a new connection and succeeds.
    assert_ne!(backend_pid(&db.pool).await, first);
}

#[tokio::test]
async fn the_pool_never_opens_more_than_its_size_even_while_recovering() {
    let Some(db) = test_db(2, NO_PING).await else {
        return;
    };
    // Cut-off statements hand their connections to recovery tasks while others ask for
    // connections: the count of PostgreSQL backends of this database stays at the size.
    let slow = (0..4).map(|_| {
        tokio::time::timeout(
            Duration::from_millis(50),
            scalar(&db.pool, "SELECT 1::BIGINT FROM pg_sleep(0.3)"),
        )
    });
    let quick = (0..8).map(|_| backend_pid(&db.pool));
    let (_, pids) = tokio::join!(
        futures::future::join_all(slow),
        futures::future::join_all(quick)
    );
    let distinct: std::collections::BTreeSet<_> = pids.into_iter().collect();
    assert!(distinct.len() <= 2, "{distinct:?}");
    let backends = scalar(
        &db.outside,
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .await;
    assert!(backends <= 2, "{backends} backends");
}
