//! Metric inputs loaded from a store, and versioned metric definitions.

use chrono::{Duration, TimeZone, Utc};
use plumb::metrics::Versions;
use plumb::metrics::dora::{DoraParams, dora_report};
use plumb::model::{Filter, Timestamp};
use plumb::store::Store;
use serde_json::json;

fn at(d: u32, h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 3, d, h, 0, 0)
        .single()
        .expect("valid")
}

const PROV: &str = "'gh', 'github', 'api', 0";

fn seed(store: &Store) {
    let c = store.conn();
    let exec = |sql: String| {
        c.execute(&sql, []).expect(&sql);
    };
    // Deployment 1 on 1 March (before the period, 30-day margin), 2 and 3 in the period;
    // 4 is staging. Change 10 merged long before and shipped by 2; change 11 merged in the
    // period and never deployed.
    for (id, env, fin) in [
        (1, "production", at(1, 0)),
        (2, "production", at(12, 0)),
        (3, "production", at(13, 0)),
        (4, "staging", at(12, 6)),
    ] {
        exec(format!(
            "INSERT INTO deployments (id, service, team, environment, status, finished_at,
                 source, source_kind, origin, synced_at, external_id)
             VALUES ({id}, 'web', 'shop', '{env}', 'success', {}, {PROV}, 'd{id}')",
            fin.timestamp()
        ));
    }
    for (id, first, merged) in [(10, at(1, 6), at(2, 0)), (11, at(14, 0), at(14, 6))] {
        exec(format!(
            "INSERT INTO changes (id, repo, service, team, first_commit_at, opened_at, merged_at,
                 source, source_kind, origin, synced_at, external_id)
             VALUES ({id}, 'shop/web', 'web', 'shop', {}, {}, {}, {PROV}, 'c{id}')",
            first.timestamp(),
            first.timestamp(),
            merged.timestamp()
        ));
    }
    exec(format!(
        "INSERT INTO deployment_changes (deployment_id, change_id, source, source_kind, origin,
             synced_at, external_id) VALUES (2, 10, {PROV}, 'l1')"
    ));
    // An incident 2 h after deployment 3, resolved an hour later; one outside the period.
    for (id, created, resolved) in [(1, at(13, 2), at(13, 3)), (2, at(25, 0), at(25, 1))] {
        exec(format!(
            "INSERT INTO incidents (id, service, team, severity, severity_original, title,
                 created_at, resolved_at, source, source_kind, origin, synced_at, external_id)
             VALUES ({id}, 'web', 'shop', 'SEV2', 'P2', 'errors', {}, {}, {PROV}, 'i{id}')",
            created.timestamp(),
            resolved.timestamp()
        ));
    }
}

#[test]
fn dora_inputs_load_margin_changes_and_incidents() {
    let store = Store::open_in_memory().expect("store");
    seed(&store);
    let filter = Filter {
        since: Some(at(10, 0)),
        until: Some(at(17, 0)),
        team: Some("shop".into()),
        ..Filter::default()
    };
    let params = DoraParams::default();
    let inputs = store
        .dora_inputs(&filter, &params, at(20, 0))
        .expect("inputs");
    let mut ids: Vec<i64> = inputs.deployments.iter().map(|d| d.id).collect();
    ids.sort();
    assert_eq!(
        ids,
        vec![1, 2, 3, 4],
        "deployment 1 is within the 30-day margin"
    );
    let mut change_ids: Vec<i64> = inputs.changes.iter().map(|c| c.id).collect();
    change_ids.sort();
    assert_eq!(
        change_ids,
        vec![10, 11],
        "shipped (merged early) and merged-not-deployed"
    );
    assert_eq!(
        inputs.incidents.len(),
        1,
        "the incident of 25 March is past until + 24 h"
    );

    let report = dora_report(&inputs, &params, &Versions::default());
    assert_eq!(report.deployment_frequency.deployments, 2);
    // Change 10: first commit 1 March 06:00 → deployed 12 March 00:00 = 10 days 18 h.
    assert_eq!(
        report.lead_time.median_seconds,
        Some((Duration::days(10) + Duration::hours(18)).num_seconds() as f64)
    );
    assert_eq!(report.lead_time.merged_not_deployed, 1);
    // Deployment 3 failed (incident 2 h later) → 1 of 2; recovered after 3 h.
    assert_eq!(report.change_failure_rate.rate, Some(0.5));
    assert_eq!(report.recovery_time.median_seconds, Some(3.0 * 3600.0));
}

#[test]
fn without_since_the_period_starts_at_the_first_deployment() {
    let store = Store::open_in_memory().expect("store");
    seed(&store);
    let inputs = store
        .dora_inputs(&Filter::default(), &DoraParams::default(), at(29, 0))
        .expect("inputs");
    // Across all teams the changes come from one scan with OR: the same two changes.
    let mut change_ids: Vec<i64> = inputs.changes.iter().map(|c| c.id).collect();
    change_ids.sort();
    assert_eq!(change_ids, vec![10, 11]);
    let period = inputs.period.expect("period");
    assert_eq!(period.start, at(1, 0));
    assert_eq!(period.end, at(29, 0));
}

#[test]
fn definition_versions_change_only_when_parameters_change() {
    let store = Store::open_in_memory().expect("store");
    let a = json!({"incident_window_seconds": 86400});
    let b = json!({"incident_window_seconds": 172800});
    assert_eq!(
        store
            .definition_version("dora.change_failure_rate", &a)
            .expect("v"),
        1
    );
    assert_eq!(
        store
            .definition_version("dora.change_failure_rate", &a)
            .expect("v"),
        1
    );
    assert_eq!(
        store
            .definition_version("dora.change_failure_rate", &b)
            .expect("v"),
        2
    );
    // Going back to earlier parameters is that earlier definition again: version 1. This keeps
    // per-team parameter sets (time zones) from minting a new version on every report.
    assert_eq!(
        store
            .definition_version("dora.change_failure_rate", &a)
            .expect("v"),
        1
    );
    assert_eq!(
        store.definition_version("dora.lead_time", &a).expect("v"),
        1
    );

    let params = DoraParams::default();
    let v1 = store
        .record_definitions(&params.definitions())
        .expect("record");
    let wider = DoraParams {
        incident_window: Duration::hours(48),
        ..DoraParams::default()
    };
    let v2 = store
        .record_definitions(&wider.definitions())
        .expect("record");
    assert_eq!(v2.get("dora.lead_time"), v1.get("dora.lead_time"));
    assert_eq!(
        v2.get("dora.failed_deployment_recovery_time"),
        v1.get("dora.failed_deployment_recovery_time") + 1
    );
}
