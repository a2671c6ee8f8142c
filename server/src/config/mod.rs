//! Ticked's settings, read once at start from environment variables (`API.md`,
//! "Configuration"), checked, and then passed around as plain typed values.
//!
//! Every mistake becomes a [`ConfigError`] naming the variable, which `main` prints as one
//! line before exiting: an operator should never have to read a backtrace to learn that
//! `ACCESS_TOKEN_TTL_SECONDS` wants a number.

mod mail;
mod secret;
mod values;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use app::routes::Bundle;
use leptos::config::LeptosOptions;

pub use mail::{MailSettings, SMTP_TIMEOUT, SmtpSecurity, SmtpServer};
pub use secret::Secret;
use values::Lookup;

/// Everything the server needs to know about its environment.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Where the default SQLite database and generated secrets live.
    pub data_dir: PathBuf,
    /// The address to listen on. Port 0 picks a free port (tests do).
    pub site_addr: SocketAddr,
    pub tokens: TokenSettings,
    pub passwords: PasswordSettings,
    pub login_throttle: LoginThrottle,
    /// Origins allowed to call the API from another site; empty means none.
    pub cors_allowed_origins: Vec<String>,
    /// Password-reset mail: links, SMTP, sender, lifetime.
    pub mail: MailSettings,
    /// Live updates: how much history each user keeps, how often streams say they live.
    pub live: LiveSettings,
    /// Where the compiled front end lives and how cargo-leptos named it.
    pub leptos: LeptosOptions,
    /// The bundles the build made beside the main one, each with the options that name
    /// its files (see [`separate_bundles`]).
    pub separate_bundles: Vec<(Bundle, LeptosOptions)>,
}

/// How access and refresh tokens are signed and how long they live.
#[derive(Clone, Debug)]
pub struct TokenSettings {
    pub access_secret: Secret,
    pub refresh_secret: Secret,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long the refresh token spent by a rotation may still be presented; zero turns
    /// the grace off.
    pub reuse_grace: Duration,
}

/// How passwords are hashed.
#[derive(Clone, Debug)]
pub struct PasswordSettings {
    /// Key of the HMAC applied before bcrypt (bcrypt reads only 72 bytes).
    pub pepper: Secret,
    pub bcrypt_cost: u32,
}

/// When repeated failed logins lock an (email, client address) pair out.
#[derive(Clone, Copy, Debug)]
pub struct LoginThrottle {
    pub max_failures: u32,
    pub window: Duration,
}

/// Live updates (`GET /api/v1/events`). Not settings an operator needs: the defaults are
/// fixed, and only a test build (the `test-live-settings` feature, which only the
/// integration tests turn on) can shrink them, so that pruning and keep-alives can be
/// seen in a second rather than after a thousand writes or fifteen seconds.
#[derive(Clone, Copy, Debug)]
pub struct LiveSettings {
    /// The most recent events kept per user for `Last-Event-ID` replay.
    pub history: i64,
    /// Events older than this are pruned too, whatever their number: a deleted todo's
    /// title should not linger in the history for long.
    pub max_age: Duration,
    /// How often an idle stream sends a `: keep-alive` comment (the contract asks for at
    /// least every 30 s; proxies commonly drop connections idle for 60 s).
    pub keep_alive: Duration,
}

impl LiveSettings {
    /// The settings of every build that ships.
    pub const DEFAULT: Self = Self {
        history: 1_000,
        max_age: Duration::from_secs(24 * 3600),
        keep_alive: Duration::from_secs(15),
    };

    #[cfg(feature = "test-live-settings")]
    fn read(env: &Lookup<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        Ok(Self {
            history: env.number_in(
                "TICKED_TEST_EVENT_HISTORY",
                Self::DEFAULT.history,
                1..=1_000_000,
            )?,
            max_age: Self::DEFAULT.max_age,
            keep_alive: env.seconds(
                "TICKED_TEST_KEEP_ALIVE_SECONDS",
                Self::DEFAULT.keep_alive.as_secs(),
                1,
            )?,
        })
    }

    #[cfg(not(feature = "test-live-settings"))]
    #[allow(clippy::unnecessary_wraps)]
    fn read(_: &Lookup<impl Fn(&str) -> Option<String>>) -> Result<Self, ConfigError> {
        Ok(Self::DEFAULT)
    }
}

