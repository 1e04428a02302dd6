//! Jobs of a re-run workflow run → `jobs`, and its earlier attempts → `pipeline_runs`.
//!
//! The runs list shows each run at its latest attempt only, so a run that failed and passed
//! on a re-run looks green. `GET /actions/runs/{id}/jobs?filter=all` lists the jobs of every
//! attempt (each with `run_attempt`); from them plumb writes one row per earlier attempt, so
//! that CI's flaky detection (a failed attempt, then a passing one of the same commit) sees
//! both. Runs never re-run (attempt 1) cost no jobs request: their jobs feed no metric.

use super::runs::{conclusion, status};
use super::{PER_PAGE, fetch_all};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::sources::shared::JOB_COLUMNS;
use crate::store::StoreError;
use crate::sync::{RowWriter, opt_int, opt_time, text};
use rusqlite::types::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Jobs {
    jobs: Vec<Job>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Job {
    id: u64,
    name: String,
    status: Option<String>,
    conclusion: Option<String>,
    /// Missing in older payloads, which knew a single attempt.
    run_attempt: Option<i64>,
    started_at: Option<Timestamp>,
    completed_at: Option<Timestamp>,
    html_url: Option<String>,
}

impl Job {
    pub(super) fn attempt(&self) -> i64 {
        self.run_attempt.unwrap_or(1)
    }
}

/// An earlier attempt of a run, as its jobs tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Attempt {
    pub attempt: i64,
    pub conclusion: Option<&'static str>,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

pub(super) async fn of_run(
    client: &HttpClient,
    repo: &str,
    run_id: u64,
) -> Result<Vec<Job>, SourceError> {
    let first = format!("/repos/{repo}/actions/runs/{run_id}/jobs?filter=all&per_page={PER_PAGE}");
    fetch_all(client, first, |page: Jobs| page.jobs).await
}

/// The attempts before `latest`, each concluded as GitHub concludes a run: failed if a job
/// failed or timed out, else cancelled if one was cancelled, else successful.
pub(super) fn earlier_attempts(jobs: &[Job], latest: i64) -> Vec<Attempt> {
    let mut by_attempt: BTreeMap<i64, Vec<&Job>> = BTreeMap::new();
    for j in jobs.iter().filter(|j| j.attempt() < latest) {
        by_attempt.entry(j.attempt()).or_default().push(j);
    }
    by_attempt
        .into_iter()
        .map(|(attempt, jobs)| {
            let outcomes: Vec<Option<&str>> = jobs
                .iter()
                .map(|j| conclusion(j.conclusion.as_deref()))
                .collect();
            let has = |c: &str| outcomes.contains(&Some(c));
            let concluded = if has("failure") || has("timed_out") {
                Some("failure")
            } else if has("cancelled") {
                Some("cancelled")
            } else if has("success") {
                Some("success")
            } else {
                None
            };
            Attempt {
                attempt,
                conclusion: concluded,
                started_at: jobs.iter().filter_map(|j| j.started_at).min(),
                finished_at: jobs.iter().filter_map(|j| j.completed_at).max(),
            }
        })
        .collect()
}

/// Writes the jobs, each under the row of its attempt (`run_rows`: attempt → store id).
pub(super) fn write(
    w: &mut RowWriter<'_>,
    repo: &str,
    run_rows: &BTreeMap<i64, i64>,
    jobs: &[Job],
) -> Result<(), StoreError> {
    for j in jobs {
        let Some(run_row) = run_rows.get(&j.attempt()) else {
            continue;
        };
        let values = [
            Value::Integer(*run_row),
            text(j.name.as_str()),
            text(status(j.status.as_deref())),
            conclusion(j.conclusion.as_deref()).map_or(Value::Null, text),
            opt_int(Some(j.attempt())),
            opt_time(j.started_at),
            opt_time(j.completed_at),
        ];
        let external_id = format!("{repo}/jobs/{}", j.id);
        w.upsert(
            "jobs",
            JOB_COLUMNS,
            &values,
            &external_id,
            j.html_url.as_deref(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, attempt: i64, conclusion: &str) -> Job {
        Job {
            id,
            name: format!("job-{id}"),
            status: Some("completed".into()),
            conclusion: Some(conclusion.into()),
            run_attempt: Some(attempt),
            started_at: Some(format!("2024-05-02T10:0{id}:00Z").parse().unwrap()),
            completed_at: Some(format!("2024-05-02T11:0{id}:00Z").parse().unwrap()),
            html_url: None,
        }
    }

    #[test]
    fn earlier_attempts_conclude_from_their_jobs() {
        let jobs = [
            job(1, 1, "success"),
            job(2, 1, "failure"),
            job(3, 2, "cancelled"),
            job(4, 2, "success"),
            job(5, 3, "success"),
        ];
        let attempts = earlier_attempts(&jobs, 3);
        let summary: Vec<(i64, Option<&str>)> =
            attempts.iter().map(|a| (a.attempt, a.conclusion)).collect();
        assert_eq!(summary, [(1, Some("failure")), (2, Some("cancelled"))]);
        assert_eq!(attempts[0].started_at, jobs[0].started_at);
        assert_eq!(attempts[0].finished_at, jobs[1].completed_at);
        assert!(earlier_attempts(&jobs, 1).is_empty());
    }
}
