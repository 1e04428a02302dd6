//! Deployments and their statuses → `deployments`. Only deployments to production (the team's
//! environment pattern, or an environment listed in the source's `environments`) are read:
//! each costs a statuses request, and only production feeds the DORA keys.
//!
//! A deployment's finish is its first terminal status (`success`, or `failure`/`error`); one
//! still queued or in progress is not written yet and keeps the cursor back for the next pass.

use super::{PER_PAGE, fetch, owner};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Deployment {
    id: u64,
    sha: String,
    environment: String,
    created_at: Timestamp,
    url: String,
}

#[derive(Debug, Deserialize)]
struct Status {
    state: String,
    created_at: Timestamp,
    #[serde(default)]
    log_url: Option<String>,
    #[serde(default)]
    target_url: Option<String>,
}

/// A finished deployment, ready to store.
struct Finished {
    deployment: Deployment,
    status: &'static str,
    finished_at: Timestamp,
    url: String,
}

const COLUMNS: &[&str] = &[
    "service",
    "team",
    "environment",
    "status",
    "started_at",
    "finished_at",
    "commit_sha",
];

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let owner = owner(session.ownership(), repo);
    let service = owner
        .service
        .clone()
        .unwrap_or_else(|| repo.rsplit('/').next().unwrap_or(repo).to_string());
    let mut run = session.begin(resource)?;
    loop {
        let Some((page, _)) = fetch(client, &mut run, || {
            format!("/repos/{repo}/deployments?per_page={PER_PAGE}")
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let listed: Vec<Deployment> = client.decode(&page)?;
        let lower = run.pass().lower_bound;
        let count = listed.len();
        let fresh: Vec<Deployment> = listed
            .into_iter()
            .filter(|d| d.created_at >= lower)
            .collect();
        let reached_bound = fresh.len() < count;
        let production: Vec<Deployment> = fresh
            .into_iter()
            .filter(|d| {
                session
                    .ownership()
                    .is_production(owner.team.as_deref(), &d.environment)
                    || session.source.environments.contains(&d.environment)
            })
            .collect();
        let read = production.len();
        let outcomes: Vec<Result<Finished, Deployment>> = stream::iter(production)
            .map(|d| finish(client, repo, d))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        let mut finished = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            match outcome {
                Ok(f) => finished.push(f),
                Err(open) => run.pass().saw_open(open.created_at),
            }
        }
        run.advance(if reached_bound {
            None
        } else {
            page.next.clone()
        });
        let team = owner.team.clone();
        session.write_page(resource, &mut run, read, |w| {
            for f in &finished {
                let d = &f.deployment;
                let values = [
                    text(service.as_str()),
                    opt_text(team.clone()),
                    text(d.environment.as_str()),
                    text(f.status),
                    opt_time(Some(d.created_at)),
                    opt_time(Some(f.finished_at)),
                    text(d.sha.as_str()),
                ];
                let external_id = format!("{repo}/deployments/{}", d.id);
                w.upsert("deployments", COLUMNS, &values, &external_id, Some(&f.url))?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

/// Reads a deployment's statuses: `Ok` with its outcome when it reached a terminal state,
/// `Err` with the deployment when it is still running.
async fn finish(
    client: &HttpClient,
    repo: &str,
    deployment: Deployment,
) -> Result<Result<Finished, Deployment>, SourceError> {
    let target = format!(
        "/repos/{repo}/deployments/{}/statuses?per_page={PER_PAGE}",
        deployment.id
    );
    let statuses: Vec<Status> = client.decode(&client.get_page(&target).await?)?;
    let terminal = statuses
        .iter()
        .filter_map(|s| match s.state.as_str() {
            "success" => Some(("success", s)),
            "failure" | "error" => Some(("failure", s)),
            _ => None,
        })
        .min_by_key(|(_, s)| s.created_at);
    Ok(match terminal {
        Some((status, s)) => Ok(Finished {
            status,
            finished_at: s.created_at,
            url: s
                .log_url
                .clone()
                .or_else(|| s.target_url.clone())
                .unwrap_or_else(|| deployment.url.clone()),
            deployment,
        }),
        None => Err(deployment),
    })
}
