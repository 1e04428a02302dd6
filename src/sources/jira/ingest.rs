//! What a page of searched issues writes: work items with their team, current sprint, epic
//! and milestone; status transitions; sprint membership times; and postmortem action items
//! linked to the incident they follow up. Store lookups happen before the page's
//! transaction, the writes inside it.

use super::changelog::{Membership, Transition, sprint_membership, started_at, transitions};
use super::fields::CustomFields;
use super::issue::{Issue, WorkItem};
use super::rows::{BASE_COLUMNS, base_values, browse_url, write_milestone};
use crate::model::{Ownership, Timestamp};
use crate::privacy::Privacy;
use crate::store::StoreError;
use crate::sync::{RowWriter, Session, opt_int, opt_text, opt_time, text};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

/// An issue ready to write, with what the store told about it.
pub(super) struct IssueRow {
    item: WorkItem,
    url: String,
    team: Option<String>,
    /// `Some` when the issue's sprints are known: its current sprint's store id, if stored.
    sprint_id: Option<Option<i64>>,
    transitions: Vec<Transition>,
    started_at: Option<Timestamp>,
    /// Store ids of the sprints with their membership times.
    memberships: Vec<(i64, Membership)>,
    /// `Some` for an action item: the store id of the incident it follows up, if any.
    action: Option<Option<i64>>,
}

pub(super) fn prepare(
    session: &Session<'_>,
    custom: &CustomFields,
    base_url: &str,
    issues: &[Issue],
) -> Vec<IssueRow> {
    let conn = session.conn();
    let source = session.source.name.as_str();
    let mut rows = Vec::with_capacity(issues.len());
    for issue in issues {
        let Some(item) = WorkItem::from_issue(issue, custom) else {
            tracing::warn!(source, key = %issue.key, "issue without a creation time skipped");
            continue;
        };
        let histories = issue
            .changelog
            .as_ref()
            .map_or(&[][..], |c| c.histories.as_slice());
        let transitions = transitions(&item.key, histories);
        let current = item
            .current_sprint()
            .and_then(|s| stored_sprint(conn, source, s));
        let board = match &current {
            Some((_, board)) => Some(board.clone()),
            None => stored_board_of_item(conn, source, &item.key),
        };
        let team = team_for(session.ownership(), board.as_deref(), &item);
        let memberships = sprint_membership(&item, histories)
            .into_iter()
            .filter_map(|m| Some((stored_sprint(conn, source, m.sprint)?.0, m)))
            .collect();
        let labelled = item.has_label(&session.source.action_item_labels);
        let incident = linked_incident(conn, &item, labelled);
        rows.push(IssueRow {
            url: browse_url(base_url, &item.key),
            team,
            sprint_id: item.sprints.as_ref().map(|_| current.map(|(id, _)| id)),
            started_at: started_at(&item, &transitions),
            transitions,
            memberships,
            action: (labelled || incident.is_some()).then_some(incident),
            item,
        });
    }
    rows
}

/// Team by the board of the issue's sprint, else a component or label naming an owned
/// service.
fn team_for(ownership: &Ownership, board: Option<&str>, item: &WorkItem) -> Option<String> {
    board
        .and_then(|b| ownership.team_for_board(b))
        .or_else(|| {
            item.components
                .iter()
                .chain(&item.labels)
                .find_map(|c| ownership.team_for_service(c))
        })
        .map(str::to_string)
}

