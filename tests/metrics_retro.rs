//! Retro prep on a hand-built sprint: every number below is worked out by hand in the
//! comments, then the Markdown export of the same prep is pinned by a snapshot.

use chrono::{Duration, TimeZone, Utc};
use plumb::metrics::Versions;
use plumb::metrics::retro::{
    DeliveryDelta, DeliveryWindow, PromptKind, RetroInputs, RetroParams, RetroPrep, Transition,
    retro_prep,
};
use plumb::model::{
    ActionItem, ActionStatus, Incident, Severity, Sprint, SprintItem, SupportTicket, Timestamp,
    WorkItem,
};

fn start() -> Timestamp {
    Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap()
}

fn day(d: f64) -> Timestamp {
    start() + Duration::seconds((d * 86_400.0) as i64)
}

fn sprint(id: i64, from: Timestamp, name: &str) -> Sprint {
    Sprint {
        id,
        board: "PAY".into(),
        team: Some("payments".into()),
        name: name.into(),
        state: "closed".into(),
        start_at: from,
        end_at: from + Duration::days(14),
        // Closed by hand two hours after the planned end.
        completed_at: Some(from + Duration::days(14) + Duration::hours(2)),
        goal: Some("Ship the export".into()),
    }
}

struct Spec {
    id: i64,
    points: Option<f64>,
    started: Option<f64>,
    resolved: Option<f64>,
    /// (added, removed) in days from the start; `None` for no membership record.
    member: Option<(f64, Option<f64>)>,
}

fn item(s: &Spec) -> WorkItem {
    WorkItem {
        id: s.id,
        key: format!("PAY-{}", s.id),
        title: Some(format!("Item {}", s.id)),
        item_type: "Story".into(),
        category: Some("feature".into()),
        status: if s.resolved.is_some() {
            "Done".into()
        } else {
            "In Progress".into()
        },
        status_category: if s.resolved.is_some() {
            "done".into()
        } else {
            "in_progress".into()
        },
        team: Some("payments".into()),
        sprint_id: Some(2),
        milestone_id: None,
        epic: None,
        points: s.points,
        created_at: day(-30.0),
        started_at: s.started.map(day),
        resolved_at: s.resolved.map(day),
        due_at: None,
    }
}

fn incident(id: i64, sev: Severity, at: f64, ack_s: i64, resolve_s: i64) -> Incident {
    Incident {
        id,
        service: Some("checkout".into()),
        team: Some("payments".into()),
        severity: sev,
        severity_original: sev.as_str().into(),
        title: format!("Incident {id}"),
        created_at: day(at),
        acknowledged_at: Some(day(at) + Duration::seconds(ack_s)),
        resolved_at: Some(day(at) + Duration::seconds(resolve_s)),
        resolved_by: None,
        deployment_id: None,
    }
}

fn action(
    id: i64,
    incident: Option<i64>,
    created: f64,
    due: Option<f64>,
    completed: Option<f64>,
) -> ActionItem {
    ActionItem {
        id,
        incident_id: incident,
        title: format!("Follow-up {id}"),
        category: None,
        team: Some("payments".into()),
        owner: Some("payments".into()),
        priority: None,
        status: if completed.is_some() {
            ActionStatus::Done
        } else {
            ActionStatus::Open
        },
        ticket_key: Some(format!("PAY-F{id}")),
        created_at: day(created),
        due_at: due.map(day),
        completed_at: completed.map(day),
    }
}

fn ticket(id: i64, at: f64, labels: &[&str]) -> SupportTicket {
    SupportTicket {
        id,
        title: Some(format!("Ticket {id}")),
        service: Some("checkout".into()),
        team: Some("payments".into()),
        priority: Some("normal".into()),
        status: "open".into(),
        created_at: day(at),
        resolved_at: None,
        labels: labels.iter().map(|l| l.to_string()).collect(),
    }
}

fn window(deployments: usize, deploy_days: usize, lead_days: f64, cfr: f64) -> DeliveryWindow {
    DeliveryWindow {
        deployments,
        deploy_days,
        lead_time_median_seconds: Some(lead_days * 86_400.0),
        change_failure_rate: Some(cfr),
    }
}

