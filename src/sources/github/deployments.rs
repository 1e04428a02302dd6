//! Deployments and their statuses → `deployments`. Only deployments to production (the team's
//! environment pattern, or an environment listed in the source's `environments`) are read:
//! each costs a statuses request, and only production feeds the DORA keys.
//!
//! A deployment's finish is its first terminal status (`success`, or `failure`/`error`); one
//! still queued or in progress is not written yet and keeps the cursor back for the next pass.

use super::{List, Owner, PER_PAGE, Prepared, walk};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::{HttpClient, Page};
use crate::sources::shared::DEPLOYMENT_COLUMNS;
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

/// List pages requested at once (see [`super::pulls`]).
const AHEAD: usize = 2;

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let owner = Owner::of(session.ownership(), repo);
    let service = owner.service_or_repo(repo);
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    let ownership = session.ownership().clone();
    let environments = session.source.environments.clone();
    let (team, ownership, environments) = (owner.team.clone(), &ownership, &environments);
    let concurrency = client.policy().concurrency;
    let prepare = |page: Page| {
        let team = team.clone();
        async move {
            let listed: Vec<Deployment> = client.decode(&page)?;
            let count = listed.len();
            let fresh: Vec<Deployment> = listed
                .into_iter()
                .filter(|d| d.created_at >= lower)
                .collect();
            let reached_bound = fresh.len() < count;
            let production: Vec<Deployment> = fresh
                .into_iter()
                .filter(|d| {
                    ownership.is_production(team.as_deref(), &d.environment)
                        || environments.contains(&d.environment)
                })
                .collect();
            let items = production.len();
            let outcomes: Vec<Result<Finished, Deployment>> = stream::iter(production)
                .map(|d| finish(client, repo, d))
                .buffered(concurrency)
                .collect::<Vec<_>>()
                .await
                .into_iter()
                .collect::<Result<_, SourceError>>()?;
            let mut finished = Vec::with_capacity(outcomes.len());
            let mut open = Vec::new();
            for outcome in outcomes {
                match outcome {
                    Ok(f) => finished.push(f),
                    Err(running) => open.push(running.created_at),
                }
            }
            Ok(Prepared {
                page,
                data: finished,
                items,
                reached_bound,
                open,
            })
        }
    };
    let first = format!("/repos/{repo}/deployments?per_page={PER_PAGE}");
    let team = owner.team.clone();
    walk(
        session,
        client,
        &mut run,
        List {
            resource,
            first,
            ahead: AHEAD,
        },
        prepare,
        |w, finished: &Vec<Finished>| {
            for f in finished {
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
                let external_id = external_id(repo, d.id);
                w.upsert(
                    "deployments",
                    DEPLOYMENT_COLUMNS,
                    &values,
                    &external_id,
                    Some(&f.url),
                )?;
            }
            Ok(())
        },
    )
    .await
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

/// The `external_id` of a deployment; [`super::compare`] reads deployments back by it.
pub(super) fn external_id(repo: &str, id: u64) -> String {
    format!("{repo}/deployments/{id}")
}
