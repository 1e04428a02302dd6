//! Pull requests → `changes`. The list (sorted by last update, newest first) gives the PRs
//! updated since the cursor; each PR's own endpoint adds line counts, and its commits (oldest
//! first) give the first commit time, the start of lead time for changes.

use super::{PER_PAGE, User, fetch, owner};
use crate::model::Timestamp;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_int, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct ListedPull {
    number: u64,
    updated_at: Timestamp,
}

#[derive(Debug, Deserialize)]
struct Label {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    html_url: Option<String>,
    state: String,
    title: String,
    user: Option<User>,
    created_at: Timestamp,
    merged_at: Option<Timestamp>,
    merge_commit_sha: Option<String>,
    additions: Option<i64>,
    deletions: Option<i64>,
    #[serde(default)]
    labels: Vec<Label>,
}

#[derive(Debug, Deserialize)]
struct PullCommit {
    commit: GitCommit,
}

#[derive(Debug, Deserialize)]
struct GitCommit {
    author: Option<GitActor>,
    committer: Option<GitActor>,
}

#[derive(Debug, Deserialize)]
struct GitActor {
    date: Option<Timestamp>,
}

/// A PR with the time of its first commit.
struct Detailed {
    pull: Pull,
    first_commit_at: Option<Timestamp>,
}

const COLUMNS: &[&str] = &[
    "repo",
    "service",
    "team",
    "title",
    "author",
    "state",
    "merge_sha",
    "first_commit_at",
    "opened_at",
    "merged_at",
    "additions",
    "deletions",
    "labels",
];

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let mut run = session.begin(resource)?;
    loop {
        let Some((page, _)) = fetch(client, &mut run, || {
            format!("/repos/{repo}/pulls?state=all&sort=updated&direction=desc&per_page={PER_PAGE}")
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let listed: Vec<ListedPull> = client.decode(&page)?;
        let lower = run.pass().lower_bound;
        let fresh: Vec<u64> = listed
            .iter()
            .filter(|p| p.updated_at >= lower)
            .map(|p| p.number)
            .collect();
        let reached_bound = fresh.len() < listed.len();
        let detailed: Vec<Detailed> = stream::iter(fresh)
            .map(|number| detail(client, repo, number))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        run.advance(if reached_bound {
            None
        } else {
            page.next.clone()
        });
        let owner = owner(session.ownership(), repo);
        let privacy = session.privacy().clone();
        session.write_page(resource, &mut run, detailed.len(), |w| {
            for d in &detailed {
                write_change(w, repo, &owner, &privacy, d)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

async fn detail(client: &HttpClient, repo: &str, number: u64) -> Result<Detailed, SourceError> {
    let pull: Pull = client.decode(
        &client
            .get_page(&format!("/repos/{repo}/pulls/{number}"))
            .await?,
    )?;
    // Commits come oldest first, so the first page holds the first commit.
    let commits_target = format!("/repos/{repo}/pulls/{number}/commits?per_page={PER_PAGE}");
    let commits: Vec<PullCommit> = client.decode(&client.get_page(&commits_target).await?)?;
    let first_commit_at = commits
        .iter()
        .filter_map(|c| {
            c.commit.author.as_ref().and_then(|a| a.date).or(c
                .commit
                .committer
                .as_ref()
                .and_then(|a| a.date))
        })
        .min();
    Ok(Detailed {
        pull,
        first_commit_at,
    })
}

fn write_change(
    w: &mut RowWriter<'_>,
    repo: &str,
    owner: &super::Owner,
    privacy: &crate::privacy::Privacy,
    d: &Detailed,
) -> Result<(), StoreError> {
    let p = &d.pull;
    // GitHub keeps a test-merge SHA in merge_commit_sha while a PR is open; only a merged
    // PR's is the commit that deployments ship.
    let (state, merge_sha) = match (p.merged_at, p.state.as_str()) {
        (Some(_), _) => ("merged", p.merge_commit_sha.clone()),
        (None, "closed") => ("closed", None),
        (None, _) => ("open", None),
    };
    let labels: Vec<&str> = p.labels.iter().map(|l| l.name.as_str()).collect();
    let labels = serde_json::to_string(&labels).unwrap_or_else(|_| "[]".into());
    let values = [
        text(repo),
        opt_text(owner.service.clone()),
        opt_text(owner.team.clone()),
        text(privacy.redact(&p.title)),
        opt_text(p.user.as_ref().map(|u| privacy.person(&u.login))),
        text(state),
        opt_text(merge_sha),
        opt_time(d.first_commit_at),
        opt_time(Some(p.created_at)),
        opt_time(p.merged_at),
        opt_int(p.additions),
        opt_int(p.deletions),
        text(labels),
    ];
    let external_id = format!("{repo}#{}", p.number);
    w.upsert(
        "changes",
        COLUMNS,
        &values,
        &external_id,
        p.html_url.as_deref(),
    )?;
    Ok(())
}
