//! Events across instances on PostgreSQL: `NOTIFY` from the writer's transaction, one
//! `LISTEN` connection per instance feeding its [`Hub`].
//!
//! The notification carries the whole event, so no instance reads the database per
//! event: `<user> <id> <kind> <data>` (`-` for no id; [`encode`] here, and the same text
//! built in SQL by `store::sequence`, which notifies the events it gives ids). The largest event is a todo with
//! a 500-character title of 4-byte characters, about 2 200 bytes, well under the 8 000
//! bytes a payload may have (a unit test below builds it). PostgreSQL delivers
//! notifications only when their transaction commits, and in commit order.
//!
//! A listener connection that drops loses whatever was notified meanwhile. So when it
//! comes back, every stream of the instance is told to catch up from the database.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbBackend, Statement, sqlx::postgres::PgListener};
use uuid::Uuid;

use super::{Event, Hub, Kind};
use crate::{db::CONNECT_TIMEOUT, error::ApiError};

/// The channel every instance listens on.
pub(super) const CHANNEL: &str = "ticked_events";

/// The longest wait between two attempts to bring a lost listener back.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Connects the listener of this instance and keeps it feeding `hub` in the background.
///
/// # Errors
/// A message naming `DATABASE_URL` if the listener cannot connect at start.
pub async fn start(database_url: &str, hub: Hub) -> Result<(), String> {
    let listener = listen(database_url)
        .await
        .map_err(|e| format!("DATABASE_URL: cannot listen for live updates: {e}"))?;
    tokio::spawn(run(database_url.to_owned(), listener, hub));
    Ok(())
}

async fn listen(database_url: &str) -> Result<PgListener, String> {
    let connect = async {
        let mut listener = PgListener::connect(database_url).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sea_orm::sqlx::Error>(listener)
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(_) => Err("timed out".to_owned()),
    }
}

async fn run(database_url: String, mut listener: PgListener, hub: Hub) {
    loop {
        match listener.try_recv().await {
            Ok(Some(notification)) => match decode(notification.payload()) {
                Some(event) => hub.publish(event),
                None => tracing::warn!(
                    payload = notification.payload(),
                    "ignoring a malformed live-update notification"
                ),
            },
            // Lost and already re-established (sqlx reconnects eagerly).
            Ok(None) => {
                tracing::warn!("live-update listener reconnected; streams catch up");
                hub.catch_up_all();
            }
            Err(error) => {
                tracing::warn!(%error, "live-update listener failed; reconnecting");
                listener = reconnect(&database_url).await;
                hub.catch_up_all();
            }
        }
    }
}

/// A new listener, retried with backoff for as long as it takes.
async fn reconnect(database_url: &str) -> PgListener {
    let mut backoff = Duration::from_millis(100);
    loop {
        tokio::time::sleep(backoff).await;
        match listen(database_url).await {
            Ok(listener) => return listener,
            Err(error) => tracing::warn!(%error, "live-update listener still down"),
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Queues `event` for every listener, to be delivered when `db`'s transaction commits.
///
/// # Errors
/// [`ApiError::Database`] if the statement fails.
pub async fn notify(db: &impl ConnectionTrait, event: &Event) -> Result<(), ApiError> {
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [CHANNEL.into(), encode(event).into()],
    ))
    .await?;
    Ok(())
}

fn encode(event: &Event) -> String {
    let id = event.id.map_or_else(|| "-".to_owned(), |id| id.to_string());
    format!("{} {id} {} {}", event.user, event.kind.as_str(), event.data)
}

fn decode(payload: &str) -> Option<Event> {
    let mut parts = payload.splitn(4, ' ');
    let user = Uuid::parse_str(parts.next()?).ok()?;
    let id = match parts.next()? {
        "-" => None,
        id => Some(id.parse().ok()?),
    };
    let kind = Kind::parse(parts.next()?)?;
    let data = parts.next()?.to_owned();
    Some(Event {
        user,
        id,
        kind,
        data,
    })
}

#[cfg(test)]
mod tests {
    use app::dto::Todo;
    use uuid::Uuid;

    use super::{Event, Kind, decode, encode};

    /// What PostgreSQL accepts as a `NOTIFY` payload, in bytes (less than 8 000).
    const PAYLOAD_LIMIT: usize = 7_999;

    #[test]
    fn an_event_survives_the_notification_as_it_was() {
        for id in [Some(42), None] {
            let event = Event {
                user: Uuid::new_v4(),
                id,
                kind: Kind::Todo,
                data: r#"{"id":"x","title":"two  spaces and \"quotes\""}"#.to_owned(),
            };
            assert_eq!(decode(&encode(&event)), Some(event));
        }
        assert_eq!(decode("not a payload"), None);
        assert_eq!(decode(&format!("{} 1 unknown {{}}", Uuid::new_v4())), None);
    }

    #[test]
    fn the_largest_todo_fits_in_a_notification() {
        let now = chrono::Utc::now();
        for title in ["\u{1D11E}".repeat(500), "\"".repeat(500), "\\".repeat(500)] {
            let todo = Todo {
                id: Uuid::now_v7(),
                title,
                completed: false,
                created_at: now,
                updated_at: now,
            };
            let event = Event {
                user: Uuid::new_v4(),
                id: Some(i64::MAX),
                kind: Kind::TodoDeleted,
                data: serde_json::to_string(&todo).unwrap(),
            };
            let size = encode(&event).len();
            assert!(size <= PAYLOAD_LIMIT, "{size} bytes");
        }
    }
}
