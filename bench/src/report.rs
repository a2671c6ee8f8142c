//! The Markdown that `ticked-bench` prints, and writes into `BENCHMARKS.md` between its
//! `<!-- bench:begin -->` and `<!-- bench:end -->` markers.

use std::{fmt::Write as _, path::Path, time::Duration};

use crate::{
    BenchError,
    live::LiveResult,
    load::{Outcome, Settings},
    page::PageResult,
    scenarios::{Run, thousands},
};

const BEGIN: &str = "<!-- bench:begin -->";
const END: &str = "<!-- bench:end -->";

/// Everything one run measured.
#[derive(Default)]
pub struct Results {
    pub bcrypt: Option<Duration>,
    /// Ticked on each database, the scenarios in the same order.
    pub ticked: Vec<(&'static str, Run)>,
    /// The FastAPI reference on each database, when it was run.
    pub fastapi: Vec<(&'static str, Run)>,
    pub skipped: Vec<String>,
    pub ceiling: Option<Outcome>,
    pub page: Option<PageResult>,
    /// Scenario 9 on each database.
    pub live: Vec<(&'static str, LiveResult)>,
}

/// The machine the numbers came from.
pub struct Machine {
    pub cores: usize,
    cpu: String,
    memory_gib: f64,
    kernel: String,
}

impl Machine {
    /// Reads the processor, memory and kernel from `/proc` (Linux; elsewhere, unknown).
    pub fn describe() -> Self {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpuinfo = read("/proc/cpuinfo");
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map_or("unknown processor", |l| {
                l.trim_start_matches([' ', '\t', ':'])
            })
            .to_owned();
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|l| l.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            cpu,
            memory_gib: memory_kib / 1024.0 / 1024.0,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
        }
    }
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} cores of {}, {:.0} GiB, Linux {}",
            self.cores, self.cpu, self.memory_gib, self.kernel
        )
    }
}

/// The whole report.
#[must_use]
pub fn render(machine: &Machine, settings: &Settings, results: &Results) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Machine: {machine}. Load: `wrk`, {} thread, {} connections unless the row says otherwise, a {} s warm-up, then the median of {} runs of {} s, on loopback. Server: the release `ticked` at its production settings (bcrypt cost 12).\n",
        settings.threads,
        settings.connections,
        settings.warmup.as_secs(),
        settings.runs,
        settings.duration.as_secs()
    );
    if !results.ticked.is_empty() {
        api_table(&mut out, results);
    }
    live_table(&mut out, &results.live);
    comparison_table(&mut out, results);
    if let Some(bcrypt) = results.bcrypt {
        let ceiling = machine.cores as f64 / bcrypt.as_secs_f64();
        let _ = writeln!(
            out,
            "\nOne bcrypt verification at cost 12 takes {} here, so {} cores can verify at most {ceiling:.1} logins/s.",
            duration(bcrypt),
            machine.cores
        );
    }
    for skipped in &results.skipped {
        let _ = writeln!(out, "\n{skipped}.");
    }
    if let Some(page) = &results.page {
        page_table(&mut out, page);
    }
    out
}

fn api_table(out: &mut String, results: &Results) {
    let ceiling = results.ceiling.as_ref().map(Outcome::requests_per_second);
    let _ = write!(out, "| scenario | conns |");
    for (name, _) in &results.ticked {
        let _ = write!(out, " {name} req/s | p50 | p99 |");
    }
    let _ = write!(out, "\n|---|--:|");
    for _ in &results.ticked {
        let _ = write!(out, "--:|--:|--:|");
    }
    out.push('\n');
    let Some((_, first)) = results.ticked.first() else {
        return;
    };
    for (i, row) in first.rows.iter().enumerate() {
        let _ = write!(out, "| {} | {} |", row.label, row.connections);
        for (_, run) in &results.ticked {
            match run.rows.get(i) {
                Some(row) => cells(out, &row.outcome, ceiling),
                None => out.push_str(" – | – | – |"),
            }
        }
        out.push('\n');
    }
    if let Some(outcome) = &results.ceiling {
        let _ = write!(
            out,
            "| 8. ceiling: bare axum JSON handler | {} |",
            first.rows.first().map_or(0, |r| r.connections)
        );
        cells(out, outcome, ceiling);
        for _ in 1..results.ticked.len() {
            out.push_str(" | | |");
        }
        out.push('\n');
    }
}

