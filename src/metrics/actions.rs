//! Postmortem follow-ups: open, overdue (due date, or a policy per incident severity such as
//! "SEV1 follow-ups done within 30 days"), completion rate, median age, incidents without a
//! prevent or mitigate item, actions still open when their incident recurred, and incident
//! debt with the recommended share of sprint capacity for reliability work.
//!
//! Categories follow Lueder and Beyer (SREcon17): investigate, mitigate, repair, detect, prevent.

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::explain::Explain;
use super::incidents::RepeatIncident;
use super::stats::{median, ratio};
use crate::model::{ActionCategory, ActionItem, ActionStatus, Incident, Severity, Timestamp};
use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct ActionParams {
    /// Follow-ups of an incident of this severity are due this long after they were created,
    /// when they carry no due date of their own.
    pub policy: BTreeMap<Severity, Duration>,
    /// Debt weight of one overdue follow-up, by its incident's severity (others weigh 1).
    pub overdue_weight: BTreeMap<Severity, f64>,
    /// Debt of one open SEV1 or SEV2 follow-up, overdue or not.
    pub open_sev12_weight: f64,
    /// Debt per whole budget overspent (summed over SLOs: -remaining when below zero).
    pub overspent_budget_weight: f64,
    /// Recommended reliability share = base + per_point × debt, capped at max.
    pub base_share: f64,
    pub share_per_point: f64,
    pub max_share: f64,
}

impl Default for ActionParams {
    fn default() -> Self {
        ActionParams {
            policy: BTreeMap::from([
                (Severity::Sev1, Duration::days(30)),
                (Severity::Sev2, Duration::days(60)),
            ]),
            overdue_weight: BTreeMap::from([
                (Severity::Sev1, 5.0),
                (Severity::Sev2, 3.0),
                (Severity::Sev3, 2.0),
            ]),
            open_sev12_weight: 1.0,
            overspent_budget_weight: 10.0,
            base_share: 0.10,
            share_per_point: 0.01,
            max_share: 0.50,
        }
    }
}

impl ActionParams {
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        let policy: BTreeMap<&str, i64> = self
            .policy
            .iter()
            .map(|(s, d)| (s.as_str(), d.num_seconds()))
            .collect();
        let weights: BTreeMap<&str, f64> = self
            .overdue_weight
            .iter()
            .map(|(s, w)| (s.as_str(), *w))
            .collect();
        vec![
            MetricDefinition::new(ids::ACTIONS, 1, json!({"policy_seconds": policy})),
            MetricDefinition::new(
                ids::INCIDENT_DEBT,
                1,
                json!({"overdue_weight": weights, "open_sev12_weight": self.open_sev12_weight,
                       "overspent_budget_weight": self.overspent_budget_weight,
                       "base_share": self.base_share, "share_per_point": self.share_per_point,
                       "max_share": self.max_share}),
            ),
        ]
    }
}

