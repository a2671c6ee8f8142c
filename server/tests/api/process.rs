//! Real `ticked` processes, for what an in-process server cannot show: several instances
//! on one database, and `kill -9`.

use std::{path::Path, process::Stdio, time::Duration};

use tempfile::TempDir;
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

use crate::helpers::{ACCESS_SECRET, PASSWORD_PEPPER, REFRESH_SECRET, TestApp, test_database};

/// One database and the shared settings of every instance started on it, as a deployment
/// behind a load balancer would have them.
pub struct Deployment {
    pub database_url: String,
    data_dir: TempDir,
    settings: Vec<(String, String)>,
}

impl Deployment {
    pub async fn new(settings: &[(&str, &str)]) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        Self {
            database_url: test_database(data_dir.path()).await,
            data_dir,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    /// Starts one more instance on a free port and waits until it listens.
    pub async fn start(&self) -> Instance {
        Instance::start(&self.database_url, self.data_dir.path(), &self.settings).await
    }

    /// Like [`Deployment::start`], with some settings of this instance's own.
    pub async fn start_with(&self, own: &[(&str, &str)]) -> Instance {
        let mut settings = self.settings.clone();
        settings.extend(own.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        Instance::start(&self.database_url, self.data_dir.path(), &settings).await
    }
}

/// A running `ticked` process. Killed when dropped.
pub struct Instance {
    child: Child,
    pub app: TestApp,
}

impl Instance {
    async fn start(database_url: &str, data_dir: &Path, settings: &[(String, String)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ticked"))
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", data_dir)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("JWT_ACCESS_SECRET", ACCESS_SECRET)
            .env("JWT_REFRESH_SECRET", REFRESH_SECRET)
            .env("PASSWORD_PEPPER", PASSWORD_PEPPER)
            .env("BCRYPT_COST", "4")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(settings.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("ticked starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let address = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read stdout") {
                if let Some((_, rest)) = line.split_once("listening on http://") {
                    return rest.split_whitespace().next().expect("address").to_owned();
                }
            }
            panic!("ticked exited before listening");
        })
        .await
        .expect("ticked listens within a minute");
        // Keep reading, or the server would block once the pipe is full.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            app: TestApp::at(&address),
        }
    }

    /// `kill -9`: no graceful shutdown, no flushing, nothing.
    pub async fn kill_9(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reaped");
    }
}
