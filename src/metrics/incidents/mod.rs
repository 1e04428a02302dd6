//! Incident response: time to acknowledge (MTTA), time to resolve (MTTR), SLA adherence per
//! normalised severity, repeat incidents and off-hours interruptions.
//!
//! Acknowledgement comes from the first `acknowledge` entry of the incident's log, not from
//! the incident's acknowledgement list, which PagerDuty clears on resolve; an incident with no
//! log at all (a source without one) falls back to its `acknowledged_at`. Means are reported
//! because "mean time to" is what people ask for; medians and p90 sit beside them because a
//! single long incident moves a mean.

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::explain::{ExclusionReason, Explain};
use super::period::Period;
use super::stats::{DurationSummary, ratio};
use crate::model::{Incident, IncidentEvent, Severity, Timestamp};
use chrono::{Datelike, Duration, NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Response targets of one severity; `None` means no target for that step.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SlaTarget {
    pub acknowledge_seconds: Option<i64>,
    pub resolve_seconds: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct IncidentParams {
    pub timezone: Tz,
    pub sla: BTreeMap<Severity, SlaTarget>,
    /// Same service and normalised title within this span after an earlier incident = repeat.
    pub repeat_window: Duration,
    /// When a page counts as an off-hours interruption (local time).
    pub off_hours: OffHoursRule,
}

/// Off-hours: from `start` to `end` local time every day (the window may cross midnight, e.g.
/// 18:00 to 09:00), plus all of Saturday and Sunday when `weekends` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OffHoursRule {
    pub start: NaiveTime,
    pub end: NaiveTime,
    pub weekends: bool,
}

impl Default for OffHoursRule {
    fn default() -> Self {
        OffHoursRule {
            start: NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default(),
            end: NaiveTime::from_hms_opt(9, 0, 0).unwrap_or_default(),
            weekends: true,
        }
    }
}

impl OffHoursRule {
    pub fn contains(&self, weekday: Weekday, time: NaiveTime) -> bool {
        if self.weekends && matches!(weekday, Weekday::Sat | Weekday::Sun) {
            return true;
        }
        if self.start <= self.end {
            time >= self.start && time < self.end
        } else {
            time >= self.start || time < self.end
        }
    }
}

impl Default for IncidentParams {
    fn default() -> Self {
        IncidentParams {
            timezone: Tz::UTC,
            sla: BTreeMap::new(),
            repeat_window: Duration::days(7),
            off_hours: OffHoursRule::default(),
        }
    }
}

impl IncidentParams {
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        let sla: BTreeMap<&str, SlaTarget> =
            self.sla.iter().map(|(s, t)| (s.as_str(), *t)).collect();
        vec![
            MetricDefinition::new(
                ids::INCIDENT_RESPONSE,
                1,
                json!({"acknowledge": "first acknowledge log entry",
                       "timezone": self.timezone.name(),
                       "off_hours": [self.off_hours.start.to_string(), self.off_hours.end.to_string()],
                       "weekends_off": self.off_hours.weekends}),
            ),
            MetricDefinition::new(ids::INCIDENT_SLA, 1, json!({"targets": sla})),
            MetricDefinition::new(
                ids::INCIDENT_REPEATS,
                1,
                json!({"repeat_window_seconds": self.repeat_window.num_seconds()}),
            ),
        ]
    }
}

/// Mean beside the order statistics of a set of response times.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ResponseTime {
    pub count: usize,
    pub mean_seconds: Option<f64>,
    pub median_seconds: Option<f64>,
    pub p90_seconds: Option<f64>,
    pub excluded_negative: usize,
}

