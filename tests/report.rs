//! `plumb report ci|incidents|slo|actions` on a small hand-built store whose numbers are worked
//! out by hand below, plus one run of each report on the demo dataset.

use assert_cmd::Command;
use chrono::{DateTime, TimeZone, Utc};
use plumb::demo::{DemoOptions, Scale, generate};
use plumb::store::Store;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const SINCE: &str = "2026-03-02T00:00:00Z";
const UNTIL: &str = "2026-03-09T00:00:00Z";

const CONFIG: &str = r#"
[sla]
SEV1 = { acknowledge = "5m", resolve = "1h" }
SEV2 = { resolve = "4h" }

[metrics]
action_due = { SEV1 = "3d" }

[[slos]]
name = "api-availability"
service = "api"
target = 0.99
window = "7d"

[[slos.exclusions]]
start = "2026-03-05T12:00:00Z"
end = "2026-03-05T13:00:00Z"
reason = "maintenance"

[[slos.peaks]]
start = "2026-03-06T00:00:00Z"
end = "2026-03-07T00:00:00Z"
reason = "campaign"
factor = 4.0
"#;

/// Epoch seconds of a March 2026 moment.
fn t(day: u32, hour: u32, minute: u32) -> i64 {
    Utc.with_ymd_and_hms(2026, 3, day, hour, minute, 0)
        .single()
        .unwrap()
        .timestamp()
}

/// id, commit, conclusion, attempt, started, minutes, (tests passed, failed).
type RunRow = (
    i64,
    &'static str,
    &'static str,
    i64,
    i64,
    i64,
    Option<(i64, i64)>,
);
/// id, severity, original severity, title, created, acknowledged, resolved.
type IncidentRow = (
    i64,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    Option<i64>,
);
/// id, incident, category, status, created, due, completed.
type ActionRow = (
    i64,
    Option<i64>,
    &'static str,
    &'static str,
    i64,
    Option<i64>,
    Option<i64>,
);

const PROV: &str = "'fixture', 'github', ?, 'https://example.test/row', 0, 'api'";

