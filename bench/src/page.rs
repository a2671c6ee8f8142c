//! What a visitor downloads and how long they wait: for the sign-in page, the todo page
//! and the account page, every bundle file a first visit loads, its size (raw, and at
//! gzip's and brotli's best) and the bytes that crossed the wire for it as the server sent
//! it, and what a second visit still fetches; then the time from navigation until the todo
//! page is hydrated and shows the user's todos. All in headless Chromium (`page-load.cjs`, driven by Playwright).

use std::{
    io::{Read, Write},
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use serde::Deserialize;

use crate::{BenchError, api::User, cli::Options};

/// The Playwright script, beside this crate's manifest.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/page-load.cjs");
/// Where `scripts/setup.sh` installs Playwright.
const NODE_MODULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/node_modules");
/// Where the bundle lives, in URLs and under the site directory.
const BUNDLE_PREFIX: &str = "/pkg/";

/// The pages weighed: what a new visitor sees first, the page a user works in, and the
/// one page with a bundle of its own among those of a signed-in user.
const PAGES: [(&str, &str, bool); 3] = [
    ("sign-in page", "/login", false),
    ("todo page", "/", true),
    ("account page", "/account", true),
];

/// One bundle file a page loaded, in bytes.
#[derive(Clone, Debug)]
pub struct FileSize {
    /// The file name without its content hash (`ticked.wasm`), stable from build to build.
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
    /// Headers and body as they crossed the wire on a first visit.
    pub sent: usize,
}

/// One page's weight: a first visit in a fresh browser, then a second one.
#[derive(Clone, Debug)]
pub struct PageWeight {
    pub name: &'static str,
    pub path: &'static str,
    /// The bundle files (JS, WASM, CSS) of the first visit.
    pub files: Vec<FileSize>,
    /// The HTML document of the first visit, as sent.
    pub document_sent: usize,
    /// Bundle files a second visit still fetched from the network, and their bytes.
    pub second_visit_fetches: usize,
    pub second_visit_sent: usize,
}

impl PageWeight {
    /// JS + WASM + CSS over the wire on a first visit.
    #[must_use]
    pub fn bundle_sent(&self) -> usize {
        self.files.iter().map(|f| f.sent).sum()
    }
}

/// The pages' weight and the todo page's time to interactive.
#[derive(Clone, Debug)]
pub struct PageResult {
    pub weights: Vec<PageWeight>,
    pub loads: usize,
    /// The todos on the page when it counts as interactive.
    pub todos: usize,
    /// Median time from navigation until the WASM bundle has hydrated the page.
    pub hydrated: Duration,
    /// Median time from navigation until the user's todos are on the hydrated page.
    pub interactive: Duration,
    /// Median time from a click on the header's account link until the account page
    /// lists the sessions, the bundle already in the browser's cache.
    pub to_account: Duration,
    /// Median time from a click on "Ticked" on the account page until the todos are shown.
    pub to_todos: Duration,
}

/// Weighs the pages served from `options.site` and loads the todo page of `user` (whose
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
    let loads = if options.quick { 3 } else { 9 };
    let output = run_browser(base_url, user, todos, loads)?;
    let weights = output
        .weights
        .into_iter()
        .zip(PAGES)
        .map(|(visits, (name, path, _))| weigh(&options.site, name, path, visits))
        .collect::<Result<Vec<_>, _>>()?;
    let timings = output.timings;
    Ok(PageResult {
        weights,
        loads,
        todos,
        hydrated: median(timings.iter().map(|t| t.hydrated).collect()),
        interactive: median(timings.iter().map(|t| t.interactive).collect()),
        to_account: median(output.navigations.iter().map(|n| n.to_account).collect()),
        to_todos: median(output.navigations.iter().map(|n| n.to_todos).collect()),
    })
}

fn weigh(
    site: &Path,
    name: &'static str,
    path: &'static str,
    visits: Visits,
) -> Result<PageWeight, BenchError> {
    let files = visits
        .first
        .iter()
        .filter_map(|fetch| Some((fetch, fetch.path.strip_prefix(BUNDLE_PREFIX)?)))
        .map(|(fetch, file)| {
            let on_disk = site.join(BUNDLE_PREFIX.trim_matches('/')).join(file);
            file_size(&on_disk, unhashed(file), fetch.bytes)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let document_sent = visits
        .first
        .iter()
        .find(|fetch| fetch.path == path)
        .map_or(0, |fetch| fetch.bytes);
    let second: Vec<&Fetch> = visits
        .second
        .iter()
        .filter(|fetch| fetch.path.starts_with(BUNDLE_PREFIX) && !fetch.cached)
        .collect();
    Ok(PageWeight {
        name,
        path,
        files,
        document_sent,
        second_visit_fetches: second.len(),
        second_visit_sent: second.iter().map(|fetch| fetch.bytes).sum(),
    })
}

/// `ticked.wasm` for `ticked.Ab3x-9.wasm`: the name without cargo-leptos's content hash.
fn unhashed(file: &str) -> String {
    match (file.split_once('.'), file.rsplit_once('.')) {
        (Some((stem, _)), Some((_, extension))) => format!("{stem}.{extension}"),
        _ => file.to_owned(),
    }
}

fn file_size(path: &Path, name: String, sent: usize) -> Result<FileSize, BenchError> {
    let bytes = std::fs::read(path).map_err(BenchError::io(format!(
        "reading {} (run `make build` first)",
        path.display()
    )))?;
    Ok(FileSize {
        name,
        raw: bytes.len(),
        gzip: gzip_len(&bytes).map_err(BenchError::io("gzip"))?,
        brotli: brotli_len(&bytes).map_err(BenchError::io("brotli"))?,
        sent,
    })
}

/// Size at gzip's best level, the reference for the gzip file made at build time.
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

/// What `page-load.cjs` prints.
#[derive(Deserialize)]
struct BrowserOutput {
    timings: Vec<Timing>,
    weights: Vec<Visits>,
    navigations: Vec<Navigation>,
}

#[derive(Deserialize)]
struct Visits {
    first: Vec<Fetch>,
    second: Vec<Fetch>,
}

/// One response of a visit.
#[derive(Deserialize)]
struct Fetch {
    path: String,
    /// Bytes on the wire; 0 when it came from the browser's cache.
    bytes: usize,
    cached: bool,
}

#[derive(Deserialize)]
struct Timing {
    #[serde(with = "millis")]
    hydrated: Duration,
    #[serde(with = "millis")]
    interactive: Duration,
}

/// One move from the todo page to the account page and back.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Navigation {
    #[serde(with = "millis")]
    to_account: Duration,
    #[serde(with = "millis")]
    to_todos: Duration,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        f64::deserialize(d).map(|ms| Duration::from_secs_f64(ms.max(0.0) / 1000.0))
    }
}

fn run_browser(
    base_url: &str,
    user: &User,
    todos: usize,
    loads: usize,
) -> Result<BrowserOutput, BenchError> {
    let pages: Vec<_> = PAGES
        .iter()
        .map(|(name, path, signed_in)| {
            serde_json::json!({ "name": name, "path": path, "signedIn": signed_in })
        })
        .collect();
    let config = serde_json::json!({
        "baseUrl": base_url,
        "pages": pages,
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

    use super::{brotli_len, gzip_len, median, unhashed};

    #[test]
    fn file_names_lose_their_content_hash() {
        assert_eq!(unhashed("ticked.Ab3x-9_Q.wasm"), "ticked.wasm");
        assert_eq!(unhashed("ticked.css"), "ticked.css");
        assert_eq!(unhashed("README"), "README");
    }

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
