//! `plumb report` and the dashboard agree on a demo database: the same "now" (the demo's
//! anchor), the same default range, the same config fallbacks, hence the same numbers and the
//! same definition versions whatever runs first.

use assert_cmd::Command;
use chrono::{DateTime, Duration, Utc};
use plumb::config::Config;
use plumb::demo::{DemoOptions, Scale, generate};
use plumb::store::Store;
use plumb::tui::data::{DataRequest, Loader, PaneData, Query};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const ANCHOR: &str = "2026-11-01T00:00:00Z";

fn anchor() -> DateTime<Utc> {
    ANCHOR.parse().unwrap()
}

/// A demo database of its own (tests that record definitions must not share one).
fn fresh_demo(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report-agreement")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("demo.db");
    let mut store = Store::open(&path).unwrap();
    generate(
        &mut store,
        &DemoOptions {
            seed: 7,
            scale: Scale::Small,
            anchor: anchor(),
        },
    )
    .unwrap();
    std::fs::write(dir.join("empty.toml"), "").unwrap();
    path
}

/// The demo database the read-only comparisons share, generated once per test binary.
fn shared_demo() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| fresh_demo("shared"))
}

fn plumb(db: &Path) -> Command {
    let home = db.parent().unwrap().join("home");
    let mut cmd = Command::cargo_bin("plumb").unwrap();
    cmd.env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(db.with_file_name("empty.toml"));
    cmd
}

