//! Load comes from `wrk`, a separate process, so that generating requests never borrows
//! the server's runtime. A small Lua script sets the method, headers and body, and prints
//! one machine-readable line when the run ends; the rest of wrk's report is ignored.

use std::{fmt::Write as _, io::Write as _, process::Command, time::Duration};

use crate::BenchError;

/// How hard and how long every scenario is driven. The ceiling gets the same.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Open connections, each sending its next request as soon as the last is answered.
    pub connections: u32,
    /// wrk's own threads. One leaves the server as much of the machine as possible.
    pub threads: u32,
    /// The measured part of a run.
    pub duration: Duration,
    /// Measured runs per scenario; the one with the median throughput is reported, so
    /// that a moment of noise on the machine (a neighbour, a page-cache flush) does not
    /// make a row.
    pub runs: usize,
    /// A run before it whose numbers are thrown away (connection set-up, caches, JIT-free
    /// but not cold-free: SQLite's page cache and PostgreSQL's plan cache fill up here).
    pub warmup: Duration,
}

impl Settings {
    #[must_use]
    pub fn for_run(quick: bool) -> Self {
        Self {
            connections: 32,
            threads: 1,
            duration: Duration::from_secs(if quick { 2 } else { 5 }),
            runs: if quick { 1 } else { 3 },
            warmup: Duration::from_secs(if quick { 0 } else { 2 }),
        }
    }

    /// The same run with another number of connections.
    #[must_use]
    pub fn with_connections(&self, connections: u32) -> Self {
        Self {
            connections,
            ..self.clone()
        }
    }
}

/// One request, sent over and over.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: &'static str,
    pub path: String,
    /// The JSON body, or several taken in turn (see [`Request::with_bodies`]); none for
    /// a request without one.
    pub bodies: Vec<String>,
    pub token: Option<String>,
}

impl Request {
    pub fn get(path: impl Into<String>, token: &str) -> Self {
        Self {
            method: "GET",
            path: path.into(),
            bodies: Vec::new(),
            token: Some(token.to_owned()),
        }
    }

    pub fn with_body(method: &'static str, path: impl Into<String>, body: String) -> Self {
        Self::with_bodies(method, path, vec![body])
    }

    /// A request whose body is each of `bodies` in turn, one per request: logins as many
    /// accounts, so that the load measures the password checks and not one account's
    /// lockout (`API.md`, "Abuse limits": attempts in flight count).
    pub fn with_bodies(method: &'static str, path: impl Into<String>, bodies: Vec<String>) -> Self {
        Self {
            method,
            path: path.into(),
            bodies,
            token: None,
        }
    }

    #[must_use]
    pub fn authorized(self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self
        }
    }

    /// The wrk script that sends this request and reports in one line.
    fn script(&self) -> String {
        let mut lua = format!("wrk.method = \"{}\"\n", self.method);
        // A long bracket needs no escaping inside, whatever the JSON holds.
        match self.bodies.as_slice() {
            [] => {}
            [body] => {
                let _ = writeln!(lua, "wrk.body = [==[{body}]==]");
            }
            bodies => {
                lua.push_str("bodies = {\n");
                for body in bodies {
                    let _ = writeln!(lua, "  [==[{body}]==],");
                }
                lua.push_str(TAKE_BODIES_IN_TURN);
            }
        }
        if !self.bodies.is_empty() {
            lua.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
        }
        if let Some(token) = &self.token {
            let _ = writeln!(lua, "wrk.headers[\"Authorization\"] = \"Bearer {token}\"");
        }
        lua.push_str(REPORT_FUNCTION);
        lua
    }
}

/// Closes the `bodies` table and sends its bodies one after another, round robin.
const TAKE_BODIES_IN_TURN: &str = r#"}
taken = 0
request = function()
  taken = taken % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[taken])
end
"#;

/// Prints requests, duration (µs), the error counts and the p50/p99 latencies (µs).
const REPORT_FUNCTION: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"#;

/// What one run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub requests: u64,
    pub duration: Duration,
    /// Failed connections, reads and writes, time-outs and answers that were not 2xx/3xx.
    pub errors: u64,
    pub p50: Duration,
    pub p99: Duration,
}

impl Outcome {
    /// Successful requests per second. Failures are left out: a 503 from a full hashing
    /// queue, or a refused connection, is quick to answer but is no work done, and
    /// counting it would make an overloaded server look fast.
    #[must_use]
    pub fn requests_per_second(&self) -> f64 {
        let seconds = self.duration.as_secs_f64();
        if seconds > 0.0 {
            self.requests.saturating_sub(self.errors) as f64 / seconds
        } else {
            0.0
        }
    }

    /// Reads the `BENCH_RESULT` line out of wrk's output.
    fn parse(output: &str) -> Option<Self> {
        let line = output
            .lines()
            .find_map(|l| l.strip_prefix("BENCH_RESULT "))?;
        let numbers: Vec<u64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let [
            requests,
            duration,
            connect,
            read,
            write,
            status,
            timeout,
            p50,
            p99,
        ] = numbers[..]
        else {
            return None;
        };
        Some(Self {
            requests,
            duration: Duration::from_micros(duration),
            errors: connect + read + write + status + timeout,
            p50: Duration::from_micros(p50),
            p99: Duration::from_micros(p99),
        })
    }
}

