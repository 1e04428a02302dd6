//! Delivery: deployments, the changes they ship, and CI pipeline runs.

use super::Timestamp;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployStatus {
    Success,
    Failure,
}

impl DeployStatus {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "failure" => Some(Self::Failure),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// Rollbacks and hotfixes are remediation: they mark the deployment they fix as failed
/// (change failure rate) and count as rework (deployment rework rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeployKind {
    Regular,
    Rollback,
    Hotfix,
}

impl DeployKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "regular" => Some(Self::Regular),
            "rollback" => Some(Self::Rollback),
            "hotfix" => Some(Self::Hotfix),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Regular => "regular",
            Self::Rollback => "rollback",
            Self::Hotfix => "hotfix",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    pub id: i64,
    pub service: String,
    pub team: Option<String>,
    pub environment: String,
    pub status: DeployStatus,
    pub kind: DeployKind,
    pub started_at: Option<Timestamp>,
    pub finished_at: Timestamp,
    pub commit_sha: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeState {
    Open,
    Merged,
    Closed,
}

impl ChangeState {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(Self::Open),
            "merged" => Some(Self::Merged),
            "closed" => Some(Self::Closed),
            _ => None,
        }
    }
}

/// A pull request or merge request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub id: i64,
    pub repo: String,
    pub service: Option<String>,
    pub team: Option<String>,
    pub title: Option<String>,
    pub state: ChangeState,
    pub merge_sha: Option<String>,
    pub first_commit_at: Option<Timestamp>,
    pub opened_at: Option<Timestamp>,
    pub first_review_at: Option<Timestamp>,
    pub merged_at: Option<Timestamp>,
    pub additions: Option<i64>,
    pub deletions: Option<i64>,
}

/// One link: deployment `deployment_id` shipped change `change_id` (store ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct DeploymentChange {
    pub deployment_id: i64,
    pub change_id: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunConclusion {
    Success,
    Failure,
    Cancelled,
    Skipped,
    TimedOut,
}

impl RunConclusion {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "success" => Some(Self::Success),
            "failure" => Some(Self::Failure),
            "cancelled" => Some(Self::Cancelled),
            "skipped" => Some(Self::Skipped),
            "timed_out" => Some(Self::TimedOut),
            _ => None,
        }
    }
}

/// A CI workflow run (GitHub Actions run, GitLab pipeline). `attempt` > 1 is a re-run of the
/// same commit, which is how flaky runs are detected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PipelineRun {
    pub id: i64,
    pub repo: String,
    pub service: Option<String>,
    pub team: Option<String>,
    pub workflow: String,
    pub branch: Option<String>,
    pub commit_sha: Option<String>,
    /// `None` while the run is queued or in progress.
    pub conclusion: Option<RunConclusion>,
    pub attempt: i64,
    pub queued_at: Option<Timestamp>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub tests_passed: Option<i64>,
    pub tests_failed: Option<i64>,
}
