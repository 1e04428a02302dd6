//! Table tests for the DORA definitions. Expected numbers are worked out by hand in the
//! comment next to each assertion.

use super::*;
use crate::metrics::explain::ExclusionReason;
use crate::model::{ChangeState, DeployKind, Timestamp};
use chrono::{TimeZone, Utc};

fn at(d: u32, h: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 1, d, h, 0, 0)
        .single()
        .expect("valid")
}

fn dep(id: i64, service: &str, finished: Timestamp) -> Deployment {
    Deployment {
        id,
        service: service.into(),
        team: Some("web".into()),
        environment: "production".into(),
        status: DeployStatus::Success,
        kind: DeployKind::Regular,
        started_at: None,
        finished_at: finished,
        commit_sha: None,
    }
}

fn change(id: i64, first_commit: Timestamp, merged: Timestamp) -> Change {
    Change {
        id,
        repo: "org/web".into(),
        service: Some("web".into()),
        team: Some("web".into()),
        title: None,
        state: ChangeState::Merged,
        merge_sha: None,
        first_commit_at: Some(first_commit),
        opened_at: Some(first_commit),
        first_review_at: None,
        merged_at: Some(merged),
        additions: None,
        deletions: None,
    }
}

fn incident(
    id: i64,
    service: Option<&str>,
    created: Timestamp,
    resolved: Option<Timestamp>,
) -> Incident {
    Incident {
        id,
        service: service.map(Into::into),
        team: Some("web".into()),
        severity: crate::model::Severity::Sev2,
        severity_original: "P2".into(),
        title: "errors".into(),
        created_at: created,
        acknowledged_at: None,
        resolved_at: resolved,
        resolved_by: None,
        deployment_id: None,
    }
}

fn link(deployment_id: i64, change_id: i64) -> DeploymentChange {
    DeploymentChange {
        deployment_id,
        change_id,
    }
}

/// January 2024, weeks 1..4 (Monday 1 to Monday 29).
fn january() -> Option<Period> {
    Some(Period::new(at(1, 0), at(29, 0)))
}

fn report(inputs: &DoraInputs) -> DoraReport {
    dora_report(inputs, &DoraParams::default(), &Versions::default())
}

#[test]
fn no_data_gives_no_numbers_and_no_bands() {
    let r = report(&DoraInputs::default());
    assert_eq!(r.period, None);
    assert_eq!(r.deployment_frequency.deployments, 0);
    assert_eq!(r.deployment_frequency.band, None);
    assert_eq!(r.lead_time.median_seconds, None);
    assert_eq!(r.lead_time.band, None);
    assert_eq!(r.change_failure_rate.rate, None);
    assert_eq!(r.recovery_time.median_seconds, None);
    assert_eq!(r.time_to_restore.median_seconds, None);
    assert_eq!(r.rework_rate.rate, None);
    assert!(r.weekly.is_empty());
    // Rates of an empty period are null in JSON, never 0.
    let json = serde_json::to_value(&r).expect("json");
    assert!(json["change_failure_rate"]["rate"].is_null());
    assert!(json["lead_time"]["median_seconds"].is_null());
}

#[test]
fn single_deployment_with_one_change() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 12))],
        changes: vec![change(7, at(9, 12), at(10, 6))],
        links: vec![link(1, 7)],
        incidents: vec![],
    };
    let r = report(&inputs);
    assert_eq!(r.deployment_frequency.deployments, 1);
    assert_eq!(r.deployment_frequency.deploy_days, 1);
    // 1 deploy-day over 28 days = 0.25 a week: medium (at least monthly, below weekly).
    assert_eq!(r.deployment_frequency.deploy_days_per_week, Some(0.25));
    assert_eq!(r.deployment_frequency.band, Some(Band::Medium));
    // First commit 9 Jan 12:00 to deployed 10 Jan 12:00 = 86 400 s; a day is not "under a day".
    assert_eq!(r.lead_time.median_seconds, Some(86_400.0));
    assert_eq!(r.lead_time.band, Some(Band::High));
    // Merge 06:00 to deployed 12:00 = 6 h.
    assert_eq!(r.lead_time.stages.deploy.median_seconds, Some(21_600.0));
    assert_eq!(r.lead_time.explain.changes, vec![7]);
    assert_eq!(r.change_failure_rate.rate, Some(0.0));
    assert_eq!(r.change_failure_rate.band, Some(Band::Elite));
    assert_eq!(r.recovery_time.median_seconds, None);
    assert_eq!(r.weekly.len(), 4);
    assert_eq!(r.weekly[1].deployments, 1); // 10 January is in the week of Monday 8
}

