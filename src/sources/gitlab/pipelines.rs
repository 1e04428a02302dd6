//! Pipelines and their jobs → `pipeline_runs` and `jobs`.
//!
//! GitLab retries jobs inside the same pipeline (the pipeline keeps its id), so a pipeline's
//! attempts are read from its jobs, retried ones included: the n-th job of a name is attempt n.
//! The pipeline's row carries its last attempt; each earlier attempt gets a row of its own
//! (`<project>/pipelines/<id>/attempts/<n>`) with the outcome and times of the jobs that were
//! retried after it. A failed attempt followed by a passing one on the same commit is what the
//! CI metrics count as flaky, as for GitHub's re-run attempts.
//!
//! A pipeline not finished yet is stored with its current status and no jobs; its status
//! change moves its `updated_at`, so a later pass reads it again with its jobs.

use super::{Owner, PER_PAGE, project_path, walk};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::sources::shared::{JOB_COLUMNS, RUN_COLUMNS};
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_int, opt_text, opt_time, text};
use futures_util::{FutureExt, StreamExt, stream};
use rusqlite::types::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Pipeline {
    id: u64,
    status: String,
    #[serde(default)]
    source: Option<String>,
    #[serde(rename = "ref", default)]
    git_ref: Option<String>,
    #[serde(default)]
    sha: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    web_url: Option<String>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(Debug, Deserialize)]
struct Job {
    id: u64,
    name: String,
    status: String,
    #[serde(default)]
    failure_reason: Option<String>,
    #[serde(default)]
    allow_failure: bool,
    #[serde(default)]
    created_at: Option<Timestamp>,
    #[serde(default)]
    started_at: Option<Timestamp>,
    #[serde(default)]
    finished_at: Option<Timestamp>,
    #[serde(default)]
    web_url: Option<String>,
}

/// A job with its attempt number and whether a later attempt of it exists.
struct Attempted {
    job: Job,
    attempt: i64,
    retried: bool,
}

/// A pipeline with its jobs (empty while it runs).
struct Detailed {
    pipeline: Pipeline,
    jobs: Vec<Attempted>,
}

/// GitLab's pipeline or job status in the schema's three states. `manual` and `scheduled`
/// wait for a person or a time and count as queued.
fn status(raw: &str) -> &'static str {
    match raw {
        "success" | "failed" | "canceled" | "skipped" => "completed",
        "running" => "in_progress",
        _ => "queued",
    }
}

/// The schema's conclusion of a finished pipeline or job; GitLab reports timeouts as a
/// failure with a `failure_reason`.
fn conclusion(raw: &str, failure_reason: Option<&str>) -> Option<&'static str> {
    match raw {
        "success" => Some("success"),
        "failed" => match failure_reason {
            Some("job_execution_timeout" | "stuck_or_timeout_failure") => Some("timed_out"),
            _ => Some("failure"),
        },
        "canceled" => Some("cancelled"),
        "skipped" => Some("skipped"),
        _ => None,
    }
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    project: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let id = project_path(session.source, project);
    let owner = Owner::of(session.ownership(), project);
    let list = format!("{id}/pipelines?order_by=updated_at&sort=desc");
    let prepare = |pipelines: Vec<Pipeline>| {
        stream::iter(pipelines)
            .map(|p| with_jobs(client, &id, p))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .map(|done| done.into_iter().collect())
    };
    walk(session, client, resource, &list, prepare, |w, d| {
        write_pipeline(w, project, &owner, d)
    })
    .await
}

/// Reads a finished pipeline's jobs, retried ones included, and numbers their attempts.
async fn with_jobs(
    client: &HttpClient,
    id: &str,
    pipeline: Pipeline,
) -> Result<Detailed, SourceError> {
    if status(&pipeline.status) != "completed" {
        return Ok(Detailed {
            pipeline,
            jobs: Vec::new(),
        });
    }
    let mut target = format!(
        "{id}/pipelines/{}/jobs?include_retried=true&per_page={PER_PAGE}",
        pipeline.id
    );
    let mut jobs: Vec<Job> = Vec::new();
    loop {
        let page = client.get_page(&target).await?;
        let listed: Vec<Job> = client.decode(&page)?;
        let full = listed.len() >= PER_PAGE;
        jobs.extend(listed);
        match page.next {
            Some(next) => target = next,
            None if full => target = super::with_page(&target, super::page_of(&target) + 1),
            None => break,
        }
    }
    Ok(Detailed {
        pipeline,
        jobs: number_attempts(jobs),
    })
}

/// The n-th job of a name (by id, which grows with each retry) is attempt n.
fn number_attempts(mut jobs: Vec<Job>) -> Vec<Attempted> {
    jobs.sort_by_key(|j| j.id);
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    for j in &jobs {
        *counts.entry(j.name.clone()).or_default() += 1;
    }
    let mut seen: BTreeMap<String, i64> = BTreeMap::new();
    jobs.into_iter()
        .map(|job| {
            let n = seen.entry(job.name.clone()).or_default();
            *n += 1;
            let attempt = *n;
            let retried = attempt < counts.get(&job.name).copied().unwrap_or(0);
            Attempted {
                job,
                attempt,
                retried,
            }
        })
        .collect()
}

