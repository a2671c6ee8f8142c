use std::collections::HashMap;

use super::{Config, ConfigError};

fn config_with(vars: &[(&str, &str)]) -> (Result<Config, ConfigError>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.insert("DATA_DIR".into(), dir.path().display().to_string());
    (Config::from_lookup(|k| map.get(k).cloned()), dir)
}

#[test]
fn defaults_match_the_contract() {
    let (config, _dir) = config_with(&[]);
    let config = config.expect("defaults are valid");
    assert_eq!(config.site_addr.to_string(), "127.0.0.1:3000");
    assert_eq!(config.tokens.access_ttl.as_secs(), 900);
    assert_eq!(config.tokens.refresh_ttl.as_secs(), 1_209_600);
    assert_eq!(config.tokens.reuse_grace.as_secs(), 10);
    assert_eq!(config.login_throttle.max_failures, 10);
    assert_eq!(config.login_throttle.window.as_secs(), 900);
    assert_eq!(config.passwords.bcrypt_cost, 12);
    assert!(config.cors_allowed_origins.is_empty());
    assert!(config.database_url.starts_with("sqlite://"));
    assert!(config.database_url.contains("ticked.db"));
}

#[test]
fn generated_secrets_are_kept_private_and_reused() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().display().to_string();
    let lookup = |k: &str| (k == "DATA_DIR").then(|| data_dir.clone());
    let first = Config::from_lookup(lookup).expect("first start");
    let second = Config::from_lookup(lookup).expect("second start");
    assert_eq!(first.tokens.access_secret, second.tokens.access_secret);
    assert_ne!(first.tokens.access_secret, first.tokens.refresh_secret);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("jwt_access_secret"))
            .expect("secret file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn each_bad_value_names_its_variable() {
    let secret_a = "a".repeat(32);
    let cases: &[(&[(&str, &str)], &str)] = &[
        (
            &[("ACCESS_TOKEN_TTL_SECONDS", "abc")],
            "ACCESS_TOKEN_TTL_SECONDS",
        ),
        (
            &[("ACCESS_TOKEN_TTL_SECONDS", "0")],
            "ACCESS_TOKEN_TTL_SECONDS",
        ),
        (
            &[("REFRESH_TOKEN_TTL_SECONDS", "-5")],
            "REFRESH_TOKEN_TTL_SECONDS",
        ),
        (
            &[("REFRESH_REUSE_GRACE_SECONDS", "ten")],
            "REFRESH_REUSE_GRACE_SECONDS",
        ),
        (&[("LOGIN_MAX_FAILURES", "0")], "LOGIN_MAX_FAILURES"),
        (&[("LOGIN_LOCKOUT_SECONDS", "1.5")], "LOGIN_LOCKOUT_SECONDS"),
        (&[("BCRYPT_COST", "3")], "BCRYPT_COST"),
        (&[("BCRYPT_COST", "32")], "BCRYPT_COST"),
        (&[("JWT_ACCESS_SECRET", "short")], "JWT_ACCESS_SECRET"),
        (&[("JWT_REFRESH_SECRET", "short")], "JWT_REFRESH_SECRET"),
        (
            &[
                ("JWT_ACCESS_SECRET", &secret_a),
                ("JWT_REFRESH_SECRET", &secret_a),
            ],
            "JWT_REFRESH_SECRET",
        ),
        (&[("LEPTOS_SITE_ADDR", "localhost")], "LEPTOS_SITE_ADDR"),
        // No hash file sits beside the test binary.
        (&[("LEPTOS_HASH_FILES", "true")], "LEPTOS_HASH_FILES"),
        (&[("LEPTOS_HASH_FILES", "yes")], "LEPTOS_HASH_FILES"),
        (&[("DATABASE_URL", "mysql://x")], "DATABASE_URL"),
        (
            &[("CORS_ALLOWED_ORIGINS", "example.com")],
            "CORS_ALLOWED_ORIGINS",
        ),
    ];
    for (vars, variable) in cases {
        let (result, _dir) = config_with(vars);
        let err = result.expect_err(&format!("{vars:?} should be refused"));
        assert_eq!(err.variable, *variable, "{vars:?}");
        assert!(err.to_string().starts_with(variable), "{err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
}

#[test]
fn cors_origins_are_a_comma_separated_list() {
    let (config, _dir) = config_with(&[(
        "CORS_ALLOWED_ORIGINS",
        "https://a.example, http://b.example:8080,",
    )]);
    assert_eq!(
        config.expect("valid").cors_allowed_origins,
        ["https://a.example", "http://b.example:8080"]
    );
}

#[test]
fn the_wasm_hash_is_read_from_cargo_leptos_hash_file() {
    let hashes = "js: aB3-js\nwasm: Zx9_wasm\ncss: cSs\n";
    assert_eq!(super::wasm_hash(hashes), Some("Zx9_wasm"));
    assert_eq!(super::wasm_hash("js: only\n"), None);
    assert_eq!(super::wasm_hash(""), None);
}
