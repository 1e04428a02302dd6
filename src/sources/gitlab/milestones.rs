//! Project milestones → `milestones`. GitLab has no "done" milestone state: a `closed`
//! milestone is stored as done, completed at its last update (the close is its last change in
//! practice); an `active` one is open. The list takes `updated_after` (GitLab 15.10 and later;
//! older servers ignore it and return every milestone, which the upserts absorb).
//!
//! Unlike the other lists, milestones cannot be sorted by update, so a 304 to the conditional
//! first page proves nothing changed only while the milestones updated since the cursor fit on
//! that page (100). Each finished pass moves the cursor to its start, which keeps that set to
//! one sync interval's updates.

use super::{date_at_midnight, project_path, walk};
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sources::shared::{MilestoneRow, Owner, write_milestone};
use crate::sync::{Session, SyncError};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Milestone {
    id: u64,
    title: String,
    #[serde(default)]
    description: Option<String>,
    state: String,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    due_date: Option<String>,
    updated_at: Timestamp,
    #[serde(default)]
    web_url: Option<String>,
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    project: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let id = project_path(session.source, project);
    let team = Owner::of(session.ownership(), project).team;
    let privacy = session.privacy().clone();
    let list = format!("{id}/milestones");
    let prepare = |milestones: Vec<Milestone>| async move { Ok(milestones) };
    walk(session, client, resource, &list, prepare, |w, m| {
        let done = m.state == "closed";
        let row = MilestoneRow {
            external_id: format!("{project}/milestones/{}", m.id),
            url: m.web_url.as_deref(),
            title: &m.title,
            description: m.description.as_deref(),
            done,
            start_at: m.start_date.as_deref().and_then(date_at_midnight),
            due_at: m.due_date.as_deref().and_then(date_at_midnight),
            completed_at: done.then_some(m.updated_at),
        };
        write_milestone(w, &privacy, team.as_deref(), &row).map(drop)
    })
    .await
}
