//! GitHub (REST API, 2022-11-28): pull requests with their commits, deployments with their
//! statuses, and Actions workflow runs, per configured repository.
//!
//! Each repository has three resources, `owner/name:pulls`, `owner/name:deployments` and
//! `owner/name:runs`, each with its own cursor. Lists are read newest first, 100 per page,
//! following the `Link` header.

mod deployments;
mod pulls;
mod runs;

use super::SourceError;
use super::http::{Fetched, HttpClient, Page};
use crate::config::SourceConfig;
use crate::model::{Ownership, Timestamp};
use crate::sync::{ResourceRun, Session, SyncError};
use serde::Deserialize;

/// The largest page GitHub serves.
const PER_PAGE: u32 = 100;

/// The resources of a GitHub source, per repository.
pub fn resources(source: &SourceConfig) -> Vec<String> {
    source
        .repos
        .iter()
        .flat_map(|repo| {
            ["pulls", "deployments", "runs"]
                .into_iter()
                .map(move |r| format!("{repo}:{r}"))
        })
        .collect()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    let Some((repo, kind)) = resource.rsplit_once(':') else {
        return Ok(());
    };
    match kind {
        "pulls" => pulls::sync(session, client, repo, resource).await,
        "deployments" => deployments::sync(session, client, repo, resource).await,
        "runs" => runs::sync(session, client, repo, resource).await,
        _ => Ok(()),
    }
}

/// Team and service of a repository by the ownership map.
struct Owner {
    team: Option<String>,
    service: Option<String>,
}

fn owner(ownership: &Ownership, repo: &str) -> Owner {
    let service = ownership.service_for_repo(repo).map(str::to_string);
    let team = ownership
        .team_for_repo(repo)
        .or_else(|| {
            service
                .as_deref()
                .and_then(|s| ownership.team_for_service(s))
        })
        .map(str::to_string);
    Owner { team, service }
}

#[derive(Debug, Deserialize)]
struct User {
    login: String,
}

/// Fetches one page of a list; `None` when the first page answered 304.
async fn fetch(
    client: &HttpClient,
    run: &mut ResourceRun,
    first_target: impl FnOnce() -> String,
) -> Result<Option<(Page, bool)>, SourceError> {
    let first_page = run.at_start();
    let target = match run.cursor.pass.as_ref().and_then(|p| p.next.clone()) {
        Some(next) => next,
        None => first_target(),
    };
    match client.get(&target, run.if_none_match()).await? {
        Fetched::NotModified => Ok(None),
        Fetched::Page(page) => {
            run.fetched(first_page, page.etag.clone());
            Ok(Some((page, first_page)))
        }
    }
}

/// GitHub's `created` filter (`>=` a time), URL-encoded.
fn created_since(t: Timestamp) -> String {
    format!("%3E%3D{}", t.format("%Y-%m-%dT%H:%M:%SZ"))
}