/// Scenario 9: idle streams and write-to-event latency, one row per database.
fn live_table(out: &mut String, live: &[(&'static str, LiveResult)]) {
    if live.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n| 9. live updates | streams (users) | server RSS before → with them open | per stream | server CPU, streams idle 10 s | write → event p50 | p99 |\n|---|--:|--:|--:|--:|--:|--:|"
    );
    for (name, result) in live {
        let per_stream =
            result.rss_open.saturating_sub(result.rss_before) as f64 / result.streams.max(1) as f64;
        let lost = if result.lost > 0 {
            format!(", {} of {} lost", result.lost, result.writes)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "| {name} | {} ({}) | {} → {} | {:.1} kB | {:.2} % of a core | {} | {}{lost} |",
            thousands(result.streams as u64),
            result.users,
            megabytes(result.rss_before),
            megabytes(result.rss_open),
            per_stream / 1000.0,
            result.idle_cpu * 100.0,
            duration(result.p50),
            duration(result.p99),
        );
    }
}

/// Ticked beside the FastAPI reference, database by database, scenario by scenario.
fn comparison_table(out: &mut String, results: &Results) {
    for (name, reference) in &results.fastapi {
        let Some((_, ticked)) = results.ticked.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let _ = writeln!(
            out,
            "\nAgainst the FastAPI reference (`bench/fastapi/`, uvicorn with a worker per core), both on {name}:\n\n| scenario | Ticked req/s | FastAPI req/s | Ticked ÷ FastAPI | Ticked p99 | FastAPI p99 |\n|---|--:|--:|--:|--:|--:|"
        );
        for (ours, theirs) in ticked.rows.iter().zip(&reference.rows) {
            let (a, b) = (
                ours.outcome.requests_per_second(),
                theirs.outcome.requests_per_second(),
            );
            let ratio = if b > 0.0 {
                format!("{:.1}×", a / b)
            } else {
                "–".to_owned()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {ratio} | {} | {} |",
                ours.label,
                per_second(a),
                per_second(b),
                duration(ours.outcome.p99),
                duration(theirs.outcome.p99)
            );
        }
        if let (Some(a), Some(b)) = (ticked.peak_memory, reference.peak_memory) {
            let _ = writeln!(
                out,
                "| server memory after scenario 6 (peak RSS, all processes) | {} | {} | {:.2}× | | |",
                megabytes(a),
                megabytes(b),
                a as f64 / b as f64
            );
        }
    }
}

/// Requests per second (with the share of the ceiling), p50 and p99 of one run.
fn cells(out: &mut String, outcome: &Outcome, ceiling: Option<f64>) {
    let rps = outcome.requests_per_second();
    let share = ceiling
        .filter(|c| *c > 0.0)
        .map(|c| format!(" ({:.1} %)", rps / c * 100.0))
        .unwrap_or_default();
    let errors = if outcome.errors > 0 {
        format!(", {} errors", outcome.errors)
    } else {
        String::new()
    };
    let _ = write!(
        out,
        " {}{share}{errors} | {} | {} |",
        per_second(rps),
        duration(outcome.p50),
        duration(outcome.p99)
    );
}

fn page_table(out: &mut String, page: &PageResult) {
    let _ = writeln!(
        out,
        "\n| page, first visit | file | raw | gzip -9 | brotli -q 11 | sent (`Accept-Encoding: br`) |\n|---|---|--:|--:|--:|--:|"
    );
    for weight in &page.weights {
        for file in &weight.files {
            let _ = writeln!(
                out,
                "| {} `{}` | `{}` | {} | {} | {} | {} |",
                weight.name,
                weight.path,
                file.name,
                kilobytes(file.raw),
                kilobytes(file.gzip),
                kilobytes(file.brotli),
                kilobytes(file.sent)
            );
        }
        let _ = writeln!(
            out,
            "| **{} `{}`** | **JS + WASM + CSS** | {} | {} | {} | **{}** |",
            weight.name,
            weight.path,
            kilobytes(weight.files.iter().map(|f| f.raw).sum()),
            kilobytes(weight.files.iter().map(|f| f.gzip).sum()),
            kilobytes(weight.files.iter().map(|f| f.brotli).sum()),
            kilobytes(weight.bundle_sent())
        );
    }
    for weight in &page.weights {
        let _ = writeln!(
            out,
            "\n{} `{}`: the HTML document sent {}; a second visit fetched {} bundle files from the network ({}).",
            capitalised(weight.name),
            weight.path,
            kilobytes(weight.document_sent),
            weight.second_visit_fetches,
            kilobytes(weight.second_visit_sent)
        );
    }
    let _ = writeln!(
        out,
        "\nTodo page with {} todos, headless Chromium on loopback, median of {} loads in fresh contexts: hydrated {} after navigation, todos shown and interactive {}.",
        page.todos,
        page.loads,
        duration(page.hydrated),
        duration(page.interactive)
    );
    let _ = writeln!(
        out,
        "\nMoving between pages with the bundle in the browser's cache, median of {} moves: todo page to account page (sessions listed) {}, and back (todos shown) {}.",
        page.loads,
        duration(page.to_account),
        duration(page.to_todos)
    );
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `12 345/s` above 100, `7.1/s` below.
fn per_second(rps: f64) -> String {
    if rps >= 100.0 {
        format!("{}/s", thousands(rps.round() as u64))
    } else {
        format!("{rps:.1}/s")
    }
}

/// Three significant figures, in the unit that suits.
fn duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 100.0 {
        format!("{ms:.0} ms")
    } else if ms >= 10.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// Bytes as MB (1 000 000 bytes), one decimal.
fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

/// Bytes as kB (1 000 bytes), one decimal.
fn kilobytes(bytes: usize) -> String {
    format!("{:.1} kB", bytes as f64 / 1000.0)
}

/// Replaces what lies between the bench markers of `path` with `table`.
///
/// # Errors
/// [`BenchError`] if the file cannot be read or written, or lacks the markers.
pub fn update_file(path: &Path, table: &str) -> Result<(), BenchError> {
    let text = std::fs::read_to_string(path)
        .map_err(BenchError::io(format!("reading {}", path.display())))?;
    let updated = replace_between_markers(&text, table).ok_or_else(|| {
        BenchError::Setup(format!("{} has no {BEGIN} … {END} section", path.display()))
    })?;
    std::fs::write(path, updated).map_err(BenchError::io(format!("writing {}", path.display())))
}

fn replace_between_markers(text: &str, table: &str) -> Option<String> {
    let start = text.find(BEGIN)? + BEGIN.len();
    let end = start + text[start..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &text[..start],
        table.trim_end(),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{duration, kilobytes, per_second, replace_between_markers};

    #[test]
    fn durations_keep_three_significant_figures() {
        let us = Duration::from_micros;
        assert_eq!(duration(us(450)), "0.45 ms");
        assert_eq!(duration(us(12_340)), "12.3 ms");
        assert_eq!(duration(us(123_400)), "123 ms");
        assert_eq!(duration(us(2_346_000)), "2.35 s");
    }

    #[test]
    fn rates_and_sizes_read_easily() {
        assert_eq!(per_second(12_345.4), "12 345/s");
        assert_eq!(per_second(7.06), "7.1/s");
        assert_eq!(kilobytes(295_123), "295.1 kB");
    }

    #[test]
    fn the_table_replaces_only_the_marked_section() {
        let text = "intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\nafter\n";
        assert_eq!(
            replace_between_markers(text, "new\n").unwrap(),
            "intro\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nafter\n"
        );
        assert_eq!(replace_between_markers("no markers", "new"), None);
    }
}
