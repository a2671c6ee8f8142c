//! PostgreSQL's `todo_json` (migration 13), which makes a PATCH's live-update event from
//! the updated row, against serde_json's text of the same todo: a stream must carry the
//! exact JSON of the `200`. The titles are the characters the two could escape
//! differently; the timestamps cover each fractional width chrono writes.

use chrono::{DateTime, Duration, TimeZone, Utc};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};
use uuid::Uuid;

use app::dto;

use crate::helpers::{on_postgres, test_database};

fn times() -> Vec<DateTime<Utc>> {
    let second = Utc.with_ymd_and_hms(2026, 12, 6, 21, 7, 21).unwrap();
    let mut times: Vec<DateTime<Utc>> = [0, 1, 120_000, 500_000, 123_456, 999_999, 100]
        .into_iter()
        .map(|micros| second + Duration::microseconds(micros))
        .collect();
    times.push(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap());
    times.push(
        Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap() + Duration::milliseconds(999),
    );
    times
}

const TITLES: [&str; 8] = [
    "milk",
    r#"a "quoted" \ title / slash"#,
    "tab\tnewline\nreturn\rfeed\u{c}back\u{8}",
    "\u{1}\u{1f}\u{7f}",
    "é 日本 🎉 \u{2028}",
    "</script><b>",
    "'; DROP TABLE todos; --",
    " ",
];

#[tokio::test]
async fn postgres_writes_a_todo_as_the_same_json_text_as_serde() {
    if !on_postgres() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = ticked::db::admin_connection(&test_database(dir.path()).await)
        .await
        .unwrap();
    Migrator::up(&db, None).await.unwrap();
    let txn = db.begin().await.unwrap();
    // The output is UTC whatever the session's time zone, including one with a
    // quarter-hour offset.
    txn.execute_unprepared("SET LOCAL timezone = 'Pacific/Chatham'")
        .await
        .unwrap();

    let times = times();
    for (i, title) in TITLES.into_iter().enumerate() {
        for (j, &created_at) in times.iter().enumerate() {
            let todo = dto::Todo {
                id: Uuid::now_v7(),
                title: title.to_owned(),
                completed: (i + j) % 2 == 0,
                created_at,
                updated_at: times[(j + i + 1) % times.len()],
            };
            let row = txn
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT todo_json($1, $2, $3, $4, $5)",
                    [
                        todo.id.into(),
                        todo.title.clone().into(),
                        todo.completed.into(),
                        todo.created_at.into(),
                        todo.updated_at.into(),
                    ],
                ))
                .await
                .unwrap()
                .unwrap();
            let text: String = row.try_get_by_index(0).unwrap();
            assert_eq!(text, serde_json::to_string(&todo).unwrap());
        }
    }
}
