//! Compare between consecutive deployed refs → `deployment_changes`: which merged PRs each
//! production deployment (or release) shipped.
//!
//! Runs after the PRs and the deploy signal are synced, on the store: each successful
//! deployment of the repository synced since the cursor is compared with the previous
//! successful one of the same service and environment (`GET /compare/{base}...{head}`), and
//! every listed commit that is the merge commit of a stored PR becomes a link. The first
//! deployment of a chain has nothing to compare with; the metrics fall back to the PR merged
//! as its own commit. A deployment compared against a base that is not its true predecessor
//! (an older one synced later) gets a superset of links, which the metrics' chaining trims
//! by subtracting what earlier deployments already shipped.

use super::{PER_PAGE, fetch_all};
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::store::StoreError;
use crate::sync::cursor::SKEW_MARGIN;
use crate::sync::{Session, SyncError};
use futures_util::{StreamExt, stream};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

/// Deployments compared per page (one transaction each), at least: a page holds a whole
/// number of rounds of the source's concurrency, so no round goes out half empty.
const BATCH: usize = 100;

#[derive(Debug, Deserialize)]
struct Comparison {
    #[serde(default)]
    commits: Vec<Commit>,
}

#[derive(Debug, Deserialize)]
struct Commit {
    sha: String,
}

/// A deployment to compare with the one before it.
#[derive(Debug)]
struct Candidate {
    id: i64,
    external_id: String,
    head: String,
    base: Option<String>,
}

/// The commits one deployment added.
struct Shipped {
    deployment_id: i64,
    external_id: String,
    shas: Vec<String>,
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let mut run = session.begin(resource)?;
    // This resource reads rows by `synced_at`, plumb's own clock in whole seconds: the pass
    // starts at the next second from now (not when the sync began, before the deployments it
    // compares were written), and the skew margin, meant for the source's clock, is given back.
    if run.at_start() {
        let next_second = chrono::Utc::now().timestamp() + 1;
        run.pass().started_at =
            chrono::DateTime::from_timestamp(next_second, 0).unwrap_or_else(chrono::Utc::now);
    }
    let since = (run.pass().lower_bound + SKEW_MARGIN).timestamp();
    let source = session.source.name.clone();
    let concurrency = client.policy().concurrency.max(1);
    let batch_size = BATCH.div_ceil(concurrency) * concurrency;
    loop {
        let after: i64 = run
            .pass()
            .next
            .as_deref()
            .and_then(|n| n.strip_prefix("after:"))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let batch = candidates(session.conn(), &source, repo, since, after, batch_size)
            .map_err(|e| store_error(&source, resource, e))?;
        let full_batch = batch.len() == batch_size;
        let last = batch.last().map(|c| c.id);
        let shipped: Vec<Shipped> = stream::iter(batch.into_iter().filter(|c| c.base.is_some()))
            .map(|c| compare(client, repo, c))
            .buffered(concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        run.advance(match last {
            Some(id) if full_batch => Some(format!("after:{id}")),
            _ => None,
        });
        let items = shipped.len();
        let (source_name, repo_name) = (source.as_str(), repo);
        session.write_page(resource, &mut run, items, |w| {
            for s in &shipped {
                for (change_id, change_external) in
                    merged_changes(w.conn(), source_name, repo_name, &s.shas)?
                {
                    let external_id = format!("{}->{change_external}", s.external_id);
                    w.upsert(
                        "deployment_changes",
                        &["deployment_id", "change_id"],
                        &[Value::Integer(s.deployment_id), Value::Integer(change_id)],
                        &external_id,
                        None,
                    )?;
                }
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

async fn compare(client: &HttpClient, repo: &str, c: Candidate) -> Result<Shipped, SourceError> {
    let base = c.base.as_deref().unwrap_or_default();
    let first = format!(
        "/repos/{repo}/compare/{base}...{}?per_page={PER_PAGE}",
        c.head
    );
    let commits = fetch_all(client, first, |page: Comparison| page.commits).await?;
    Ok(Shipped {
        deployment_id: c.id,
        external_id: c.external_id,
        shas: commits.into_iter().map(|c| c.sha).collect(),
    })
}

/// The ref a stored deployment shipped: its commit, or for a release without one its tag.
fn deployed_ref(repo: &str, external_id: &str, commit_sha: Option<String>) -> Option<String> {
    commit_sha.or_else(|| {
        external_id
            .strip_prefix(&format!("{repo}/releases/"))
            .map(str::to_string)
    })
}

/// The next successful deployments of `repo` synced since `since`, after store id `after`,
/// each with the ref of the successful deployment before it.
fn candidates(
    conn: &Connection,
    source: &str,
    repo: &str,
    since: i64,
    after: i64,
    limit: usize,
) -> rusqlite::Result<Vec<Candidate>> {
    let deployments = format!("{repo}/deployments/%");
    let releases = format!("{repo}/releases/%");
    let mut stmt = conn.prepare_cached(
        "SELECT id, external_id, commit_sha, service, environment, finished_at FROM deployments
         WHERE source = ?1 AND (external_id LIKE ?2 OR external_id LIKE ?3)
           AND status = 'success' AND synced_at >= ?4 AND id > ?5
         ORDER BY id LIMIT ?6",
    )?;
    let rows = stmt
        .query_map(
            params![source, deployments, releases, since, after, limit as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut previous = conn.prepare_cached(
        "SELECT external_id, commit_sha FROM deployments
         WHERE source = ?1 AND (external_id LIKE ?2 OR external_id LIKE ?3)
           AND status = 'success' AND service = ?4 AND environment = ?5
           AND (finished_at < ?6 OR (finished_at = ?6 AND id < ?7))
         ORDER BY finished_at DESC, id DESC LIMIT 1",
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, external_id, sha, service, environment, finished_at) in rows {
        let Some(head) = deployed_ref(repo, &external_id, sha) else {
            continue;
        };
        let base = previous
            .query_row(
                params![
                    source,
                    deployments,
                    releases,
                    service,
                    environment,
                    finished_at,
                    id
                ],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()?
            .and_then(|(ext, sha)| deployed_ref(repo, &ext, sha));
        out.push(Candidate {
            id,
            external_id,
            head,
            base,
        });
    }
    Ok(out)
}

/// Stored PRs of `repo` merged as one of `shas`: (store id, external id).
fn merged_changes(
    conn: &Connection,
    source: &str,
    repo: &str,
    shas: &[String],
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, external_id FROM changes WHERE merge_sha = ?1 AND source = ?2 AND repo = ?3",
    )?;
    let mut out = Vec::new();
    for sha in shas {
        let rows = stmt.query_map(params![sha, source, repo], |r| Ok((r.get(0)?, r.get(1)?)))?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}

fn store_error(source: &str, resource: &str, e: rusqlite::Error) -> SyncError {
    SyncError::Store {
        source_name: source.to_string(),
        resource: resource.to_string(),
        error: Box::new(e.into()),
    }
}
