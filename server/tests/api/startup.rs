use std::process::Command;

/// Runs the real `ticked` binary with `vars` and returns its exit status and stderr.
pub fn run_ticked(vars: &[(&str, &str)]) -> (std::process::ExitStatus, String) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_ticked"))
        .env_clear()
        .env("DATA_DIR", data_dir.path())
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .envs(vars.iter().copied())
        .output()
        .expect("ticked runs");
    (
        output.status,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_setting_stops_the_server_with_one_line_naming_it() {
    let cases: &[(&str, &str)] = &[
        ("ACCESS_TOKEN_TTL_SECONDS", "abc"),
        ("JWT_ACCESS_SECRET", "too-short"),
        ("BCRYPT_COST", "2"),
    ];
    for (variable, value) in cases {
        let (status, stderr) = run_ticked(&[(variable, value)]);
        assert!(!status.success(), "{variable}={value} must stop the server");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line for {variable}, got {stderr:?}");
        assert!(lines[0].contains(variable), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn an_unreachable_database_stops_the_server_with_one_line() {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let (status, stderr) = run_ticked(&[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/ticked")]);
    assert!(!status.success());
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr:?}");
    assert!(lines[0].contains("DATABASE_URL"), "{stderr}");
}
