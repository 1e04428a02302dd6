//! Sprints of one board (`GET /rest/agile/1.0/board/{id}/sprint`, `startAt`/`isLast`) →
//! `sprints`, and the issues of each sprint → `work_items` (the columns the search shares,
//! plus the sprint when it is the issue's current one) and `sprint_items`.
//!
//! The list is short and re-read every pass; a sprint's issues are fetched only while they may
//! still change: the sprint is open, closed since the pass's lower bound, not yet stored, or
//! the sync is `--full`. Future sprints without dates are not stored (a sprint needs both).

use super::fields::CustomFields;
use super::issue::{Issue, WorkItem};
use super::rows::{BASE_COLUMNS, base_values, browse_url};
use super::{StartAtPage, encode, is_missing_endpoint, param, parse_time};
use crate::model::Timestamp;
use crate::privacy::Privacy;
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, SyncError, opt_text, opt_time, text};
use futures_util::{StreamExt, stream};
use rusqlite::OptionalExtension;
use rusqlite::types::Value;
use serde::Deserialize;

const SPRINT_PAGE: u32 = 50;
const ISSUE_PAGE: u32 = 100;

#[derive(Debug, Deserialize)]
struct SprintList {
    #[serde(default)]
    values: Vec<Sprint>,
    #[serde(flatten)]
    paging: StartAtPage,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Sprint {
    id: u64,
    #[serde(default)]
    state: String,
    name: String,
    #[serde(default)]
    start_date: Option<String>,
    #[serde(default)]
    end_date: Option<String>,
    #[serde(default)]
    complete_date: Option<String>,
    #[serde(default)]
    goal: Option<String>,
    #[serde(rename = "self", default)]
    url: Option<String>,
}

/// A sprint with the dates the schema requires.
struct DatedSprint<'a> {
    sprint: &'a Sprint,
    state: &'static str,
    start_at: Timestamp,
    end_at: Timestamp,
    completed_at: Option<Timestamp>,
}

impl<'a> DatedSprint<'a> {
    fn new(sprint: &'a Sprint) -> Option<Self> {
        let state = match sprint.state.to_ascii_lowercase().as_str() {
            "active" => "active",
            "future" => "future",
            _ => "closed",
        };
        Some(DatedSprint {
            sprint,
            state,
            start_at: sprint.start_date.as_deref().and_then(parse_time)?,
            end_at: sprint.end_date.as_deref().and_then(parse_time)?,
            completed_at: sprint.complete_date.as_deref().and_then(parse_time),
        })
    }
}

#[derive(Debug, Deserialize)]
struct IssueList {
    #[serde(default)]
    issues: Vec<Issue>,
    #[serde(flatten)]
    paging: StartAtPage,
}

fn sprints_target(board: u64, start: u64) -> String {
    format!("/rest/agile/1.0/board/{board}/sprint?startAt={start}&maxResults={SPRINT_PAGE}")
}