/// An action item that was still open when its incident happened again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OpenAtRecurrence {
    pub action_id: i64,
    pub incident_id: i64,
    pub recurrence_id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDebt {
    pub weighted_overdue: f64,
    pub open_sev12_followups: usize,
    /// Sum over SLOs of budget overspent (a remaining of -0.5 adds 0.5).
    pub overspent_budget: f64,
    pub points: f64,
    /// Share of sprint capacity recommended for reliability work (a fraction).
    pub recommended_reliability_share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionReport {
    pub definition: DefinitionRef,
    pub total: usize,
    pub open: usize,
    pub overdue: usize,
    /// Store ids of the overdue items (by their due date, or the severity policy).
    pub overdue_ids: Vec<i64>,
    pub done: usize,
    /// Done over all items (won't-do is closed but not completed).
    pub completion_rate: Option<f64>,
    /// Median age of open items at `now`.
    pub median_open_age_seconds: Option<f64>,
    pub incidents: usize,
    /// Incidents with no prevent or mitigate follow-up.
    pub incidents_without_prevent_or_mitigate: Vec<i64>,
    pub prevent_or_mitigate_share: Option<f64>,
    pub open_at_recurrence: Vec<OpenAtRecurrence>,
    pub debt: IncidentDebt,
    #[serde(skip)]
    pub explain: Explain,
}

fn is_open_at(a: &ActionItem, t: Timestamp) -> bool {
    a.created_at <= t
        && match a.completed_at {
            Some(done) => done > t,
            None => !a.status.is_closed(),
        }
}

/// `incidents` are the incidents in scope (their follow-ups are `actions`); `repeats` come from
/// the incident report; `overspent_budget` from the SLO reports.
pub fn action_report(
    actions: &[ActionItem],
    incidents: &[Incident],
    repeats: &[RepeatIncident],
    overspent_budget: f64,
    now: Timestamp,
    params: &ActionParams,
    versions: &Versions,
) -> ActionReport {
    let severity: HashMap<i64, Severity> = incidents.iter().map(|i| (i.id, i.severity)).collect();
    let sev_of = |a: &ActionItem| a.incident_id.and_then(|i| severity.get(&i).copied());
    let due_of = |a: &ActionItem| {
        a.due_at.or_else(|| {
            sev_of(a)
                .and_then(|s| params.policy.get(&s))
                .map(|d| a.created_at + *d)
        })
    };
    let mut explain = Explain::default();
    let (mut open, mut overdue, mut done, mut open_sev12) = (0, 0, 0, 0);
    let mut overdue_ids = Vec::new();
    let mut weighted_overdue = 0.0;
    let mut ages = Vec::new();
    for a in actions {
        explain.action_items.push(a.id);
        if a.status == ActionStatus::Done {
            done += 1;
        }
        if a.status.is_closed() {
            continue;
        }
        open += 1;
        ages.push((now - a.created_at).num_seconds().max(0) as f64);
        let sev = sev_of(a);
        if matches!(sev, Some(Severity::Sev1 | Severity::Sev2)) {
            open_sev12 += 1;
        }
        if due_of(a).is_some_and(|d| d < now) {
            overdue += 1;
            overdue_ids.push(a.id);
            weighted_overdue += sev
                .and_then(|s| params.overdue_weight.get(&s).copied())
                .unwrap_or(1.0);
        }
    }
    let mut by_incident: HashMap<i64, Vec<&ActionItem>> = HashMap::new();
    for a in actions {
        if let Some(i) = a.incident_id {
            by_incident.entry(i).or_default().push(a);
        }
    }
    let mut without: Vec<i64> = incidents
        .iter()
        .filter(|i| {
            !by_incident.get(&i.id).is_some_and(|items| {
                items.iter().any(|a| {
                    matches!(
                        a.category,
                        Some(ActionCategory::Prevent | ActionCategory::Mitigate)
                    )
                })
            })
        })
        .map(|i| i.id)
        .collect();
    without.sort_unstable();
    let created: HashMap<i64, Timestamp> = incidents.iter().map(|i| (i.id, i.created_at)).collect();
    let mut open_at_recurrence = Vec::new();
    for r in repeats {
        let Some(&at) = created.get(&r.incident_id) else {
            continue;
        };
        for a in by_incident.get(&r.previous_id).into_iter().flatten() {
            if is_open_at(a, at) {
                open_at_recurrence.push(OpenAtRecurrence {
                    action_id: a.id,
                    incident_id: r.previous_id,
                    recurrence_id: r.incident_id,
                });
            }
        }
    }
    open_at_recurrence.sort_by_key(|o| (o.recurrence_id, o.action_id));
    let overspent = overspent_budget.max(0.0);
    let points = weighted_overdue
        + params.open_sev12_weight * open_sev12 as f64
        + params.overspent_budget_weight * overspent;
    let share = (params.base_share + params.share_per_point * points).min(params.max_share);
    ActionReport {
        definition: versions.reference(ids::ACTIONS),
        total: actions.len(),
        open,
        overdue,
        overdue_ids: {
            overdue_ids.sort_unstable();
            overdue_ids
        },
        done,
        completion_rate: ratio(done, actions.len()),
        median_open_age_seconds: median(&ages),
        incidents: incidents.len(),
        prevent_or_mitigate_share: ratio(incidents.len() - without.len(), incidents.len()),
        incidents_without_prevent_or_mitigate: without,
        open_at_recurrence,
        debt: IncidentDebt {
            weighted_overdue,
            open_sev12_followups: open_sev12,
            overspent_budget: overspent,
            points,
            recommended_reliability_share: share,
        },
        explain: explain.normalise(),
    }
}

#[cfg(test)]
mod tests {
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
}