fn build_store(path: &Path) {
    let store = Store::open(path).unwrap();
    let c = store.conn();
    // CI, 2–8 March: build on a fails then passes on re-run (flaky), b fails, c is cancelled.
    // Durations 10, 20, 30, 40 min; queue 1 min each; tests 9/1, 10/0, 8/2, none.
    let runs: [RunRow; 5] = [
        (1, "a", "failure", 1, t(2, 10, 1), 10, Some((9, 1))),
        (2, "a", "success", 2, t(2, 11, 0), 20, Some((10, 0))),
        (3, "b", "failure", 1, t(3, 10, 0), 30, Some((8, 2))),
        (4, "c", "cancelled", 1, t(4, 10, 0), 40, None),
        // Finishes after --until: outside the report.
        (5, "d", "success", 1, t(9, 10, 0), 5, Some((10, 0))),
    ];
    for (id, sha, conclusion, attempt, start, minutes, tests) in runs {
        c.execute(
            &format!(
                "INSERT INTO pipeline_runs (id, repo, service, team, workflow, commit_sha,
                 conclusion, attempt, queued_at, started_at, finished_at, tests_passed,
                 tests_failed, source, source_kind, external_id, url, synced_at, origin)
                 VALUES (?, 'org/api', 'api', 'core', 'build', ?, ?, ?, ?, ?, ?, ?, ?, {PROV})"
            ),
            rusqlite::params![
                id,
                sha,
                conclusion,
                attempt,
                start - 60,
                start,
                start + minutes * 60,
                tests.map(|t| t.0),
                tests.map(|t| t.1),
                format!("run-{id}")
            ],
        )
        .unwrap();
    }
    // Incidents (times UTC; off-hours 19:00–08:00 and weekends; 2 March is a Monday).
    let incidents: [IncidentRow; 5] = [
        (
            1,
            "SEV1",
            "P1",
            "DB down (eu-1)",
            t(2, 10, 0),
            None,
            Some(t(2, 10, 40)),
        ),
        (
            2,
            "SEV1",
            "critical",
            "db down eu-2",
            t(3, 22, 0),
            None,
            Some(t(3, 23, 30)),
        ),
        (
            3,
            "SEV2",
            "P2",
            "Slow search",
            t(7, 12, 0),
            Some(t(7, 12, 20)),
            None,
        ),
        (
            4,
            "SEV3",
            "P3",
            "Queue backlog",
            t(4, 9, 0),
            None,
            Some(t(4, 12, 0)),
        ),
        // Before the period.
        (
            5,
            "SEV4",
            "P4",
            "Old thing",
            t(1, 0, 0) - 9 * 86_400,
            None,
            Some(t(1, 0, 0)),
        ),
    ];
    for (id, sev, orig, title, created, acked, resolved) in incidents {
        c.execute(
            &format!(
                "INSERT INTO incidents (id, service, team, severity, severity_original, title,
                 created_at, acknowledged_at, resolved_at, source, source_kind, external_id, url,
                 synced_at, origin) VALUES (?, 'api', 'core', ?, ?, ?, ?, ?, ?, {PROV})"
            ),
            rusqlite::params![
                id,
                sev,
                orig,
                title,
                created,
                acked,
                resolved,
                format!("inc-{id}")
            ],
        )
        .unwrap();
    }
    // Logs: 1 and 2 acknowledged after 3 and 10 minutes; 4 has a log without an
    // acknowledgement; 3 has no log (its acknowledged_at counts: 20 minutes).
    for (id, incident, at, kind) in [
        (1, 1, t(2, 10, 3), "acknowledge"),
        (2, 2, t(3, 22, 10), "acknowledge"),
        (3, 4, t(4, 9, 0), "trigger"),
    ] {
        c.execute(
            &format!(
                "INSERT INTO incident_events (id, incident_id, at, kind, source, source_kind,
                 external_id, url, synced_at, origin) VALUES (?, ?, ?, ?, {PROV})"
            ),
            rusqlite::params![id, incident, at, kind, format!("ev-{id}")],
        )
        .unwrap();
    }
    // Follow-ups.
    let actions: [ActionRow; 6] = [
        (1, Some(1), "prevent", "open", t(2, 12, 0), None, None),
        (
            2,
            Some(1),
            "repair",
            "done",
            t(2, 12, 0),
            None,
            Some(t(3, 9, 0)),
        ),
        (
            3,
            Some(4),
            "detect",
            "in_progress",
            t(4, 13, 0),
            Some(t(20, 0, 0)),
            None,
        ),
        (4, Some(2), "mitigate", "wont_do", t(4, 0, 0), None, None),
        (
            5,
            None,
            "investigate",
            "open",
            t(5, 0, 0),
            Some(t(6, 0, 0)),
            None,
        ),
        (6, Some(5), "prevent", "open", t(1, 0, 0), None, None),
    ];
    for (id, incident, category, status, created, due, completed) in actions {
        c.execute(
            &format!(
                "INSERT INTO action_items (id, incident_id, title, category, team, status,
                 created_at, due_at, completed_at, source, source_kind, external_id, url,
                 synced_at, origin) VALUES (?, ?, ?, ?, 'core', ?, ?, ?, ?, {PROV})"
            ),
            rusqlite::params![
                id,
                incident,
                format!("follow-up {id}"),
                category,
                status,
                created,
                due,
                completed,
                format!("act-{id}")
            ],
        )
        .unwrap();
    }
    // SLOs: 99 % over 7 rolling days, and one without samples.
    for (id, name, target) in [(1, "api-availability", 0.99), (2, "api-latency", 0.999)] {
        c.execute(
            &format!(
                "INSERT INTO slos (id, name, service, team, target, window_kind, window_days,
                 budgeting_method, source, source_kind, external_id, url, synced_at, origin)
                 VALUES (?, ?, 'api', 'core', ?, 'rolling', 7, 'occurrences', {PROV})"
            ),
            rusqlite::params![id, name, target, format!("slo-{id}")],
        )
        .unwrap();
    }
    for (k, (start, good, total)) in [
        (t(3, 0, 0), 9690.0, 9700.0),
        (t(5, 12, 0), 0.0, 100.0),  // in the maintenance exclusion
        (t(6, 12, 0), 80.0, 100.0), // in the campaign peak: 20 bad count as 5
        (t(8, 22, 0), 100.0, 100.0),
        (t(8, 23, 0), 90.0, 100.0),
    ]
    .into_iter()
    .enumerate()
    {
        c.execute(
            &format!(
                "INSERT INTO slo_samples (slo_id, bucket_start, bucket_seconds, good, total,
                 source, source_kind, external_id, url, synced_at, origin)
                 VALUES (1, ?, 3600, ?, ?, {PROV})"
            ),
            rusqlite::params![start, good, total, format!("sample-{k}")],
        )
        .unwrap();
    }
}

