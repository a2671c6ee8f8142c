use std::{net::SocketAddr, path::PathBuf};

pub const USAGE: &str = "\
usage: ticked-bench [--quick] [--live-only|--page-only|--api-only] [--ticked PATH] [--site DIR]
                    [--postgres URL|none] [--fastapi VENV] [--update FILE]
       ticked-bench ceiling ADDR

  --quick          short runs and a smaller large table: checks that everything works,
                   the numbers are rough
  --live-only      only scenario 9 (live-update streams), on every database
  --page-only      only the page's weight and time to interactive
  --api-only       only scenarios 1-8 (and the FastAPI reference, with --fastapi): no
                   live updates, no page
  --ticked PATH    the release server binary (default: $CARGO_TARGET_DIR/release/ticked)
  --site DIR       the built site, with its bundle in pkg/ (default: target/site)
  --postgres URL   a PostgreSQL server to create the benchmark database on
                   (default: postgres://postgres@127.0.0.1:5432/postgres; `none` skips it)
  --fastapi VENV   also run scenarios 1-6 against the FastAPI reference (bench/fastapi/),
                   with the Python virtual environment VENV that holds its requirements
  --update FILE    also write the table into FILE, between its bench markers";

/// The PostgreSQL server tried when none is named.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// What to do.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    /// Serve the ceiling handler on this address until killed.
    Ceiling(SocketAddr),
}

/// How to run the benchmarks.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub quick: bool,
    /// Only scenario 9: a quick look at live updates without the half hour of the rest.
    pub live_only: bool,
    /// Only the page's weight and time to interactive, for work on the bundle.
    pub page_only: bool,
    /// Only the API scenarios and the ceiling, for work on the request path.
    pub api_only: bool,
    pub ticked: PathBuf,
    pub site: PathBuf,
    pub postgres: Option<String>,
    pub fastapi: Option<PathBuf>,
    pub update: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| "target".into(), PathBuf::from);
        Self {
            quick: false,
            live_only: false,
            page_only: false,
            api_only: false,
            ticked: target.join("release").join("ticked"),
            site: PathBuf::from("target/site"),
            postgres: Some(DEFAULT_POSTGRES.to_owned()),
            fastapi: None,
            update: None,
        }
    }
}

/// Reads the command line (without the program name).
///
/// # Errors
/// A message naming the argument that is not understood.
pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "ceiling" => {
                let address = value("ceiling")?;
                return address.parse().map(Command::Ceiling).map_err(|_| {
                    format!("ceiling: {address:?} is not an address like 127.0.0.1:4000")
                });
            }
            "--quick" => options.quick = true,
            "--live-only" => options.live_only = true,
            "--page-only" => options.page_only = true,
            "--api-only" => options.api_only = true,
            "--ticked" => options.ticked = value("--ticked")?.into(),
            "--site" => options.site = value("--site")?.into(),
            "--postgres" => {
                let url = value("--postgres")?;
                options.postgres = (url != "none").then_some(url);
            }
            "--fastapi" => options.fastapi = Some(value("--fastapi")?.into()),
            "--update" => options.update = Some(value("--update")?.into()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::{Command, Options, parse};

    fn args(line: &str) -> impl Iterator<Item = String> {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn no_arguments_run_everything_with_the_defaults() {
        assert_eq!(parse(args("")), Ok(Command::Run(Options::default())));
    }

    #[test]
    fn postgres_none_skips_postgresql() {
        let Ok(Command::Run(options)) = parse(args("--quick --live-only --postgres none")) else {
            panic!("expected a run");
        };
        assert!(options.quick);
        assert!(options.live_only);
        assert_eq!(options.postgres, None);
    }

    #[test]
    fn api_only_is_understood() {
        let Ok(Command::Run(options)) = parse(args("--api-only")) else {
            panic!("expected a run");
        };
        assert!(options.api_only);
    }

    #[test]
    fn ceiling_takes_an_address() {
        assert_eq!(
            parse(args("ceiling 127.0.0.1:4000")),
            Ok(Command::Ceiling("127.0.0.1:4000".parse().unwrap()))
        );
        assert!(parse(args("ceiling nowhere")).is_err());
    }

    #[test]
    fn unknown_or_incomplete_arguments_are_refused() {
        for line in ["--fast", "--ticked", "run"] {
            assert!(parse(args(line)).is_err(), "{line}");
        }
    }
}
