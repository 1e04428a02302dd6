//! Project versions → `milestones` (`GET /rest/api/3/project/{key}/version`, `startAt` with
//! `isLast`), for every project with synced issues. A released version is done at its release
//! date; an archived, unreleased one was cancelled. Jira Data Center serves the same list
//! under `/rest/api/2`.

use super::issue::Version;
use super::rows::write_milestone;
use super::{StartAtPage, encode, is_missing_endpoint, param};
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError};
use serde::Deserialize;

const PAGE: u32 = 50;

#[derive(Debug, Deserialize)]
struct VersionList {
    #[serde(default)]
    values: Vec<Version>,
    #[serde(flatten)]
    paging: StartAtPage,
}

/// The platform API roots: Cloud's, then Data Center's.
const APIS: [&str; 2] = ["/rest/api/3", "/rest/api/2"];

fn target(api: &str, project: &str, start: u64) -> String {
    format!(
        "{api}/project/{}/version?startAt={start}&maxResults={PAGE}",
        encode(project)
    )
}

/// The API root and project key of a versions request (keys are letters, digits and `_`,
/// which encoding leaves as they are).
fn parts_of(target: &str) -> Option<(&'static str, &str)> {
    APIS.iter().find_map(|api| {
        let rest = target.strip_prefix(api)?.strip_prefix("/project/")?;
        Some((*api, rest.split('/').next()?))
    })
}

/// Project keys of this source's synced issues (`PAY` of `PAY-812`), sorted.
fn projects(session: &Session<'_>) -> Vec<String> {
    let conn = session.conn();
    let rows = conn
        .prepare(
            "SELECT DISTINCT substr(key, 1, instr(key, '-') - 1) FROM work_items
             WHERE source = ?1 AND instr(key, '-') > 1 ORDER BY 1",
        )
        .and_then(|mut stmt| {
            stmt.query_map([session.source.name.as_str()], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()
        });
    match rows {
        Ok(rows) => rows,
        Err(error) => {
            tracing::warn!(source = %session.source.name, %error, "cannot list synced projects");
            Vec::new()
        }
    }
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    let projects = projects(session);
    let Some(first) = projects.first() else {
        return Ok(());
    };
    let mut run = session.begin(resource)?;
    let mut retry: Option<String> = None;
    loop {
        let current = match retry.take().or_else(|| run.pass().next.clone()) {
            Some(t) => t,
            None => target(APIS[0], first, 0),
        };
        let (api, project) = parts_of(&current).unwrap_or((APIS[0], first.as_str()));
        let project = project.to_string();
        let following = projects
            .iter()
            .find(|p| p.as_str() > project.as_str())
            .map(|p| target(api, p, 0));
        let versions = match client.get_page(&current).await {
            Ok(page) => {
                let list: VersionList = client.decode(&page)?;
                let start = param(&current, "startAt")
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                let next = list.paging.next_start(start, list.values.len());
                run.advance(next.map(|s| target(api, &project, s)).or(following));
                list.values
            }
            Err(e) if is_missing_endpoint(&e) && api == APIS[0] => {
                retry = Some(target(APIS[1], &project, 0));
                continue;
            }
            // Both answered 404: Jira's answer for a project the token cannot browse.
            Err(e) if is_missing_endpoint(&e) => {
                tracing::warn!(source = client.source_name(), %project, "project versions not readable, skipped");
                run.advance(following);
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        let privacy = session.privacy().clone();
        session.write_page(resource, &mut run, versions.len(), |w| {
            for v in &versions {
                write_milestone(w, v, &privacy, true)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versions_request_names_its_api_and_project() {
        let t = target(APIS[1], "PAY", 50);
        assert_eq!(
            t,
            "/rest/api/2/project/PAY/version?startAt=50&maxResults=50"
        );
        assert_eq!(parts_of(&t), Some(("/rest/api/2", "PAY")));
        assert_eq!(parts_of("/rest/agile/1.0/board/5/sprint"), None);
    }
}
