//! Merge requests → `changes`. The list (all states, by last update, newest first) gives the
//! merge requests updated since the cursor; a merged one's commits give its first commit time,
//! the start of lead time for changes. A merge request closed without merging is stored as
//! `closed` with no merge commit, so it never counts as shipped.

use super::{Owner, PER_PAGE, User, project_path, walk};
use crate::model::Timestamp;
use crate::privacy::Privacy;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_text, opt_time, text};
use futures_util::{FutureExt, StreamExt, stream};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct MergeRequest {
    iid: u64,
    title: String,
    state: String,
    created_at: Timestamp,
    #[serde(default)]
    merged_at: Option<Timestamp>,
    #[serde(default)]
    author: Option<User>,
    #[serde(default)]
    sha: Option<String>,
    #[serde(default)]
    merge_commit_sha: Option<String>,
    #[serde(default)]
    squash_commit_sha: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    web_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Commit {
    #[serde(default)]
    authored_date: Option<Timestamp>,
    #[serde(default)]
    committed_date: Option<Timestamp>,
}

/// A merge request with the time of its first commit.
struct Detailed {
    mr: MergeRequest,
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
    "labels",
];

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    project: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let id = project_path(session.source, project);
    let owner = Owner::of(session.ownership(), project);
    let privacy = session.privacy().clone();
    let list = format!("{id}/merge_requests?state=all&order_by=updated_at&sort=desc");
    let prepare = |mrs: Vec<MergeRequest>| {
        stream::iter(mrs)
            .map(|mr| detail(client, &id, mr))
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .map(|done| done.into_iter().collect())
    };
    walk(session, client, resource, &list, prepare, |w, d| {
        write_change(w, project, &owner, &privacy, d)
    })
    .await
}

/// Adds the first commit time of a merged merge request (one request per merged MR; the
/// others do not reach lead time). Without commits (an imported or emptied MR), the opening
/// time stands in for it.
async fn detail(client: &HttpClient, id: &str, mr: MergeRequest) -> Result<Detailed, SourceError> {
    if mr.state != "merged" {
        return Ok(Detailed {
            mr,
            first_commit_at: None,
        });
    }
    let mut target = format!("{id}/merge_requests/{}/commits?per_page={PER_PAGE}", mr.iid);
    let mut first: Option<Timestamp> = None;
    loop {
        let page = client.get_page(&target).await?;
        let commits: Vec<Commit> = client.decode(&page)?;
        let oldest = commits
            .iter()
            .filter_map(|c| c.authored_date.or(c.committed_date))
            .min();
        first = match (first, oldest) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        match page.next {
            Some(next) => target = next,
            None => break,
        }
    }
    Ok(Detailed {
        first_commit_at: first.or(Some(mr.created_at)),
        mr,
    })
}

fn write_change(
    w: &mut RowWriter<'_>,
    project: &str,
    owner: &super::Owner,
    privacy: &Privacy,
    d: &Detailed,
) -> Result<(), StoreError> {
    let mr = &d.mr;
    // The commit a deployment ships: the merge commit, else the squash commit, else (a
    // fast-forward merge) the source branch head.
    let (state, merge_sha) = match mr.state.as_str() {
        "merged" => (
            "merged",
            mr.merge_commit_sha
                .clone()
                .or_else(|| mr.squash_commit_sha.clone())
                .or_else(|| mr.sha.clone()),
        ),
        "closed" => ("closed", None),
        _ => ("open", None),
    };
    let labels = serde_json::to_string(&mr.labels).unwrap_or_else(|_| "[]".into());
    let values = [
        text(project),
        opt_text(owner.service.clone()),
        opt_text(owner.team.clone()),
        text(privacy.redact(&mr.title)),
        opt_text(mr.author.as_ref().map(|u| privacy.person(&u.username))),
        text(state),
        opt_text(merge_sha),
        opt_time(d.first_commit_at),
        opt_time(Some(mr.created_at)),
        opt_time(if state == "merged" {
            mr.merged_at
        } else {
            None
        }),
        text(labels),
    ];
    let external_id = format!("{project}!{}", mr.iid);
    w.upsert(
        "changes",
        COLUMNS,
        &values,
        &external_id,
        mr.web_url.as_deref(),
    )?;
    Ok(())
}
