//! The binary as a user runs it: exit codes, messages, files it writes.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::Path;

/// A `plumb` command isolated from the user's own config and data.
fn plumb(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("plumb").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    cmd
}

#[test]
fn version_and_help() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("plumb "));
    plumb(home.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("demo").and(predicate::str::contains("doctor")));
}

#[test]
fn config_check_reports_a_typo_with_line_and_column_and_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("typo.toml");
    std::fs::write(
        &cfg,
        "[[sources]]\nname = \"gh\"\nkind = \"github\"\ntoken_env = \"GITHUB_TOKEN\"\nrepoz = [\"acme/api\"]\n",
    )
    .unwrap();
    plumb(home.path())
        .args(["--config", cfg.to_str().unwrap(), "config", "check"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("typo.toml:5:1").and(predicate::str::contains("repoz")));
}

#[test]
fn doctor_and_sync_point_at_the_file_and_the_names_they_read() {
    let home = tempfile::tempdir().unwrap();
    let bad = home.path().join("bad.toml");
    std::fs::write(&bad, "[ui]\ntheme = \"neon\"\nmouse = \"yes\"\n").unwrap();
    let out = plumb(home.path())
        .args(["--config", bad.to_str().unwrap(), "doctor", "--offline"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let check = format!("plumb --config {} config check", bad.display());
    assert_eq!(text.matches("config check").count(), 1, "said once: {text}");
    assert!(text.contains(&check), "{text}");

    let good = home.path().join("good.toml");
    std::fs::write(
        &good,
        "[[sources]]\nname = \"gh\"\nkind = \"github\"\ntoken_env = \"GITHUB_TOKEN\"\nrepos = [\"acme/api\"]\n",
    )
    .unwrap();
    plumb(home.path())
        .args([
            "--config",
            good.to_str().unwrap(),
            "sync",
            "--source",
            "nope",
        ])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("no source named `nope`")
                .and(predicate::str::contains("its sources are: gh")),
        );
}

#[test]
fn spans_reaching_before_1970_or_past_any_clock_are_refused() {
    let home = tempfile::tempdir().unwrap();
    for span in ["100000d", "99999999999999999d", "9999999999999w"] {
        plumb(home.path())
            .args(["report", "dora", "--since", span])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("reaches back before 1970"));
    }
    // An empty range names its ends in whole seconds.
    plumb(home.path())
        .args(["report", "dora", "--since", "1d", "--until", "2d"])
        .assert()
        .code(2)
        .stderr(predicate::str::is_match(r"--until \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)").unwrap());
}

#[test]
fn config_init_writes_a_valid_example_and_refuses_to_overwrite() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .args(["config", "init"])
        .assert()
        .success();
    let written = home.path().join("config/plumb/config.toml");
    assert!(written.exists());
    plumb(home.path())
        .args(["config", "check"])
        .assert()
        .success()
        .stderr(predicate::str::contains("ok"));
    plumb(home.path())
        .args(["config", "init"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--force"));
    plumb(home.path())
        .args(["config", "init", "--force"])
        .assert()
        .success();
}

#[test]
fn a_missing_explicit_config_is_an_error_but_a_missing_default_means_defaults() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .args(["--config", "/nonexistent/plumb.toml", "doctor"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("/nonexistent/plumb.toml"));
    plumb(home.path())
        .args(["config", "check"])
        .assert()
        .success()
        .stderr(predicate::str::contains("defaults"));
}

#[test]
fn config_path_names_config_database_and_logs() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("config/plumb/config.toml")
                .and(predicate::str::contains("data/plumb/plumb.db"))
                .and(predicate::str::contains("logs")),
        );
}

#[test]
fn plumb_db_env_var_overrides_the_database_path() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("elsewhere.db");
    plumb(home.path())
        .env("PLUMB_DB", &db)
        .args(["config", "path"])
        .assert()
        .success()
        .stdout(predicate::str::contains("elsewhere.db"));
}