/// A setting that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {problem}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it, in a sentence.
    pub problem: String,
}

impl ConfigError {
    fn new(variable: &'static str, problem: impl Into<String>) -> Self {
        Self {
            variable,
            problem: problem.into(),
        }
    }
}

impl Config {
    /// Reads the process environment.
    ///
    /// # Errors
    /// A [`ConfigError`] for the first variable that is malformed or out of range, or when
    /// `DATA_DIR` cannot hold the generated secrets.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `get`, which returns a variable's value if it is set. Tests
    /// pass a map here instead of mutating the process environment.
    ///
    /// # Errors
    /// See [`Config::from_env`].
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let env = Lookup::new(get);
        let data_dir = PathBuf::from(env.string_or("DATA_DIR", "./data"));
        let database_url = match env.non_empty("DATABASE_URL") {
            Some(url) => url,
            None => {
                secret::ensure_dir(&data_dir)?;
                format!("sqlite://{}?mode=rwc", data_dir.join("ticked.db").display())
            }
        };
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        let site_addr = env.parse_or(
            "LEPTOS_SITE_ADDR",
            "127.0.0.1:3000".parse().expect("valid"),
            "an address like 127.0.0.1:3000",
        )?;

        let access_secret = secret::load_or_generate(&env, "JWT_ACCESS_SECRET", &data_dir)?;
        let refresh_secret = secret::load_or_generate(&env, "JWT_REFRESH_SECRET", &data_dir)?;
        if access_secret == refresh_secret {
            return Err(ConfigError::new(
                "JWT_REFRESH_SECRET",
                "must differ from JWT_ACCESS_SECRET",
            ));
        }
        let pepper = secret::load_or_generate(&env, "PASSWORD_PEPPER", &data_dir)?;

        let tokens = TokenSettings {
            access_secret,
            refresh_secret,
            access_ttl: env.seconds("ACCESS_TOKEN_TTL_SECONDS", 900, 1)?,
            refresh_ttl: env.seconds("REFRESH_TOKEN_TTL_SECONDS", 1_209_600, 1)?,
            reuse_grace: env.seconds("REFRESH_REUSE_GRACE_SECONDS", 10, 0)?,
        };
        let bcrypt_cost = env.number_in("BCRYPT_COST", 12, 4..=31)?;
        let login_throttle = LoginThrottle {
            max_failures: env.number_in("LOGIN_MAX_FAILURES", 10, 1..=u32::MAX)?,
            window: env.seconds("LOGIN_LOCKOUT_SECONDS", 900, 1)?,
        };
        let cors_allowed_origins = env.list("CORS_ALLOWED_ORIGINS");
        for origin in &cors_allowed_origins {
            if !(origin.starts_with("http://") || origin.starts_with("https://"))
                || http::HeaderValue::from_str(origin).is_err()
            {
                return Err(ConfigError::new(
                    "CORS_ALLOWED_ORIGINS",
                    format!("{origin:?} is not an origin like https://example.com"),
                ));
            }
        }

        let leptos = leptos_options(&env, site_addr)?;
        Ok(Self {
            database_url,
            data_dir,
            site_addr,
            tokens,
            passwords: PasswordSettings {
                pepper,
                bcrypt_cost,
            },
            login_throttle,
            cors_allowed_origins,
            mail: mail::read(&env, site_addr)?,
            live: LiveSettings::read(&env)?,
            separate_bundles: separate_bundles(&leptos),
            leptos,
        })
    }
}

/// The settings cargo-leptos passes at run time (`LEPTOS_*`), with the defaults of our
/// `Cargo.toml` metadata so the release binary also runs on its own from the repository root.
fn leptos_options(
    env: &Lookup<impl Fn(&str) -> Option<String>>,
    site_addr: SocketAddr,
) -> Result<LeptosOptions, ConfigError> {
    let reload_port: u32 = env.number_in("LEPTOS_RELOAD_PORT", 3001, 1..=65_535)?;
    let output_name = env.string_or("LEPTOS_OUTPUT_NAME", "ticked");
    let site_root = env.string_or("LEPTOS_SITE_ROOT", "target/site");
    let site_pkg_dir = env.string_or("LEPTOS_SITE_PKG_DIR", "pkg");
    let hash_file = env.string_or("LEPTOS_HASH_FILE_NAME", "hash.txt");
    let hash_files = hashed_file_names(
        env,
        &hash_file,
        &Path::new(&site_root).join(&site_pkg_dir),
        &output_name,
    )?;
    Ok(LeptosOptions::builder()
        .output_name(output_name)
        .site_root(site_root)
        .site_pkg_dir(site_pkg_dir)
        .site_addr(site_addr)
        .reload_port(reload_port)
        .hash_file(std::sync::Arc::<str>::from(hash_file))
        .hash_files(hash_files)
        .build())
}