fn inputs() -> RetroInputs {
    let specs = [
        // Committed and done: cycle 2d, 3d, 2d, 12d.
        Spec {
            id: 1,
            points: Some(3.0),
            started: Some(1.0),
            resolved: Some(3.0),
            member: Some((-1.0, None)),
        },
        Spec {
            id: 2,
            points: Some(5.0),
            started: Some(1.0),
            resolved: Some(4.0),
            member: Some((-1.0, None)),
        },
        Spec {
            id: 3,
            points: Some(2.0),
            started: Some(2.0),
            resolved: Some(4.0),
            member: Some((-1.0, None)),
        },
        Spec {
            id: 4,
            points: Some(8.0),
            started: Some(1.0),
            resolved: Some(13.0),
            member: Some((-1.0, None)),
        },
        // Committed, not done, and already in the previous sprint: carried in and over.
        Spec {
            id: 5,
            points: Some(5.0),
            started: Some(5.0),
            resolved: None,
            member: Some((-1.0, None)),
        },
        // Added after the start: one done (cycle 2d), one unestimated and not done.
        Spec {
            id: 6,
            points: Some(3.0),
            started: Some(4.0),
            resolved: Some(6.0),
            member: Some((3.0, None)),
        },
        Spec {
            id: 7,
            points: None,
            started: None,
            resolved: None,
            member: Some((5.0, None)),
        },
        // Committed, then taken out on day 2.
        Spec {
            id: 8,
            points: Some(2.0),
            started: None,
            resolved: None,
            member: Some((-1.0, Some(2.0))),
        },
        // Added after the close: not part of this sprint.
        Spec {
            id: 9,
            points: Some(13.0),
            started: None,
            resolved: None,
            member: Some((15.0, None)),
        },
        // In the sprint by its sprint field only; started per its changelog (cycle 1d).
        Spec {
            id: 10,
            points: Some(1.0),
            started: None,
            resolved: Some(2.0),
            member: None,
        },
    ];
    let mut memberships: Vec<SprintItem> = specs
        .iter()
        .filter_map(|s| {
            s.member.map(|(added, removed)| SprintItem {
                sprint_id: 2,
                work_item_id: s.id,
                added_at: Some(day(added)),
                removed_at: removed.map(day),
            })
        })
        .collect();
    memberships.push(SprintItem {
        sprint_id: 1,
        work_item_id: 5,
        added_at: Some(day(-14.0)),
        removed_at: None,
    });
    RetroInputs {
        sprint: Some(sprint(2, start(), "PAY Sprint 2")),
        previous: Some(sprint(1, day(-14.0), "PAY Sprint 1")),
        items: specs.iter().map(item).collect(),
        memberships,
        transitions: vec![
            Transition {
                work_item_id: 10,
                at: day(1.5),
                from_status: Some("To Do".into()),
                to_status: "In Progress".into(),
            },
            Transition {
                work_item_id: 10,
                at: day(1.0),
                from_status: Some("Backlog".into()),
                to_status: "To Do".into(),
            },
        ],
        incidents: vec![
            incident(1, Severity::Sev2, 2.0, 300, 7200),
            incident(2, Severity::Sev4, 8.0, 600, 3600),
            // Before the sprint: not part of it.
            incident(3, Severity::Sev1, -1.0, 60, 600),
        ],
        actions: vec![
            // Opened in the sprint, due on day 9, still open: overdue.
            action(1, Some(1), 2.0, Some(9.0), None),
            // Opened and closed in the sprint.
            action(2, Some(1), 3.0, None, Some(5.0)),
            // Opened during the previous sprint, still open: left from the last retro.
            action(3, None, -5.0, None, None),
            // Opened before the previous sprint, due on day 1: overdue, not from the last retro.
            action(4, None, -20.0, Some(1.0), None),
            // Opened before the sprint, closed on day 1: closed in the sprint.
            action(5, None, -3.0, None, Some(1.0)),
        ],
        support_tickets: vec![
            ticket(1, 1.0, &["billing", "login"]),
            ticket(2, 4.0, &["billing"]),
            // After the close: not part of the sprint.
            ticket(3, 20.0, &["outage"]),
            ticket(4, 6.0, &["how-to", "billing"]),
        ],
        // Lead time doubled from one day to two.
        delivery: Some(DeliveryDelta {
            current: window(10, 6, 2.0, 0.1),
            previous: Some(window(8, 4, 1.0, 0.2)),
        }),
    }
}