/// A fresh folder under Cargo's scratch space for integration tests (not in the system temp
/// folder: the files outlive the statics that hold them, and the next run replaces them).
fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("report-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The value of the CSV row `metric,subject,...` (`None` for an empty value).
fn csv_value(csv: &str, metric: &str, subject: &str) -> Option<f64> {
    let prefix = format!("{metric},{subject},");
    let line = csv
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no row {prefix} in\n{csv}"));
    let value = line[prefix.len()..].split(',').next().unwrap();
    (!value.is_empty()).then(|| value.parse().unwrap())
}

/// The hand-built store and its config, written once per test binary.
fn fixture() -> (&'static Path, &'static Path) {
    static FIXTURE: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    let (db, config) = FIXTURE.get_or_init(|| {
        let dir = scratch_dir("fixture");
        let db = dir.join("plumb.db");
        let config = dir.join("config.toml");
        std::fs::write(&config, CONFIG).unwrap();
        build_store(&db);
        (db, config)
    });
    (db, config)
}

fn plumb(db: &Path, config: &Path) -> Command {
    let home = std::env::temp_dir();
    let mut cmd = Command::cargo_bin("plumb").unwrap();
    cmd.env_clear()
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("plumb-report-tests/config"))
        .env("XDG_DATA_HOME", home.join("plumb-report-tests/data"))
        .env("XDG_STATE_HOME", home.join("plumb-report-tests/state"))
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(config);
    cmd
}

fn run(args: &[&str]) -> String {
    let (db, config) = fixture();
    let out = plumb(db, config).arg("report").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "plumb report {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json(kind: &str, extra: &[&str]) -> Value {
    let mut args = vec![kind, "--format", "json", "--since", SINCE, "--until", UNTIL];
    args.extend_from_slice(extra);
    serde_json::from_str(&run(&args)).unwrap()
}

fn table(kind: &str) -> String {
    run(&[kind, "--since", SINCE, "--until", UNTIL])
}

fn assert_close(v: &Value, expected: f64) {
    let got = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((got - expected).abs() < 1e-9, "{got} != {expected}");
}

fn assert_envelope(v: &Value, report: &str, metrics: &[&str]) {
    assert_eq!(v["report"], report);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["filter"]["since"], "2026-03-02T00:00:00+00:00");
    assert_eq!(v["filter"]["until"], "2026-03-09T00:00:00+00:00");
    assert_eq!(v["filter"]["team"], Value::Null);
    for m in metrics {
        assert!(
            v["definition_version"][m].as_u64().is_some_and(|n| n >= 1),
            "{report}: definition_version lacks {m}: {}",
            v["definition_version"]
        );
    }
}

#[test]
fn ci_json_has_the_hand_computed_numbers() {
    let v = json("ci", &[]);
    assert_envelope(&v, "ci", &["ci.pipeline_health"]);
    assert_eq!(v["runs"], 4);
    // Durations 10, 20, 30, 40 min: median 25 min, p90 = 30 + 0.7 × 10 = 37 min.
    assert_close(&v["duration"]["median_seconds"], 1500.0);
    assert_close(&v["duration"]["p90_seconds"], 2220.0);
    assert_close(&v["queue"]["median_seconds"], 60.0);
    // 1 success of 3 decided runs; 27 of 30 tests passed; run 1 was flaky.
    assert_close(&v["success_rate"], 1.0 / 3.0);
    assert_close(&v["test_pass_rate"], 0.9);
    assert_eq!(v["flaky_runs"], 1);
    assert_close(&v["flaky_rate"], 1.0 / 3.0);
    // One workflow with 4 runs: below the 5 runs needed to be ranked.
    assert_eq!(v["slowest"], serde_json::json!([]));
    assert_eq!(v["period"]["start"], "2026-03-02T00:00:00Z");
}