/// The bundles of `app::routes::Bundle::SEPARATE` that the build made, with the options
/// that name their files.
///
/// `make build` builds each beside the main bundle with hashed names, and writes its
/// hashes to its own hash file. A build without them (`cargo leptos watch`, or a plain
/// `cargo leptos build`) puts every island in the main bundle, and every page loads that;
/// so does a hash file whose bundle is gone, which a later build of the site leaves behind.
fn separate_bundles(main: &LeptosOptions) -> Vec<(Bundle, LeptosOptions)> {
    if !main.hash_files {
        return Vec::new();
    }
    let pkg_dir = Path::new(&*main.site_root).join(&*main.site_pkg_dir);
    Bundle::SEPARATE
        .into_iter()
        .filter_map(|bundle| {
            let (output_name, hash_file) = (bundle.output_name()?, bundle.hash_file()?);
            let hashes = std::fs::read_to_string(beside_the_binary(hash_file)?).ok()?;
            names_a_built_wasm(&hashes, &pkg_dir, output_name).then(|| {
                let mut options = main.clone();
                options.output_name = output_name.into();
                options.hash_file = hash_file.into();
                (bundle, options)
            })
        })
        .collect()
}

/// A file in the server binary's directory, where cargo-leptos writes its hash files
/// and Leptos reads them.
fn beside_the_binary(file: &str) -> Option<std::path::PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(file))
}

/// Whether the bundle's file names carry content hashes. A release build made with
/// `LEPTOS_HASH_FILES=true` (as `make build` does) writes the hashes to a file beside the
/// server binary, where Leptos reads them to name the files in every page.
/// `cargo leptos serve` passes `LEPTOS_HASH_FILES` on; a binary started on its own (the
/// tests, a deploy) goes by the hash file, and only while the bundle it names is there: an
/// unhashed build made later leaves the old hash file behind.
fn hashed_file_names(
    env: &Lookup<impl Fn(&str) -> Option<String>>,
    hash_file: &str,
    pkg_dir: &Path,
    output_name: &str,
) -> Result<bool, ConfigError> {
    let path = beside_the_binary(hash_file);
    let hashes = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok());
    match env.non_empty("LEPTOS_HASH_FILES") {
        None => Ok(hashes.is_some_and(|hashes| names_a_built_wasm(&hashes, pkg_dir, output_name))),
        Some(value) => match value.parse::<bool>() {
            Ok(true) if hashes.is_none() => Err(ConfigError::new(
                "LEPTOS_HASH_FILES",
                format!(
                    "is true, but {} cannot be read: build with `LEPTOS_HASH_FILES=true cargo leptos build --release`",
                    path.map_or_else(|| hash_file.to_owned(), |p| p.display().to_string())
                ),
            )),
            Ok(hashed) => Ok(hashed),
            Err(_) => Err(ConfigError::new(
                "LEPTOS_HASH_FILES",
                format!("expected true or false, got {value:?}"),
            )),
        },
    }
}

/// Whether the hash file's contents `hashes` name a WASM file `output_name.<hash>.wasm`
/// that is in `pkg_dir`: a hash file outlives the bundle it was written for.
fn names_a_built_wasm(hashes: &str, pkg_dir: &Path, output_name: &str) -> bool {
    wasm_hash(hashes)
        .is_some_and(|hash| pkg_dir.join(format!("{output_name}.{hash}.wasm")).is_file())
}

/// The WASM file's hash from cargo-leptos's hash file (lines like `wasm: <hash>`).
fn wasm_hash(hashes: &str) -> Option<&str> {
    hashes.lines().find_map(|line| {
        let (file, hash) = line.split_once(':')?;
        (file.trim() == "wasm").then(|| hash.trim())
    })
}

#[cfg(test)]
mod tests;
