//! Actions workflow runs → `pipeline_runs`. The list is filtered server-side by creation time
//! (`created=>=` the pass's lower bound); runs not yet completed keep the cursor back so the
//! next pass reads them again. A row is one run at its latest attempt; a completed run that
//! was re-run also gets a row per earlier attempt and its jobs (see [`super::jobs`]).

use super::jobs::{self, Attempt, Job};
use super::{List, Owner, PER_PAGE, Prepared, created_since, walk};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::{HttpClient, Page};
use crate::sources::shared::RUN_COLUMNS;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_int, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use rusqlite::types::Value;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Deserialize)]
struct Runs {
    workflow_runs: Vec<Run>,
}

#[derive(Debug, Deserialize)]
struct Run {
    id: u64,
    name: Option<String>,
    head_branch: Option<String>,
    head_sha: Option<String>,
    event: Option<String>,
    status: Option<String>,
    conclusion: Option<String>,
    run_attempt: Option<i64>,
    created_at: Timestamp,
    run_started_at: Option<Timestamp>,
    updated_at: Timestamp,
    html_url: Option<String>,
}

/// GitHub's run status in the schema's three states (`requested`, `waiting` and `pending`
/// have not started).
pub(super) fn status(raw: Option<&str>) -> &'static str {
    match raw {
        Some("completed") => "completed",
        Some("in_progress") => "in_progress",
        _ => "queued",
    }
}

/// GitHub's conclusion in the schema's; `neutral`, `action_required` and `stale` say nothing
/// about success and are stored empty.
pub(super) fn conclusion(raw: Option<&str>) -> Option<&'static str> {
    match raw? {
        "success" => Some("success"),
        "failure" | "startup_failure" => Some("failure"),
        "cancelled" => Some("cancelled"),
        "skipped" => Some("skipped"),
        "timed_out" => Some("timed_out"),
        _ => None,
    }
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let owner = Owner::of(session.ownership(), repo);
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    let concurrency = client.policy().concurrency;
    let prepare = |page: Page| async move {
        let runs: Runs = client.decode(&page)?;
        let open = runs
            .workflow_runs
            .iter()
            .filter(|r| status(r.status.as_deref()) != "completed")
            .map(|r| r.created_at)
            .collect();
        let rerun: Vec<u64> = runs
            .workflow_runs
            .iter()
            .filter(|r| status(r.status.as_deref()) == "completed" && r.attempt() > 1)
            .map(|r| r.id)
            .collect();
        let jobs: Vec<(u64, Vec<Job>)> =
            stream::iter(rerun)
                .map(|id| async move {
                    Ok::<_, SourceError>((id, jobs::of_run(client, repo, id).await?))
                })
                .buffered(concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, _>>()?;
        Ok(Prepared {
            page,
            items: runs.workflow_runs.len(),
            data: (runs, jobs.into_iter().collect::<BTreeMap<_, _>>()),
            reached_bound: false,
            open,
        })
    };
    let first = format!(
        "/repos/{repo}/actions/runs?per_page={PER_PAGE}&created={}",
        created_since(lower)
    );
    // The server filters by creation time, so every page that follows is wanted: as many
    // are requested at once as the source's concurrency allows.
    walk(
        session,
        client,
        &mut run,
        List {
            resource,
            first,
            ahead: concurrency,
        },
        prepare,
        |w, (runs, jobs): &(Runs, BTreeMap<u64, Vec<Job>>)| {
            for r in &runs.workflow_runs {
                let jobs = jobs.get(&r.id).map_or(&[][..], Vec::as_slice);
                write_run(w, repo, &owner, r, jobs)?;
            }
            Ok(())
        },
    )
    .await
}

impl Run {
    fn attempt(&self) -> i64 {
        self.run_attempt.unwrap_or(1)
    }
}

/// Writes a run at its latest attempt, its earlier attempts and the jobs of all of them.
fn write_run(
    w: &mut RowWriter<'_>,
    repo: &str,
    owner: &Owner,
    r: &Run,
    jobs: &[Job],
) -> Result<(), StoreError> {
    let state = status(r.status.as_deref());
    let latest = Attempt {
        attempt: r.attempt(),
        conclusion: conclusion(r.conclusion.as_deref()),
        started_at: r.run_started_at,
        finished_at: (state == "completed").then_some(r.updated_at),
    };
    let base = format!("{repo}/runs/{}", r.id);
    let mut rows = BTreeMap::new();
    let id = write_attempt(w, repo, owner, r, state, &latest, &base)?;
    rows.insert(latest.attempt, id);
    for earlier in jobs::earlier_attempts(jobs, latest.attempt) {
        let external_id = format!("{base}/attempts/{}", earlier.attempt);
        let id = write_attempt(w, repo, owner, r, "completed", &earlier, &external_id)?;
        rows.insert(earlier.attempt, id);
    }
    jobs::write(w, repo, &rows, jobs)
}

fn write_attempt(
    w: &mut RowWriter<'_>,
    repo: &str,
    owner: &Owner,
    r: &Run,
    state: &'static str,
    a: &Attempt,
    external_id: &str,
) -> Result<i64, StoreError> {
    let values = [
        text(repo),
        opt_text(owner.service.clone()),
        opt_text(owner.team.clone()),
        text(r.name.clone().unwrap_or_else(|| "workflow".into())),
        opt_text(r.head_branch.clone()),
        opt_text(r.head_sha.clone()),
        opt_text(r.event.clone()),
        text(state),
        a.conclusion.map_or(Value::Null, text),
        opt_int(Some(a.attempt)),
        opt_time(Some(r.created_at)),
        opt_time(a.started_at),
        opt_time(a.finished_at),
    ];
    w.upsert(
        "pipeline_runs",
        RUN_COLUMNS,
        &values,
        external_id,
        r.html_url.as_deref(),
    )
}