fn report_json(db: &Path, args: &[&str]) -> Value {
    let out = plumb(db)
        .arg("report")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "report {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The config `plumb demo` opens the dashboard with when the user has none: the example's SLA.
fn demo_config() -> Config {
    let example =
        plumb::config::parse_str(Path::new("config.example.toml"), plumb::config::EXAMPLE).unwrap();
    Config {
        sla: example.sla,
        ..Config::default()
    }
}

/// The dashboard's default scope on a demo: the 90 days before the anchor.
fn dashboard(loader: &Loader, team: Option<&str>, query: Query) -> PaneData {
    loader
        .load_now(&DataRequest {
            generation: 1,
            since: anchor() - Duration::days(90),
            until: anchor(),
            team: team.map(str::to_string),
            service: None,
            query,
        })
        .unwrap()
}

fn versions(db: &Path, metric: &str) -> Vec<(u32, String)> {
    let store = Store::open_read_only(db).unwrap();
    let mut stmt = store
        .conn()
        .prepare("SELECT version, parameters FROM metric_definitions WHERE metric = ?1")
        .unwrap();
    stmt.query_map([metric], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn reports_count_from_the_demo_anchor_over_the_dashboards_default_range() {
    let db = shared_demo().to_path_buf();
    let v = report_json(&db, &["ci"]);
    assert_eq!(v["filter"]["until"], "2026-11-01T00:00:00+00:00");
    assert_eq!(v["filter"]["since"], "2026-08-03T00:00:00+00:00");
    // A span counts back from the anchor too, not from the wall clock.
    let spanned = report_json(&db, &["ci", "--since", "90d"]);
    assert_eq!(spanned["filter"], v["filter"]);
    assert_eq!(spanned["runs"], v["runs"]);
    let table = plumb(&db).args(["report", "dora"]).output().unwrap();
    let text = String::from_utf8(table.stdout).unwrap();
    let header = text.lines().next().unwrap_or("");
    assert!(
        header.contains("2026-08-03 00:00 → 2026-11-01 00:00"),
        "{header}"
    );
}

#[test]
fn report_and_dashboard_show_the_same_numbers_on_the_demo() {
    let db = shared_demo().to_path_buf();
    let loader = Loader::new(db.clone(), &demo_config()).unwrap();
    let ci = report_json(&db, &["ci"]);
    let PaneData::Ci(pane) = dashboard(&loader, None, Query::Ci) else {
        panic!("not CI data")
    };
    assert!(pane.report.runs > 0);
    assert_eq!(ci["runs"], pane.report.runs);

    let slo = report_json(&db, &["slo"]);
    let PaneData::Slos(pane) = dashboard(&loader, None, Query::Slos) else {
        panic!("not SLO data")
    };
    let slos = slo["slos"].as_array().unwrap();
    assert_eq!(slos.len(), pane.slos.len());
    for row in &pane.slos {
        let cli = slos
            .iter()
            .find(|s| s["slo_id"] == row.slo.id)
            .unwrap_or_else(|| panic!("{} missing from the report", row.slo.name));
        assert_eq!(cli["alert_state"].as_str(), row.alert, "{}", row.slo.name);
        // Summed in another order, the last binary digit may differ.
        let close = match (
            cli["budget_remaining"].as_f64(),
            row.report.budget_remaining,
        ) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            (a, b) => a == b,
        };
        assert!(
            close,
            "{}: {} vs {:?}",
            row.slo.name, cli["budget_remaining"], row.report.budget_remaining
        );
    }

    let incidents = report_json(&db, &["incidents"]);
    let PaneData::Incidents(pane) = dashboard(&loader, None, Query::Incidents) else {
        panic!("not incident data")
    };
    assert_eq!(incidents["incidents"], pane.report.incidents);
    assert_eq!(incidents["unresolved"], pane.report.unresolved);
    // The SLA targets are the example's in both: the report judges adherence too.
    for (cli, tui) in incidents["by_severity"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&pane.report.by_severity)
    {
        assert_eq!(cli["sla"].is_null(), tui.sla.is_none(), "{cli}");
    }
    assert!(
        pane.report.by_severity.iter().any(|s| s.sla.is_some()),
        "no severity has an SLA target"
    );
}

#[test]
fn the_actions_pane_and_report_count_the_same_follow_ups() {
    let db = shared_demo().to_path_buf();
    let loader = Loader::new(db.clone(), &demo_config()).unwrap();
    let team = Store::open_read_only(&db)
        .unwrap()
        .team_names()
        .unwrap()
        .remove(0);
    for scope in [None, Some(team.as_str())] {
        let mut args = vec!["actions"];
        if let Some(t) = scope {
            args.extend(["--team", t]);
        }
        let cli = report_json(&db, &args);
        let PaneData::Actions(pane) = dashboard(&loader, scope, Query::Actions) else {
            panic!("not action data")
        };
        let r = &pane.report;
        assert!(r.total > 0, "{scope:?}: no follow-ups");
        assert_eq!(cli["total"], r.total, "{scope:?}");
        assert_eq!(cli["open"], r.open, "{scope:?}");
        assert_eq!(cli["overdue"], r.overdue, "{scope:?}");
        assert_eq!(cli["incidents"], r.incidents, "{scope:?}");
        assert_eq!(
            cli["completion_rate"].as_f64(),
            r.completion_rate,
            "{scope:?}"
        );
        assert_eq!(
            cli["prevent_or_mitigate_share"].as_f64(),
            r.prevent_or_mitigate_share,
            "{scope:?}"
        );
        assert_eq!(
            cli["open_at_recurrence"].as_array().unwrap().len(),
            r.open_at_recurrence.len(),
            "{scope:?}"
        );
        assert!(
            (cli["debt"]["points"].as_f64().unwrap() - r.debt.points).abs() < 1e-9,
            "{scope:?}"
        );
        // The pane lists exactly the report's items, overdue where the report says so.
        assert_eq!(pane.rows.len(), r.total);
        assert_eq!(pane.rows.iter().filter(|x| x.overdue).count(), r.overdue);
    }
}

#[test]
fn the_order_of_commands_does_not_create_definition_versions() {
    let db = fresh_demo("versions");
    // The report first, then the dashboard: the review saw v1 {"targets":{}} then v2.
    report_json(&db, &["incidents"]);
    report_json(&db, &["actions"]);
    Loader::new(db.clone(), &demo_config()).unwrap();
    for metric in [
        "incidents.sla_adherence",
        "actions.follow_up",
        "actions.incident_debt",
    ] {
        let rows = versions(&db, metric);
        assert_eq!(rows.len(), 1, "{metric}: {rows:?}");
    }
    let (_, params) = &versions(&db, "incidents.sla_adherence")[0];
    assert!(!params.contains("\"targets\":{}"), "{params}");
    // A demo database is large: do not keep this one around.
    let _ = std::fs::remove_dir_all(db.parent().unwrap());
}

#[test]
fn an_unknown_team_or_service_fails_and_lists_the_known_names() {
    let db = shared_demo().to_path_buf();
    let store = Store::open_read_only(&db).unwrap();
    let team = store.team_names().unwrap().remove(0);
    let service = store.services().unwrap().remove(0).name;
    let environment = store.environments().unwrap().remove(0);
    drop(store);
    for (flag, name, known) in [
        ("--team", "nope", &team),
        ("--service", "nope", &service),
        ("--environment", "nope", &environment),
    ] {
        let out = plumb(&db)
            .args(["report", "dora", flag, name])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("\"nope\""), "{err}");
        assert!(err.contains(known.as_str()), "{err}");
    }
    // Known names still work.
    let v = report_json(&db, &["dora", "--team", &team]);
    assert_eq!(v["filter"]["team"], team.as_str());
}

/// A team's follow-ups are read by index (owned by the team or by nobody, or linked to its
/// incidents) rather than the whole table: the scope chosen from them must be the one chosen
/// from every follow-up.
#[test]
fn a_teams_follow_ups_read_by_index_equal_those_picked_from_the_whole_table() {
    use plumb::metrics::Period;
    use plumb::metrics::actions::ActionInputs;
    use plumb::model::Filter;
    let store = Store::open_read_only(shared_demo()).unwrap();
    let period = Period::new(anchor() - Duration::days(90), anchor());
    let window = Duration::days(30);
    for team in store.team_names().unwrap() {
        let filter = Filter {
            team: Some(team.clone()),
            ..Filter::default()
        };
        let by_index = store.action_inputs(&filter, period, window).unwrap();
        let scope = Filter {
            since: Some(period.start),
            until: Some(period.end),
            ..filter.clone()
        };
        let history = store.incidents(&scope, window.num_seconds()).unwrap();
        let all: Vec<_> = store
            .action_items(&Filter::default())
            .unwrap()
            .into_iter()
            .filter(|a| a.created_at < period.end)
            .collect();
        let mut wanted: Vec<i64> = all.iter().filter_map(|a| a.incident_id).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let linked = store.incidents_by_ids(&wanted).unwrap();
        let whole = ActionInputs::select(all, history, linked, Some(&team), None, period);
        let ids = |v: &[plumb::model::ActionItem]| v.iter().map(|a| a.id).collect::<Vec<_>>();
        assert!(!whole.items.is_empty(), "{team} has follow-ups in the demo");
        assert_eq!(ids(&by_index.items), ids(&whole.items), "{team}: items");
        assert_eq!(
            ids(&by_index.incident_items),
            ids(&whole.incident_items),
            "{team}: follow-ups of its incidents"
        );
    }
}

/// Every median of the DORA report can be recomputed from the rows `--explain` lists: each row
/// carries the value it contributed.
#[test]
fn the_explained_rows_carry_the_values_their_medians_are_taken_of() {
    let db = shared_demo().to_path_buf();
    let v = report_json(&db, &["dora", "--team", "payments", "--explain"]);
    let median = |mut xs: Vec<f64>| -> f64 {
        xs.sort_by(f64::total_cmp);
        let n = xs.len();
        assert!(n > 0);
        if n % 2 == 1 {
            xs[n / 2]
        } else {
            (xs[n / 2 - 1] + xs[n / 2]) / 2.0
        }
    };
    for (metric, table) in [
        ("lead_time", "changes"),
        ("time_to_restore", "incidents"),
        ("recovery_time", "deployments"),
    ] {
        let rows = v["explain"][metric][table].as_array().unwrap();
        let values: Vec<f64> = rows.iter().filter_map(|r| r["seconds"].as_f64()).collect();
        assert_eq!(
            values.len(),
            rows.len(),
            "{metric}: every listed row has its value"
        );
        let reported = v[metric]["median_seconds"].as_f64().unwrap();
        assert!(
            (median(values) - reported).abs() < 1e-9,
            "{metric}: the median of the listed values is the reported one ({reported})"
        );
    }
}
