//! GitLab (REST API v4): merge requests, deployments, pipelines with their jobs, and
//! milestones, per configured project.
//!
//! Requests go to `/api/v4` under the instance (`base_url`, by default `https://gitlab.com`).
//! Each project (a path such as `group/app`, sent URL-encoded as the project id) has four
//! resources, `group/app:merge_requests`, `group/app:deployments`, `group/app:pipelines` and
//! `group/app:milestones`, each with its own cursor. Lists are filtered server-side with
//! `updated_after` the pass's lower bound and read newest update first, so an item that changes
//! while a pass runs is re-read rather than skipped, and an item still running (a deployment, a
//! pipeline) comes back in a later pass when its status changes its `updated_at`.
//!
//! GitLab answers lists with a weak `ETag` (a digest of the body) and 304 to a matching
//! `If-None-Match`. The first page of a pass is sent conditional with the ETag of the last
//! pass's first page: newest update first, an unchanged first page means nothing changed, and
//! the pass ends there without moving the cursor.

mod deployments;
mod merge_requests;
mod milestones;
mod pipelines;

use super::SourceError;
use super::http::HttpClient;
use crate::config::SourceConfig;
use crate::model::Timestamp;
use crate::sources::shared::{Listed, Owner, fetch_next};
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The largest page GitLab serves.
const PER_PAGE: usize = 100;

const KINDS: [&str; 4] = ["merge_requests", "deployments", "pipelines", "milestones"];

/// The resources of a GitLab source, per project. Merge requests come before deployments so
/// that a deployment's commit finds its merge request in the same sync.
pub fn resources(source: &SourceConfig) -> Vec<String> {
    source
        .projects
        .iter()
        .flat_map(|project| KINDS.into_iter().map(move |k| format!("{project}:{k}")))
        .collect()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    let Some((project, kind)) = resource.rsplit_once(':') else {
        return Ok(());
    };
    match kind {
        "merge_requests" => merge_requests::sync(session, client, project, resource).await,
        "deployments" => deployments::sync(session, client, project, resource).await,
        "pipelines" => pipelines::sync(session, client, project, resource).await,
        "milestones" => milestones::sync(session, client, project, resource).await,
        _ => Ok(()),
    }
}

/// A project path as GitLab's `:id`: every character outside the URL-unreserved set
/// percent-encoded (`group/app` → `group%2Fapp`).
pub fn project_id(path: &str) -> String {
    super::pagination::encode(path)
}

/// The API path of a project: the REST root, then `/projects/` and the encoded path. A source's
/// `base_url` may name the instance (`https://gitlab.example.com`, like the default
/// `https://gitlab.com`) or its API root (`.../api/v4`).
fn project_path(source: &SourceConfig, project: &str) -> String {
    let base = source.api_base_url().unwrap_or_default();
    let root = if base.ends_with("/api/v4") {
        ""
    } else {
        "/api/v4"
    };
    format!("{root}/projects/{}", project_id(project))
}

/// GitLab's ISO 8601 time filter value, URL-encoded.
fn time_param(t: Timestamp) -> String {
    t.format("%Y-%m-%dT%H%%3A%M%%3A%SZ").to_string()
}

#[derive(Debug, Deserialize)]
struct User {
    username: String,
}