/// Store id and board of a synced sprint.
fn stored_sprint(conn: &Connection, source: &str, sprint: u64) -> Option<(i64, String)> {
    conn.prepare_cached("SELECT id, board FROM sprints WHERE source = ?1 AND external_id = ?2")
        .and_then(|mut st| {
            st.query_row([source, sprint.to_string().as_str()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
        })
        .optional()
        .ok()
        .flatten()
}

/// The board of the sprint a board's issue list placed this issue in.
fn stored_board_of_item(conn: &Connection, source: &str, key: &str) -> Option<String> {
    conn.prepare_cached(
        "SELECT s.board FROM work_items w JOIN sprints s ON s.id = w.sprint_id
         WHERE w.source = ?1 AND w.external_id = ?2",
    )
    .and_then(|mut st| st.query_row([source, key], |r| r.get(0)))
    .optional()
    .ok()
    .flatten()
}

/// Link types that make an issue the follow-up of the incident it links to, whatever its
/// labels (Jira Service Management's post-incident reviews, "follow-up" link types).
fn is_follow_up_link(kind: &str) -> bool {
    let kind = kind.to_lowercase();
    [
        "postmortem",
        "post-mortem",
        "post-incident",
        "post incident",
        "follow",
    ]
    .iter()
    .any(|w| kind.contains(w))
}

/// The stored incident (from any source) this issue links to: by the linked key as the
/// incident's id, or by its Jira URL. Labelled action items count any link; others only
/// follow-up links.
fn linked_incident(conn: &Connection, item: &WorkItem, any_link: bool) -> Option<i64> {
    item.links
        .iter()
        .filter(|l| any_link || is_follow_up_link(&l.kind))
        .find_map(|l| {
            conn.prepare_cached(
                "SELECT id FROM incidents WHERE external_id = ?1 OR url LIKE '%/browse/' || ?1
                 ORDER BY id LIMIT 1",
            )
            .and_then(|mut st| st.query_row([l.key.as_str()], |r| r.get(0)))
            .optional()
            .ok()
            .flatten()
        })
}

const TRANSITION_COLUMNS: &[&str] = &["work_item_id", "at", "from_status", "to_status"];
const MEMBERSHIP_COLUMNS: &[&str] = &["sprint_id", "work_item_id", "added_at", "removed_at"];
const ACTION_COLUMNS: &[&str] = &[
    "incident_id",
    "title",
    "category",
    "team",
    "owner",
    "priority",
    "status",
    "ticket_key",
    "created_at",
    "due_at",
    "completed_at",
];

pub(super) fn write_issue(
    w: &mut RowWriter<'_>,
    privacy: &Privacy,
    action_labels: &[String],
    row: &IssueRow,
) -> Result<(), StoreError> {
    let item = &row.item;
    let mut milestone = None;
    for version in &item.fix_versions {
        let id = write_milestone(w, version, privacy, false)?;
        milestone.get_or_insert(id);
    }
    let mut columns: Vec<&'static str> = BASE_COLUMNS.to_vec();
    let mut values = base_values(item, privacy, action_labels);
    columns.extend(["team", "epic", "started_at", "milestone_id"]);
    values.extend([
        opt_text(row.team.clone()),
        opt_text(item.epic.clone()),
        opt_time(row.started_at),
        opt_int(milestone),
    ]);
    if let Some(sprint) = row.sprint_id {
        columns.push("sprint_id");
        values.push(opt_int(sprint));
    }
    let work_item = w.upsert("work_items", &columns, &values, &item.key, Some(&row.url))?;
    for t in &row.transitions {
        let values = [
            Value::Integer(work_item),
            opt_time(Some(t.at)),
            opt_text(t.from.clone()),
            text(t.to.as_str()),
        ];
        w.upsert(
            "work_item_transitions",
            TRANSITION_COLUMNS,
            &values,
            &t.external_id,
            Some(&row.url),
        )?;
    }
    for (sprint, m) in &row.memberships {
        let values = [
            Value::Integer(*sprint),
            Value::Integer(work_item),
            opt_time(Some(m.added_at)),
            opt_time(m.removed_at),
        ];
        let external_id = format!("{}/{}", m.sprint, item.key);
        w.upsert(
            "sprint_items",
            MEMBERSHIP_COLUMNS,
            &values,
            &external_id,
            Some(&row.url),
        )?;
    }
    if let Some(incident) = row.action {
        let status = item.action_status();
        let closed = matches!(status, "done" | "wont_do");
        let title = item.summary.as_deref().unwrap_or(item.key.as_str());
        let values = [
            opt_int(incident),
            text(privacy.redact(title)),
            opt_text(item.action_category()),
            opt_text(row.team.clone()),
            opt_text(item.assignee.as_deref().map(|a| privacy.person(a))),
            opt_text(item.priority.clone()),
            text(status),
            text(item.key.as_str()),
            opt_time(Some(item.created_at)),
            opt_time(item.due_at),
            opt_time(closed.then_some(item.resolved_at).flatten()),
        ];
        w.upsert(
            "action_items",
            ACTION_COLUMNS,
            &values,
            &item.key,
            Some(&row.url),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follow_up_links_are_recognised_by_their_words() {
        assert!(is_follow_up_link("Post-Incident Reviews is reviewed by"));
        assert!(is_follow_up_link("Follow-up is follow-up of"));
        assert!(!is_follow_up_link("Blocks is blocked by"));
    }
}
