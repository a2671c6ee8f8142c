//! The servers under load run as child processes, as they would in production: the load
//! generator, the server and this orchestrator never share a runtime.

use std::{
    fs::File,
    net::TcpListener,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::{BenchError, cli::Options};

/// The FastAPI reference's sources.
const FASTAPI_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fastapi");

/// How long a server may take to answer its readiness check (migrations included).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a server may take to finish the work a scenario left behind.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(120);

/// A running server, in a process group of its own. The whole group is killed when
/// dropped: uvicorn's workers outlive a killed master, and would go on burning CPU
/// through the runs that follow.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    log: PathBuf,
}

impl Server {
    /// Starts the release `ticked` on a free port, on `database_url`, with production
    /// settings (bcrypt cost 12), its secrets generated into `data_dir`.
    ///
    /// Access tokens live an hour so that no token expires in the middle of a run.
    ///
    /// # Errors
    /// [`BenchError`] if it does not start or never becomes ready.
    pub async fn ticked(
        options: &Options,
        database_url: &str,
        data_dir: &Path,
    ) -> Result<Self, BenchError> {
        let port = free_port()?;
        let mut command = Command::new(&options.ticked);
        command
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", data_dir)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LEPTOS_SITE_ROOT", &options.site)
            .env("BCRYPT_COST", crate::scenarios::BCRYPT_COST.to_string())
            .env("ACCESS_TOKEN_TTL_SECONDS", "3600")
            .env("RUST_LOG", "warn")
            .env("NO_COLOR", "1");
        Self::start(command, port, "/readyz", &data_dir.join("ticked.log")).await
    }

    /// Starts the FastAPI reference (`bench/fastapi/`) from the virtual environment
    /// `venv` on `database_url` (an SQLAlchemy URL): uvicorn with one worker process per
    /// core, as that stack is deployed, and bcrypt at the same cost as Ticked's.
    ///
    /// # Errors
    /// [`BenchError`] if its tables cannot be created or it never becomes ready.
    pub async fn fastapi(
        venv: &Path,
        database_url: &str,
        data_dir: &Path,
    ) -> Result<Self, BenchError> {
        let port = free_port()?;
        let workers = std::thread::available_parallelism().map_or(1, usize::from);
        let nonce = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let settings = [
            ("DATABASE_URL", database_url.to_owned()),
            (
                "JWT_ACCESS_SECRET",
                format!("bench-access-secret-{nonce:040}"),
            ),
            (
                "JWT_REFRESH_SECRET",
                format!("bench-refresh-secret-{nonce:040}"),
            ),
            (
                "PASSWORD_PEPPER",
                format!("bench-password-pepper-{nonce:040}"),
            ),
            ("BCRYPT_COST", crate::scenarios::BCRYPT_COST.to_string()),
            ("ACCESS_TOKEN_TTL_SECONDS", "3600".to_owned()),
        ];
        // The tables first, from one process: the workers would race to create them.
        let created = Command::new(venv.join("bin").join("python"))
            .arg("app.py")
            .current_dir(FASTAPI_DIR)
            .envs(settings.clone())
            .status()
            .map_err(BenchError::io("running the FastAPI reference's python"))?;
        if !created.success() {
            return Err(BenchError::Setup(format!(
                "creating the FastAPI reference's tables failed ({created})"
            )));
        }
        let mut command = Command::new(venv.join("bin").join("uvicorn"));
        command
            .args([
                "app:app",
                "--host",
                "127.0.0.1",
                "--log-level",
                "warning",
                "--no-access-log",
            ])
            .arg(format!("--port={port}"))
            .arg(format!("--workers={workers}"))
            .current_dir(FASTAPI_DIR)
            .envs(settings);
        Self::start(command, port, "/readyz", &data_dir.join("fastapi.log")).await
    }

    /// Starts this very binary's `ceiling` subcommand on a free port.
    ///
    /// # Errors
    /// [`BenchError`] if it does not start.
    pub async fn ceiling(log_dir: &Path) -> Result<Self, BenchError> {
        let port = free_port()?;
        let me = std::env::current_exe().map_err(BenchError::io("finding ticked-bench"))?;
        let mut command = Command::new(me);
        command.arg("ceiling").arg(format!("127.0.0.1:{port}"));
        Self::start(command, port, "/", &log_dir.join("ceiling.log")).await
    }

    async fn start(
        mut command: Command,
        port: u16,
        ready_path: &str,
        log: &Path,
    ) -> Result<Self, BenchError> {
        let log_file =
            File::create(log).map_err(BenchError::io(format!("creating {}", log.display())))?;
        let err_file = log_file
            .try_clone()
            .map_err(BenchError::io("opening the log"))?;
        let child = command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(err_file)
            .spawn()
            .map_err(BenchError::io(format!(
                "starting {:?}",
                command.get_program()
            )))?;
        let mut server = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            log: log.to_owned(),
        };
        server.wait_until_ready(ready_path).await?;
        Ok(server)
    }

    async fn wait_until_ready(&mut self, path: &str) -> Result<(), BenchError> {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(BenchError::Setup(format!(
                    "the server exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                )));
            }
            let answer = client.get(format!("{}{path}", self.base_url)).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(BenchError::Setup(format!(
            "the server was not ready within {START_TIMEOUT:?}:\n{}",
            self.log_tail()
        )))
    }

    /// The peak resident memory (`VmHWM`) of the server and every process it started,
    /// added up, in bytes; `None` where `/proc` cannot tell.
    pub fn peak_memory(&self) -> Option<u64> {
        self.processes()
            .iter()
            .map(|pid| {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
                let kib: u64 = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())?;
                Some(kib * 1024)
            })
            .sum()
    }

    /// The resident memory (`VmRSS`) of the server and every process it started, added
    /// up, in bytes, now; `None` where `/proc` cannot tell.
    pub fn memory(&self) -> Option<u64> {
        self.processes()
            .iter()
            .map(|pid| {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
                let kib: u64 = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmRSS:"))
                    .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())?;
                Some(kib * 1024)
            })
            .sum()
    }

    /// The CPU time the server has used so far (user and system, all its processes).
    pub fn cpu_time(&self) -> Duration {
        // SAFETY: sysconf only reads a configuration value.
        let ticks_per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let ticks_per_second = u64::try_from(ticks_per_second).unwrap_or(100).max(1);
        Duration::from_millis(self.cpu_ticks() * 1000 / ticks_per_second)
    }

    /// Waits until the server has used (almost) no CPU for a quarter of a second.
    ///
    /// A closed-loop run ends with requests still in the server: logins, above all,
    /// whose bcrypt goes on after wrk has hung up. Measuring the next scenario before
    /// that work is done would charge it to the wrong row.
    pub fn wait_until_idle(&self) {
        let interval = Duration::from_millis(250);
        // One clock tick (10 ms) in 250 ms: 4 % of one core.
        let idle_ticks = 1;
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        let mut last = self.cpu_ticks();
        while Instant::now() < deadline {
            std::thread::sleep(interval);
            let now = self.cpu_ticks();
            if now.saturating_sub(last) <= idle_ticks {
                return;
            }
            last = now;
        }
        eprintln!("    warning: the server was still busy after {SETTLE_TIMEOUT:?}");
    }

    /// User and system CPU time of every process of the server, in clock ticks.
    fn cpu_ticks(&self) -> u64 {
        self.processes()
            .iter()
            .filter_map(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
                // The fields after the command name, which is in parentheses and may
                // itself hold spaces; utime and stime are the 12th and 13th of them.
                let rest = &stat[stat.rfind(')')? + 2..];
                let fields: Vec<&str> = rest.split_whitespace().collect();
                Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
            })
            .sum()
    }

    /// The server's process and all its descendants.
    fn processes(&self) -> Vec<u32> {
        let mut found = Vec::new();
        let mut pending = vec![self.child.id()];
        while let Some(pid) = pending.pop() {
            found.push(pid);
            let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
                continue;
            };
            for task in tasks.flatten() {
                let children =
                    std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
                pending.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        found
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(group) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group; the group is
            // the one `process_group(0)` made for this child, and nothing else is in it.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now. The kernel hands out ephemeral ports in turn, so
/// it is not handed out again before the server binds it.
fn free_port() -> Result<u16, BenchError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(BenchError::io("finding a free port"))
}