/// Reads a project list (`list`: its path and order) updated since the pass's lower bound,
/// one page at a time: `prepare` turns a page's items into what is written (with their own
/// requests), then `write` writes each in one transaction with the cursor moved to the next
/// page. A 304 to the conditional first page ends the pass with nothing written.
async fn walk<T, D, P, Fut, W>(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
    list: &str,
    prepare: P,
    mut write: W,
) -> Result<(), SyncError>
where
    T: DeserializeOwned,
    P: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<D>, SourceError>>,
    W: FnMut(&mut RowWriter<'_>, &D) -> Result<(), StoreError>,
{
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    loop {
        let first = || {
            let sep = if list.contains('?') { '&' } else { '?' };
            format!(
                "{list}{sep}updated_after={}&per_page={PER_PAGE}",
                time_param(lower)
            )
        };
        let Some(listed) = fetch_next(client, &mut run, first).await? else {
            session.not_modified(resource);
            return Ok(());
        };
        let items: Vec<T> = client.decode(&listed.page)?;
        let next = next_target(&listed, items.len());
        let prepared = prepare(items).await?;
        run.advance(next);
        session.write_page(resource, &mut run, prepared.len(), |w| {
            for d in &prepared {
                write(w, d)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

/// The next page of a list: the `Link` header's `rel="next"`, else (GitLab leaves out `Link`
/// behind some proxies and sends only `X-Next-Page`) the following `page` when this one was
/// full. A full last page then costs one request that answers an empty list.
fn next_target(listed: &Listed, items: usize) -> Option<String> {
    if let Some(next) = &listed.page.next {
        return Some(next.clone());
    }
    (items >= PER_PAGE).then(|| with_page(&listed.target, page_of(&listed.target) + 1))
}

fn page_of(target: &str) -> u64 {
    super::pagination::param(target, "page")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// `target` with its `page` parameter set to `page`.
fn with_page(target: &str, page: u64) -> String {
    super::pagination::with_param(target, "page", &page.to_string())
}

/// A GitLab date (`2018-09-22`) as midnight UTC.
fn date_at_midnight(date: &str) -> Option<Timestamp> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::http::Page;

    #[test]
    fn project_paths_are_encoded_as_ids() {
        assert_eq!(project_id("group/app"), "group%2Fapp");
        assert_eq!(project_id("a/sub group/x.y"), "a%2Fsub%20group%2Fx.y");
        assert_eq!(project_id("42"), "42");
    }

    #[test]
    fn project_paths_sit_under_the_rest_root_whatever_the_base_url_names() {
        let mut s = SourceConfig::new("gl", crate::config::SourceKind::Gitlab);
        assert_eq!(project_path(&s, "g/a"), "/api/v4/projects/g%2Fa");
        s.base_url = Some("https://gitlab.example.com/api/v4/".into());
        assert_eq!(project_path(&s, "g/a"), "/projects/g%2Fa");
        s.base_url = Some("https://gitlab.example.com".into());
        assert_eq!(project_path(&s, "g/a"), "/api/v4/projects/g%2Fa");
    }

    #[test]
    fn resources_are_per_project_with_merge_requests_before_deployments() {
        let mut s = SourceConfig::new("gl", crate::config::SourceKind::Gitlab);
        s.projects = vec!["g/a".into(), "g/b".into()];
        let r = resources(&s);
        assert_eq!(r.len(), 8);
        assert_eq!(r[0], "g/a:merge_requests");
        assert_eq!(r[1], "g/a:deployments");
        assert_eq!(r[7], "g/b:milestones");
    }

    #[test]
    fn the_next_page_comes_from_link_else_from_a_full_page() {
        let page = |next: Option<&str>| Page {
            endpoint: "GET /x".into(),
            body: Vec::new(),
            etag: None,
            next: next.map(str::to_string),
            last: None,
        };
        let listed = Listed {
            page: page(Some("http://h/api/v4/x?page=3")),
            target: "/x?per_page=100&page=2".into(),
        };
        assert_eq!(
            next_target(&listed, 5).as_deref(),
            Some("http://h/api/v4/x?page=3")
        );
        let listed = Listed {
            page: page(None),
            target: "/x?per_page=100&page=2".into(),
        };
        assert_eq!(
            next_target(&listed, PER_PAGE).as_deref(),
            Some("/x?per_page=100&page=3")
        );
        assert_eq!(next_target(&listed, PER_PAGE - 1), None);
        let first = Listed {
            page: page(None),
            target: "/x?per_page=100".into(),
        };
        assert_eq!(
            next_target(&first, PER_PAGE).as_deref(),
            Some("/x?per_page=100&page=2")
        );
    }

    #[test]
    fn times_and_dates_in_gitlab_formats() {
        let t: Timestamp = "2024-05-02T10:58:07Z".parse().unwrap();
        assert_eq!(time_param(t), "2024-05-02T10%3A58%3A07Z");
        assert_eq!(
            date_at_midnight("2018-09-22"),
            Some("2018-09-22T00:00:00Z".parse().unwrap())
        );
        assert_eq!(date_at_midnight("soon"), None);
    }
}