#[test]
fn first_of_a_chain_has_no_previous_and_failed_deployments_are_skipped() {
    let mut failed = dep(2, "web", at(3, 0));
    failed.status = DeployStatus::Failure;
    let staging = Deployment {
        environment: "staging".into(),
        ..dep(4, "web", at(2, 12))
    };
    let deployments = vec![
        dep(3, "web", at(4, 0)),
        failed,
        dep(1, "web", at(2, 0)),
        staging,
    ];
    let chain = chain_deployments(&deployments);
    let prev = |id| {
        chain
            .iter()
            .find(|l| l.deployment_id == id)
            .map(|l| l.previous_id)
    };
    assert_eq!(prev(1), Some(None)); // first of the production chain
    assert_eq!(prev(3), Some(Some(1))); // the failed deployment 2 is skipped
    assert_eq!(prev(2), None); // failed deployments are not chained
    assert_eq!(prev(4), Some(None)); // staging is its own chain
}

#[test]
fn failed_deployments_do_not_count_and_do_not_ship() {
    let mut failed = dep(2, "web", at(3, 0));
    failed.status = DeployStatus::Failure;
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(2, 0)), failed, dep(3, "web", at(4, 0))],
        changes: vec![change(10, at(2, 12), at(2, 18))],
        // The failed deployment 2 and the next successful one both list change 10.
        links: vec![link(2, 10), link(3, 10)],
        incidents: vec![],
    };
    let r = report(&inputs);
    assert_eq!(r.deployment_frequency.deployments, 2);
    // Change 10 shipped with deployment 3 (4 Jan 00:00): 2 Jan 12:00 → 36 h.
    assert_eq!(r.lead_time.median_seconds, Some(36.0 * 3600.0));
    let o3 = r
        .outcomes
        .iter()
        .find(|o| o.deployment_id == 3)
        .expect("outcome");
    assert_eq!(o3.previous_id, Some(1));
    assert_eq!(o3.shipped_change_ids, vec![10]);
}

#[test]
fn cumulative_links_are_reduced_to_what_each_deployment_added() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(2, 0)), dep(2, "web", at(3, 0))],
        changes: vec![
            change(10, at(1, 6), at(1, 12)),
            change(11, at(2, 6), at(2, 12)),
        ],
        // A source that records everything up to the deployed commit.
        links: vec![link(1, 10), link(2, 10), link(2, 11)],
        incidents: vec![],
    };
    let r = report(&inputs);
    let shipped = |id| {
        r.outcomes
            .iter()
            .find(|o| o.deployment_id == id)
            .map(|o| o.shipped_change_ids.clone())
    };
    assert_eq!(shipped(1), Some(vec![10]));
    assert_eq!(shipped(2), Some(vec![11]));
    // Change 10: 1 Jan 06:00 → 2 Jan 00:00 = 18 h; change 11: 2 Jan 06:00 → 3 Jan 00:00 = 18 h.
    assert_eq!(r.lead_time.median_seconds, Some(18.0 * 3600.0));
}

