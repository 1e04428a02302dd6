//! Planning and organisation: teams, services, sprints, work items, roadmap, OKRs, support
//! tickets and costs.

use super::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub display_name: Option<String>,
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Service {
    pub id: i64,
    pub name: String,
    pub team: Option<String>,
    pub tier: Option<String>,
    pub repo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sprint {
    pub id: i64,
    pub board: String,
    pub team: Option<String>,
    pub name: String,
    pub state: String,
    pub start_at: Timestamp,
    pub end_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    pub goal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkItem {
    pub id: i64,
    pub key: String,
    pub title: Option<String>,
    pub item_type: String,
    pub category: Option<String>,
    pub status: String,
    pub status_category: String,
    pub team: Option<String>,
    pub sprint_id: Option<i64>,
    pub milestone_id: Option<i64>,
    pub epic: Option<String>,
    pub points: Option<f64>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
}

/// A work item's membership in a sprint; `added_at` after the sprint start means scope added.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SprintItem {
    pub sprint_id: i64,
    pub work_item_id: i64,
    pub added_at: Option<Timestamp>,
    pub removed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Milestone {
    pub id: i64,
    pub name: String,
    pub team: Option<String>,
    pub status: String,
    pub start_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Objective {
    pub id: i64,
    pub title: String,
    pub team: Option<String>,
    pub period: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyResult {
    pub id: i64,
    pub objective_id: i64,
    pub title: String,
    pub metric: Option<String>,
    pub unit: Option<String>,
    pub baseline: Option<f64>,
    pub target: f64,
    pub current: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SupportTicket {
    pub id: i64,
    pub title: Option<String>,
    pub service: Option<String>,
    pub team: Option<String>,
    pub priority: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cost {
    pub id: i64,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub team: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    pub amount: f64,
    pub currency: String,
    /// `finance` (reported spend) or `estimate` (engineering's own estimate).
    pub cost_source: String,
}