impl ResponseTime {
    fn from_seconds(spans: &[i64]) -> Self {
        let s = DurationSummary::from_seconds(spans.iter().copied());
        let kept: Vec<i64> = spans.iter().copied().filter(|s| *s >= 0).collect();
        ResponseTime {
            count: s.count,
            mean_seconds: (!kept.is_empty())
                .then(|| kept.iter().map(|v| *v as f64).sum::<f64>() / kept.len() as f64),
            median_seconds: s.median_seconds,
            p90_seconds: s.p90_seconds,
            excluded_negative: s.excluded_negative,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlaAdherence {
    pub target: SlaTarget,
    pub met: usize,
    pub breached: usize,
    /// Still open and not yet past a target: undecided, left out of the rate.
    pub pending: usize,
    pub rate: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityStats {
    pub severity: Severity,
    pub incidents: usize,
    pub acknowledge: ResponseTime,
    pub resolve: ResponseTime,
    /// `None` when config sets no target for this severity.
    pub sla: Option<SlaAdherence>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepeatIncident {
    pub incident_id: i64,
    pub previous_id: i64,
    pub service: String,
    pub normalised_title: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentReport {
    pub definition: DefinitionRef,
    pub incidents: usize,
    pub unresolved: usize,
    pub unacknowledged: usize,
    /// MTTA: created → first acknowledgement.
    pub acknowledge: ResponseTime,
    /// MTTR: created → resolved.
    pub resolve: ResponseTime,
    pub by_severity: Vec<SeverityStats>,
    pub repeats: Vec<RepeatIncident>,
    pub repeat_rate: Option<f64>,
    pub off_hours: usize,
    pub off_hours_share: Option<f64>,
    #[serde(skip)]
    pub explain: Explain,
}

/// Lower case, digits as `#`, punctuation as single spaces: "DB latency >500ms (eu-1)" and
/// "db latency > 800ms eu-2" both read "db latency #ms eu #".
pub fn normalise_title(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    let mut last = ' ';
    for ch in title.chars().flat_map(char::to_lowercase) {
        let c = if ch.is_ascii_digit() {
            '#'
        } else if ch.is_alphanumeric() {
            ch
        } else {
            ' '
        };
        if (c == ' ' && last == ' ') || (c == '#' && last == '#') {
            continue;
        }
        out.push(c);
        last = c;
    }
    out.trim().to_string()
}

fn off_hours(t: Timestamp, p: &IncidentParams) -> bool {
    let local = t.with_timezone(&p.timezone);
    p.off_hours.contains(local.weekday(), local.time())
}

/// First acknowledgement per incident from the log.
fn first_acks(events: &[IncidentEvent]) -> (HashMap<i64, Timestamp>, HashMap<i64, ()>) {
    let mut acks: HashMap<i64, Timestamp> = HashMap::new();
    let mut has_log: HashMap<i64, ()> = HashMap::new();
    for e in events {
        has_log.insert(e.incident_id, ());
        if e.kind == "acknowledge" {
            let a = acks.entry(e.incident_id).or_insert(e.at);
            *a = (*a).min(e.at);
        }
    }
    (acks, has_log)
}

/// Incidents created in `period`; `now` decides whether an open incident has breached its SLA.
pub fn incident_report(
    incidents: &[Incident],
    events: &[IncidentEvent],
    period: Period,
    now: Timestamp,
    params: &IncidentParams,
    versions: &Versions,
) -> IncidentReport {
    let (acks, has_log) = first_acks(events);
    let mut scoped: Vec<&Incident> = incidents
        .iter()
        .filter(|i| period.contains(i.created_at))
        .collect();
    scoped.sort_by_key(|i| (i.created_at, i.id));
    let mut explain = Explain::default();
    let ack_of = |i: &Incident| -> Option<Timestamp> {
        match acks.get(&i.id) {
            Some(t) => Some(*t),
            None if !has_log.contains_key(&i.id) => i.acknowledged_at,
            None => None,
        }
    };
    let mut ack_spans = Vec::new();
    let mut resolve_spans = Vec::new();
    let mut per_sev: BTreeMap<Severity, SeverityAcc> = BTreeMap::new();
    let (mut unresolved, mut unacknowledged, mut off) = (0, 0, 0);
    for i in &scoped {
        explain.incidents.push(i.id);
        let ack = ack_of(i).map(|a| (a - i.created_at).num_seconds());
        let res = i.resolved_at.map(|r| (r - i.created_at).num_seconds());
        let entry = per_sev.entry(i.severity).or_default();
        entry.incidents += 1;
        match ack {
            Some(s) => {
                ack_spans.push(s);
                entry.acknowledge.push(s);
            }
            None => unacknowledged += 1,
        }
        match res {
            Some(s) => {
                if s < 0 {
                    explain.exclude("incidents", i.id, ExclusionReason::NegativeSpan);
                }
                resolve_spans.push(s);
                entry.resolve.push(s);
            }
            None => {
                unresolved += 1;
                explain.exclude("incidents", i.id, ExclusionReason::Unresolved);
            }
        }
        if let Some(target) = params.sla.get(&i.severity) {
            let verdict = sla_verdict(i, ack_of(i), *target, now);
            entry.sla[verdict as usize] += 1;
        }
        if off_hours(i.created_at, params) {
            off += 1;
        }
    }
    let by_severity = per_sev
        .into_iter()
        .map(|(severity, acc)| SeverityStats {
            severity,
            incidents: acc.incidents,
            acknowledge: ResponseTime::from_seconds(&acc.acknowledge),
            resolve: ResponseTime::from_seconds(&acc.resolve),
            sla: params.sla.get(&severity).map(|t| SlaAdherence {
                target: *t,
                met: acc.sla[0],
                breached: acc.sla[1],
                pending: acc.sla[2],
                rate: ratio(acc.sla[0], acc.sla[0] + acc.sla[1]),
            }),
        })
        .collect();
    let repeats = repeat_incidents(&scoped, incidents, params.repeat_window);
    IncidentReport {
        definition: versions.reference(ids::INCIDENT_RESPONSE),
        incidents: scoped.len(),
        unresolved,
        unacknowledged,
        acknowledge: ResponseTime::from_seconds(&ack_spans),
        resolve: ResponseTime::from_seconds(&resolve_spans),
        by_severity,
        repeat_rate: ratio(repeats.len(), scoped.len()),
        repeats,
        off_hours: off,
        off_hours_share: ratio(off, scoped.len()),
        explain: explain.normalise(),
    }
}

#[derive(Default)]
struct SeverityAcc {
    incidents: usize,
    acknowledge: Vec<i64>,
    resolve: Vec<i64>,
    /// Met, breached, pending (indexed by [`Verdict`]).
    sla: [usize; 3],
}

#[derive(Clone, Copy)]
enum Verdict {
    Met = 0,
    Breached = 1,
    Pending = 2,
}

fn sla_verdict(i: &Incident, ack: Option<Timestamp>, t: SlaTarget, now: Timestamp) -> Verdict {
    let step = |done: Option<Timestamp>, target: Option<i64>| -> Verdict {
        let Some(limit) = target.map(|s| i.created_at + Duration::seconds(s)) else {
            return Verdict::Met;
        };
        match done {
            Some(at) if at <= limit => Verdict::Met,
            Some(_) => Verdict::Breached,
            None if now > limit => Verdict::Breached,
            None => Verdict::Pending,
        }
    };
    match (
        step(ack, t.acknowledge_seconds),
        step(i.resolved_at, t.resolve_seconds),
    ) {
        (Verdict::Breached, _) | (_, Verdict::Breached) => Verdict::Breached,
        (Verdict::Pending, _) | (_, Verdict::Pending) => Verdict::Pending,
        _ => Verdict::Met,
    }
}

/// Incidents of the period that repeat an earlier incident (of any time in `all`) of the same
/// service and normalised title within `window`.
fn repeat_incidents(
    scoped: &[&Incident],
    all: &[Incident],
    window: Duration,
) -> Vec<RepeatIncident> {
    let mut by_key: HashMap<(&str, String), Vec<(Timestamp, i64)>> = HashMap::new();
    for i in all {
        if let Some(s) = i.service.as_deref() {
            by_key
                .entry((s, normalise_title(&i.title)))
                .or_default()
                .push((i.created_at, i.id));
        }
    }
    for v in by_key.values_mut() {
        v.sort_unstable();
    }
    let mut out = Vec::new();
    for i in scoped {
        let Some(service) = i.service.as_deref() else {
            continue;
        };
        let key = (service, normalise_title(&i.title));
        let Some(list) = by_key.get(&key) else {
            continue;
        };
        let n = list.partition_point(|e| *e < (i.created_at, i.id));
        if let Some((t, id)) = n.checked_sub(1).map(|k| list[k])
            && i.created_at - t <= window
        {
            out.push(RepeatIncident {
                incident_id: i.id,
                previous_id: id,
                service: service.to_string(),
                normalised_title: key.1.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
