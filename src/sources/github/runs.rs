//! Actions workflow runs → `pipeline_runs`. The list is filtered server-side by creation time
//! (`created=>=` the pass's lower bound); runs not yet completed keep the cursor back so the
//! next pass reads them again. A row is one run with its latest attempt.

use super::{PER_PAGE, created_since, fetch, owner};
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError, opt_int, opt_text, opt_time, text};
use rusqlite::types::Value;
use serde::Deserialize;

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

const COLUMNS: &[&str] = &[
    "repo",
    "service",
    "team",
    "workflow",
    "branch",
    "commit_sha",
    "event",
    "status",
    "conclusion",
    "attempt",
    "queued_at",
    "started_at",
    "finished_at",
];

/// GitHub's run status in the schema's three states (`requested`, `waiting` and `pending`
/// have not started).
fn status(raw: Option<&str>) -> &'static str {
    match raw {
        Some("completed") => "completed",
        Some("in_progress") => "in_progress",
        _ => "queued",
    }
}

/// GitHub's conclusion in the schema's; `neutral`, `action_required` and `stale` say nothing
/// about success and are stored empty.
fn conclusion(raw: Option<&str>) -> Option<&'static str> {
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
    let owner = owner(session.ownership(), repo);
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    loop {
        let Some((page, _)) = fetch(client, &mut run, || {
            format!(
                "/repos/{repo}/actions/runs?per_page={PER_PAGE}&created={}",
                created_since(lower)
            )
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let runs: Runs = client.decode(&page)?;
        for r in &runs.workflow_runs {
            if status(r.status.as_deref()) != "completed" {
                run.pass().saw_open(r.created_at);
            }
        }
        run.advance(page.next.clone());
        let count = runs.workflow_runs.len();
        session.write_page(resource, &mut run, count, |w| {
            for r in &runs.workflow_runs {
                let state = status(r.status.as_deref());
                let finished = (state == "completed").then_some(r.updated_at);
                let values = [
                    text(repo),
                    opt_text(owner.service.clone()),
                    opt_text(owner.team.clone()),
                    text(r.name.clone().unwrap_or_else(|| "workflow".into())),
                    opt_text(r.head_branch.clone()),
                    opt_text(r.head_sha.clone()),
                    opt_text(r.event.clone()),
                    text(state),
                    conclusion(r.conclusion.as_deref()).map_or(Value::Null, text),
                    opt_int(Some(r.run_attempt.unwrap_or(1))),
                    opt_time(Some(r.created_at)),
                    opt_time(r.run_started_at),
                    opt_time(finished),
                ];
                let external_id = format!("{repo}/runs/{}", r.id);
                w.upsert(
                    "pipeline_runs",
                    COLUMNS,
                    &values,
                    &external_id,
                    r.html_url.as_deref(),
                )?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}
