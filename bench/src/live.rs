//! Scenario 9: live updates (`GET /api/v1/events`). A fresh server holds many idle
//! streams, spread over many users; we read its memory and CPU with them open, then time
//! writes through the API until another stream of the same user receives the event.

use std::time::{Duration, Instant};

use tokio::{sync::mpsc, task::JoinSet};

use crate::{
    BenchError,
    api::{Api, User},
    cli::Options,
    database::Database,
    server::Server,
};

/// How long the streams sit idle while the server's CPU is measured.
const IDLE: Duration = Duration::from_secs(10);
/// Streams opened at once while setting up.
const OPEN_AT_ONCE: usize = 50;
/// Users whose streams are read for the latency, one stream each.
const LISTENED_USERS: usize = 10;
/// How long a write may take to show on a stream before it counts as lost.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

/// What scenario 9 measured on one database.
#[derive(Clone, Debug)]
pub struct LiveResult {
    pub streams: usize,
    pub users: usize,
    /// Resident memory of the server before the streams opened, and with them open.
    pub rss_before: u64,
    pub rss_open: u64,
    /// Server CPU time while the streams sat idle, as a share of one core.
    pub idle_cpu: f64,
    pub writes: usize,
    pub lost: usize,
    pub p50: Duration,
    pub p99: Duration,
}

/// Sizes of the run: 1 000 streams over 100 users, or 100 over 10 when quick.
fn sizes(quick: bool) -> (usize, usize, usize) {
    if quick {
        (100, 10, 50)
    } else {
        (1_000, 100, 300)
    }
}

/// Runs scenario 9 against a fresh server on `database`.
///
/// # Errors
/// [`BenchError`] if the server does not start or refuses the set-up.
pub async fn run(options: &Options, database: &Database) -> Result<LiveResult, BenchError> {
    let (streams, user_count, writes) = sizes(options.quick);
    let data_dir = tempfile::tempdir().map_err(BenchError::io("creating a temporary directory"))?;
    let server = Server::ticked(options, &database.url, data_dir.path()).await?;
    let api = Api::new(&server.base_url);
    eprintln!("    signing up {user_count} users");
    let mut users = Vec::with_capacity(user_count);
    for n in 0..user_count {
        users.push(api.sign_up(&format!("live-{n}")).await?);
    }
    server.wait_until_idle();
    let rss_before = server.memory().unwrap_or(0);

    eprintln!("    opening {streams} streams");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    let mut open = Vec::with_capacity(streams);
    for batch in (0..streams).collect::<Vec<_>>().chunks(OPEN_AT_ONCE) {
        let mut opening = JoinSet::new();
        for &n in batch {
            let request = client
                .get(format!("{}/api/v1/events", server.base_url))
                .bearer_auth(&users[n % user_count].access_token);
            opening.spawn(async move { (n, open_stream(request).await) });
        }
        while let Some(joined) = opening.join_next().await {
            let (n, stream) =
                joined.map_err(|e| BenchError::Setup(format!("opening a stream: {e}")))?;
            open.push((n, stream?));
        }
    }
    open.sort_by_key(|(n, _)| *n);

    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_open = server.memory().unwrap_or(0);
    eprintln!("    {streams} streams idle for {} s", IDLE.as_secs());
    let cpu_start = server.cpu_time();
    tokio::time::sleep(IDLE).await;
    let idle_cpu = (server.cpu_time() - cpu_start).as_secs_f64() / IDLE.as_secs_f64();

    eprintln!("    {writes} writes, each timed until another stream shows it");
    // The first stream of each of the first users is read; the rest stay idle (their
    // events wait in the socket buffers, as for a client that is busy elsewhere).
    let listened = LISTENED_USERS.min(user_count);
    let (sender, mut received) = mpsc::unbounded_channel();
    let mut readers = Vec::new();
    let mut idle = Vec::new();
    for (n, stream) in open {
        if n < listened {
            readers.push(tokio::spawn(read_events(stream, sender.clone())));
        } else {
            idle.push(stream);
        }
    }
    let mut latencies = Vec::with_capacity(writes);
    let mut lost = 0;
    for i in 0..writes {
        let user: &User = &users[i % listened];
        let marker = format!("live write {i}");
        let started = Instant::now();
        api.create_todo(user, &marker).await?;
        match wait_for(&mut received, &marker).await {
            Some(at) => latencies.push(at - started),
            None => lost += 1,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for reader in readers {
        reader.abort();
    }
    drop(idle);
    latencies.sort();
    let percentile = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(LiveResult {
        streams,
        users: user_count,
        rss_before,
        rss_open,
        idle_cpu,
        writes,
        lost,
        p50: percentile(50),
        p99: percentile(99),
    })
}

/// Sends `request` and waits for the stream's first bytes (`: connected`).
async fn open_stream(request: reqwest::RequestBuilder) -> Result<reqwest::Response, BenchError> {
    let mut response = request.send().await?.error_for_status()?;
    match response.chunk().await? {
        Some(first) if first.starts_with(b": connected") => Ok(response),
        other => Err(BenchError::Setup(format!(
            "a stream opened with {other:?}, not `: connected`"
        ))),
    }
}

/// Forwards the `data:` of every event of `stream`, with the moment it arrived.
async fn read_events(
    mut stream: reqwest::Response,
    sender: mpsc::UnboundedSender<(String, Instant)>,
) {
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = stream.chunk().await {
        let arrived = Instant::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let frame: String = buffer.drain(..end + 2).collect();
            if let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data: ")) {
                let _ = sender.send((data.to_owned(), arrived));
            }
        }
    }
}

/// When the event of the todo titled `marker` arrived; `None` if not within the timeout.
async fn wait_for(
    received: &mut mpsc::UnboundedReceiver<(String, Instant)>,
    marker: &str,
) -> Option<Instant> {
    let needle = format!("\"title\":\"{marker}\"");
    let deadline = tokio::time::Instant::now() + EVENT_TIMEOUT;
    loop {
        let (data, arrived) = tokio::time::timeout_at(deadline, received.recv())
            .await
            .ok()??;
        if data.contains(&needle) {
            return Some(arrived);
        }
    }
}

/// Raises this process's soft limit of open files to its hard limit: the streams need a
/// socket each, here and in the server (which inherits the limit), and the common soft
/// limit of 1 024 is about a thousand streams.
pub fn raise_open_file_limit() {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit read and write the one struct we pass, nothing else.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &raw mut limit) == 0
            && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &raw const limit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sizes;

    #[test]
    fn a_full_run_holds_a_thousand_streams_and_a_quick_one_a_hundred() {
        assert_eq!(sizes(false).0, 1_000);
        assert_eq!(sizes(true).0, 100);
        assert!(sizes(true).1 <= sizes(false).1);
    }
}
