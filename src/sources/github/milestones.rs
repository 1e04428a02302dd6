//! Milestones → `milestones` (roadmap items with due dates). A repository has few, and the
//! list has no time filter: every pass reads them all, the first page conditional on its ETag,
//! so an unchanged list costs one 304.

use super::PER_PAGE;
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sources::shared::{Listed, fetch_next};
use crate::sources::shared::{MilestoneRow, Owner, write_milestone};
use crate::sync::{Session, SyncError};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Milestone {
    number: u64,
    html_url: Option<String>,
    state: String,
    title: String,
    description: Option<String>,
    created_at: Timestamp,
    due_on: Option<Timestamp>,
    closed_at: Option<Timestamp>,
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let team = Owner::of(session.ownership(), repo).team;
    let mut run = session.begin(resource)?;
    loop {
        let Some(Listed { page, .. }) = fetch_next(client, &mut run, || {
            format!(
                "/repos/{repo}/milestones?state=all&sort=due_on&direction=asc&per_page={PER_PAGE}"
            )
        })
        .await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let listed: Vec<Milestone> = client.decode(&page)?;
        run.advance(page.next.clone());
        let privacy = session.privacy().clone();
        session.write_page(resource, &mut run, listed.len(), |w| {
            for m in &listed {
                let done = m.state == "closed";
                let row = MilestoneRow {
                    external_id: format!("{repo}/milestones/{}", m.number),
                    url: m.html_url.as_deref(),
                    title: &m.title,
                    description: m.description.as_deref(),
                    done,
                    start_at: Some(m.created_at),
                    due_at: m.due_on,
                    completed_at: m.closed_at.filter(|_| done),
                };
                write_milestone(w, &privacy, team.as_deref(), &row)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}