#[test]
fn median_lead_time_interpolates_between_the_two_middle_changes() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 0))],
        changes: vec![change(1, at(9, 0), at(9, 1)), change(2, at(8, 0), at(9, 1))],
        links: vec![link(1, 1), link(1, 2)],
        incidents: vec![],
    };
    // Lead times 24 h and 48 h: the median is (24 + 48) / 2 = 36 h.
    assert_eq!(
        report(&inputs).lead_time.median_seconds,
        Some(36.0 * 3600.0)
    );
}

#[test]
fn negative_and_zero_spans() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 0))],
        changes: vec![
            // Clock skew: the first commit is recorded after the deployment finished.
            change(1, at(11, 0), at(9, 0)),
            // Committed, merged and deployed in the same second: a real zero.
            change(2, at(10, 0), at(10, 0)),
        ],
        links: vec![link(1, 1), link(1, 2)],
        incidents: vec![],
    };
    let r = report(&inputs);
    assert_eq!(r.lead_time.changes, 1);
    assert_eq!(r.lead_time.excluded_negative, 1);
    assert_eq!(r.lead_time.median_seconds, Some(0.0));
    assert!(
        r.lead_time
            .explain
            .excluded
            .iter()
            .any(|e| e.id == 1 && e.reason == ExclusionReason::NegativeSpan)
    );
}

#[test]
fn changes_merged_but_never_deployed_are_counted_apart() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 0))],
        changes: vec![
            change(1, at(9, 0), at(9, 12)),
            change(2, at(11, 0), at(11, 12)),
        ],
        links: vec![link(1, 1)],
        incidents: vec![],
    };
    let r = report(&inputs);
    assert_eq!(r.lead_time.changes, 1);
    assert_eq!(r.lead_time.merged_not_deployed, 1);
}

#[test]
fn incident_attribution_by_service_and_window() {
    let deployments = [dep(1, "web", at(10, 0)), dep(2, "api", at(10, 6))];
    let prod: Vec<&Deployment> = deployments.iter().collect();
    let incidents = vec![
        // Before any deployment of web.
        incident(1, Some("web"), at(9, 0), None),
        // 23 h after web's deployment: within the 24 h window. api's later deployment is
        // another service and does not take it.
        incident(2, Some("web"), at(10, 23), None),
        // 25 h after: outside the window.
        incident(3, Some("web"), at(11, 1), None),
        // A service that never deployed.
        incident(4, Some("billing"), at(10, 1), None),
        // No service at all.
        incident(5, None, at(10, 1), None),
    ];
    let a = attribute_incidents(&prod, &incidents, Duration::hours(24));
    let got: Vec<(Option<i64>, AttributionRule)> =
        a.iter().map(|x| (x.deployment_id, x.rule)).collect();
    assert_eq!(
        got,
        vec![
            (None, AttributionRule::NoDeploymentInWindow),
            (Some(1), AttributionRule::ServiceWindow),
            (None, AttributionRule::NoDeploymentInWindow),
            (None, AttributionRule::NoDeploymentInWindow),
            (None, AttributionRule::NoService),
        ]
    );
}

#[test]
fn each_deployment_fails_once_and_recovers_at_the_first_remedy() {
    let mut rollback = dep(2, "web", at(10, 2));
    rollback.kind = DeployKind::Rollback;
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 0)), rollback, dep(3, "web", at(20, 0))],
        changes: vec![],
        links: vec![],
        incidents: vec![
            // Two incidents after deployment 1; the second resolves after the rollback.
            incident(1, Some("web"), at(10, 1), Some(at(10, 3))),
            incident(2, Some("web"), at(10, 1), Some(at(10, 4))),
        ],
    };
    let r = report(&inputs);
    // Deployments 1, 2 (the rollback) and 3; only 1 failed, however many causes it has.
    assert_eq!(r.change_failure_rate.deployments, 3);
    assert_eq!(r.change_failure_rate.failed_deployments, 1);
    assert_eq!(r.change_failure_rate.rate, Some(1.0 / 3.0));
    let o1 = &r.outcomes[0];
    assert_eq!(o1.causes.len(), 3);
    // Rollback finished at 02:00, incidents all resolved at 04:00: recovered after 2 h.
    assert_eq!(r.recovery_time.median_seconds, Some(7200.0));
    assert_eq!(r.recovery_time.band, Some(Band::High));
    // Time to restore: 2 h and 3 h → median 2.5 h.
    assert_eq!(r.time_to_restore.median_seconds, Some(9000.0));
    // Rework: the rollback is 1 of 3 deployments.
    assert_eq!(r.rework_rate.rate, Some(1.0 / 3.0));
    assert_eq!(r.change_failure_rate.explain.incidents, vec![1, 2]);
}