fn start_of(target: &str) -> u64 {
    param(target, "startAt")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub(super) async fn sync(
    session: &mut Session<'_>,
    client: &HttpClient,
    board: u64,
    resource: &str,
) -> Result<(), SyncError> {
    let custom = CustomFields::discover(client).await?;
    let fields: Vec<&str> = super::search::SYSTEM_FIELDS
        .iter()
        .copied()
        .chain(["sprint", "closedSprints"])
        .chain(custom.requested())
        .collect();
    let fields = encode(&fields.join(","));
    let base_url = session.source.api_base_url().unwrap_or_default();
    let team = session
        .ownership()
        .team_for_board(&board.to_string())
        .map(str::to_string);
    let mut run = session.begin(resource)?;
    loop {
        let target = run
            .pass()
            .next
            .clone()
            .unwrap_or_else(|| sprints_target(board, 0));
        let list: SprintList = client.decode(&client.get_page(&target).await?)?;
        let next = list
            .paging
            .next_start(start_of(&target), list.values.len())
            .map(|s| sprints_target(board, s));
        let lower = run.pass().lower_bound;
        let full = session.env.options.full;
        let dated: Vec<DatedSprint<'_>> = list.values.iter().filter_map(DatedSprint::new).collect();
        let wanted: Vec<bool> = dated
            .iter()
            .map(|d| {
                full || d.state != "closed"
                    || d.completed_at.unwrap_or(d.end_at) >= lower
                    || !is_stored(session, d.sprint.id)
            })
            .collect();
        let issues: Vec<Option<Vec<Issue>>> = stream::iter(dated.iter().zip(&wanted))
            .map(|(d, wanted)| {
                let fields = fields.as_str();
                async move {
                    match wanted {
                        true => sprint_issues(client, board, d.sprint.id, fields)
                            .await
                            .map(Some),
                        false => Ok(None),
                    }
                }
            })
            .buffered(client.policy().concurrency)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<Result<_, SourceError>>()?;
        let items: Vec<(u64, Vec<WorkItem>)> = dated
            .iter()
            .zip(issues)
            .filter_map(|(d, issues)| {
                let items = issues?
                    .iter()
                    .filter_map(|i| WorkItem::from_issue(i, &custom))
                    .collect();
                Some((d.sprint.id, items))
            })
            .collect();
        run.advance(next);
        let privacy = session.privacy().clone();
        let labels = session.source.action_item_labels.clone();
        let count = dated.len();
        let board_name = board.to_string();
        session.write_page(resource, &mut run, count, |w| {
            let writer = SprintWriter {
                board: &board_name,
                team: team.as_deref(),
                privacy: &privacy,
                labels: &labels,
                base_url: &base_url,
            };
            for d in &dated {
                let id = writer.sprint(w, d)?;
                if let Some((_, items)) = items.iter().find(|(s, _)| *s == d.sprint.id) {
                    writer.members(w, d.sprint.id, id, items)?;
                }
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

fn is_stored(session: &Session<'_>, sprint: u64) -> bool {
    session
        .conn()
        .query_row(
            "SELECT 1 FROM sprints WHERE source = ?1 AND external_id = ?2",
            [session.source.name.as_str(), sprint.to_string().as_str()],
            |_| Ok(()),
        )
        .optional()
        .ok()
        .flatten()
        .is_some()
}

/// Every issue of a sprint: the board's view of it, else (a sprint shared from another
/// board) the sprint's own list.
async fn sprint_issues(
    client: &HttpClient,
    board: u64,
    sprint: u64,
    fields: &str,
) -> Result<Vec<Issue>, SourceError> {
    let scoped = format!("/rest/agile/1.0/board/{board}/sprint/{sprint}/issue");
    match issue_pages(client, &scoped, fields).await {
        Err(e) if is_missing_endpoint(&e) => {
            issue_pages(
                client,
                &format!("/rest/agile/1.0/sprint/{sprint}/issue"),
                fields,
            )
            .await
        }
        other => other,
    }
}

async fn issue_pages(
    client: &HttpClient,
    path: &str,
    fields: &str,
) -> Result<Vec<Issue>, SourceError> {
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let target = format!("{path}?startAt={start}&maxResults={ISSUE_PAGE}&fields={fields}");
        let list: IssueList = client.decode(&client.get_page(&target).await?)?;
        let next = list.paging.next_start(start, list.issues.len());
        out.extend(list.issues);
        match next {
            Some(n) => start = n,
            None => return Ok(out),
        }
    }
}

const SPRINT_COLUMNS: &[&str] = &[
    "board",
    "team",
    "name",
    "state",
    "start_at",
    "end_at",
    "completed_at",
    "goal",
];

struct SprintWriter<'a> {
    board: &'a str,
    team: Option<&'a str>,
    privacy: &'a Privacy,
    labels: &'a [String],
    base_url: &'a str,
}

impl SprintWriter<'_> {
    fn sprint(&self, w: &mut RowWriter<'_>, d: &DatedSprint<'_>) -> Result<i64, StoreError> {
        let s = d.sprint;
        let goal = s.goal.as_deref().filter(|g| !g.trim().is_empty());
        let values = [
            text(self.board),
            opt_text(self.team),
            text(s.name.as_str()),
            text(d.state),
            opt_time(Some(d.start_at)),
            opt_time(Some(d.end_at)),
            opt_time(d.completed_at),
            opt_text(goal.map(|g| self.privacy.redact(g).into_owned())),
        ];
        w.upsert(
            "sprints",
            SPRINT_COLUMNS,
            &values,
            &s.id.to_string(),
            s.url.as_deref(),
        )
    }

    /// The sprint's issues as work items, and their membership. Only the sprint an issue is
    /// in now becomes its `sprint_id` (and gives its team); membership times come from the
    /// changelog (search).
    fn members(
        &self,
        w: &mut RowWriter<'_>,
        sprint: u64,
        sprint_row: i64,
        items: &[WorkItem],
    ) -> Result<(), StoreError> {
        for item in items {
            let url = browse_url(self.base_url, &item.key);
            let mut columns: Vec<&'static str> = BASE_COLUMNS.to_vec();
            let mut values = base_values(item, self.privacy, self.labels);
            if item.current_sprint() == Some(sprint) {
                columns.push("sprint_id");
                values.push(Value::Integer(sprint_row));
                // The search gives an item its current sprint's board team first, so both
                // resources agree on it; without a board team the search decides alone.
                if let Some(team) = self.team {
                    columns.push("team");
                    values.push(text(team));
                }
            }
            let work_item = w.upsert("work_items", &columns, &values, &item.key, Some(&url))?;
            w.upsert(
                "sprint_items",
                &["sprint_id", "work_item_id"],
                &[Value::Integer(sprint_row), Value::Integer(work_item)],
                &format!("{sprint}/{}", item.key),
                Some(&url),
            )?;
        }
        Ok(())
    }
}
