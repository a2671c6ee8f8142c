//! What a visitor downloads and how long they wait: the release bundle's sizes as sent
//! (raw, gzip, brotli), and the time from navigation until the todo page is hydrated and
//! shows the user's todos, in headless Chromium (`page-load.cjs`, driven by Playwright).

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use serde::Deserialize;

use crate::{BenchError, api::User, cli::Options};

/// The bundle files cargo-leptos writes under `site/pkg/`.
const BUNDLE: [&str; 3] = ["ticked.wasm", "ticked.js", "ticked.css"];
/// The Playwright script, beside this crate's manifest.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/page-load.cjs");
/// Where `scripts/setup.sh` installs Playwright.
const NODE_MODULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/node_modules");

/// One file of the bundle, in bytes.
#[derive(Clone, Debug)]
pub struct FileSize {
    pub name: &'static str,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// The page's weight and its time to interactive.
#[derive(Clone, Debug)]
pub struct PageResult {
    pub files: Vec<FileSize>,
    pub loads: usize,
    /// The todos on the page when it counts as interactive.
    pub todos: usize,
    /// Median time from navigation until the WASM bundle has hydrated the page.
    pub hydrated: Duration,
    /// Median time from navigation until the user's todos are on the hydrated page.
    pub interactive: Duration,
}

/// Measures the bundle under `options.site` and loads the todo page of `user` (whose
/// list has `todos` items) several times, each in a fresh browser context.
///
/// # Errors
/// [`BenchError`] if a file is missing or the browser run fails.
pub fn measure(
    options: &Options,
    base_url: &str,
    user: &User,
    todos: usize,
) -> Result<PageResult, BenchError> {
    eprintln!("    page weight and time to interactive");
    let files = BUNDLE
        .iter()
        .map(|name| file_size(&options.site.join("pkg").join(name), name))
        .collect::<Result<Vec<_>, _>>()?;
    let loads = if options.quick { 3 } else { 9 };
    let timings = load_page(base_url, user, todos, loads)?;
    Ok(PageResult {
        files,
        loads,
        todos,
        hydrated: median(timings.iter().map(|t| t.hydrated).collect()),
        interactive: median(timings.iter().map(|t| t.interactive).collect()),
    })
}

fn file_size(path: &Path, name: &'static str) -> Result<FileSize, BenchError> {
    let bytes = std::fs::read(path).map_err(BenchError::io(format!(
        "reading {} (run `cargo leptos build --release` first)",
        path.display()
    )))?;
    Ok(FileSize {
        name,
        raw: bytes.len(),
        gzip: gzip_len(&bytes).map_err(BenchError::io("gzip"))?,
        brotli: brotli_len(&bytes).map_err(BenchError::io("brotli"))?,
    })
}

/// Size at gzip's best level, as a server that compresses its static files ahead of
/// time would send it.
fn gzip_len(bytes: &[u8]) -> std::io::Result<usize> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

/// Size at brotli's best quality (11) and a 4 MiB window.
fn brotli_len(bytes: &[u8]) -> std::io::Result<usize> {
    let mut compressed = Vec::new();
    brotli::CompressorReader::new(bytes, 4096, 11, 22).read_to_end(&mut compressed)?;
    Ok(compressed.len())
}

#[derive(Deserialize)]
struct Timing {
    #[serde(with = "millis")]
    hydrated: Duration,
    #[serde(with = "millis")]
    interactive: Duration,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        f64::deserialize(d).map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }
}

fn load_page(
    base_url: &str,
    user: &User,
    todos: usize,
    loads: usize,
) -> Result<Vec<Timing>, BenchError> {
    let config = serde_json::json!({
        "url": format!("{base_url}/"),
        "accessToken": user.access_token,
        "refreshToken": user.refresh_token,
        "loads": loads,
        "expectedTodos": todos,
        "chromium": std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
    });
    let output = Command::new("node")
        .arg(SCRIPT)
        .arg(config.to_string())
        .env("NODE_PATH", PathBuf::from(NODE_MODULES))
        .output()
        .map_err(BenchError::io(
            "running node (scripts/setup.sh installs it)",
        ))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(BenchError::Setup(format!(
            "the page-load script failed ({}):\n{stdout}{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    serde_json::from_str(stdout.trim())
        .map_err(|e| BenchError::Setup(format!("the page-load script printed {stdout:?}: {e}")))
}

/// The middle value (the upper one of the two middles for an even count).
pub fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{brotli_len, gzip_len, median};

    #[test]
    fn compression_shrinks_repetitive_bytes_and_brotli_beats_gzip_on_them() {
        let bytes = b"(module (func $f (result i32) i32.const 42))\n".repeat(500);
        let gzip = gzip_len(&bytes).unwrap();
        let brotli = brotli_len(&bytes).unwrap();
        assert!(gzip < bytes.len() / 10, "gzip {gzip}");
        assert!(brotli <= gzip, "brotli {brotli} vs gzip {gzip}");
    }

    #[test]
    fn the_median_is_the_middle_value() {
        let ms = Duration::from_millis;
        assert_eq!(median(vec![ms(30), ms(10), ms(20)]), ms(20));
        assert_eq!(median(vec![ms(40), ms(10), ms(30), ms(20)]), ms(30));
        assert_eq!(median(Vec::new()), Duration::ZERO);
    }
}