#[test]
fn completions_are_generated_for_bash() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("_plumb"));
}

#[test]
fn bad_arguments_exit_2_with_one_clear_message() {
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("p.db");
    plumb(home.path())
        .args([
            "--db",
            db.to_str().unwrap(),
            "report",
            "dora",
            "--since",
            "soon",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("--since")
                .and(predicate::str::contains("Backtrace").not())
                .and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn report_without_a_database_says_how_to_get_data() {
    let home = tempfile::tempdir().unwrap();
    plumb(home.path())
        .args(["report", "dora"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("plumb demo"));
}

#[test]
fn doctor_fails_a_source_whose_token_variable_is_unset() {
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("c.toml");
    std::fs::write(
        &cfg,
        // A base_url where nothing listens: doctor must never reach the real service here.
        "[[sources]]\nname = \"gh\"\nkind = \"github\"\nbase_url = \"http://127.0.0.1:9\"\ntoken_env = \"PLUMB_TEST_UNSET_TOKEN\"\nrepos = [\"acme/api\"]\n",
    )
    .unwrap();
    plumb(home.path())
        .args(["--config", cfg.to_str().unwrap(), "doctor"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("✗ source gh")
                .and(predicate::str::contains("PLUMB_TEST_UNSET_TOKEN")),
        );
    plumb(home.path())
        .env("PLUMB_TEST_UNSET_TOKEN", "s3cret-value")
        .args(["--config", cfg.to_str().unwrap(), "doctor"])
        .assert()
        .code(1)
        .stdout(
            predicate::str::contains("✓ source gh")
                .and(predicate::str::contains("✗   gh reachable"))
                .and(predicate::str::contains("s3cret-value").not()),
        );
    plumb(home.path())
        .env("PLUMB_TEST_UNSET_TOKEN", "s3cret-value")
        .args(["--config", cfg.to_str().unwrap(), "doctor", "--offline"])
        .assert()
        .stdout(predicate::str::contains("reachable").not());
}

/// Every table's rows in id order, as text: a dump that two databases can be compared by.
fn dump(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = String::new();
    for table in plumb::store::tables::TABLE_NAMES {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
            .unwrap();
        let cols = stmt.column_count();
        let mut rows = stmt.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            out.push_str(table);
            for i in 0..cols {
                let v: rusqlite::types::Value = row.get(i).unwrap();
                out.push_str(&format!("|{v:?}"));
            }
            out.push('\n');
        }
    }
    out
}

#[test]
fn demo_generate_only_is_deterministic_and_refuses_to_replace_real_data() {
    let home = tempfile::tempdir().unwrap();
    let a = home.path().join("a.db");
    let b = home.path().join("b.db");
    for db in [&a, &b] {
        plumb(home.path())
            .args([
                "demo",
                "--generate-only",
                "--scale",
                "small",
                "--seed",
                "7",
                "--anchor",
                "2026-11-01",
                "--db",
                db.to_str().unwrap(),
            ])
            .assert()
            .success();
    }
    let (da, db_) = (dump(&a), dump(&b));
    assert!(
        da.len() > 1_000_000,
        "the demo holds a realistic amount of data"
    );
    assert!(da == db_, "same seed and anchor, same rows");

    // A database that holds data but is not a demo is never replaced.
    let real = home.path().join("real.db");
    {
        let store = plumb::store::Store::open(&real).unwrap();
        store
            .conn()
            .execute(
                "INSERT INTO teams (name, source, source_kind, external_id, synced_at, origin)
                 VALUES ('mine', 'import', 'import', 'mine', 0, 'manual')",
                [],
            )
            .unwrap();
    }
    plumb(home.path())
        .args([
            "demo",
            "--generate-only",
            "--force",
            "--db",
            real.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a plumb demo"));
    let n: i64 = rusqlite::Connection::open(&real)
        .unwrap()
        .query_row("SELECT count(*) FROM teams", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}
