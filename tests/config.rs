//! Config loading, checking and writing, driven by the fixtures in tests/fixtures/config.

use plumb::config::{self, ConfigError, Diagnostic, SourceConfig, SourceKind, TokenError};
use plumb::model::Severity;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

#[test]
fn embedded_example_loads_and_validates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "config.toml", config::EXAMPLE);
    assert_eq!(
        config::check(&path).expect("readable"),
        Vec::<Diagnostic>::new()
    );
    let loaded = config::load(Some(&path)).expect("example loads");
    assert_eq!(loaded.path.as_deref(), Some(path.as_path()));
    let c = loaded.config;
    assert!(c.sources.len() >= 2);
    let kinds: std::collections::HashSet<SourceKind> = c.sources.iter().map(|s| s.kind).collect();
    assert!(kinds.len() >= 2, "sources of different kinds");
    assert_eq!(c.teams.len(), 3);
    assert_eq!(
        c.sla[&Severity::Sev1].resolve.map(|d| d.as_secs()),
        Some(4 * 3600)
    );
    assert_eq!(c.timezone_for("checkout"), chrono_tz::Europe::Berlin);
    assert_eq!(c.timezone_for("nobody"), chrono_tz::UTC);
}

#[test]
fn example_builds_the_ownership_map() {
    let c = config::parse_str(Path::new("config.toml"), config::EXAMPLE).expect("valid");
    let o = c.ownership().expect("no conflicts");
    assert_eq!(o.team_for_repo("acme/checkout"), Some("checkout"));
    assert_eq!(o.team_for_service("ledger"), Some("payments"));
    // checkout owns one service, so its repos map to it; payments owns two, so none do.
    assert_eq!(o.service_for_repo("acme/web"), Some("checkout"));
    assert_eq!(o.service_for_repo("acme/payments-api"), None);
    assert_eq!(o.team_for_board("14"), Some("payments"));
    assert!(o.is_production(Some("checkout"), "prod-eu"));
    assert!(!o.is_production(Some("checkout"), "production"));
    assert!(o.is_production(Some("search"), "Production"));
    assert_eq!(
        o.normalise_severity("pagerduty", "HIGH"),
        Some(Severity::Sev2)
    );
    assert_eq!(o.normalise_severity("github", "p3"), Some(Severity::Sev3));
}

#[test]
fn init_writes_the_example_and_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/dir/config.toml");
    config::init(&path, false).expect("first write");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        config::EXAMPLE
    );
    std::fs::write(&path, "# mine\n").expect("edit");
    let err = config::init(&path, false).expect_err("must refuse");
    assert!(matches!(err, ConfigError::AlreadyExists { .. }));
    assert!(err.to_string().contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "# mine\n");
    config::init(&path, true).expect("forced write");
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        config::EXAMPLE
    );
}

