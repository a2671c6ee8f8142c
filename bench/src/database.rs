//! The databases the scenarios run on: a fresh SQLite file each time, and a fresh
//! PostgreSQL database when a server answers.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database as Connection};
use tempfile::TempDir;

use crate::{BenchError, cli::Options};

/// A kind of database that is there to be used.
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres { .. } => "PostgreSQL",
        }
    }

    /// A new, empty database called `name` (a PostgreSQL one of that name is dropped first).
    ///
    /// # Errors
    /// [`BenchError`] if it cannot be created.
    pub async fn create(&self, name: &str) -> Result<Database, BenchError> {
        match self {
            Self::Sqlite => {
                let dir = tempfile::tempdir()
                    .map_err(BenchError::io("creating a temporary directory"))?;
                let path = dir.path().join(format!("{name}.db"));
                Ok(Database {
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    sqlalchemy_url: format!("sqlite:///{}", path.display()),
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Self::Postgres { admin_url } => {
                let admin = Connection::connect(admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                let mut url = reqwest::Url::parse(admin_url)
                    .map_err(|e| BenchError::Setup(format!("{admin_url}: {e}")))?;
                url.set_path(&format!("/{name}"));
                let url = String::from(url);
                Ok(Database {
                    sqlalchemy_url: url.replacen("postgres://", "postgresql+psycopg://", 1),
                    url,
                    _dir: None,
                    postgres: Some((admin_url.clone(), name.to_owned())),
                })
            }
        }
    }
}

/// One fresh database.
pub struct Database {
    /// The URL as `ticked` (and sea-orm) take it.
    pub url: String,
    /// The same database as SQLAlchemy names it, for the FastAPI reference.
    pub sqlalchemy_url: String,
    /// Holds a SQLite file until the run is over.
    _dir: Option<TempDir>,
    /// The server and name of a PostgreSQL database, to drop it afterwards.
    postgres: Option<(String, String)>,
}

impl Database {
    /// Deletes the database (a SQLite file goes with its temporary directory).
    ///
    /// # Errors
    /// [`BenchError`] if PostgreSQL refuses to drop it.
    pub async fn remove(self) -> Result<(), BenchError> {
        match &self.postgres {
            Some((admin_url, name)) => drop_postgres_database(admin_url, name).await,
            None => Ok(()),
        }
    }
}

async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), BenchError> {
    let admin = Connection::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await?;
    admin.close().await?;
    Ok(())
}

/// SQLite always; PostgreSQL when it answers at `options.postgres` within five seconds.
/// Returns the backends to use and, for one that is not, a sentence saying why.
pub async fn backends(options: &Options) -> (Vec<Backend>, Vec<String>) {
    let mut backends = vec![Backend::Sqlite];
    let mut skipped = Vec::new();
    if let Some(admin_url) = &options.postgres {
        match reachable(admin_url).await {
            Ok(()) => backends.push(Backend::Postgres {
                admin_url: admin_url.clone(),
            }),
            Err(e) => skipped.push(format!("PostgreSQL at {admin_url} was skipped: {e}")),
        }
    }
    (backends, skipped)
}

async fn reachable(admin_url: &str) -> Result<(), BenchError> {
    let connection = tokio::time::timeout(Duration::from_secs(5), Connection::connect(admin_url))
        .await
        .map_err(|_| BenchError::Setup("no answer within 5 s".to_owned()))??;
    connection.close().await?;
    Ok(())
}
