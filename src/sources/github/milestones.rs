//! Milestones → `milestones` (roadmap items with due dates). A repository has few, and the
//! list has no time filter: every pass reads them all, the first page conditional on its ETag,
//! so an unchanged list costs one 304.

use super::{PER_PAGE, fetch, owner};
use crate::model::Timestamp;
use crate::sources::http::HttpClient;
use crate::sync::{Session, SyncError, opt_text, opt_time, text};
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
    repo: &str,
    resource: &str,
) -> Result<(), SyncError> {
    let team = owner(session.ownership(), repo).team;
    let mut run = session.begin(resource)?;
    loop {
        let Some((page, _)) = fetch(client, &mut run, || {
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
                let values = [
                    text(privacy.redact(&m.title)),
                    opt_text(team.clone()),
                    opt_text(m.description.as_deref().map(|d| privacy.redact(d))),
                    text(if done { "done" } else { "open" }),
                    opt_time(Some(m.created_at)),
                    opt_time(m.due_on),
                    opt_time(m.closed_at.filter(|_| done)),
                ];
                let external_id = format!("{repo}/milestones/{}", m.number);
                w.upsert(
                    "milestones",
                    COLUMNS,
                    &values,
                    &external_id,
                    m.html_url.as_deref(),
                )?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}
