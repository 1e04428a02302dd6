//! Postmortem follow-ups: open, overdue (due date, or a policy per incident severity such as
//! "SEV1 follow-ups done within 30 days"), completion rate, median age, incidents without a
//! prevent or mitigate item, actions still open when their incident recurred, and incident
//! debt with the recommended share of sprint capacity for reliability work.
//!
//! Categories follow Lueder and Beyer (SREcon17): investigate, mitigate, repair, detect, prevent.

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::explain::Explain;
use super::incidents::{IncidentParams, RepeatIncident, incident_report};
use super::stats::{median, ratio};
use crate::model::{ActionCategory, ActionItem, ActionStatus, Incident, Severity, Timestamp};
use chrono::Duration;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

mod scope;

pub use scope::ActionInputs;
use scope::is_open_at;

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
    /// Points of the open SEV1-2 follow-ups: their count × `open_sev12_weight`.
    pub open_sev12_points: f64,
    /// Sum over SLOs of budget overspent (a remaining of -0.5 adds 0.5).
    pub overspent_budget: f64,
    /// Points of the overspent budget: `overspent_budget` × `overspent_budget_weight`. The
    /// three terms `weighted_overdue`, `open_sev12_points` and this one add up to `points`.
    pub overspent_budget_points: f64,
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

/// The report of the Actions pane and of `plumb report actions`: [`follow_up_report`] over a
/// scope's inputs ([`Store::action_inputs`](crate::store::Store::action_inputs)), with the
/// repeats the incident definition finds among its incidents and the budget overspent by its
/// SLOs (`budgets_remaining`: each SLO's remaining budget; those below zero are overspent).
pub fn scope_report(
    inputs: &ActionInputs,
    budgets_remaining: &[f64],
    incident_params: &IncidentParams,
    params: &ActionParams,
    versions: &Versions,
) -> ActionReport {
    let period = inputs.period;
    let repeats = incident_report(
        &inputs.incidents,
        &[],
        period,
        period.end,
        incident_params,
        versions,
    )
    .repeats;
    // A fold from +0.0: an empty float `sum` is -0.0, which would print as "-0.00".
    let overspent = budgets_remaining
        .iter()
        .filter(|r| **r < 0.0)
        .fold(0.0, |acc, r| acc - r);
    follow_up_report(inputs, &repeats, overspent, params, versions)
}

/// The follow-up definition over one scope's inputs ([`ActionInputs::select`]), measured at the
/// period's end: what the Actions pane and `plumb report actions` both show. `repeats` come
/// from the incident report over `inputs.incidents`; `overspent_budget` from the scope's SLOs.
pub fn follow_up_report(
    inputs: &ActionInputs,
    repeats: &[RepeatIncident],
    overspent_budget: f64,
    params: &ActionParams,
    versions: &Versions,
) -> ActionReport {
    let period = inputs.period;
    let mut by_incident: HashMap<i64, Vec<&ActionItem>> = HashMap::new();
    for a in &inputs.incident_items {
        if let Some(i) = a.incident_id {
            by_incident.entry(i).or_default().push(a);
        }
    }
    compute(
        &Scope {
            items: &inputs.items,
            severity: inputs
                .incidents
                .iter()
                .chain(&inputs.other_incidents)
                .map(|i| (i.id, i.severity))
                .collect(),
            incidents: inputs
                .incidents
                .iter()
                .filter(|i| period.contains(i.created_at))
                .collect(),
            created: inputs
                .incidents
                .iter()
                .map(|i| (i.id, i.created_at))
                .collect(),
            by_incident,
        },
        repeats,
        overspent_budget,
        period.end,
        params,
        versions,
    )
}

/// The follow-up definition over exactly `actions`, with `incidents` as the scope's incidents
/// (their severities set due dates; the prevent or mitigate share is over all of them).
pub fn action_report(
    actions: &[ActionItem],
    incidents: &[Incident],
    repeats: &[RepeatIncident],
    overspent_budget: f64,
    now: Timestamp,
    params: &ActionParams,
    versions: &Versions,
) -> ActionReport {
    let mut by_incident: HashMap<i64, Vec<&ActionItem>> = HashMap::new();
    for a in actions {
        if let Some(i) = a.incident_id {
            by_incident.entry(i).or_default().push(a);
        }
    }
    compute(
        &Scope {
            items: actions,
            severity: incidents.iter().map(|i| (i.id, i.severity)).collect(),
            incidents: incidents.iter().collect(),
            created: incidents.iter().map(|i| (i.id, i.created_at)).collect(),
            by_incident,
        },
        repeats,
        overspent_budget,
        now,
        params,
        versions,
    )
}

/// What the definition counts over.
struct Scope<'a> {
    items: &'a [ActionItem],
    /// Severity of the incidents the items belong to.
    severity: HashMap<i64, Severity>,
    /// The incidents the prevent or mitigate share is over.
    incidents: Vec<&'a Incident>,
    /// Creation time of the incidents repeats may name.
    created: HashMap<i64, Timestamp>,
    /// Follow-ups per incident: the share and the follow-ups open at a recurrence.
    by_incident: HashMap<i64, Vec<&'a ActionItem>>,
}

fn compute(
    scope: &Scope,
    repeats: &[RepeatIncident],
    overspent_budget: f64,
    now: Timestamp,
    params: &ActionParams,
    versions: &Versions,
) -> ActionReport {
    let sev_of = |a: &ActionItem| a.incident_id.and_then(|i| scope.severity.get(&i).copied());
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
    for a in scope.items {
        explain.action_items.push(a.id);
        // Open at `now`, not today: a report of an earlier range sees items closed since as
        // open.
        if !is_open_at(a, now) {
            if a.status == ActionStatus::Done {
                done += 1;
            }
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
    let mut without: Vec<i64> = scope
        .incidents
        .iter()
        .filter(|i| {
            !scope.by_incident.get(&i.id).is_some_and(|items| {
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
    let mut open_at_recurrence = Vec::new();
    for r in repeats {
        let Some(&at) = scope.created.get(&r.incident_id) else {
            continue;
        };
        for a in scope.by_incident.get(&r.previous_id).into_iter().flatten() {
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
    let budget_points = params.overspent_budget_weight * overspent;
    let points = weighted_overdue + params.open_sev12_weight * open_sev12 as f64 + budget_points;
    let share = (params.base_share + params.share_per_point * points).min(params.max_share);
    let incidents = scope.incidents.len();
    ActionReport {
        definition: versions.reference(ids::ACTIONS),
        total: scope.items.len(),
        open,
        overdue,
        overdue_ids: {
            overdue_ids.sort_unstable();
            overdue_ids
        },
        done,
        completion_rate: ratio(done, scope.items.len()),
        median_open_age_seconds: median(&ages),
        incidents,
        prevent_or_mitigate_share: ratio(incidents - without.len(), incidents),
        incidents_without_prevent_or_mitigate: without,
        open_at_recurrence,
        debt: IncidentDebt {
            weighted_overdue,
            open_sev12_followups: open_sev12,
            open_sev12_points: params.open_sev12_weight * open_sev12 as f64,
            overspent_budget: overspent,
            overspent_budget_points: budget_points,
            points,
            recommended_reliability_share: share,
        },
        explain: explain.normalise(),
    }
}

#[cfg(test)]
mod tests;
