//! One user's concurrent writes (`API.md`, "Live updates"): every write's event reaches the
//! user's streams once, with ids that increase without a gap, in a history that replays the
//! same; and the counts every list carries stay exact. On PostgreSQL these writes no
//! longer take turns on one row, so this is where a lost or doubled event would show.

use std::{collections::HashSet, time::Duration};

use futures::future::join_all;
use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, TestUser, on_postgres, send, spawn_app},
    process::Deployment,
    sse::{SECOND, Stream},
};

/// How many todos each burst creates.
const BURST: usize = 30;

async fn create(app: &TestApp, token: &str, title: String) -> Value {
    let response = send(
        app.request(Method::POST, "/api/v1/todos", Some(token))
            .json(&json!({ "title": title })),
    )
    .await;
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

/// Reads `count` events from `stream`, asserting ids `after + 1 ..= after + count` in
/// order, and returns each as `(kind, data)`.
async fn dense_events(stream: &mut Stream, after: i64, count: usize) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    for expected in after + 1..=after + i64::try_from(count).unwrap() {
        let event = stream.event(Duration::from_secs(5)).await;
        assert_eq!(event.number(), expected, "{event:?}");
        events.push((event.event.clone(), event.json()));
    }
    events
}

fn ids(todos: &[Value]) -> HashSet<String> {
    todos
        .iter()
        .map(|todo| todo["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_burst_of_one_users_writes_gives_every_event_once_in_id_order_and_exact_counts() {
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let mut stream = Stream::open(&app, token, None).await;

    let created = join_all((0..BURST).map(|i| create(&app, token, format!("burst {i}")))).await;
    let events = dense_events(&mut stream, 0, BURST).await;
    assert!(events.iter().all(|(kind, _)| kind == "todo"));
    let announced: Vec<Value> = events.into_iter().map(|(_, todo)| todo).collect();
    assert_eq!(ids(&announced), ids(&created), "each create announced once");

    // Complete a third and delete another third, all at once.
    let completions = created[..BURST / 3].iter().map(|todo| {
        let path = format!("/api/v1/todos/{}", todo["id"].as_str().unwrap());
        let app = &app;
        async move {
            let response = send(
                app.request(Method::PATCH, &path, Some(token))
                    .json(&json!({ "completed": true })),
            )
            .await;
            assert_eq!(response.status(), 200);
        }
    });
    let deletions = created[BURST / 3..2 * BURST / 3].iter().map(|todo| {
        let path = format!("/api/v1/todos/{}", todo["id"].as_str().unwrap());
        let app = &app;
        async move {
            let response = send(app.request(Method::DELETE, &path, Some(token))).await;
            assert_eq!(response.status(), 204);
        }
    });
    futures::join!(join_all(completions), join_all(deletions));
    let changes = dense_events(&mut stream, BURST as i64, 2 * BURST / 3).await;
    let count = |kind: &str| changes.iter().filter(|(k, _)| k == kind).count();
    assert_eq!(
        (count("todo"), count("todo_deleted")),
        (BURST / 3, BURST / 3)
    );
    stream.assert_quiet(Duration::from_millis(300)).await;

    let list: Value = app
        .get_authed("/api/v1/todos", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["active_count"], BURST / 3);
    assert_eq!(list["completed_count"], BURST / 3);

    // The history holds the same events, in the same order.
    let mut replay = Stream::open(&app, token, Some("0")).await;
    let replayed = dense_events(&mut replay, 0, BURST + 2 * BURST / 3).await;
    assert_eq!(&replayed[BURST..], &changes[..]);
}

#[tokio::test]
async fn a_burst_through_two_instances_gives_every_stream_one_gapless_history() {
    if !on_postgres() {
        return;
    }
    let deployment = Deployment::new(&[]).await;
    let (a, b) = (deployment.start().await, deployment.start().await);
    let (_, tokens) = TestUser::signed_up(&a.app).await;
    let token = tokens.access_token.as_str();
    let mut on_a = Stream::open(&a.app, token, None).await;
    let mut on_b = Stream::open(&b.app, token, None).await;

    let created = join_all((0..BURST).map(|i| {
        let app = if i % 2 == 0 { &a.app } else { &b.app };
        create(app, token, format!("through both {i}"))
    }))
    .await;
    for stream in [&mut on_a, &mut on_b] {
        let events = dense_events(stream, 0, BURST).await;
        let announced: Vec<Value> = events.into_iter().map(|(_, todo)| todo).collect();
        assert_eq!(ids(&announced), ids(&created));
        stream.assert_quiet(Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn an_event_left_staged_by_a_stopped_instance_is_sequenced_by_the_sweep() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let (_, tokens) = TestUser::signed_up(&app).await;
    let token = tokens.access_token.as_str();
    let first = create(&app, token, "before".to_owned()).await;
    let mut stream = Stream::open(&app, token, None).await;

    // What a writer leaves when its instance stops between its commit and the sequencing:
    // a committed staged event, and no run coming for it.
    let admin = sea_orm::Database::connect(app.database_url.clone().unwrap())
        .await
        .unwrap();
    let left = json!({ "id": first["id"], "left": "staged" });
    sea_orm::ConnectionTrait::execute_raw(
        &admin,
        sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "INSERT INTO staged_events (user_id, kind, data, created_at) \
             SELECT user_id, 'todo_deleted', $1, now() FROM todos WHERE id = $2",
            [
                left.to_string().into(),
                uuid::Uuid::parse_str(first["id"].as_str().unwrap())
                    .unwrap()
                    .into(),
            ],
        ),
    )
    .await
    .unwrap();

    let swept = stream.event(Duration::from_secs(5)).await;
    assert_eq!((swept.event.as_str(), swept.number()), ("todo_deleted", 2));
    assert_eq!(swept.json(), left);
    // And the history goes on from there.
    create(&app, token, "after".to_owned()).await;
    assert_eq!(stream.event(SECOND).await.number(), 3);
}

/// How many times `staged_events` was vacuumed by a statement (autovacuum counts apart) in
/// `admin`'s database, as PostgreSQL's statistics count it.
async fn staging_vacuums(admin: &sea_orm::DatabaseConnection) -> i64 {
    let row = sea_orm::ConnectionTrait::query_one_raw(
        admin,
        sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'staged_events'",
        ),
    )
    .await
    .unwrap()
    .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Every event's row leaves `staged_events` a moment after it came, and the machines this
/// runs on have autovacuum off: without the server's own vacuum the deleted rows pile up
/// and every sequencing run steps over them (`store::vacuum_staging`).
#[tokio::test]
async fn the_staging_is_vacuumed_once_runs_have_emptied_rows_out_of_it() {
    if !on_postgres() {
        return;
    }
    let app = spawn_app().await;
    let admin = sea_orm::Database::connect(app.database_url.clone().unwrap())
        .await
        .unwrap();
    let (_, tokens) = TestUser::signed_up(&app).await;
    let before = staging_vacuums(&admin).await;

    create(&app, &tokens.access_token, "staged, then moved".to_owned()).await;
    // The sweep runs every 2 s; give it two.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while staging_vacuums(&admin).await == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no vacuum of staged_events after a write"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
