//! Deployments → `deployments`. Only deployments to production (the team's environment
//! pattern, or an environment listed in the source's `environments`) that reached a terminal
//! status are written: `success`, or `failed` as a failure. A deployment still `created`,
//! `running` or `blocked` is skipped; its status change moves its `updated_at`, so a later pass
//! reads it again. A `canceled` deployment shipped nothing and is left out.
//!
//! The finish time is the deploy job's `finished_at`, else the deployment's `updated_at` (the
//! time its status last changed).
//!
//! GitLab tracks which merge requests each deployment shipped
//! (`GET /projects/:id/deployments/:deployment_id/merge_requests`, the merge request list
//! format): each one already synced becomes a `deployment_changes` link, written in the same
//! transaction as the deployment. A merge request not synced yet (outside the history, or its
//! list failed in this run) gets no link; the metrics then fall back to matching the deployed
//! commit with a merge commit.

use super::{Owner, PER_PAGE, project_path, walk};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::sources::shared::DEPLOYMENT_COLUMNS;
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use rusqlite::types::Value;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Deployment {
    id: u64,
    status: String,
    created_at: Timestamp,
    updated_at: Timestamp,
    #[serde(default)]
    sha: Option<String>,
    environment: Environment,
    #[serde(default)]
    deployable: Option<Deployable>,
}

#[derive(Debug, Deserialize)]
struct ShippedMergeRequest {
    iid: u64,
}

#[derive(Debug, Deserialize)]
struct Environment {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Deployable {
    #[serde(default)]
    started_at: Option<Timestamp>,
    #[serde(default)]
    finished_at: Option<Timestamp>,
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default)]
    pipeline: Option<PipelineRef>,
}

#[derive(Debug, Deserialize)]
struct PipelineRef {
    #[serde(default)]
    web_url: Option<String>,
}

/// GitLab's deployment status as stored, `None` while it may still change or when it shipped
/// nothing.
fn terminal_status(status: &str) -> Option<&'static str> {
    match status {
        "success" => Some("success"),
        "failed" => Some("failure"),
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
    let service = owner.service_or_repo(project);
    let ownership = session.ownership().clone();
    let environments = session.source.environments.clone();
    let list = format!("{id}/deployments?order_by=updated_at&sort=desc");
    let (team, id) = (owner.team.as_deref(), id.as_str());
    let (ownership, environments) = (&ownership, &environments);
    let prepare = |listed: Vec<Deployment>| async move {
        let finished: Vec<(Deployment, &'static str)> = listed
            .into_iter()
            .filter(|d| {
                ownership.is_production(team, &d.environment.name)
                    || environments.contains(&d.environment.name)
            })
            .filter_map(|d| terminal_status(&d.status).map(|s| (d, s)))
            .collect();
        let shipped: Vec<Vec<u64>> = stream::iter(&finished)
            .map(|(d, status)| shipped_merge_requests(client, id, d.id, status))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        Ok(finished.into_iter().zip(shipped).collect::<Vec<_>>())
    };
    walk(
        session,
        client,
        resource,
        &list,
        prepare,
        |w, ((d, status), iids)| {
            let job = d.deployable.as_ref();
            let finished_at = job.and_then(|j| j.finished_at).unwrap_or(d.updated_at);
            let started_at = job.and_then(|j| j.started_at).unwrap_or(d.created_at);
            let url = job.and_then(|j| {
                j.web_url
                    .clone()
                    .or_else(|| j.pipeline.as_ref().and_then(|p| p.web_url.clone()))
            });
            let values = [
                text(service.as_str()),
                opt_text(team),
                text(d.environment.name.as_str()),
                text(*status),
                opt_time(Some(started_at.min(finished_at))),
                opt_time(Some(finished_at)),
                opt_text(d.sha.clone()),
            ];
            let external_id = format!("{project}/deployments/{}", d.id);
            let deployment_id = w.upsert(
                "deployments",
                DEPLOYMENT_COLUMNS,
                &values,
                &external_id,
                url.as_deref(),
            )?;
            for iid in iids {
                let change = format!("{project}!{iid}");
                let Some(change_id) = w.id_of("changes", &change)? else {
                    continue;
                };
                w.upsert(
                    "deployment_changes",
                    &["deployment_id", "change_id"],
                    &[Value::Integer(deployment_id), Value::Integer(change_id)],
                    &format!("{external_id}->{change}"),
                    None,
                )?;
            }
            Ok(())
        },
    )
    .await
}

/// The merged merge requests a successful deployment shipped (none for a failed one).
async fn shipped_merge_requests(
    client: &HttpClient,
    id: &str,
    deployment: u64,
    status: &str,
) -> Result<Vec<u64>, SourceError> {
    if status != "success" {
        return Ok(Vec::new());
    }
    let mut target =
        format!("{id}/deployments/{deployment}/merge_requests?state=merged&per_page={PER_PAGE}");
    let mut iids = Vec::new();
    loop {
        let page = client.get_page(&target).await?;
        let listed: Vec<ShippedMergeRequest> = client.decode(&page)?;
        let full = listed.len() >= PER_PAGE;
        iids.extend(listed.into_iter().map(|m| m.iid));
        match page.next {
            Some(next) => target = next,
            None if full => target = super::with_page(&target, super::page_of(&target) + 1),
            None => return Ok(iids),
        }
    }
}
