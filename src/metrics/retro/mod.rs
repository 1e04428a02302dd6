//! Retro prep for one sprint: what was committed and what shipped, what changed mid-sprint,
//! what slipped, what took unusually long, what broke, which follow-ups moved, and prompts in
//! Start / Stop / Continue form derived from those numbers. Definition: `docs/metrics.md`
//! ("Retro prep — `retro.sprint_prep`").
//!
//! The sprint's window is `[start, close)`, `close` being when the sprint was completed (Jira
//! closes a sprint by hand, often hours after its planned end), else its planned end, and never
//! later than `now` for a sprint still running.

use super::definitions::{DefinitionRef, MetricDefinition, Versions};
use super::stats::{DurationSummary, median, quantile};
use crate::model::{ActionItem, Incident, Sprint, SprintItem, SupportTicket, Timestamp, WorkItem};
use serde::Serialize;
use serde_json::json;
use std::collections::{HashMap, HashSet};

mod prompts;

pub use prompts::prompts;

/// The metric id of the retro prep.
pub const RETRO_PREP: &str = "retro.sprint_prep";

/// A work item's status change (from the changelog), for cycle time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Transition {
    pub work_item_id: i64,
    pub at: Timestamp,
    pub from_status: Option<String>,
    pub to_status: String,
}

/// Everything the prep of one sprint reads, as the store returns it.
#[derive(Debug, Clone, Default)]
pub struct RetroInputs {
    pub sprint: Option<Sprint>,
    /// The sprint of the same board (or team) that ended before this one started.
    pub previous: Option<Sprint>,
    /// Every work item that was ever in the sprint.
    pub items: Vec<WorkItem>,
    /// Sprint memberships of those items, in every sprint (carried-in work shows here).
    pub memberships: Vec<SprintItem>,
    pub transitions: Vec<Transition>,
    /// The team's incidents created in the sprint's window.
    pub incidents: Vec<Incident>,
    /// The team's action items (the prep picks those that moved in or around the sprint).
    pub actions: Vec<ActionItem>,
    /// The team's support tickets created in the sprint's window.
    pub support_tickets: Vec<SupportTicket>,
    /// Delivery in this sprint's window and in the previous sprint's, computed by the DORA
    /// metrics over each window.
    pub delivery: Option<DeliveryDelta>,
}

/// Delivery numbers of one window, from the DORA report of that window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DeliveryWindow {
    pub deployments: usize,
    pub deploy_days: usize,
    pub lead_time_median_seconds: Option<f64>,
    pub change_failure_rate: Option<f64>,
}

/// This sprint's delivery against the previous sprint's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DeliveryDelta {
    pub current: DeliveryWindow,
    pub previous: Option<DeliveryWindow>,
}

/// Parameters of the retro prep.
#[derive(Debug, Clone, PartialEq)]
pub struct RetroParams {
    /// Tukey's fence factor: a cycle time above `p75 + k × (p75 - p25)` is an outlier.
    pub outlier_fence: f64,
    /// Fewer completed items than this and no outliers are flagged (quartiles of three
    /// values say nothing).
    pub outlier_min_items: usize,
    /// Completion (by points) under this share prompts "stop over-committing".
    pub low_completion: f64,
    /// Completion at or above this share prompts "continue".
    pub high_completion: f64,
    /// Scope added after the start above this share of the committed points prompts "stop".
    pub scope_creep: f64,
    /// A median lead time above this multiple of the previous sprint's prompts "start".
    pub slowdown: f64,
}

impl Default for RetroParams {
    fn default() -> Self {
        RetroParams {
            outlier_fence: 1.5,
            outlier_min_items: 4,
            low_completion: 0.7,
            high_completion: 0.9,
            scope_creep: 0.2,
            slowdown: 1.5,
        }
    }
}

impl RetroParams {
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        vec![MetricDefinition::new(
            RETRO_PREP,
            // 2: the commitment prompts judge committed points done (say/do), not all done.
            2,
            json!({
                "outlier_fence": self.outlier_fence,
                "outlier_min_items": self.outlier_min_items,
                "low_completion": self.low_completion,
                "high_completion": self.high_completion,
                "scope_creep": self.scope_creep,
                "slowdown": self.slowdown,
            }),
        )]
    }
}

/// One work item as the prep lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroItem {
    pub id: i64,
    pub key: String,
    pub title: Option<String>,
    pub category: Option<String>,
    pub status: String,
    pub points: Option<f64>,
    /// Start of work to resolution, when both are known.
    pub cycle_seconds: Option<f64>,
}

