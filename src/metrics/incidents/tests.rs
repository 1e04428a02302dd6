//! Unit tests of the incident definitions; expected numbers are worked out beside each.

use super::*;
use chrono::{TimeZone, Utc};

fn at(d: u32, h: u32, m: u32) -> Timestamp {
    // June 2024: the 3rd is a Monday.
    Utc.with_ymd_and_hms(2024, 6, d, h, m, 0)
        .single()
        .expect("t")
}

fn inc(
    id: i64,
    sev: Severity,
    title: &str,
    created: Timestamp,
    resolved: Option<Timestamp>,
) -> Incident {
    Incident {
        id,
        service: Some("api".into()),
        team: None,
        severity: sev,
        severity_original: "x".into(),
        title: title.into(),
        created_at: created,
        acknowledged_at: None,
        resolved_at: resolved,
        resolved_by: None,
        deployment_id: None,
    }
}

fn ev(incident_id: i64, kind: &str, at: Timestamp) -> IncidentEvent {
    IncidentEvent {
        id: 0,
        incident_id,
        at,
        kind: kind.into(),
        actor: None,
        detail: None,
    }
}

fn june() -> Period {
    Period::new(at(1, 0, 0), at(30, 0, 0))
}

#[test]
fn mtta_uses_the_first_acknowledge_log_entry() {
    let mut i = inc(
        1,
        Severity::Sev1,
        "db down",
        at(3, 10, 0),
        Some(at(3, 11, 0)),
    );
    // The incident's own field was overwritten on resolve; the log says 10:05 then 10:20.
    i.acknowledged_at = Some(at(3, 10, 50));
    let events = [
        ev(1, "acknowledge", at(3, 10, 20)),
        ev(1, "acknowledge", at(3, 10, 5)),
    ];
    let r = incident_report(
        &[i],
        &events,
        june(),
        at(30, 0, 0),
        &IncidentParams::default(),
        &Versions::default(),
    );
    assert_eq!(r.acknowledge.median_seconds, Some(300.0));
    assert_eq!(r.resolve.mean_seconds, Some(3600.0));
}

#[test]
fn without_a_log_the_incident_field_is_used() {
    let mut i = inc(1, Severity::Sev2, "x", at(3, 10, 0), None);
    i.acknowledged_at = Some(at(3, 10, 10));
    let r = incident_report(
        &[i],
        &[],
        june(),
        at(30, 0, 0),
        &IncidentParams::default(),
        &Versions::default(),
    );
    assert_eq!(r.acknowledge.median_seconds, Some(600.0));
    assert_eq!(r.unresolved, 1);
    assert_eq!(r.resolve.mean_seconds, None);
}

#[test]
fn sla_adherence_per_severity() {
    let params = IncidentParams {
        sla: BTreeMap::from([(
            Severity::Sev1,
            SlaTarget {
                acknowledge_seconds: Some(15 * 60),
                resolve_seconds: Some(4 * 3600),
            },
        )]),
        ..IncidentParams::default()
    };
    let incidents = [
        // Met: ack 5 min, resolved 1 h.
        inc(1, Severity::Sev1, "a", at(3, 10, 0), Some(at(3, 11, 0))),
        // Breached: resolved after 5 h.
        inc(2, Severity::Sev1, "b", at(4, 10, 0), Some(at(4, 15, 0))),
        // Pending: opened 1 h before now, target 4 h.
        inc(3, Severity::Sev1, "c", at(5, 10, 0), None),
        // No target for SEV3.
        inc(4, Severity::Sev3, "d", at(5, 10, 0), None),
    ];
    let events = [
        ev(1, "acknowledge", at(3, 10, 5)),
        ev(2, "acknowledge", at(4, 10, 5)),
        ev(3, "acknowledge", at(5, 10, 5)),
    ];
    let r = incident_report(
        &incidents,
        &events,
        june(),
        at(5, 11, 0),
        &params,
        &Versions::default(),
    );
    let sev1 = &r.by_severity[0];
    let sla = sev1.sla.as_ref().expect("target");
    assert_eq!((sla.met, sla.breached, sla.pending), (1, 1, 1));
    assert_eq!(sla.rate, Some(0.5));
    assert_eq!(r.by_severity[1].sla, None);
    // Incident 4 has no log entries but others do; it has no acknowledgement at all.
    assert_eq!(r.unacknowledged, 1);
}

#[test]
fn repeats_need_the_same_service_and_title_within_the_window() {
    let mut other = inc(4, Severity::Sev3, "DB latency 900ms", at(6, 9, 0), None);
    other.service = Some("web".into());
    let incidents = [
        inc(
            1,
            Severity::Sev3,
            "DB latency >500ms (eu-1)",
            at(3, 9, 0),
            None,
        ),
        inc(
            2,
            Severity::Sev3,
            "db latency > 800ms eu-2",
            at(5, 9, 0),
            None,
        ),
        // Eight days after incident 2: outside the 7-day window.
        inc(
            3,
            Severity::Sev3,
            "DB latency 700ms eu-1",
            at(13, 9, 0),
            None,
        ),
        other,
    ];
    let r = incident_report(
        &incidents,
        &[],
        june(),
        at(30, 0, 0),
        &IncidentParams::default(),
        &Versions::default(),
    );
    assert_eq!(r.repeats.len(), 1);
    assert_eq!((r.repeats[0].incident_id, r.repeats[0].previous_id), (2, 1));
    assert_eq!(r.repeat_rate, Some(0.25));
    assert_eq!(
        normalise_title("DB latency >500ms (eu-1)"),
        "db latency #ms eu #"
    );
}

#[test]
fn off_hours_in_the_team_zone() {
    let params = IncidentParams {
        timezone: "Europe/Berlin".parse().expect("tz"),
        ..IncidentParams::default()
    };
    let incidents = [
        // Monday 07:30 UTC = 09:30 in Berlin (summer time): working hours.
        inc(1, Severity::Sev2, "a", at(3, 7, 30), None),
        // Monday 16:30 UTC = 18:30 Berlin: off-hours.
        inc(2, Severity::Sev2, "b", at(3, 16, 30), None),
        // Saturday noon.
        inc(3, Severity::Sev2, "c", at(8, 12, 0), None),
    ];
    let r = incident_report(
        &incidents,
        &[],
        june(),
        at(30, 0, 0),
        &params,
        &Versions::default(),
    );
    assert_eq!(r.off_hours, 2);
    assert_eq!(r.off_hours_share, Some(2.0 / 3.0));
}

#[test]
fn no_incidents_no_numbers() {
    let r = incident_report(
        &[],
        &[],
        june(),
        at(30, 0, 0),
        &IncidentParams::default(),
        &Versions::default(),
    );
    assert_eq!(r.acknowledge.mean_seconds, None);
    assert_eq!(r.repeat_rate, None);
    assert_eq!(r.off_hours_share, None);
}
