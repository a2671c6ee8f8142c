//! Secrets: kept out of logs, and generated on first start when not configured.

use std::{
    fs,
    io::{ErrorKind, Write},
    path::Path,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rand::RngCore;

use super::{ConfigError, values::Lookup};

/// The fewest bytes a signing or hashing key may have (HS256 wants at least its 256 bits).
pub const MIN_SECRET_BYTES: usize = 32;

/// Key material. Its `Debug` shows nothing, so a logged `Config` leaks no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// The key bytes, for signing or hashing.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Wraps key bytes (tests build configurations by hand).
    #[must_use]
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Creates `dir` if needed, naming `DATA_DIR` if that fails.
pub(super) fn ensure_dir(dir: &Path) -> Result<(), ConfigError> {
    fs::create_dir_all(dir)
        .map_err(|e| ConfigError::new("DATA_DIR", format!("cannot create {}: {e}", dir.display())))
}

/// The secret in variable `key` if set (the UTF-8 bytes of its value, at least
/// [`MIN_SECRET_BYTES`] long); otherwise the one kept in `DATA_DIR/<key in lower case>`,
/// generated there with mode 0600 on first start.
///
/// Several instances sharing one database must share their secrets: they set the
/// variables, since each machine's `DATA_DIR` would otherwise hold its own.
pub(super) fn load_or_generate(
    env: &Lookup<impl Fn(&str) -> Option<String>>,
    key: &'static str,
    data_dir: &Path,
) -> Result<Secret, ConfigError> {
    if let Some(value) = env.raw(key) {
        if value.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::new(
                key,
                format!(
                    "must be at least {MIN_SECRET_BYTES} bytes, got {}",
                    value.len()
                ),
            ));
        }
        return Ok(Secret(value.into_bytes()));
    }
    ensure_dir(data_dir)?;
    let path = data_dir.join(key.to_lowercase());
    let problem = |e: std::io::Error| {
        ConfigError::new(
            key,
            format!("not set, and {} is unusable: {e}", path.display()),
        )
    };
    match read_secret_file(&path) {
        Ok(secret) => return secret.ok_or_else(|| problem(ErrorKind::InvalidData.into())),
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(problem(e)),
    }
    let mut bytes = [0u8; 48];
    rand::rng().fill_bytes(&mut bytes);
    let value = URL_SAFE_NO_PAD.encode(bytes);
    match create_private_file(&path) {
        Ok(mut file) => {
            file.write_all(value.as_bytes()).map_err(problem)?;
            file.sync_all().map_err(problem)?;
            Ok(Secret(value.into_bytes()))
        }
        // Another instance starting at the same moment wrote it first: use theirs.
        Err(e) if e.kind() == ErrorKind::AlreadyExists => read_secret_file(&path)
            .map_err(problem)?
            .ok_or_else(|| problem(ErrorKind::InvalidData.into())),
        Err(e) => Err(problem(e)),
    }
}

fn read_secret_file(path: &Path) -> std::io::Result<Option<Secret>> {
    let value = fs::read_to_string(path)?;
    let value = value.trim();
    Ok((value.len() >= MIN_SECRET_BYTES).then(|| Secret(value.as_bytes().to_vec())))
}

fn create_private_file(path: &Path) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
