//! GitHub (REST API, 2022-11-28), per configured repository:
//!
//! | resource | endpoints | rows |
//! |---|---|---|
//! | `pulls` | pulls list; per merged PR its detail, commits and reviews | `changes` |
//! | `deployments` | deployments, statuses per production deployment | `deployments` |
//! | `releases` (instead, with `deploy_signal = "releases"`) | releases | `deployments` |
//! | `deployment_changes` | compare between consecutive deployed refs | `deployment_changes` |
//! | `runs` | workflow runs; jobs of every attempt of re-run runs | `pipeline_runs`, `jobs` |
//! | `incidents` | issues with an incident label | `incidents` |
//! | `milestones` | milestones | `milestones` |
//!
//! Each resource has its own cursor (`owner/name:resource`). Lists are read 100 per page,
//! following the `Link` header; the first page of a pass is conditional on its stored ETag.

mod compare;
mod deployments;
mod issues;
mod jobs;
mod milestones;
mod pulls;
mod releases;
mod runs;

use super::SourceError;
use super::http::{HttpClient, Page};
use super::pagination::numbered_pages;
use crate::config::{DeploySignal, SourceConfig};
use crate::model::Timestamp;
use crate::sources::shared::{Listed, Owner, fetch_next};
use crate::store::StoreError;
use crate::sync::{ResourceRun, RowWriter, Session, SyncError};
use futures_util::{FutureExt, StreamExt, stream};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The largest page GitHub serves.
const PER_PAGE: u32 = 100;

/// The resources of a GitHub source, per repository, parents first: deployment changes link
/// rows of `pulls` and of the deploy signal, so they come after both.
pub fn resources(source: &SourceConfig) -> Vec<String> {
    let deploys = match source.deploy_signal {
        DeploySignal::Deployments => "deployments",
        DeploySignal::Releases => "releases",
    };
    source
        .repos
        .iter()
        .flat_map(|repo| {
            [
                "pulls",
                deploys,
                "deployment_changes",
                "runs",
                "incidents",
                "milestones",
            ]
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
        "releases" => releases::sync(session, client, repo, resource).await,
        "deployment_changes" => compare::sync(session, client, repo, resource).await,
        "runs" => runs::sync(session, client, repo, resource).await,
        "incidents" => issues::sync(session, client, repo, resource).await,
        "milestones" => milestones::sync(session, client, repo, resource).await,
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    login: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Label {
    name: String,
}

/// Labels as the schema stores them: a JSON array of names.
fn labels_json(labels: &[Label]) -> String {
    let names: Vec<&str> = labels.iter().map(|l| l.name.as_str()).collect();
    serde_json::to_string(&names).unwrap_or_else(|_| "[]".into())
}

/// A list a resource reads: its first page, and how many pages may be in flight at once.
struct List<'a> {
    resource: &'a str,
    first: String,
    ahead: usize,
}

/// One page of a list, with what its items needed from other endpoints.
struct Prepared<T> {
    page: Page,
    data: T,
    /// Items read from the page (for progress).
    items: usize,
    /// The page reached items older than the pass's lower bound: the pass ends with it.
    reached_bound: bool,
    /// Items that may still change, which the next pass must read again.
    open: Vec<Timestamp>,
}

/// Reads a list: the first page (conditional at the start of a pass), then the pages that
/// follow it. When the first page's `Link` numbers the pages up to `last`, up to `ahead` of
/// them are requested at once, each with its items' own requests (`prepare`), so that the
/// list's latency overlaps the work of earlier pages. Pages are still written one at a time
/// and in order, each with the cursor pointing at the next, so an interruption resumes at the
/// first page not written; a page requested ahead of a stop is read again then.
async fn walk<T, P, Fut, W>(
    session: &mut Session<'_>,
    client: &HttpClient,
    run: &mut ResourceRun,
    list: List<'_>,
    prepare: P,
    mut write: W,
) -> Result<(), SyncError>
where
    T: Send,
    P: Fn(Page) -> Fut + Sync,
    Fut: Future<Output = Result<Prepared<T>, SourceError>> + Send,
    W: FnMut(&mut RowWriter<'_>, &T) -> Result<(), StoreError>,
{
    let List {
        resource,
        first: first_target,
        ahead,
    } = list;
    loop {
        let Some(Listed { page: first, .. }) =
            fetch_next(client, run, || first_target.clone()).await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let following = match (&first.next, &first.last) {
            (Some(next), Some(last)) => numbered_pages(next, last),
            _ => Vec::new(),
        };
        let prepare = &prepare;
        let requested = following
            .into_iter()
            .map(|target| async move { prepare(client.get_page(&target).await?).await }.boxed());
        let mut pages = stream::iter(std::iter::once(prepare(first).boxed()).chain(requested))
            .buffered(ahead.max(1));
        while let Some(prepared) = pages.next().await {
            let p = prepared?;
            for at in &p.open {
                run.pass().saw_open(*at);
            }
            let next = if p.reached_bound {
                None
            } else {
                p.page.next.clone()
            };
            let done = next.is_none();
            run.advance(next);
            session.write_page(resource, run, p.items, |w| write(w, &p.data))?;
            if done || session.cancelled() {
                return Ok(());
            }
        }
    }
}

/// Every page of a list that is read whole (a PR's reviews, a run's jobs), following `Link`.
async fn fetch_all<T: DeserializeOwned, I>(
    client: &HttpClient,
    first: String,
    items: impl Fn(T) -> Vec<I>,
) -> Result<Vec<I>, SourceError> {
    let mut out = Vec::new();
    let mut target = Some(first);
    while let Some(t) = target {
        let page = client.get_page(&t).await?;
        out.extend(items(client.decode(&page)?));
        target = page.next;
    }
    Ok(out)
}

/// GitHub's `created` filter (`>=` a time), URL-encoded.
fn created_since(t: Timestamp) -> String {
    format!("%3E%3D{}", t.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// An ISO 8601 time for `since` parameters.
fn iso(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