#[test]
fn ci_without_matching_runs_is_null_not_zero() {
    let out = run(&[
        "ci",
        "--format",
        "json",
        "--since",
        "2025-01-01",
        "--until",
        "2025-02-01",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["runs"], 0);
    assert_eq!(v["success_rate"], Value::Null);
    assert_eq!(v["test_pass_rate"], Value::Null);
    assert_eq!(v["flaky_rate"], Value::Null);
    assert_eq!(v["duration"]["median_seconds"], Value::Null);
}

#[test]
fn ci_explain_lists_the_runs_with_provenance() {
    let v = json("ci", &["--explain"]);
    let runs = v["explain"]["pipeline_health"]["pipeline_runs"]
        .as_array()
        .unwrap();
    let ids: Vec<i64> = runs.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
    assert_eq!(runs[0]["external_id"], "run-1");
    assert_eq!(runs[0]["source"], "fixture");
    assert_eq!(runs[0]["origin"], "api");
}

#[test]
fn ci_csv_and_table() {
    let csv = run(&["ci", "--format", "csv", "--since", SINCE, "--until", UNTIL]);
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("metric,subject,value,unit,count,definition_version")
    );
    assert!(csv.contains("\nduration_p50,,1500,seconds,4,"));
    assert!(csv.contains("\ntest_pass_rate,,0.9,fraction,,"));
    let t = table("ci");
    assert!(t.contains("p50 25m · p90 37m"), "{t}");
    assert!(t.contains("33.3%"), "{t}");
    assert!(t.contains("90.0%"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
}

#[test]
fn incidents_json_has_the_hand_computed_numbers() {
    let v = json("incidents", &[]);
    assert_envelope(
        &v,
        "incidents",
        &[
            "incidents.response",
            "incidents.sla_adherence",
            "incidents.repeats",
        ],
    );
    assert_eq!(v["incidents"], 4);
    assert_eq!(v["unresolved"], 1);
    assert_eq!(v["unacknowledged"], 1);
    // MTTA from the log (3 and 10 min) and incident 3's own field (20 min).
    assert_close(&v["acknowledge"]["mean_seconds"], 660.0);
    assert_close(&v["acknowledge"]["median_seconds"], 600.0);
    // MTTR: 40 min, 90 min, 3 h.
    assert_close(&v["resolve"]["mean_seconds"], 6200.0);
    assert_close(&v["resolve"]["median_seconds"], 5400.0);
    let sev = v["by_severity"].as_array().unwrap();
    assert_eq!(sev.len(), 3);
    assert_eq!(sev[0]["severity"], "SEV1");
    assert_eq!(sev[0]["incidents"], 2);
    assert_eq!(
        sev[0]["original_values"],
        serde_json::json!({"P1": 1, "critical": 1})
    );
    // SEV1: 1 met, 2 acknowledged after 10 min against 5 → breached.
    assert_eq!(sev[0]["sla"]["target"]["acknowledge_seconds"], 300);
    assert_eq!(sev[0]["sla"]["met"], 1);
    assert_eq!(sev[0]["sla"]["breached"], 1);
    assert_close(&sev[0]["sla"]["rate"], 0.5);
    // SEV2: still open 36 h after creation against 4 h.
    assert_eq!(sev[1]["sla"]["breached"], 1);
    assert_close(&sev[1]["sla"]["rate"], 0.0);
    assert_eq!(sev[1]["sla"]["target"]["acknowledge_seconds"], Value::Null);
    // SEV3: no target.
    assert_eq!(sev[2]["sla"], Value::Null);
    // "db down eu-2" repeats "DB down (eu-1)" a day and a half later.
    assert_eq!(v["repeats"][0]["incident_id"], 2);
    assert_eq!(v["repeats"][0]["previous_id"], 1);
    assert_close(&v["repeat_rate"], 0.25);
    // Tuesday 22:00 and Saturday noon.
    assert_eq!(v["off_hours"], 2);
    assert_close(&v["off_hours_share"], 0.5);
    assert_eq!(v["open_incidents"]["count"], 1);
    assert_eq!(v["open_incidents"]["items"][0]["id"], 3);
    assert_close(&v["open_incidents"]["oldest_age_seconds"], 36.0 * 3600.0);
}

#[test]
fn incidents_csv_and_table() {
    let csv = run(&[
        "incidents",
        "--format",
        "csv",
        "--since",
        SINCE,
        "--until",
        UNTIL,
    ]);
    assert!(csv.starts_with("metric,subject,value,unit,count,definition_version\n"));
    assert!(csv.contains("\nmtta,,660,seconds,3,"));
    assert!(csv.contains("\nsla_adherence,SEV1,0.5,fraction,2,"));
    let t = table("incidents");
    assert!(t.contains("mean 11m · p50 10m"), "{t}");
    assert!(t.contains("P1, critical"), "{t}");
    assert!(t.contains("✗ 50.0%"), "{t}");
    assert!(t.contains("2 (50.0%)"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
}

#[test]
fn slo_json_budget_burn_alert_and_adjustments() {
    let v = json("slo", &[]);
    assert_envelope(&v, "slo", &["slo.burn_rate", "slo.multiwindow_alerts"]);
    assert_eq!(v["now"], "2026-03-09T00:00:00Z");
    let slos = v["slos"].as_array().unwrap();
    assert_eq!(slos.len(), 2);
    let a = &slos[0];
    assert_eq!(a["name"], "api-availability");
    assert!(a["definition_version"]["slo.error_budget"].is_u64());
    // After adjustments: 10 000 events, 25 bad (10 + 10 + the peak's 20 counted as 5)
    // against a budget of 100 → 25 % spent.
    assert_close(&a["total"], 10_000.0);
    assert_close(&a["budget_remaining"], 0.75);
    // Without them: 10 100 events, 140 bad → 1 - 140 / 101, overspent and not clamped.
    assert_close(&a["budget_remaining_unadjusted"], 1.0 - 140.0 / 101.0);
    // The last hour: 10 % errors → burn 10; exhaustion = 0.75 × 7 d / 10.
    assert_close(&a["current_burn_rate"], 10.0);
    assert_close(&a["time_to_exhaustion_seconds"], 0.75 * 604_800.0 / 10.0);
    // 24 h and 2 h burn 5 against 0.7 (10 % of a 7-day budget in a day): ticket. Pages need
    // a 5 or 30 min window, which have no sample.
    assert_eq!(a["alert_state"], "ticket");
    assert_close(&a["alerts"]["windows"][2]["long_burn_rate"], 5.0);
    assert_close(&a["alerts"]["windows"][2]["factor"], 0.7);
    assert_eq!(a["alerts"]["windows"][0]["short_burn_rate"], Value::Null);
    let adj = a["adjustments"].as_array().unwrap();
    assert_eq!(adj[0]["name"], "maintenance");
    assert_eq!(adj[0]["kind"], "exclusion");
    assert_eq!(adj[0]["buckets"], 1);
    assert_close(&adj[0]["bad"], 100.0);
    assert_eq!(adj[1]["kind"], "planned_peak");
    assert_close(&adj[1]["bad_counted"], 5.0);
    // No samples: no numbers.
    let b = &slos[1];
    assert_eq!(b["name"], "api-latency");
    assert_eq!(b["budget_remaining"], Value::Null);
    assert_eq!(b["alert_state"], Value::Null);
    assert_eq!(b["time_to_exhaustion_seconds"], Value::Null);
}

#[test]
fn slo_explain_csv_and_table() {
    let v = json("slo", &["--explain"]);
    let ex = &v["explain"]["api-availability"];
    assert_eq!(ex["slos"][0]["external_id"], "slo-1");
    // Four buckets entered the budget (the excluded one did not).
    assert_eq!(ex["buckets"].as_array().unwrap().len(), 4);
    let csv = run(&["slo", "--format", "csv", "--until", UNTIL]);
    assert!(csv.starts_with("metric,subject,value,unit,count,definition_version\n"));
    let remaining = csv_value(&csv, "budget_remaining", "api-availability").unwrap();
    assert!((remaining - 0.75).abs() < 1e-9);
    assert_eq!(csv_value(&csv, "budget_remaining", "api-latency"), None);
    assert!(csv.contains("\nbudget_remaining,api-latency,,fraction,0,"));
    let t = table("slo");
    assert!(t.contains("75.0%"), "{t}");
    assert!(t.contains("▲ ticket"), "{t}");
    assert!(t.contains("maintenance"), "{t}");
    assert!(t.contains("campaign"), "{t}");
    assert!(t.contains("12.6h"), "{t}"); // 45 360 s to exhaustion
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
}

#[test]
fn actions_json_has_the_hand_computed_numbers() {
    let v = json("actions", &[]);
    assert_envelope(
        &v,
        "actions",
        &["actions.follow_up", "actions.incident_debt"],
    );
    // Every open follow-up whatever its age (item 6, of an incident before the range, too) and
    // those closed in the range (2 done, 4 won't-do).
    assert_eq!(v["total"], 6);
    assert_eq!(v["open"], 4);
    assert_eq!(v["done"], 1);
    assert_close(&v["completion_rate"], 1.0 / 6.0);
    // Item 1 (SEV1, 3-day policy: due 5 March) and item 5 (due 6 March).
    assert_eq!(v["overdue"], 2);
    assert_eq!(v["due_policy_seconds"]["SEV1"], 3 * 86_400);
    // Open ages on 9 March: 8 d, 6.5 d, 4 d 11 h, 4 d → median between 4 d 11 h and 6.5 d.
    assert_close(&v["median_open_age_seconds"], 473_400.0);
    assert_eq!(v["incidents"], 4);
    assert_eq!(
        v["incidents_without_prevent_or_mitigate"],
        serde_json::json!([3, 4])
    );
    assert_close(&v["prevent_or_mitigate_share"], 0.5);
    assert_eq!(
        v["open_at_recurrence"],
        serde_json::json!([{"action_id": 1, "incident_id": 1, "recurrence_id": 2}])
    );
    // Debt: overdue SEV1 (5) + unlinked overdue (1) + one open SEV1 follow-up (1) = 7 → 17 %.
    assert_close(&v["debt"]["points"], 7.0);
    assert_close(&v["debt"]["recommended_reliability_share"], 0.17);
    assert_eq!(v["overspent_slos"], serde_json::json!([]));
}

#[test]
fn actions_csv_table_and_explain() {
    let csv = run(&[
        "actions", "--format", "csv", "--since", SINCE, "--until", UNTIL,
    ]);
    assert!(csv.starts_with("metric,subject,value,unit,count,definition_version\n"));
    assert!(csv.contains("\noverdue,,2,items,4,"), "{csv}");
    let t = table("actions");
    assert!(t.contains("✗ 2"), "{t}");
    assert!(t.contains("16.7%"), "{t}");
    assert!(t.contains("7.0 points"), "{t}");
    assert!(t.contains("17.0%"), "{t}");
    assert!(t.lines().all(|l| l.chars().count() <= 100), "{t}");
    let v = json("actions", &["--explain"]);
    let items = v["explain"]["follow_up"]["action_items"]
        .as_array()
        .unwrap();
    assert_eq!(items.len(), 6);
    assert_eq!(
        v["explain"]["open_at_recurrence"]["action_items"][0]["external_id"],
        "act-1"
    );
    let explained = run(&["actions", "--explain", "--since", SINCE, "--until", UNTIL]);
    assert!(explained.contains("follow_up: rows behind the number"));
    assert!(explained.contains("act-5"));
}

/// The demo dataset, generated once per test binary at a fixed anchor.
fn demo_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let path = scratch_dir("demo").join("demo.db");
        let mut store = Store::open(&path).unwrap();
        let anchor: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        generate(
            &mut store,
            &DemoOptions {
                seed: 1,
                scale: Scale::Small,
                anchor,
            },
        )
        .unwrap();
        path
    })
}

#[test]
fn every_report_runs_on_the_demo_dataset() {
    let db = demo_db();
    let config = db.with_file_name("empty.toml");
    std::fs::write(&config, "").unwrap();
    for kind in ["ci", "incidents", "slo", "actions"] {
        let out = plumb(db, &config)
            .args([
                "report",
                kind,
                "--format",
                "json",
                "--since",
                "2026-08-01",
                "--until",
                "2026-11-01",
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{kind}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["report"], kind);
        let table = plumb(db, &config)
            .args(["report", kind, "--until", "2026-11-01", "--explain"])
            .output()
            .unwrap();
        assert!(table.status.success());
        let text = String::from_utf8(table.stdout).unwrap();
        assert!(!text.is_empty());
    }
}
