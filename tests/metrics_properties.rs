//! Properties of the metric definitions that must hold for any input (proptest).

use chrono::{DateTime, Duration, TimeZone, Utc};
use plumb::metrics::Versions;
use plumb::metrics::dora::{DoraInputs, DoraParams, dora_report};
use plumb::metrics::period::Period;
use plumb::metrics::slo::{SloParams, slo_report};
use plumb::model::*;
use proptest::prelude::*;

fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("t")
}

const SERVICES: [&str; 3] = ["web", "api", "billing"];

prop_compose! {
    fn deployment(id: i64)(
        service in 0..3usize,
        minute in 0..(60 * 24 * 56i64),
        ok in prop::bool::weighted(0.85),
        prod in prop::bool::weighted(0.8),
        kind in 0..10u8,
    ) -> Deployment {
        Deployment {
            id,
            service: SERVICES[service].into(),
            team: Some("shop".into()),
            environment: if prod { "production" } else { "staging" }.into(),
            status: if ok { DeployStatus::Success } else { DeployStatus::Failure },
            kind: match kind { 0 => DeployKind::Rollback, 1 => DeployKind::Hotfix, _ => DeployKind::Regular },
            started_at: None,
            finished_at: base() + Duration::minutes(minute),
            commit_sha: None,
        }
    }
}

prop_compose! {
    fn change(id: i64)(
        commit in 0..(60 * 24 * 56i64),
        merge_after in -60..(60 * 24 * 5i64),
    ) -> Change {
        let first = base() + Duration::minutes(commit);
        Change {
            id,
            repo: "shop/web".into(),
            service: None,
            team: Some("shop".into()),
            title: None,
            state: ChangeState::Merged,
            merge_sha: None,
            first_commit_at: Some(first),
            opened_at: Some(first),
            first_review_at: None,
            merged_at: Some(first + Duration::minutes(merge_after)),
            additions: None,
            deletions: None,
        }
    }
}

prop_compose! {
    fn incident(id: i64)(
        service in 0..4usize,
        minute in 0..(60 * 24 * 56i64),
        duration in prop::option::of(-30..600i64),
    ) -> Incident {
        let created = base() + Duration::minutes(minute);
        Incident {
            id,
            service: SERVICES.get(service).map(|s| s.to_string()),
            team: Some("shop".into()),
            severity: Severity::Sev2,
            severity_original: "P2".into(),
            title: "errors".into(),
            created_at: created,
            acknowledged_at: None,
            resolved_at: duration.map(|m| created + Duration::minutes(m)),
            resolved_by: None,
            deployment_id: None,
        }
    }
}

fn inputs() -> impl Strategy<Value = DoraInputs> {
    (1..40usize, 0..60usize, 0..15usize)
        .prop_flat_map(|(nd, nc, ni)| {
            (
                (0..nd)
                    .map(|i| deployment(i as i64 + 1))
                    .collect::<Vec<_>>(),
                (0..nc).map(|i| change(i as i64 + 1)).collect::<Vec<_>>(),
                (0..ni).map(|i| incident(i as i64 + 1)).collect::<Vec<_>>(),
                prop::collection::vec((1..=nd as i64, 1..=nc.max(1) as i64), 0..nc * 2 + 1),
            )
        })
        .prop_map(|(deployments, changes, incidents, links)| {
            let n_changes = changes.len() as i64;
            let mut links: Vec<DeploymentChange> = links
                .into_iter()
                .filter(|(_, c)| *c <= n_changes)
                .map(|(d, c)| DeploymentChange {
                    deployment_id: d,
                    change_id: c,
                })
                .collect();
            links.sort_by_key(|l| (l.deployment_id, l.change_id));
            links.dedup();
            DoraInputs {
                period: Some(Period::new(
                    base() + Duration::days(7),
                    base() + Duration::days(49),
                )),
                deployments,
                changes,
                links,
                incidents,
            }
        })
}

