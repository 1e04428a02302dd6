use super::*;
use chrono::{TimeZone, Utc};

fn at(d: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2024, 3, d, 0, 0, 0)
        .single()
        .expect("t")
}

fn incident(id: i64, sev: Severity, created: Timestamp) -> Incident {
    Incident {
        id,
        service: Some("api".into()),
        team: None,
        severity: sev,
        severity_original: "x".into(),
        title: "db down".into(),
        created_at: created,
        acknowledged_at: None,
        resolved_at: None,
        resolved_by: None,
        deployment_id: None,
    }
}

fn action(
    id: i64,
    incident: i64,
    cat: ActionCategory,
    status: ActionStatus,
    created: Timestamp,
) -> ActionItem {
    ActionItem {
        id,
        incident_id: Some(incident),
        title: "fix".into(),
        category: Some(cat),
        team: None,
        owner: None,
        priority: None,
        status,
        ticket_key: None,
        created_at: created,
        due_at: None,
        completed_at: None,
    }
}

#[test]
fn overdue_by_policy_completion_age_and_debt() {
    let incidents = [
        incident(1, Severity::Sev1, at(1)),
        incident(2, Severity::Sev3, at(2)),
    ];
    let mut done = action(12, 1, ActionCategory::Repair, ActionStatus::Done, at(1));
    done.completed_at = Some(at(3));
    let mut due = action(13, 2, ActionCategory::Detect, ActionStatus::Open, at(2));
    due.due_at = Some(at(30));
    let actions = [
        // SEV1 follow-up with no due date: the 30-day policy makes it due on 31 March.
        action(11, 1, ActionCategory::Prevent, ActionStatus::Open, at(1)),
        done,
        due,
    ];
    let now = Utc
        .with_ymd_and_hms(2024, 4, 10, 0, 0, 0)
        .single()
        .expect("t");
    let r = action_report(
        &actions,
        &incidents,
        &[],
        0.5,
        now,
        &ActionParams::default(),
        &Versions::default(),
    );
    assert_eq!((r.total, r.open, r.done, r.overdue), (3, 2, 1, 2));
    assert_eq!(r.overdue_ids.len(), r.overdue);
    assert_eq!(r.completion_rate, Some(1.0 / 3.0));
    // Open ages at 10 April: 40 days (since 1 March) and 39 days → median 39.5 days.
    assert_eq!(r.median_open_age_seconds, Some(39.5 * 86_400.0));
    // Incident 2 has only a detect item.
    assert_eq!(r.incidents_without_prevent_or_mitigate, vec![2]);
    assert_eq!(r.prevent_or_mitigate_share, Some(0.5));
    // Debt: overdue SEV1 (5) + overdue SEV3 (2) + one open SEV1 follow-up (1) + 0.5 budget
    // overspent × 10 = 13 points → 10 % + 13 × 1 % = 23 %.
    assert_eq!(r.debt.points, 13.0);
    // The terms as shown add up to the points: the budget term is weighted.
    assert_eq!(r.debt.weighted_overdue, 7.0);
    assert_eq!(r.debt.open_sev12_points, 1.0);
    assert_eq!(r.debt.overspent_budget_points, 5.0);
    assert_eq!(
        r.debt.weighted_overdue + r.debt.open_sev12_points + r.debt.overspent_budget_points,
        r.debt.points
    );
    assert!((r.debt.recommended_reliability_share - 0.23).abs() < 1e-12);
}

#[test]
fn actions_open_when_the_incident_recurred() {
    let incidents = [
        incident(1, Severity::Sev2, at(1)),
        incident(2, Severity::Sev2, at(5)),
    ];
    let mut closed_late = action(21, 1, ActionCategory::Prevent, ActionStatus::Done, at(1));
    closed_late.completed_at = Some(at(6)); // still open on 5 March
    let mut closed_early = action(22, 1, ActionCategory::Mitigate, ActionStatus::Done, at(1));
    closed_early.completed_at = Some(at(3));
    let repeats = [RepeatIncident {
        incident_id: 2,
        previous_id: 1,
        service: "api".into(),
        normalised_title: "db down".into(),
    }];
    let r = action_report(
        &[closed_late, closed_early],
        &incidents,
        &repeats,
        0.0,
        at(20),
        &ActionParams::default(),
        &Versions::default(),
    );
    assert_eq!(
        r.open_at_recurrence,
        vec![OpenAtRecurrence {
            action_id: 21,
            incident_id: 1,
            recurrence_id: 2
        }]
    );
}

#[test]
fn no_items_no_rates_and_base_share() {
    let r = action_report(
        &[],
        &[],
        &[],
        0.0,
        at(1),
        &ActionParams::default(),
        &Versions::default(),
    );
    assert_eq!(r.completion_rate, None);
    assert_eq!(r.median_open_age_seconds, None);
    assert_eq!(r.debt.recommended_reliability_share, 0.10);
}

#[test]
fn a_scope_report_counts_states_at_the_end_and_every_follow_up_of_its_incidents() {
    let period = crate::metrics::Period::new(at(10), at(20));
    let incidents = vec![
        incident(1, Severity::Sev2, at(11)),
        incident(2, Severity::Sev2, at(12)),
        // Before the range: what a repeat may repeat, not part of the share.
        incident(3, Severity::Sev2, at(2)),
    ];
    // Done after the range's end: open at the end, so open and not done.
    let mut later = action(31, 1, ActionCategory::Repair, ActionStatus::Done, at(11));
    later.completed_at = Some(at(25));
    // Another team's prevent item for incident 2: not in the list, yet incident 2 has one.
    let theirs = action(32, 2, ActionCategory::Prevent, ActionStatus::Open, at(12));
    let inputs = ActionInputs {
        items: vec![later.clone()],
        incidents,
        incident_items: vec![later, theirs],
        other_incidents: vec![],
        period,
    };
    let r = follow_up_report(
        &inputs,
        &[],
        0.0,
        &ActionParams::default(),
        &Versions::default(),
    );
    assert_eq!((r.total, r.open, r.done), (1, 1, 0));
    assert_eq!(r.incidents, 2);
    assert_eq!(r.incidents_without_prevent_or_mitigate, vec![1]);
    assert_eq!(r.prevent_or_mitigate_share, Some(0.5));
}