/// What an earlier attempt ended with: its retried jobs' worst outcome (a job allowed to fail
/// fails nothing).
fn attempt_conclusion(jobs: &[&Attempted]) -> &'static str {
    let outcomes: Vec<Option<&str>> = jobs
        .iter()
        .filter(|a| !a.job.allow_failure)
        .map(|a| conclusion(&a.job.status, a.job.failure_reason.as_deref()))
        .collect();
    ["failure", "timed_out", "cancelled"]
        .into_iter()
        .find(|c| outcomes.contains(&Some(*c)))
        .unwrap_or("success")
}

fn write_pipeline(
    w: &mut RowWriter<'_>,
    project: &str,
    owner: &super::Owner,
    d: &Detailed,
) -> Result<(), StoreError> {
    let p = &d.pipeline;
    let state = status(&p.status);
    let last_attempt = d.jobs.iter().map(|a| a.attempt).max().unwrap_or(1);
    let current: Vec<&Attempted> = d.jobs.iter().filter(|a| !a.retried).collect();
    let finished_at = (state == "completed").then(|| {
        current
            .iter()
            .filter_map(|a| a.job.finished_at)
            .max()
            .unwrap_or(p.updated_at)
    });
    let started_at = d.jobs.iter().filter_map(|a| a.job.started_at).min();
    let row = |attempt: i64,
               conclusion: Option<&'static str>,
               started: Option<Timestamp>,
               finished: Option<Timestamp>,
               state: &'static str| {
        [
            text(project),
            opt_text(owner.service.clone()),
            opt_text(owner.team.clone()),
            text(p.name.clone().unwrap_or_else(|| "pipeline".into())),
            opt_text(p.git_ref.clone()),
            opt_text(p.sha.clone()),
            opt_text(p.source.clone()),
            text(state),
            conclusion.map_or(Value::Null, text),
            opt_int(Some(attempt)),
            opt_time(Some(p.created_at)),
            opt_time(started),
            opt_time(finished),
        ]
    };
    let values = row(
        last_attempt,
        conclusion(&p.status, None),
        started_at,
        finished_at,
        state,
    );
    let external_id = format!("{project}/pipelines/{}", p.id);
    let run_id = w.upsert(
        "pipeline_runs",
        RUN_COLUMNS,
        &values,
        &external_id,
        p.web_url.as_deref(),
    )?;
    for attempt in 1..last_attempt {
        let retried: Vec<&Attempted> = d
            .jobs
            .iter()
            .filter(|a| a.attempt == attempt && a.retried)
            .collect();
        let started = retried.iter().filter_map(|a| a.job.started_at).min();
        let finished = retried
            .iter()
            .filter_map(|a| a.job.finished_at)
            .max()
            .or(finished_at);
        let values = row(
            attempt,
            Some(attempt_conclusion(&retried)),
            started,
            finished,
            "completed",
        );
        let external_id = format!("{project}/pipelines/{}/attempts/{attempt}", p.id);
        w.upsert(
            "pipeline_runs",
            RUN_COLUMNS,
            &values,
            &external_id,
            p.web_url.as_deref(),
        )?;
    }
    for a in &d.jobs {
        let j = &a.job;
        let values = [
            Value::Integer(run_id),
            text(j.name.as_str()),
            text(status(&j.status)),
            conclusion(&j.status, j.failure_reason.as_deref()).map_or(Value::Null, text),
            opt_int(Some(a.attempt)),
            opt_time(j.started_at.or(j.created_at)),
            opt_time(j.finished_at),
        ];
        let external_id = format!("{project}/jobs/{}", j.id);
        w.upsert(
            "jobs",
            JOB_COLUMNS,
            &values,
            &external_id,
            j.web_url.as_deref(),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: u64, name: &str, status: &str, reason: Option<&str>) -> Job {
        Job {
            id,
            name: name.into(),
            status: status.into(),
            failure_reason: reason.map(str::to_string),
            allow_failure: false,
            created_at: None,
            started_at: None,
            finished_at: None,
            web_url: None,
        }
    }

    #[test]
    fn retried_jobs_are_numbered_by_id_within_their_name() {
        let jobs = number_attempts(vec![
            job(9, "test", "success", None),
            job(3, "test", "failed", None),
            job(4, "lint", "success", None),
            job(12, "test", "success", None),
        ]);
        let seen: Vec<(u64, i64, bool)> = jobs
            .iter()
            .map(|a| (a.job.id, a.attempt, a.retried))
            .collect();
        assert_eq!(
            seen,
            vec![(3, 1, true), (4, 1, false), (9, 2, true), (12, 3, false)]
        );
    }

    #[test]
    fn timeouts_and_allowed_failures_shape_an_attempts_outcome() {
        assert_eq!(
            conclusion("failed", Some("stuck_or_timeout_failure")),
            Some("timed_out")
        );
        assert_eq!(
            conclusion("failed", Some("script_failure")),
            Some("failure")
        );
        assert_eq!(conclusion("running", None), None);
        let failed = Attempted {
            job: job(1, "a", "failed", None),
            attempt: 1,
            retried: true,
        };
        let mut allowed = Attempted {
            job: job(2, "b", "failed", None),
            attempt: 1,
            retried: true,
        };
        allowed.job.allow_failure = true;
        assert_eq!(attempt_conclusion(&[&failed, &allowed]), "failure");
        assert_eq!(attempt_conclusion(&[&allowed]), "success");
        let cancelled = Attempted {
            job: job(3, "c", "canceled", None),
            attempt: 1,
            retried: true,
        };
        assert_eq!(attempt_conclusion(&[&cancelled]), "cancelled");
    }
}