fn snapshot(inputs: &DoraInputs) -> String {
    let r = dora_report(inputs, &DoraParams::default(), &Versions::default());
    format!(
        "{}|{}|{}",
        serde_json::to_string(&r).expect("json"),
        serde_json::to_string(&r.outcomes).expect("json"),
        serde_json::to_string(&r.attributions).expect("json")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn dora_is_invariant_to_input_order(inputs in inputs(), seed in any::<u64>()) {
        let before = snapshot(&inputs);
        let mut shuffled = inputs.clone();
        // A deterministic permutation per seed: rotate and reverse.
        let k = |n: usize| if n == 0 { 0 } else { (seed as usize) % n };
        let n = shuffled.deployments.len();
        shuffled.deployments.rotate_left(k(n));
        shuffled.deployments.reverse();
        let n = shuffled.changes.len();
        shuffled.changes.rotate_left(k(n));
        let n = shuffled.links.len();
        shuffled.links.rotate_left(k(n));
        shuffled.links.reverse();
        shuffled.incidents.reverse();
        prop_assert_eq!(before, snapshot(&shuffled));
    }

    #[test]
    fn splitting_a_deployment_changes_count_not_deploy_days(
        inputs in inputs(),
        pick in any::<prop::sample::Index>(),
        extra in 1..5usize,
    ) {
        let params = DoraParams::default();
        let before = dora_report(&inputs, &params, &Versions::default());
        let target = inputs.deployments[pick.index(inputs.deployments.len())].clone();
        let mut split = inputs.clone();
        let next = split.deployments.iter().map(|d| d.id).max().unwrap_or(0) + 1;
        // The period's bounds are whole minutes, so copies within the target's minute share
        // its day and its side of every bound.
        let minute = target.finished_at - Duration::seconds(target.finished_at.timestamp().rem_euclid(60));
        for k in 0..extra {
            let mut copy = target.clone();
            copy.id = next + k as i64;
            copy.kind = DeployKind::Regular;
            copy.finished_at = minute + Duration::seconds((k as i64 * 13) % 60);
            split.deployments.push(copy);
        }
        let after = dora_report(&split, &params, &Versions::default());
        let counted = target.status == DeployStatus::Success
            && target.environment == "production"
            && inputs.period.is_some_and(|p| p.contains(target.finished_at));
        let added = if counted { extra } else { 0 };
        prop_assert_eq!(after.deployment_frequency.deployments, before.deployment_frequency.deployments + added);
        prop_assert_eq!(after.deployment_frequency.deploy_days, before.deployment_frequency.deploy_days);
    }

    #[test]
    fn budget_remaining_never_rises_as_bad_events_are_added(
        goods in prop::collection::vec((0.0..1000.0f64, 0.0..1.0f64), 1..48),
        at in any::<prop::sample::Index>(),
        bad in 1.0..500.0f64,
        calendar in any::<bool>(),
        converted in any::<bool>(),
    ) {
        let now = Utc.with_ymd_and_hms(2024, 1, 3, 0, 0, 0).single().expect("t");
        let slo = Slo {
            id: 1,
            name: "x".into(),
            service: None,
            team: None,
            description: None,
            target: 0.99,
            window: if calendar {
                SloWindow::Calendar { period: CalendarPeriod::Month }
            } else {
                SloWindow::Rolling { days: 7 }
            },
            budgeting_method: BudgetingMethod::Occurrences,
            timeslice_seconds: None,
            timeslice_target: None,
        };
        let samples: Vec<SloSample> = goods
            .iter()
            .enumerate()
            .map(|(k, (total, good_share))| SloSample {
                slo_id: 1,
                bucket_start: now - Duration::hours(k as i64 + 1),
                bucket_seconds: 3600,
                good: total * good_share,
                total: *total,
            })
            .collect();
        let params = SloParams::default();
        let before = slo_report(&slo, &samples, &params, now, &Versions::default());
        let mut more = samples.clone();
        let s = &mut more[at.index(samples.len())];
        if converted {
            // Good events turn bad: total unchanged.
            s.good = (s.good - bad).max(0.0);
        } else {
            // New bad events arrive.
            s.total += bad;
        }
        let after = slo_report(&slo, &more, &params, now, &Versions::default());
        match (before.budget_remaining, after.budget_remaining) {
            (Some(b), Some(a)) => prop_assert!(a <= b + 1e-9, "{} then {}", b, a),
            (None, _) => {}
            (Some(_), None) => prop_assert!(false, "data disappeared"),
        }
    }
}
