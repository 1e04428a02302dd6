//! Operations: incidents, alerts, SLOs and postmortem action items.

use super::Timestamp;
use serde::Serialize;

/// Normalised severity, SEV1 (worst) to SEV5. Each source's own value is kept beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
    #[serde(rename = "SEV5")]
    Sev5,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Sev1,
        Severity::Sev2,
        Severity::Sev3,
        Severity::Sev4,
        Severity::Sev5,
    ];

    /// Parses `SEV1`..`SEV5` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SEV1" => Some(Self::Sev1),
            "SEV2" => Some(Self::Sev2),
            "SEV3" => Some(Self::Sev3),
            "SEV4" => Some(Self::Sev4),
            "SEV5" => Some(Self::Sev5),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1",
            Self::Sev2 => "SEV2",
            Self::Sev3 => "SEV3",
            Self::Sev4 => "SEV4",
            Self::Sev5 => "SEV5",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResolvedBy {
    Human,
    Auto,
    Timeout,
}

impl ResolvedBy {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "human" => Some(Self::Human),
            "auto" => Some(Self::Auto),
            "timeout" => Some(Self::Timeout),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: i64,
    pub service: Option<String>,
    pub team: Option<String>,
    pub severity: Severity,
    pub severity_original: String,
    pub title: String,
    pub created_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<ResolvedBy>,
    /// Explicit attribution to a deployment (store id), when a postmortem or import names one.
    pub deployment_id: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentEvent {
    pub id: i64,
    pub incident_id: i64,
    pub at: Timestamp,
    pub kind: String,
    pub actor: Option<String>,
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: i64,
    pub monitor: String,
    pub service: Option<String>,
    pub team: Option<String>,
    pub severity: Option<String>,
    pub triggered_at: Timestamp,
    pub acknowledged_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<ResolvedBy>,
    pub incident_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetingMethod {
    Occurrences,
    Timeslices,
    RatioTimeslices,
}

impl BudgetingMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "occurrences" => Some(Self::Occurrences),
            "timeslices" => Some(Self::Timeslices),
            "ratio_timeslices" => Some(Self::RatioTimeslices),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CalendarPeriod {
    Week,
    Month,
    Quarter,
}

impl CalendarPeriod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "week" => Some(Self::Week),
            "month" => Some(Self::Month),
            "quarter" => Some(Self::Quarter),
            _ => None,
        }
    }
}

/// The SLO window: rolling over a number of days, or a calendar period whose budget is
/// computed against the full period's denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SloWindow {
    Rolling { days: u32 },
    Calendar { period: CalendarPeriod },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    pub id: i64,
    pub name: String,
    pub service: Option<String>,
    pub team: Option<String>,
    pub description: Option<String>,
    /// Objective as a fraction, e.g. 0.999.
    pub target: f64,
    pub window: SloWindow,
    pub budgeting_method: BudgetingMethod,
    pub timeslice_seconds: Option<i64>,
    pub timeslice_target: Option<f64>,
}

/// Good and total events in one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SloSample {
    pub slo_id: i64,
    pub bucket_start: Timestamp,
    pub bucket_seconds: i64,
    pub good: f64,
    pub total: f64,
}

/// Postmortem follow-up categories (Lueder and Beyer, SREcon17).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionCategory {
    Investigate,
    Mitigate,
    Repair,
    Detect,
    Prevent,
}

impl ActionCategory {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "investigate" => Some(Self::Investigate),
            "mitigate" => Some(Self::Mitigate),
            "repair" => Some(Self::Repair),
            "detect" => Some(Self::Detect),
            "prevent" => Some(Self::Prevent),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ActionStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "in_progress" => Some(Self::InProgress),
            "done" => Some(Self::Done),
            "wont_do" => Some(Self::WontDo),
            _ => None,
        }
    }
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Done | Self::WontDo)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionItem {
    pub id: i64,
    pub incident_id: Option<i64>,
    pub title: String,
    pub category: Option<ActionCategory>,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub priority: Option<String>,
    pub status: ActionStatus,
    pub ticket_key: Option<String>,
    pub created_at: Timestamp,
    pub due_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
}