/// A set of work items with its count and points.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Bucket {
    pub items: Vec<RetroItem>,
    pub points: f64,
    /// Items without an estimate (they count, with no points).
    pub unestimated: usize,
}

impl Bucket {
    fn of(items: Vec<RetroItem>) -> Self {
        // A fold from +0.0: an empty f64 sum is -0.0, which prints as "-0".
        let points = items
            .iter()
            .filter_map(|i| i.points)
            .fold(0.0, |a, p| a + p);
        let unestimated = items.iter().filter(|i| i.points.is_none()).count();
        Bucket {
            items,
            points,
            unestimated,
        }
    }

    pub fn count(&self) -> usize {
        self.items.len()
    }
}

/// An incident of the sprint with its response times and follow-ups.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroIncident {
    pub id: i64,
    pub severity: String,
    pub title: String,
    pub service: Option<String>,
    pub created_at: Timestamp,
    pub ack_seconds: Option<f64>,
    pub resolve_seconds: Option<f64>,
    /// Action items opened for this incident, by title and whether they are closed.
    pub actions: Vec<(String, bool)>,
}

/// An action item as the prep lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroAction {
    pub id: i64,
    pub title: String,
    pub owner: Option<String>,
    pub ticket_key: Option<String>,
    pub due_at: Option<Timestamp>,
    pub closed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PromptKind {
    Start,
    Stop,
    Continue,
}

impl PromptKind {
    pub fn label(self) -> &'static str {
        match self {
            PromptKind::Start => "Start",
            PromptKind::Stop => "Stop",
            PromptKind::Continue => "Continue",
        }
    }
}

/// A retro prompt and the numbers that raised it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SprintInfo {
    pub id: i64,
    pub name: String,
    pub team: Option<String>,
    pub goal: Option<String>,
    pub state: String,
    pub start_at: Timestamp,
    pub close_at: Timestamp,
    /// Closed, or past its planned end: only then is its commitment judged.
    pub finished: bool,
}

/// The retro prep of one sprint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroPrep {
    pub definition: DefinitionRef,
    pub sprint: SprintInfo,
    pub previous_sprint: Option<String>,
    /// In the sprint when it started.
    pub committed: Bucket,
    /// Scope (committed plus added, less removed) resolved by the close.
    pub completed: Bucket,
    /// Added after the start.
    pub added: Bucket,
    /// Taken out of the sprint before its close.
    pub removed: Bucket,
    /// Scope not resolved by the close.
    pub carried_over: Bucket,
    /// Committed items that were already in an earlier sprint.
    pub carried_in: Bucket,
    /// Completed points over committed points (Jira's sprint report: added scope counts, so it
    /// can pass 100 %).
    pub completion_points: Option<f64>,
    /// Points of the committed items that were completed, over committed points ("say/do"):
    /// what the commitment prompts judge, so scope added later cannot make a sprint look
    /// well planned.
    pub say_do_points: Option<f64>,
    /// The committed items completed by the close.
    pub committed_done: Bucket,
    /// Completed items over scope items.
    pub completion_count: Option<f64>,
    pub cycle_time: DurationSummary,
    /// Completed items whose cycle time is above the fence (slowest first).
    pub outliers: Vec<RetroItem>,
    pub outlier_fence_seconds: Option<f64>,
    pub incidents: Vec<RetroIncident>,
    pub mtta_median_seconds: Option<f64>,
    pub mttr_median_seconds: Option<f64>,
    pub actions_opened: Vec<RetroAction>,
    pub actions_closed: Vec<RetroAction>,
    /// Open at the close and past their due date.
    pub actions_overdue: Vec<RetroAction>,
    /// Opened during the previous sprint (since the last retro) and still open when the prep is
    /// made (`now`, which is never before the close).
    pub actions_left_from_last_retro: Vec<RetroAction>,
    pub support: Vec<RetroTicket>,
    /// The most frequent support labels, most frequent first (ties by name), at most three.
    pub support_top_labels: Vec<(String, usize)>,
    pub delivery: Option<DeliveryDelta>,
    pub prompts: Vec<Prompt>,
}

/// A support ticket as the prep lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetroTicket {
    pub id: i64,
    pub title: Option<String>,
    pub priority: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub labels: Vec<String>,
}

fn seconds(from: Timestamp, to: Timestamp) -> f64 {
    (to - from).num_seconds() as f64
}

