//! Project milestones → `milestones`. GitLab has no "done" milestone state: a `closed`
//! milestone is stored as done, completed at its last update (the close is its last change in
//! practice); an `active` one is open. The list takes `updated_after` (GitLab 15.10 and later;
//! older servers ignore it and return every milestone, which the upserts absorb).
//!
//! Unlike the other lists, milestones cannot be sorted by update, so a 304 to the conditional
//! first page proves nothing changed only while the milestones updated since the cursor fit on
//! that page (100). Each finished pass moves the cursor to its start, which keeps that set to
//! one sync interval's updates.

use super::{PER_PAGE, date_at_midnight, fetch, next_target, owner, project_path, time_param};
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
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

const COLUMNS: &[&str] = &[
    "name",
    "team",
    "description",
    "status",
    "start_at",
    "due_at",
    "completed_at",
];

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    project: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let id = project_path(session.source, project);
    let team = owner(session.ownership(), project).team;
    let mut run = session.begin(resource)?;
    let lower = run.pass().lower_bound;
    loop {
        let Some(listed) = fetch(client, &mut run, || {
            format!(
                "{id}/milestones?updated_after={}&per_page={PER_PAGE}",
                time_param(lower)
            )
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let milestones: Vec<Milestone> = client.decode(&listed.page)?;
        run.advance(next_target(&listed, milestones.len()));
        let privacy = session.privacy().clone();
        session.write_page(resource, &mut run, milestones.len(), |w| {
            for m in &milestones {
                let done = m.state == "closed";
                let values = [
                    text(privacy.redact(&m.title)),
                    opt_text(team.clone()),
                    opt_text(
                        m.description
                            .as_deref()
                            .map(|d| privacy.redact(d).into_owned()),
                    ),
                    text(if done { "done" } else { "open" }),
                    opt_time(m.start_date.as_deref().and_then(date_at_midnight)),
                    opt_time(m.due_date.as_deref().and_then(date_at_midnight)),
                    opt_time(done.then_some(m.updated_at)),
                ];
                let external_id = format!("{project}/milestones/{}", m.id);
                w.upsert(
                    "milestones",
                    COLUMNS,
                    &values,
                    &external_id,
                    m.web_url.as_deref(),
                )?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}