fn prep() -> RetroPrep {
    retro_prep(
        &inputs(),
        day(30.0),
        &RetroParams::default(),
        &Versions::default(),
    )
    .expect("a sprint")
}

fn keys(items: &[plumb::metrics::retro::RetroItem]) -> Vec<&str> {
    items.iter().map(|i| i.key.as_str()).collect()
}

#[test]
fn scope_buckets_follow_membership_and_resolution() {
    let p = prep();
    // Committed: 1, 2, 3, 4, 5, 8, 10 = 3+5+2+8+5+2+1 = 26 points.
    assert_eq!(
        keys(&p.committed.items),
        [
            "PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-5", "PAY-8", "PAY-10"
        ]
    );
    assert_eq!(p.committed.points, 26.0);
    // Added: 6 (3 points) and 7 (unestimated).
    assert_eq!(keys(&p.added.items), ["PAY-6", "PAY-7"]);
    assert_eq!((p.added.points, p.added.unestimated), (3.0, 1));
    assert_eq!(keys(&p.removed.items), ["PAY-8"]);
    // Completed: 1, 2, 3, 4, 6, 10 = 3+5+2+8+3+1 = 22 points.
    assert_eq!(
        keys(&p.completed.items),
        ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-6", "PAY-10"]
    );
    assert_eq!(p.completed.points, 22.0);
    assert_eq!(keys(&p.carried_over.items), ["PAY-5", "PAY-7"]);
    assert_eq!(p.carried_over.points, 5.0);
    assert_eq!(keys(&p.carried_in.items), ["PAY-5"]);
    // 22 / 26 points; 6 of 8 items in scope (removed ones are out of scope). Of the committed
    // items, 1, 2, 3, 4 and 10 are done: 19 of 26 points ("say/do").
    assert!((p.completion_points.unwrap() - 22.0 / 26.0).abs() < 1e-12);
    assert_eq!(
        keys(&p.committed_done.items),
        ["PAY-1", "PAY-2", "PAY-3", "PAY-4", "PAY-10"]
    );
    assert!((p.say_do_points.unwrap() - 19.0 / 26.0).abs() < 1e-12);
    assert_eq!(p.completion_count, Some(0.75));
    // The close is the completion time, two hours after the planned end.
    assert_eq!(p.sprint.close_at, day(14.0) + Duration::hours(2));
    assert_eq!(p.previous_sprint.as_deref(), Some("PAY Sprint 1"));
    assert_eq!(p.definition.metric, "retro.sprint_prep");
}

#[test]
fn cycle_time_outliers_use_tukeys_fence() {
    let p = prep();
    // Cycle times in days: 2, 1 (from the earliest transition), 3, 2, 12, 2 → sorted
    // 1 2 2 2 3 12: median 2, p25 2, p75 2.75, fence 2.75 + 1.5 × 0.75 = 3.875 days.
    assert_eq!(p.cycle_time.count, 6);
    assert_eq!(p.cycle_time.median_seconds, Some(2.0 * 86_400.0));
    assert_eq!(p.outlier_fence_seconds, Some(3.875 * 86_400.0));
    assert_eq!(keys(&p.outliers), ["PAY-4"]);
    assert_eq!(p.outliers[0].cycle_seconds, Some(12.0 * 86_400.0));
}