#[test]
fn open_incident_leaves_the_deployment_unrecovered() {
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(10, 0))],
        incidents: vec![incident(1, Some("web"), at(10, 1), None)],
        ..DoraInputs::default()
    };
    let r = report(&inputs);
    assert_eq!(r.recovery_time.failed_deployments, 1);
    assert_eq!(r.recovery_time.recovered, 0);
    assert_eq!(r.recovery_time.median_seconds, None);
    assert_eq!(r.time_to_restore.incidents, 1);
    assert_eq!(r.time_to_restore.median_seconds, None);
}

#[test]
fn deploy_days_are_counted_in_the_team_time_zone() {
    // 15 Jan 2024 05:00 UTC and 15 Jan 09:00 UTC: one UTC day; in Los Angeles (UTC-8) they
    // fall on 14 Jan 21:00 (a Sunday) and 15 Jan 01:00, two days in two different weeks.
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![dep(1, "web", at(15, 5)), dep(2, "web", at(15, 9))],
        ..DoraInputs::default()
    };
    let utc = report(&inputs);
    assert_eq!(utc.deployment_frequency.deploy_days, 1);
    let la = DoraParams {
        timezone: "America/Los_Angeles".parse().expect("tz"),
        ..DoraParams::default()
    };
    let local = dora_report(&inputs, &la, &Versions::default());
    assert_eq!(local.deployment_frequency.deploy_days, 2);
    let weeks_with_deploys: Vec<_> = local
        .weekly
        .iter()
        .filter(|w| w.deployments > 0)
        .map(|w| w.week_start.to_string())
        .collect();
    assert_eq!(weeks_with_deploys, vec!["2024-01-08", "2024-01-15"]);
}

#[test]
fn deployments_before_the_period_only_provide_context() {
    let inputs = DoraInputs {
        period: Some(Period::new(at(10, 0), at(17, 0))),
        deployments: vec![dep(1, "web", at(5, 0)), dep(2, "web", at(11, 0))],
        ..DoraInputs::default()
    };
    let r = report(&inputs);
    assert_eq!(r.deployment_frequency.deployments, 1);
    assert_eq!(r.outcomes[0].previous_id, Some(1));
}

#[test]
fn non_production_environments_are_not_deployments() {
    let staging = Deployment {
        environment: "staging".into(),
        ..dep(1, "web", at(10, 0))
    };
    let inputs = DoraInputs {
        period: january(),
        deployments: vec![staging],
        ..DoraInputs::default()
    };
    let r = report(&inputs);
    assert_eq!(r.deployment_frequency.deployments, 0);
    // There is deployment data (staging), so "no production deployment" is a real low.
    assert_eq!(r.deployment_frequency.band, Some(Band::Low));
}

#[test]
fn changing_a_parameter_changes_the_recorded_definition() {
    let a = DoraParams::default().definitions();
    let b = DoraParams {
        incident_window: Duration::hours(48),
        ..DoraParams::default()
    }
    .definitions();
    let find = |defs: &[MetricDefinition], id| {
        defs.iter()
            .find(|d| d.metric == id)
            .map(|d| d.parameters.clone())
    };
    assert_ne!(
        find(&a, ids::CHANGE_FAILURE_RATE),
        find(&b, ids::CHANGE_FAILURE_RATE)
    );
    assert_eq!(find(&a, ids::LEAD_TIME), find(&b, ids::LEAD_TIME));
}