#[test]
fn missing_explicit_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("absent.toml");
    let err = config::load(Some(&path)).expect_err("missing file");
    assert!(matches!(err, ConfigError::NotFound { .. }));
    assert!(
        err.to_string().contains(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn missing_default_file_means_defaults() {
    let default = config::Paths::default_locations()
        .expect("home")
        .config_file;
    if default.exists() {
        // A developer's own config is in the way; the explicit-path tests cover loading.
        return;
    }
    let loaded = config::load(None).expect("defaults");
    assert_eq!(loaded.path, None);
    assert!(loaded.config.sources.is_empty());
    assert_eq!(loaded.config.retention.raw_days, 730);
    assert_eq!(loaded.config.metrics.incident_window.as_secs(), 24 * 3600);
    assert!(!loaded.config.privacy.store_names);
}

#[test]
fn default_paths_follow_the_platform_layout() {
    let paths = config::Paths::default_locations().expect("home");
    assert!(paths.config_file.ends_with("plumb/config.toml"));
    assert!(paths.database.ends_with("plumb.db"));
    assert!(paths.log_dir.to_string_lossy().contains("plumb"));
}

#[test]
fn valid_fixtures_load() {
    for entry in std::fs::read_dir(fixtures().join("valid")).expect("valid dir") {
        let path = entry.expect("entry").path();
        config::load(Some(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// Each `invalid/NAME.toml` sits beside `NAME.expected`: first line `line:column`, second a
/// substring of the message. Adding a fixture pair adds a case.
#[test]
fn every_invalid_fixture_reports_its_problem_at_its_place() {
    let dir = fixtures().join("invalid");
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("invalid dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    entries.sort();
    for path in entries {
        cases += 1;
        let expected = std::fs::read_to_string(path.with_extension("expected"))
            .unwrap_or_else(|_| panic!("{} has no .expected file", path.display()));
        let mut lines = expected.lines();
        let place = lines.next().expect("line:column").trim().to_string();
        let needle = lines.next().expect("message substring").trim().to_string();
        let diagnostics = config::check(&path).expect("readable");
        let hit = diagnostics.iter().any(|d| {
            format!("{}:{}", d.line, d.column) == place && d.to_string().contains(&needle)
        });
        if !hit {
            failures.push(format!(
                "{}: wanted {place} containing {needle:?}, got {diagnostics:#?}",
                path.display()
            ));
        }
        let err = config::load(Some(&path)).expect_err("invalid config must not load");
        let shown = err.to_string();
        if !shown.starts_with(&format!("{}:", path.display())) || !shown.contains("; expected ") {
            failures.push(format!("{}: load error reads {shown:?}", path.display()));
        }
    }
    assert!(cases >= 12, "only {cases} invalid fixtures");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn check_reports_every_problem_in_one_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        dir.path(),
        "config.toml",
        r#"[[sources]]
name = "gh"
kind = "github"
token_env = "GH"
repoz = ["a/b"]
concurrency = "four"

[[sources]]
name = "pd"
kind = "pagerdooty"
token_env = "PD"

[ui]
theme = "sepia"
tick_seconds = 0

[[slos]]
name = "api"
service = "api"
target = 99.9
window = "28d"
"#,
    );
    let found = config::check(&path).expect("readable");
    let places: Vec<(usize, usize)> = found.iter().map(|d| (d.line, d.column)).collect();
    assert_eq!(
        places,
        vec![(5, 1), (6, 15), (10, 8), (14, 9), (15, 16), (20, 10)],
        "{found:#?}"
    );
    assert!(found[0].to_string().starts_with(&format!(
        "{}:5:1: unknown key `repoz` in [[sources]] (did you mean `repos`?); expected one of: name, kind,",
        path.display()
    )));
    // The dropped `pd` source is not reported again as a missing kind.
    assert!(
        !found.iter().any(|d| d.message.contains("missing")),
        "{found:#?}"
    );
    let err = config::load(Some(&path)).expect_err("invalid");
    assert!(err.to_string().contains("and 5 more problems"), "{err}");
}

fn source_with(env: Option<&str>, command: Option<&str>) -> SourceConfig {
    let mut s = SourceConfig::new("gh", SourceKind::Github);
    s.token_env = env.map(str::to_string);
    s.token_command = command.map(str::to_string);
    s
}

#[test]
fn token_from_environment_variable() {
    // Cargo sets CARGO_PKG_NAME for the test process, so nothing here mutates the environment.
    let token = source_with(Some("CARGO_PKG_NAME"), None)
        .resolve_token()
        .expect("set")
        .expect("a token");
    assert_eq!(token.expose(), "plumb");
    assert_eq!(format!("{token} {token:?}"), "[redacted] [redacted]");

    let err = source_with(Some("PLUMB_TEST_TOKEN_NEVER_SET"), None)
        .resolve_token()
        .expect_err("unset");
    assert!(matches!(err, TokenError::EnvUnset { .. }));
    let text = err.to_string();
    assert!(
        text.contains("`gh`") && text.contains("PLUMB_TEST_TOKEN_NEVER_SET"),
        "{text}"
    );
}

#[test]
fn token_from_command() {
    let token = source_with(None, Some("printf secret"))
        .resolve_token()
        .expect("runs")
        .expect("a token");
    assert_eq!(token.expose(), "secret");

    let err = source_with(None, Some("echo 'vault is sealed' >&2; exit 3"))
        .resolve_token()
        .expect_err("fails");
    let text = err.to_string();
    assert!(text.contains("`gh`"), "{text}");
    assert!(text.contains("exit status: 3"), "{text}");
    assert!(text.contains("vault is sealed"), "{text}");

    let err = source_with(None, Some("true"))
        .resolve_token()
        .expect_err("empty");
    assert!(matches!(err, TokenError::CommandEmpty { .. }), "{err}");
}

#[test]
fn prometheus_token_is_optional_and_others_require_one() {
    let prom = SourceConfig::new("prom", SourceKind::Prometheus);
    assert!(prom.resolve_token().expect("optional").is_none());
    let err = source_with(None, None)
        .resolve_token()
        .expect_err("required");
    assert!(matches!(err, TokenError::Missing { .. }));
}
