//! The server follows the database: `/readyz` is 503 while it cannot be reached and 200
//! again once it can, without a restart, and connections it lost cost requests nothing.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::helpers::{TestApp, TestUser, spawn_app_with, test_database};

/// A TCP relay between the server and PostgreSQL that the test can cut and restore, so
/// the database becomes unreachable for this server alone.
struct Relay {
    address: String,
    open: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Relay {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let open = Arc::new(AtomicBool::new(true));
        let (cut, cuts) = watch::channel(0u64);
        let accepting = Arc::clone(&open);
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    continue; // dropped: connection closed at once
                }
                let upstream = upstream.clone();
                let mut cuts = cuts.clone();
                // Only cuts from now on end this connection.
                cuts.borrow_and_update();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Self { address, open, cut }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.open.store(true, Ordering::SeqCst);
    }
}

async fn readyz(app: &crate::helpers::TestApp) -> u16 {
    app.get("/readyz").await.status().as_u16()
}

/// A server whose PostgreSQL connections go through a [`Relay`], or `None` (and a note)
/// when the tests run on SQLite.
async fn relayed_app() -> Option<(TestApp, Relay)> {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |v| v.is_empty()) {
        eprintln!(
            "skipped: needs TEST_DATABASE_URL (a PostgreSQL server) to cut the connection to"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let direct = test_database(dir.path()).await;
    let (before_host, rest) = direct.split_once('@').expect("user@host in the URL");
    let (host_port, database) = rest.split_once('/').expect("host/database");
    let relay = Relay::start(host_port.to_owned()).await;
    let relayed = format!("{before_host}@{}/{database}", relay.address);
    let app = spawn_app_with(&[("DATABASE_URL", &relayed)]).await;
    Some((app, relay))
}

#[tokio::test]
async fn readyz_is_503_while_postgres_is_unreachable_and_200_when_it_returns() {
    let Some((app, relay)) = relayed_app().await else {
        return;
    };
    assert_eq!(readyz(&app).await, 200);

    relay.cut();
    assert_eq!(readyz(&app).await, 503);
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "alive all the same"
    );

    relay.restore();
    let mut status = 0;
    for _ in 0..40 {
        status = readyz(&app).await;
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(status, 200, "ready again once the database answers");
}

/// The pool hands out a recently used connection without a round trip to check it (a
/// round trip per statement, measured in BENCHMARKS.md), and checks one that has been
/// idle for a second (`db::PING_AFTER_IDLE`, which the wait below must exceed). So
/// connections that were dropped while the server was quiet, by a restart of PostgreSQL,
/// a proxy or the network, cost the next request nothing.
#[tokio::test]
async fn connections_dropped_while_idle_cost_the_next_request_nothing() {
    let Some((app, relay)) = relayed_app().await else {
        return;
    };
    let (_, tokens) = TestUser::signed_up(&app).await;
    assert_eq!(
        app.get_authed("/api/v1/users/me", &tokens.access_token)
            .await
            .status(),
        200
    );

    // Every connection the pool holds is dropped; new ones can be made at once.
    relay.cut();
    relay.restore();
    tokio::time::sleep(Duration::from_millis(1_500)).await;

    for path in ["/api/v1/users/me", "/api/v1/todos", "/api/v1/sessions"] {
        assert_eq!(
            app.get_authed(path, &tokens.access_token).await.status(),
            200,
            "{path}, the first request after the drop"
        );
    }
}
