//! Messages of `plumb sync`, `sync status`, `import` and `doctor` as a user reads them:
//! dates that are checked as dates, failures that stay visible, counts in good English.

use assert_cmd::Command;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// A `plumb` command isolated from the user's own config and data, on the database `p.db`.
fn plumb(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("plumb").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("PLUMB_DB", home.join("p.db"));
    cmd
}

/// A config with one GitHub source at `base_url`, its token in `PLUMB_TEST_GH_TOKEN`.
fn config(home: &Path, base_url: &str) -> PathBuf {
    let path = home.join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[[sources]]\nname = \"gh\"\nkind = \"github\"\nbase_url = \"{base_url}\"\n\
             token_env = \"PLUMB_TEST_GH_TOKEN\"\nrepos = [\"acme/web\"]\n"
        ),
    )
    .unwrap();
    path
}

fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

#[test]
fn a_source_without_its_token_shows_in_sync_status() {
    let home = tempfile::tempdir().unwrap();
    let cfg = config(home.path(), &closed_port_url());
    let cfg = cfg.to_str().unwrap();
    plumb(home.path())
        .args(["--config", cfg, "sync"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("PLUMB_TEST_GH_TOKEN"));
    plumb(home.path())
        .args(["--config", cfg, "sync", "status"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"(?m)^gh +all +never .*PLUMB_TEST_GH_TOKEN")
                .unwrap()
                .and(predicate::str::contains("nothing synced yet").not()),
        );
}

#[test]
fn a_refused_connection_ends_quickly_naming_host_and_cause() {
    let home = tempfile::tempdir().unwrap();
    let url = closed_port_url();
    let cfg = config(home.path(), &url);
    let started = std::time::Instant::now();
    plumb(home.path())
        .env("PLUMB_TEST_GH_TOKEN", "ghp_test")
        .args(["--config", cfg.to_str().unwrap(), "sync"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains(url.trim_start_matches("http://"))
                .and(predicate::str::contains("connection refused"))
                .and(predicate::str::contains("1 request").not())
                .and(predicate::str::contains("0 items in 0 pages")),
        );
    let elapsed = started.elapsed();
    assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn sync_since_rejects_impossible_and_future_dates() {
    let home = tempfile::tempdir().unwrap();
    let cfg = config(home.path(), &closed_port_url());
    let cfg = cfg.to_str().unwrap();
    plumb(home.path())
        .args(["--config", cfg, "sync", "--since", "2026-13-01"])
        .assert()
        .failure()
        .stderr(
            predicate::str::contains("not a valid date")
                .and(predicate::str::contains("unknown unit").not()),
        );
    plumb(home.path())
        .args(["--config", cfg, "sync", "--since", "2999-01-01"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("in the future"));
}

#[test]
fn doctor_on_an_empty_database_says_it_is_empty() {
    let home = tempfile::tempdir().unwrap();
    plumb::store::Store::open(&home.path().join("p.db")).unwrap();
    plumb(home.path())
        .args(["doctor", "--offline"])
        .assert()
        .stdout(
            predicate::str::contains("p.db (empty:")
                .and(predicate::str::contains(": )").not())
                .and(predicate::str::contains("()").not()),
        );
}

#[test]
fn import_of_one_row_says_one_row() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("deployments.csv");
    std::fs::write(
        &file,
        "external_id,service,environment,status,finished_at\n\
         d1,web,production,success,2024-05-02T10:00:00Z\n",
    )
    .unwrap();
    plumb(home.path())
        .args(["import", file.to_str().unwrap()])
        .assert()
        .success()
        .stderr(
            predicate::str::contains("1 row of deployments")
                .and(predicate::str::contains("1 rows").not()),
        );
}

#[test]
fn sync_status_lists_configured_sources_that_never_synced_and_creates_no_database() {
    let home = tempfile::tempdir().unwrap();
    let cfg = config(home.path(), &closed_port_url());
    let cfg = cfg.to_str().unwrap();
    let typo = home.path().join("typo.db");
    plumb(home.path())
        .args([
            "--config",
            cfg,
            "--db",
            typo.to_str().unwrap(),
            "sync",
            "status",
        ])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("no database at").and(predicate::str::contains("typo.db")),
        );
    assert!(!typo.exists(), "asking about a database does not create it");

    // A database that exists but never synced this source still lists it.
    let db = home.path().join("plumb.db");
    drop(plumb::store::Store::open(&db).unwrap());
    plumb(home.path())
        .args([
            "--config",
            cfg,
            "--db",
            db.to_str().unwrap(),
            "sync",
            "status",
        ])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"(?m)^gh +\(not synced yet\) +never ").unwrap());
}