#[test]
fn incidents_and_follow_ups_of_the_sprint() {
    let p = prep();
    let ids: Vec<i64> = p.incidents.iter().map(|i| i.id).collect();
    assert_eq!(ids, [1, 2]);
    // MTTA median of 300 s and 600 s; MTTR median of 7200 s and 3600 s.
    assert_eq!(p.mtta_median_seconds, Some(450.0));
    assert_eq!(p.mttr_median_seconds, Some(5400.0));
    assert_eq!(
        p.incidents[0].actions,
        [
            ("Follow-up 1".to_string(), false),
            ("Follow-up 2".to_string(), true)
        ]
    );
    let ids = |v: &[plumb::metrics::retro::RetroAction]| v.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(ids(&p.actions_opened), [1, 2]);
    assert_eq!(ids(&p.actions_closed), [2, 5]);
    assert_eq!(ids(&p.actions_overdue), [1, 4]);
    assert_eq!(ids(&p.actions_left_from_last_retro), [3]);
}

#[test]
fn prompts_quote_the_numbers_behind_them() {
    let p = prep();
    let kinds: Vec<PromptKind> = p.prompts.iter().map(|x| x.kind).collect();
    // 85 % completion and 3 of 26 points added raise nothing; the rest each raise one.
    assert_eq!(
        kinds,
        [
            PromptKind::Start,
            PromptKind::Start,
            PromptKind::Start,
            PromptKind::Start,
            PromptKind::Start,
            PromptKind::Stop,
            PromptKind::Continue
        ]
    );
    let texts: Vec<&str> = p.prompts.iter().map(|x| x.text.as_str()).collect();
    assert!(
        texts[0].contains("2 items (5 points) carried over, 1 of them"),
        "{texts:?}"
    );
    assert!(
        texts[1].contains("PAY-4: 12.0d against a median of 2.0d"),
        "{texts:?}"
    );
    assert!(texts[2].contains("1 SEV1-2 incidents of 2"), "{texts:?}");
    assert!(
        texts[3].contains("median lead time 2.0d against 1.0d"),
        "{texts:?}"
    );
    assert!(texts[4].contains("2 past their due date"), "{texts:?}");
    assert!(
        texts[5].contains("1 opened since the last retro"),
        "{texts:?}"
    );
    assert!(texts[6].contains("2 closed, 2 opened"), "{texts:?}");
}

#[test]
fn support_tickets_of_the_window_and_their_top_labels() {
    let p = prep();
    let ids: Vec<i64> = p.support.iter().map(|t| t.id).collect();
    assert_eq!(ids, [1, 2, 4]);
    // billing 3, then how-to and login once each, ties by name.
    assert_eq!(
        p.support_top_labels,
        [
            ("billing".to_string(), 3),
            ("how-to".to_string(), 1),
            ("login".to_string(), 1)
        ]
    );
}

#[test]
fn more_deploy_days_without_a_slowdown_prompt_continue() {
    let mut i = inputs();
    i.delivery = Some(DeliveryDelta {
        current: window(10, 6, 1.2, 0.1),
        previous: Some(window(8, 4, 1.0, 0.2)),
    });
    let p = retro_prep(&i, day(30.0), &RetroParams::default(), &Versions::default()).unwrap();
    assert!(
        p.prompts
            .iter()
            .any(|x| x.kind == PromptKind::Continue && x.text.contains("6 deploy days against 4")),
        "{:?}",
        p.prompts
    );
    assert!(!p.prompts.iter().any(|x| x.text.contains("lead time")));
}

#[test]
fn low_completion_and_scope_creep_prompt_stop() {
    let mut i = inputs();
    // Item 4 (8 points) not done, and item 9 added on day 10 instead of after the close.
    i.items[3].resolved_at = None;
    i.memberships[8].added_at = Some(day(10.0));
    let p = retro_prep(&i, day(30.0), &RetroParams::default(), &Versions::default()).unwrap();
    // 14 points done, but of the 26 committed only 1, 2, 3 and 10 = 11 (42 %); added 3 + 13 =
    // 16 points = 62 % of the commitment.
    assert_eq!(p.completed.points, 14.0);
    assert_eq!(p.committed_done.points, 11.0);
    assert_eq!(p.added.points, 16.0);
    let first = &p.prompts[0];
    assert!(
        first.kind == PromptKind::Stop
            && first.text.contains("11 of 26 committed points done (42%)")
            && first.text.contains("and 16 points added after the start"),
        "{first:?}"
    );
    assert!(p.prompts[1].kind == PromptKind::Stop && p.prompts[1].text.contains("62%"));
}

