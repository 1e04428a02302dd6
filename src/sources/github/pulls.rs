//! Pull requests → `changes`. The list (sorted by last update, newest first) gives the PRs
//! updated since the cursor with everything but sizes and stage times. Only a merged PR enters
//! lead time for changes, so only a merged PR costs three more requests: its detail (line
//! counts), its commits (oldest first: the first commit starts lead time) and its reviews (the
//! first submitted review ends the pickup stage). An open PR is read again when it merges,
//! since merging updates it.

use super::{Label, List, Owner, PER_PAGE, Prepared, User, labels_json, walk};
use crate::model::Timestamp;
use crate::privacy::Privacy;
use crate::sources::SourceError;
use crate::sources::http::{HttpClient, Page};
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_int, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    html_url: Option<String>,
    state: String,
    title: String,
    user: Option<User>,
    created_at: Timestamp,
    updated_at: Timestamp,
    merged_at: Option<Timestamp>,
    merge_commit_sha: Option<String>,
    #[serde(default)]
    labels: Vec<Label>,
}

#[derive(Debug, Deserialize)]
struct Size {
    additions: Option<i64>,
    deletions: Option<i64>,
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

#[derive(Debug, Deserialize)]
struct Review {
    user: Option<User>,
    /// Absent while a review is pending (not submitted).
    submitted_at: Option<Timestamp>,
}

/// What a merged PR's own endpoints add to its list entry.
#[derive(Debug, Default)]
struct Detail {
    first_commit_at: Option<Timestamp>,
    first_review_at: Option<Timestamp>,
    additions: Option<i64>,
    deletions: Option<i64>,
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
    "first_review_at",
    "merged_at",
    "additions",
    "deletions",
    "labels",
];

/// List pages requested at once: one ahead, so the next page's latency hides behind this
/// page's per-PR requests without reading far past the cursor's lower bound.
const AHEAD: usize = 2;

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    let concurrency = client.policy().concurrency;
    let prepare = |page: Page| async move {
        let listed: Vec<Pull> = client.decode(&page)?;
        let count = listed.len();
        let fresh: Vec<Pull> = listed
            .into_iter()
            .filter(|p| p.updated_at >= lower)
            .collect();
        let reached_bound = fresh.len() < count;
        let detailed: Vec<(Pull, Detail)> = stream::iter(fresh)
            .map(|pull| async move {
                let detail = match pull.merged_at {
                    Some(_) => detail(client, repo, &pull).await?,
                    None => Detail::default(),
                };
                Ok::<_, SourceError>((pull, detail))
            })
            .buffered(concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, _>>()?;
        Ok(Prepared {
            page,
            items: detailed.len(),
            data: detailed,
            reached_bound,
            open: Vec::new(),
        })
    };
    let owner = Owner::of(session.ownership(), repo);
    let privacy = session.privacy().clone();
    let first =
        format!("/repos/{repo}/pulls?state=all&sort=updated&direction=desc&per_page={PER_PAGE}");
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
        |w, detailed: &Vec<(Pull, Detail)>| {
            for (pull, detail) in detailed {
                write_change(w, repo, &owner, &privacy, pull, detail)?;
            }
            Ok(())
        },
    )
    .await
}

/// The three requests of a merged PR, in flight together.
async fn detail(client: &HttpClient, repo: &str, pull: &Pull) -> Result<Detail, SourceError> {
    let n = pull.number;
    let size = async {
        let page = client.get_page(&format!("/repos/{repo}/pulls/{n}")).await?;
        client.decode::<Size>(&page)
    };
    // Commits come oldest first, so the first page holds the first commit.
    let commits = async {
        let target = format!("/repos/{repo}/pulls/{n}/commits?per_page={PER_PAGE}");
        let page = client.get_page(&target).await?;
        client.decode::<Vec<PullCommit>>(&page)
    };
    // Reviews come in submission order; the first page holds the first one.
    let reviews = async {
        let target = format!("/repos/{repo}/pulls/{n}/reviews?per_page={PER_PAGE}");
        let page = client.get_page(&target).await?;
        client.decode::<Vec<Review>>(&page)
    };
    let (size, commits, reviews) = tokio::try_join!(size, commits, reviews)?;
    let first_commit_at = commits
        .iter()
        .filter_map(|c| {
            let author = c.commit.author.as_ref().and_then(|a| a.date);
            author.or(c.commit.committer.as_ref().and_then(|a| a.date))
        })
        .min();
    let author = pull.user.as_ref().map(|u| u.login.as_str());
    // A comment the author leaves as a review is not someone picking the PR up.
    let first_review_at = reviews
        .iter()
        .filter(|r| r.user.as_ref().map(|u| u.login.as_str()) != author || author.is_none())
        .filter_map(|r| r.submitted_at)
        .min();
    Ok(Detail {
        first_commit_at,
        first_review_at,
        additions: size.additions,
        deletions: size.deletions,
    })
}

fn write_change(
    w: &mut RowWriter<'_>,
    repo: &str,
    owner: &Owner,
    privacy: &Privacy,
    p: &Pull,
    d: &Detail,
) -> Result<(), StoreError> {
    // GitHub keeps a test-merge SHA in merge_commit_sha while a PR is open; only a merged
    // PR's is the commit that deployments ship. A PR closed unmerged stays as `closed`, so
    // it leaves the metrics instead of lingering as open.
    let (state, merge_sha) = match (p.merged_at, p.state.as_str()) {
        (Some(_), _) => ("merged", p.merge_commit_sha.clone()),
        (None, "closed") => ("closed", None),
        (None, _) => ("open", None),
    };
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
        opt_time(d.first_review_at),
        opt_time(p.merged_at),
        opt_int(d.additions),
        opt_int(d.deletions),
        text(labels_json(&p.labels)),
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