/// Drives `base_url` with `request` for the warm-up and then each measured run; returns
/// the run with the median throughput.
///
/// # Errors
/// [`BenchError`] if wrk cannot run or its report cannot be read.
pub fn run(settings: &Settings, base_url: &str, request: &Request) -> Result<Outcome, BenchError> {
    if !settings.warmup.is_zero() {
        wrk(settings, settings.warmup, base_url, request)?;
    }
    let mut outcomes = (0..settings.runs.max(1))
        .map(|_| wrk(settings, settings.duration, base_url, request))
        .collect::<Result<Vec<_>, _>>()?;
    outcomes.sort_by(|a, b| a.requests_per_second().total_cmp(&b.requests_per_second()));
    let outcome = outcomes.swap_remove(outcomes.len() / 2);
    if outcome.errors > 0 {
        eprintln!(
            "    warning: {} of {} requests to {} {} failed",
            outcome.errors, outcome.requests, request.method, request.path
        );
    }
    Ok(outcome)
}

/// Two runs at the same time, each with its own settings; the first to be measured is
/// `a`, and `b` is started first and stopped last so that it covers all of `a`.
///
/// # Errors
/// [`BenchError`] if either run fails.
pub fn run_beside(
    a: (&Settings, &str, &Request),
    b: (&Settings, &str, &Request),
) -> Result<(Outcome, Outcome), BenchError> {
    let (b_settings, b_url, b_request) = b;
    let lead = Duration::from_secs(1);
    let measured = a.0.duration * u32::try_from(a.0.runs.max(1)).unwrap_or(1);
    let b_settings = Settings {
        duration: a.0.warmup + measured + lead * 2,
        warmup: Duration::ZERO,
        runs: 1,
        ..b_settings.clone()
    };
    std::thread::scope(|scope| {
        let background = scope.spawn(|| run(&b_settings, b_url, b_request));
        std::thread::sleep(lead);
        let measured = run(a.0, a.1, a.2);
        let background = background
            .join()
            .map_err(|_| BenchError::Setup("the background load panicked".to_owned()))?;
        Ok((measured?, background?))
    })
}

fn wrk(
    settings: &Settings,
    duration: Duration,
    base_url: &str,
    request: &Request,
) -> Result<Outcome, BenchError> {
    let mut script = tempfile::Builder::new()
        .suffix(".lua")
        .tempfile()
        .map_err(BenchError::io("creating the wrk script"))?;
    script
        .write_all(request.script().as_bytes())
        .map_err(BenchError::io("writing the wrk script"))?;
    let output = Command::new("wrk")
        .arg(format!("--threads={}", settings.threads))
        .arg(format!("--connections={}", settings.connections))
        .arg(format!("--duration={}s", duration.as_secs().max(1)))
        // A login waits its turn for a bcrypt slot; it is slow, not failed.
        .arg("--timeout=60s")
        .arg("--script")
        .arg(script.path())
        .arg(format!("{base_url}{}", request.path))
        .output()
        .map_err(BenchError::io(
            "running wrk (is it installed? bench/run installs it)",
        ))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    Outcome::parse(&stdout).ok_or_else(|| {
        BenchError::Setup(format!(
            "wrk gave no result ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{Outcome, Request};

    #[test]
    fn the_result_line_is_read_among_wrks_report() {
        let output = "Running 10s test\n  1 threads and 32 connections\nBENCH_RESULT 50000 10000000 0 1 0 2 0 640 2100\n";
        let outcome = Outcome::parse(output).unwrap();
        assert_eq!(outcome.requests, 50_000);
        assert_eq!(outcome.errors, 3);
        assert_eq!(outcome.p50, Duration::from_micros(640));
        assert_eq!(outcome.p99, Duration::from_micros(2100));
        assert!((outcome.requests_per_second() - 4999.7).abs() < 1e-9);
    }

    #[test]
    fn a_missing_or_short_result_line_is_no_result() {
        assert_eq!(Outcome::parse("Running 10s test\n"), None);
        assert_eq!(Outcome::parse("BENCH_RESULT 1 2 3\n"), None);
        assert_eq!(Outcome::parse("BENCH_RESULT a b c d e f g h i\n"), None);
    }

    #[test]
    fn the_script_sends_the_body_and_token_verbatim() {
        let request =
            Request::with_body("PATCH", "/api/v1/todos/x", r#"{"title":"a]]b"}"#.to_owned())
                .authorized("aaa.bbb.ccc");
        let script = request.script();
        assert!(script.contains("wrk.method = \"PATCH\""));
        assert!(script.contains(r#"wrk.body = [==[{"title":"a]]b"}]==]"#));
        assert!(script.contains("Bearer aaa.bbb.ccc"));
    }

    #[test]
    fn several_bodies_are_sent_in_turn() {
        let request = Request::with_bodies(
            "POST",
            "/api/v1/login",
            vec![r#"{"n":1}"#.to_owned(), r#"{"n":2}"#.to_owned()],
        );
        let script = request.script();
        assert!(script.contains("bodies = {\n  [==[{\"n\":1}]==],\n  [==[{\"n\":2}]==],\n}"));
        assert!(script.contains("request = function()"));
        assert!(!script.contains("wrk.body"));
        assert!(script.contains("application/json"));
    }
}