#[test]
fn scope_added_and_done_never_makes_the_commitment_look_kept() {
    let mut i = inputs();
    // Item 7, added on day 5, gets 20 points and is done: 42 points done of 26 committed
    // (162 % by Jira's convention), yet only 19 of the 26 committed (73 %): no verdict.
    i.items[6].points = Some(20.0);
    i.items[6].resolved_at = Some(day(9.0));
    let p = retro_prep(&i, day(30.0), &RetroParams::default(), &Versions::default()).unwrap();
    assert!((p.completion_points.unwrap() - 42.0 / 26.0).abs() < 1e-12);
    assert!((p.say_do_points.unwrap() - 19.0 / 26.0).abs() < 1e-12);
    assert!(
        !p.prompts
            .iter()
            .any(|x| x.text.contains("committed points")),
        "{:?}",
        p.prompts
    );
    // A sprint not finished yet gets no commitment verdict either, however little is done.
    if let Some(s) = i.sprint.as_mut() {
        s.state = "active".into();
        s.completed_at = None;
    }
    let p = retro_prep(&i, day(3.5), &RetroParams::default(), &Versions::default()).unwrap();
    assert!(!p.sprint.finished);
    assert!(
        !p.prompts
            .iter()
            .any(|x| x.text.contains("committed points")),
        "{:?}",
        p.prompts
    );
}

#[test]
fn a_running_sprint_closes_now_and_no_sprint_gives_none() {
    let mut i = inputs();
    if let Some(s) = i.sprint.as_mut() {
        s.state = "active".into();
        s.completed_at = None;
    }
    let p = retro_prep(&i, day(3.5), &RetroParams::default(), &Versions::default()).unwrap();
    assert_eq!(p.sprint.close_at, day(3.5));
    // By day 3.5 only items 1 (day 3) and 10 (day 2) are done; 6 was added on day 3, 7 is
    // not added yet.
    assert_eq!(keys(&p.completed.items), ["PAY-1", "PAY-10"]);
    assert_eq!(keys(&p.added.items), ["PAY-6"]);
    // Too few completed items for quartiles: no outliers.
    assert_eq!(p.outlier_fence_seconds, None);
    let none = RetroInputs::default();
    assert!(
        retro_prep(
            &none,
            day(0.0),
            &RetroParams::default(),
            &Versions::default()
        )
        .is_none()
    );
}

#[test]
fn the_markdown_export_is_stable() {
    let md = plumb::tui::panes::retro_markdown::render(&prep());
    assert!(md.starts_with("# Retro: PAY Sprint 2\n"));
    insta::assert_snapshot!("retro_markdown", md);
}

#[test]
fn left_from_the_last_retro_counts_only_items_still_open_when_prepared() {
    let mut i = inputs();
    // Two more follow-ups opened during the previous sprint: one closed after this sprint's
    // close (day 20, before the prep on day 30), one closed after the prep.
    i.actions.push(action(6, None, -4.0, None, Some(20.0)));
    i.actions.push(action(7, None, -6.0, None, Some(40.0)));
    let p = retro_prep(&i, day(30.0), &RetroParams::default(), &Versions::default()).unwrap();
    let ids: Vec<i64> = p
        .actions_left_from_last_retro
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids, [3, 7]);
    assert!(p.actions_left_from_last_retro.iter().all(|a| !a.closed));
    let stop = p
        .prompts
        .iter()
        .find(|x| x.kind == PromptKind::Stop)
        .expect("a stop prompt");
    assert!(
        stop.text
            .contains("2 opened since the last retro are still open"),
        "{}",
        stop.text
    );
}

#[test]
fn prompt_texts_do_not_repeat_their_kind() {
    let p = prep();
    assert!(!p.prompts.is_empty());
    for x in &p.prompts {
        let first = x.text.split_whitespace().next().unwrap_or("");
        assert!(
            !["Start", "Stop", "Continue"].contains(&first),
            "{} {}",
            x.kind.label(),
            x.text
        );
    }
}
