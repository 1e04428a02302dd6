//! Published releases → `deployments`, for repositories that ship by tagging a release rather
//! than through the Deployments API (`deploy_signal = "releases"`). A release is a successful
//! production deployment that finished when it was published; drafts and pre-releases ship
//! nothing. The list has no time filter: it comes newest first, and the pass stops at the
//! first release created before its lower bound.

use super::{Owner, PER_PAGE};
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sources::shared::DEPLOYMENT_COLUMNS;
use crate::sources::shared::{Listed, fetch_next};
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
use serde::Deserialize;

/// The environment a release is filed under.
pub(super) const RELEASE_ENVIRONMENT: &str = "production";

#[derive(Debug, Deserialize)]
struct Release {
    tag_name: String,
    target_commitish: Option<String>,
    html_url: Option<String>,
    #[serde(default)]
    draft: bool,
    #[serde(default)]
    prerelease: bool,
    created_at: Timestamp,
    published_at: Option<Timestamp>,
}

/// `target_commitish` is a branch name unless the release was cut from a commit; only a
/// commit SHA is a deployed commit.
fn commit_sha(commitish: Option<&str>) -> Option<&str> {
    commitish.filter(|c| c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let owner = Owner::of(session.ownership(), repo);
    let service = owner.service_or_repo(repo);
    let mut run = session.begin(resource)?;
    loop {
        let Some(Listed { page, .. }) = fetch_next(client, &mut run, || {
            format!("/repos/{repo}/releases?per_page={PER_PAGE}")
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let listed: Vec<Release> = client.decode(&page)?;
        let lower = run.pass().lower_bound;
        let count = listed.len();
        let fresh: Vec<Release> = listed
            .into_iter()
            .filter(|r| r.created_at >= lower)
            .collect();
        let reached_bound = fresh.len() < count;
        let shipped: Vec<(Release, Timestamp)> = fresh
            .into_iter()
            .filter(|r| !r.draft && !r.prerelease)
            .filter_map(|r| r.published_at.map(|at| (r, at)))
            .collect();
        run.advance(if reached_bound {
            None
        } else {
            page.next.clone()
        });
        let team = owner.team.clone();
        session.write_page(resource, &mut run, shipped.len(), |w| {
            for (r, published_at) in &shipped {
                let values = [
                    text(service.as_str()),
                    opt_text(team.clone()),
                    text(RELEASE_ENVIRONMENT),
                    text("success"),
                    opt_time(Some(r.created_at)),
                    opt_time(Some(*published_at)),
                    opt_text(commit_sha(r.target_commitish.as_deref())),
                ];
                w.upsert(
                    "deployments",
                    DEPLOYMENT_COLUMNS,
                    &values,
                    &external_id(repo, &r.tag_name),
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

/// The `external_id` of a release; [`super::compare`] takes the tag back from it.
pub(super) fn external_id(repo: &str, tag: &str) -> String {
    format!("{repo}/releases/{tag}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_full_sha_is_a_deployed_commit() {
        let sha = "e5bd3914e2e596debea16f433f57875b5b90bcd6";
        assert_eq!(commit_sha(Some(sha)), Some(sha));
        assert_eq!(commit_sha(Some("master")), None);
        assert_eq!(commit_sha(Some("e5bd391")), None);
        assert_eq!(commit_sha(None), None);
    }
}
