//! The demo dataset: deterministic, internally consistent, and telling the stories the panes
//! are meant to show. Stories are checked with plain SQL over the generated rows.

use chrono::{DateTime, TimeZone, Utc};
use plumb::demo::{DemoError, DemoOptions, Scale, generate};
use plumb::store::Store;
use plumb::store::tables::TABLE_NAMES;
use rusqlite::types::Value;
use std::path::PathBuf;
use std::sync::OnceLock;

const DAY: i64 = 86_400;

fn anchor() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap()
}

fn opts(seed: u64) -> DemoOptions {
    DemoOptions {
        seed,
        scale: Scale::Small,
        anchor: anchor(),
    }
}

/// Generates into a new file inside a directory that lives for the whole test run.
fn generate_file(seed: u64, name: &str) -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
    let path = dir.path().join(name);
    let mut store = Store::open(&path).unwrap();
    let summary = generate(&mut store, &opts(seed)).unwrap();
    assert!(
        summary.rows > 100_000,
        "small dataset has {} rows",
        summary.rows
    );
    path
}

/// The seed-7 dataset shared by the story tests.
fn seven() -> Store {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    let path = PATH.get_or_init(|| generate_file(7, "seven-a.db"));
    Store::open(path).unwrap()
}

fn rows(store: &Store, table: &str) -> Vec<Vec<Value>> {
    let mut stmt = store
        .conn()
        .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
        .unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn int(store: &Store, sql: &str) -> i64 {
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn median(mut v: Vec<f64>) -> f64 {
    assert!(!v.is_empty());
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 0 {
        (v[m - 1] + v[m]) / 2.0
    } else {
        v[m]
    }
}

#[test]
fn same_seed_gives_identical_rows_and_another_seed_differs() {
    let a = seven();
    let b = Store::open(&generate_file(7, "seven-b.db")).unwrap();
    for table in TABLE_NAMES.iter().chain(&["meta"]) {
        let (ra, rb) = if *table == "meta" {
            let q = |s: &Store| {
                let mut st = s
                    .conn()
                    .prepare("SELECT key, value FROM meta ORDER BY key")
                    .unwrap();
                st.query_map([], |r| Ok(vec![r.get::<_, Value>(0)?, r.get(1)?]))
                    .unwrap()
                    .collect::<Result<Vec<_>, _>>()
                    .unwrap()
            };
            (q(&a), q(&b))
        } else {
            (rows(&a, table), rows(&b, table))
        };
        assert!(!ra.is_empty(), "table {table} is empty");
        assert!(
            ra == rb,
            "table {table} differs between two runs with seed 7"
        );
    }
    let c = Store::open(&generate_file(8, "eight.db")).unwrap();
    assert!(
        rows(&a, "changes") != rows(&c, "changes"),
        "seed 8 gave seed 7's changes"
    );
    assert!(rows(&a, "incidents") != rows(&c, "incidents"));
}

#[test]
fn rows_are_consistent() {
    let s = seven();
    let violations = int(&s, "SELECT count(*) FROM pragma_foreign_key_check");
    assert_eq!(violations, 0, "foreign key violations");
    let bad_links = int(
        &s,
        "SELECT count(*) FROM deployment_changes dc
         JOIN deployments d ON d.id = dc.deployment_id
         JOIN changes c ON c.id = dc.change_id
         WHERE d.environment != 'production' OR d.service != c.service
            OR c.state != 'merged' OR c.merged_at > d.started_at",
    );
    assert_eq!(
        bad_links, 0,
        "links to a non-production or other-service deployment"
    );
    let orphans = int(
        &s,
        "SELECT count(*) FROM incidents WHERE service NOT IN (SELECT name FROM services)",
    );
    assert_eq!(orphans, 0);
    // A production deployment's commit is the merge commit of the last change it shipped.
    let wrong_sha = int(
        &s,
        "SELECT count(*) FROM deployments d WHERE d.environment = 'production'
           AND EXISTS (SELECT 1 FROM deployment_changes WHERE deployment_id = d.id)
           AND d.commit_sha != (SELECT c.merge_sha FROM deployment_changes dc
                                JOIN changes c ON c.id = dc.change_id
                                WHERE dc.deployment_id = d.id
                                ORDER BY c.merged_at DESC, c.id DESC LIMIT 1)",
    );
    assert_eq!(wrong_sha, 0);
    // Samples of one SLO never overlap.
    let overlaps = int(
        &s,
        "SELECT count(*) FROM (SELECT bucket_start, bucket_seconds,
                lead(bucket_start) OVER (PARTITION BY slo_id ORDER BY bucket_start) AS next
                FROM slo_samples) WHERE next < bucket_start + bucket_seconds",
    );
    assert_eq!(overlaps, 0);
    let fine = int(
        &s,
        "SELECT count(*) FROM slo_samples WHERE bucket_seconds = 300",
    );
    assert!(fine > 0, "no 5-minute samples");
    // Only imports are manual, and everything is synced at the anchor.
    for table in TABLE_NAMES {
        let wrong = int(
            &s,
            &format!(
                "SELECT count(*) FROM {table} WHERE (origin = 'manual') != (source = 'demo-import')
                   OR source_kind NOT IN ('github', 'pagerduty', 'jira', 'datadog', 'prometheus', 'import')
                   OR synced_at != {}",
                anchor().timestamp()
            ),
        );
        assert_eq!(wrong, 0, "provenance of {table}");
    }
    let manual: i64 = int(
        &s,
        "SELECT (SELECT count(*) FROM costs) + (SELECT count(*) FROM objectives)
              + (SELECT count(*) FROM support_tickets WHERE origin = 'manual')",
    );
    assert!(manual > 0);
    let after_anchor = int(
        &s,
        &format!(
            "SELECT (SELECT count(*) FROM deployments WHERE finished_at >= {t})
                  + (SELECT count(*) FROM changes WHERE merged_at >= {t})
                  + (SELECT count(*) FROM incidents WHERE created_at >= {t} OR resolved_at >= {t})",
            t = anchor().timestamp()
        ),
    );
    assert_eq!(after_anchor, 0, "rows after the anchor");
    let tz: String = s
        .conn()
        .query_row(
            "SELECT timezone FROM teams WHERE name = 'payments'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tz, "Europe/Berlin");
}

fn deploy_days_per_week(s: &Store, team: &str) -> f64 {
    // Days in the team's zone would shift a few late deploys; UTC days are close enough here.
    let days = int(
        s,
        &format!(
            "SELECT count(DISTINCT date(finished_at, 'unixepoch')) FROM deployments
             WHERE team = '{team}' AND environment = 'production' AND status = 'success'"
        ),
    );
    days as f64 / (548.0 / 7.0)
}

fn median_lead_time_hours(s: &Store, team: &str) -> f64 {
    let mut stmt = s
        .conn()
        .prepare(&format!(
            "SELECT min(d.finished_at) - c.first_commit_at FROM changes c
             JOIN deployment_changes dc ON dc.change_id = c.id
             JOIN deployments d ON d.id = dc.deployment_id AND d.status = 'success'
             WHERE c.team = '{team}' GROUP BY c.id"
        ))
        .unwrap();
    let v: Vec<f64> = stmt
        .query_map([], |r| r.get::<_, i64>(0))
        .unwrap()
        .map(|x| x.unwrap() as f64 / 3600.0)
        .collect();
    median(v)
}

fn change_failure_rate(s: &Store, team: &str) -> f64 {
    let deploys = int(
        s,
        &format!(
            "SELECT count(*) FROM deployments WHERE team = '{team}' AND environment = 'production'
             AND status = 'success' AND kind = 'regular'"
        ),
    );
    // A regular deployment failed if the next production deployment of its service is a
    // rollback or hotfix, or an incident names it.
    let failed = int(
        s,
        &format!(
            "SELECT count(*) FROM (SELECT d.id,
                 lead(d.kind) OVER (PARTITION BY d.service ORDER BY d.finished_at) AS next_kind
                 FROM deployments d WHERE d.team = '{team}' AND d.environment = 'production'
                 AND d.status = 'success') x
             WHERE (SELECT kind FROM deployments WHERE id = x.id) = 'regular'
               AND (x.next_kind IN ('rollback', 'hotfix')
                    OR EXISTS (SELECT 1 FROM incidents i WHERE i.deployment_id = x.id))"
        ),
    );
    failed as f64 / deploys as f64
}

#[test]
fn elite_team_delivers_far_better_than_struggling_team() {
    let s = seven();
    let (pay_days, bill_days) = (
        deploy_days_per_week(&s, "payments"),
        deploy_days_per_week(&s, "billing-legacy"),
    );
    // Elite: at least 4 deploy-days a week; struggling: about one.
    assert!(pay_days >= 4.0, "payments deploy-days/week {pay_days:.2}");
    assert!(bill_days <= 1.3, "billing deploy-days/week {bill_days:.2}");
    let (pay_lt, bill_lt) = (
        median_lead_time_hours(&s, "payments"),
        median_lead_time_hours(&s, "billing-legacy"),
    );
    // Elite: a few hours; struggling: one to three weeks.
    assert!(pay_lt < 12.0, "payments median lead time {pay_lt:.1} h");
    assert!(
        (168.0..=504.0).contains(&bill_lt),
        "billing median lead time {bill_lt:.1} h"
    );
    let (pay_cfr, bill_cfr) = (
        change_failure_rate(&s, "payments"),
        change_failure_rate(&s, "billing-legacy"),
    );
    assert!(pay_cfr < 0.06, "payments CFR {pay_cfr:.3}");
    assert!(
        (0.12..0.35).contains(&bill_cfr),
        "billing CFR {bill_cfr:.3}"
    );
    eprintln!(
        "payments: {pay_days:.2} deploy-days/week, lead time {pay_lt:.1} h, CFR {pay_cfr:.3}; \
         billing-legacy: {bill_days:.2}, {bill_lt:.1} h, {bill_cfr:.3}"
    );
    let search_lt = median_lead_time_hours(&s, "search");
    let platform_lt = median_lead_time_hours(&s, "platform");
    assert!(pay_lt < search_lt && search_lt < platform_lt && platform_lt < bill_lt);
}

#[test]
fn an_incident_burned_an_slo_budget_and_one_is_burning_fast() {
    let s = seven();
    let now = anchor().timestamp();
    let mut stmt = s
        .conn()
        .prepare(&format!(
            "SELECT o.service, o.target,
                    1.0 - (sum(x.total - x.good) / sum(x.total)) / (1.0 - o.target)
             FROM slos o JOIN slo_samples x ON x.slo_id = o.id
             WHERE o.window_kind = 'rolling' AND x.bucket_start >= {} - o.window_days * {DAY}
             GROUP BY o.id ORDER BY o.id",
            now
        ))
        .unwrap();
    let remaining: Vec<(String, f64, f64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let burned: Vec<_> = remaining.iter().filter(|(_, _, r)| *r < 0.3).collect();
    assert!(!burned.is_empty(), "no burned budget: {remaining:?}");
    let caused = burned.iter().any(|(svc, _, _)| {
        int(
            &s,
            &format!(
                "SELECT count(*) FROM incidents WHERE service = '{svc}'
                 AND severity IN ('SEV1', 'SEV2') AND created_at >= {}",
                now - 30 * DAY
            ),
        ) > 0
    });
    assert!(
        caused,
        "burned budgets without a recent SEV1/2 incident: {burned:?}"
    );
    // Fast burn: the last hour's error ratio above 14.4 times the budget.
    let fast = int(
        &s,
        &format!(
            "SELECT count(*) FROM (SELECT o.id FROM slos o JOIN slo_samples x ON x.slo_id = o.id
             WHERE x.bucket_start >= {} GROUP BY o.id
             HAVING (sum(x.total - x.good) / sum(x.total)) / (1.0 - o.target) > 14.4)",
            now - 3600
        ),
    );
    assert!(fast >= 1, "no SLO is burning fast at the anchor");
    let open = int(
        &s,
        "SELECT count(*) FROM incidents WHERE resolved_at IS NULL",
    );
    assert!(open >= 2, "{open} incidents open at the anchor");
}

#[test]
fn postmortem_actions_are_overdue_and_sprints_carry_over() {
    let s = seven();
    let now = anchor().timestamp();
    let overdue = int(
        &s,
        &format!(
            "SELECT count(*) FROM action_items WHERE status IN ('open', 'in_progress')
             AND due_at < {now}"
        ),
    );
    let done = int(
        &s,
        "SELECT count(*) FROM action_items WHERE status = 'done'",
    );
    assert!(
        overdue > 0 && done > overdue / 2,
        "overdue {overdue}, done {done}"
    );
    let no_prevention = int(
        &s,
        "SELECT count(*) FROM incidents i WHERE severity IN ('SEV1','SEV2','SEV3')
         AND EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = i.id)
         AND NOT EXISTS (SELECT 1 FROM action_items a WHERE a.incident_id = i.id
                         AND a.category IN ('prevent', 'mitigate'))",
    );
    assert!(no_prevention > 0);
    let carried = int(
        &s,
        "SELECT count(*) FROM sprint_items a JOIN sprints sa ON sa.id = a.sprint_id
         JOIN sprint_items b ON b.work_item_id = a.work_item_id
         JOIN sprints sb ON sb.id = b.sprint_id AND sb.start_at = sa.end_at AND sb.team = sa.team",
    );
    assert!(
        carried > 0,
        "no item carried over between consecutive sprints"
    );
    let added_late = int(
        &s,
        "SELECT count(*) FROM sprint_items i JOIN sprints s ON s.id = i.sprint_id
         WHERE i.added_at > s.start_at",
    );
    assert!(added_late > 0);
    let active = int(&s, "SELECT count(*) FROM sprints WHERE state = 'active'");
    assert_eq!(active, 4, "one active sprint per team");
    let slipping = int(
        &s,
        &format!("SELECT count(*) FROM milestones WHERE status = 'open' AND due_at < {now}"),
    );
    assert!(slipping >= 1);
}

#[test]
fn refuses_a_store_that_has_rows_and_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    store
        .conn()
        .execute(
            "INSERT INTO teams (name, source, source_kind, external_id, synced_at, origin)
             VALUES ('mine', 'gh', 'github', 't1', 0, 'api')",
            [],
        )
        .unwrap();
    let err = generate(&mut store, &opts(7)).unwrap_err();
    assert!(
        matches!(err, DemoError::NotEmpty { table: "teams" }),
        "{err}"
    );
    assert!(err.to_string().contains("teams"));
    for table in TABLE_NAMES {
        let n = int(&store, &format!("SELECT count(*) FROM {table}"));
        assert_eq!(n, i64::from(*table == "teams"), "{table}");
    }
    assert_eq!(store.meta("demo.seed").unwrap(), None);
}