fn retro_action(a: &ActionItem, at: Timestamp) -> RetroAction {
    RetroAction {
        id: a.id,
        title: a.title.clone(),
        owner: a.owner.clone(),
        ticket_key: a.ticket_key.clone(),
        due_at: a.due_at,
        closed: closed_by(a, at),
    }
}

/// Whether `a` was closed at `at`. An item marked closed without a completion time counts as
/// closed whenever it is asked about (the source did not say when).
fn closed_by(a: &ActionItem, at: Timestamp) -> bool {
    match a.completed_at {
        Some(c) => c <= at,
        None => a.status.is_closed(),
    }
}

/// The retro prep of `inputs.sprint`, or `None` without a sprint.
pub fn retro_prep(
    inputs: &RetroInputs,
    now: Timestamp,
    params: &RetroParams,
    versions: &Versions,
) -> Option<RetroPrep> {
    let sprint = inputs.sprint.as_ref()?;
    let start = sprint.start_at;
    let close = sprint.completed_at.unwrap_or(sprint.end_at).min(now);

    let mut cycle_start: HashMap<i64, Timestamp> = HashMap::new();
    for t in &inputs.transitions {
        cycle_start
            .entry(t.work_item_id)
            .and_modify(|s| *s = (*s).min(t.at))
            .or_insert(t.at);
    }
    let cycle = |w: &WorkItem| -> Option<f64> {
        let begin = w.started_at.or_else(|| cycle_start.get(&w.id).copied())?;
        w.resolved_at.map(|r| seconds(begin, r))
    };
    let item = |w: &WorkItem| RetroItem {
        id: w.id,
        key: w.key.clone(),
        title: w.title.clone(),
        category: w.category.clone(),
        status: w.status.clone(),
        points: w.points,
        cycle_seconds: cycle(w),
    };

    let here: HashMap<i64, &SprintItem> = inputs
        .memberships
        .iter()
        .filter(|m| m.sprint_id == sprint.id)
        .map(|m| (m.work_item_id, m))
        .collect();
    let earlier: HashSet<i64> = inputs
        .memberships
        .iter()
        .filter(|m| m.sprint_id != sprint.id && m.added_at.is_some_and(|a| a < start))
        .map(|m| m.work_item_id)
        .collect();

    let (mut committed, mut added, mut removed, mut completed, mut carried_over, mut carried_in) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut committed_done = vec![];
    for w in &inputs.items {
        // Items the tracker places in the sprint without a membership record were planned.
        let (added_at, removed_at) = match here.get(&w.id) {
            Some(m) => (m.added_at, m.removed_at),
            None if w.sprint_id == Some(sprint.id) => (None, None),
            None => continue,
        };
        if added_at.is_some_and(|a| a >= close) {
            continue;
        }
        let at_start = added_at.is_none_or(|a| a <= start);
        let gone = removed_at.is_some_and(|r| r < close);
        let was_committed = at_start && removed_at.is_none_or(|r| r > start);
        if was_committed {
            committed.push(item(w));
            if earlier.contains(&w.id) {
                carried_in.push(item(w));
            }
        } else if !at_start {
            added.push(item(w));
        }
        if gone {
            removed.push(item(w));
            continue;
        }
        if w.resolved_at.is_some_and(|r| r <= close) {
            completed.push(item(w));
            if was_committed {
                committed_done.push(item(w));
            }
        } else {
            carried_over.push(item(w));
        }
    }
    let scope_count = completed.len() + carried_over.len();
    let (committed, completed) = (Bucket::of(committed), Bucket::of(completed));
    let completion_points = (committed.points > 0.0).then(|| completed.points / committed.points);
    let committed_done = Bucket::of(committed_done);
    let say_do_points = (committed.points > 0.0).then(|| committed_done.points / committed.points);
    let completion_count = (scope_count > 0).then(|| completed.count() as f64 / scope_count as f64);

    let cycles: Vec<f64> = completed
        .items
        .iter()
        .filter_map(|i| i.cycle_seconds)
        .collect();
    let cycle_time = DurationSummary::from_seconds(cycles.iter().map(|s| *s as i64));
    let kept: Vec<f64> = cycles.iter().copied().filter(|s| *s >= 0.0).collect();
    let fence = (kept.len() >= params.outlier_min_items)
        .then(|| {
            let (q1, q3) = (quantile(&kept, 0.25)?, quantile(&kept, 0.75)?);
            Some(q3 + params.outlier_fence * (q3 - q1))
        })
        .flatten();
    let mut outliers: Vec<RetroItem> = match fence {
        Some(f) => completed
            .items
            .iter()
            .filter(|i| i.cycle_seconds.is_some_and(|s| s > f))
            .cloned()
            .collect(),
        None => vec![],
    };
    outliers.sort_by(|a, b| {
        b.cycle_seconds
            .unwrap_or(0.0)
            .total_cmp(&a.cycle_seconds.unwrap_or(0.0))
    });

    let in_window = |t: Timestamp| t >= start && t < close;
    let incidents: Vec<RetroIncident> = inputs
        .incidents
        .iter()
        .filter(|i| in_window(i.created_at))
        .map(|i| RetroIncident {
            id: i.id,
            severity: i.severity.as_str().to_string(),
            title: i.title.clone(),
            service: i.service.clone(),
            created_at: i.created_at,
            ack_seconds: i.acknowledged_at.map(|a| seconds(i.created_at, a)),
            resolve_seconds: i.resolved_at.map(|r| seconds(i.created_at, r)),
            actions: inputs
                .actions
                .iter()
                .filter(|a| a.incident_id == Some(i.id))
                .map(|a| (a.title.clone(), closed_by(a, close)))
                .collect(),
        })
        .collect();
    let mtta = median(
        &incidents
            .iter()
            .filter_map(|i| i.ack_seconds)
            .collect::<Vec<_>>(),
    );
    let mttr = median(
        &incidents
            .iter()
            .filter_map(|i| i.resolve_seconds)
            .collect::<Vec<_>>(),
    );

    let last_retro_from = inputs
        .previous
        .as_ref()
        .map_or(start - (close - start), |p| p.start_at);
    let pick = |keep: &dyn Fn(&ActionItem) -> bool| -> Vec<RetroAction> {
        inputs
            .actions
            .iter()
            .filter(|a| keep(a))
            .map(|a| retro_action(a, close))
            .collect()
    };
    let actions_opened = pick(&|a| in_window(a.created_at));
    let actions_closed = pick(&|a| a.completed_at.is_some_and(in_window));
    let actions_overdue = pick(&|a| {
        a.created_at < close && !closed_by(a, close) && a.due_at.is_some_and(|d| d < close)
    });
    // "Still open" is said when the retro is prepared: an item closed after the sprint's close
    // but before `now` is no longer left over, and is not listed as if it were.
    let actions_left_from_last_retro = inputs
        .actions
        .iter()
        .filter(|a| a.created_at >= last_retro_from && a.created_at < start && !closed_by(a, now))
        .map(|a| retro_action(a, now))
        .collect();

    let support: Vec<RetroTicket> = inputs
        .support_tickets
        .iter()
        .filter(|t| in_window(t.created_at))
        .map(|t| RetroTicket {
            id: t.id,
            title: t.title.clone(),
            priority: t.priority.clone(),
            status: t.status.clone(),
            created_at: t.created_at,
            labels: t.labels.clone(),
        })
        .collect();
    let mut labels: HashMap<&str, usize> = HashMap::new();
    for l in support.iter().flat_map(|t| &t.labels) {
        *labels.entry(l.as_str()).or_default() += 1;
    }
    let mut support_top_labels: Vec<(String, usize)> = labels
        .into_iter()
        .map(|(l, n)| (l.to_string(), n))
        .collect();
    support_top_labels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    support_top_labels.truncate(3);

    let mut prep = RetroPrep {
        definition: versions.reference(RETRO_PREP),
        sprint: SprintInfo {
            id: sprint.id,
            name: sprint.name.clone(),
            team: sprint.team.clone(),
            goal: sprint.goal.clone(),
            state: sprint.state.clone(),
            start_at: start,
            close_at: close,
            finished: sprint.completed_at.is_some_and(|c| c <= now) || sprint.end_at <= now,
        },
        previous_sprint: inputs.previous.as_ref().map(|p| p.name.clone()),
        committed,
        completed,
        added: Bucket::of(added),
        removed: Bucket::of(removed),
        carried_over: Bucket::of(carried_over),
        carried_in: Bucket::of(carried_in),
        completion_points,
        say_do_points,
        committed_done,
        completion_count,
        cycle_time,
        outliers,
        outlier_fence_seconds: fence,
        incidents,
        mtta_median_seconds: mtta,
        mttr_median_seconds: mttr,
        actions_opened,
        actions_closed,
        actions_overdue,
        actions_left_from_last_retro,
        support,
        support_top_labels,
        delivery: inputs.delivery,
        prompts: vec![],
    };
    prep.prompts = prompts(&prep, params);
    Some(prep)
}
