//! Reads for the planning side of plumb: sprints and the inputs of a retro prep, OKRs and the
//! roadmap link of delivered work (Alignment), and the integrity records: metric definitions,
//! the decision log and per-source sync state (Governance).

use super::read::{opt_ts, req_ts};
use super::{Result, Store};
use crate::metrics::retro::{RetroInputs, Transition};
use crate::model::{
    Filter, KeyResult, Milestone, Objective, Sprint, SprintItem, SupportTicket, Timestamp,
};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, Row, params_from_iter};

/// Which optional panes have data to show.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanningPresence {
    pub sprints: bool,
    /// Objectives, or work items linked to an epic.
    pub alignment: bool,
    /// Annotations, sync state, or a metric definition with more than one version.
    pub governance: bool,
}

/// A roadmap milestone with the work items linked to it.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneProgress {
    pub milestone: Milestone,
    pub items: u64,
    pub done: u64,
}

/// Resolved work of one category, split by whether it is linked to the roadmap (an epic or a
/// milestone).
#[derive(Debug, Clone, PartialEq)]
pub struct WorkLink {
    pub category: Option<String>,
    pub linked: bool,
    pub items: u64,
    pub points: f64,
}

/// One version of a metric definition.
#[derive(Debug, Clone, PartialEq)]
pub struct DefinitionRow {
    pub metric: String,
    pub version: u32,
    pub parameters: String,
    pub valid_from: Timestamp,
    pub lifecycle: String,
    pub reason: Option<String>,
}

/// An entry of the decision log.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub id: i64,
    pub at: Timestamp,
    pub team: Option<String>,
    pub service: Option<String>,
    pub metric: Option<String>,
    pub title: String,
    pub body: Option<String>,
}

/// The sync state of one resource of one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStateRow {
    pub source: String,
    pub resource: String,
    pub last_ok_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

fn count(r: &Row, idx: usize) -> rusqlite::Result<u64> {
    Ok(u64::try_from(r.get::<_, i64>(idx)?).unwrap_or(0))
}

const SPRINT_COLUMNS: &str =
    "id, board, team, name, state, start_at, end_at, completed_at, goal FROM sprints";

fn map_sprint(r: &Row) -> rusqlite::Result<Sprint> {
    Ok(Sprint {
        id: r.get(0)?,
        board: r.get(1)?,
        team: r.get(2)?,
        name: r.get(3)?,
        state: r.get(4)?,
        start_at: req_ts(r, 5)?,
        end_at: req_ts(r, 6)?,
        completed_at: opt_ts(r, 7)?,
        goal: r.get(8)?,
    })
}

fn map_sprint_item(r: &Row) -> rusqlite::Result<SprintItem> {
    Ok(SprintItem {
        sprint_id: r.get(0)?,
        work_item_id: r.get(1)?,
        added_at: opt_ts(r, 2)?,
        removed_at: opt_ts(r, 3)?,
    })
}

fn map_transition(r: &Row) -> rusqlite::Result<Transition> {
    Ok(Transition {
        work_item_id: r.get(0)?,
        at: req_ts(r, 1)?,
        from_status: r.get(2)?,
        to_status: r.get(3)?,
    })
}

pub(super) fn id_list(ids: &[i64]) -> (String, Vec<Value>) {
    (
        vec!["?"; ids.len()].join(","),
        ids.iter().map(|&i| Value::Integer(i)).collect(),
    )
}

/// ` WHERE <column> = ?1` and its parameter when narrowed by team, else nothing.
fn team_clause(column: &str, team: Option<&str>) -> (String, Vec<Value>) {
    match team {
        Some(t) => (
            format!(" WHERE {column} = ?1"),
            vec![Value::Text(t.to_string())],
        ),
        None => (String::new(), vec![]),
    }
}

impl Store {
    fn rows<T>(
        &self,
        sql: &str,
        params: &[Value],
        map: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn().prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(params.iter()), map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    /// The rows of `sql` (given the `?` list of a chunk of ids) for every id, read in chunks
    /// that stay under SQLite's limit on bound parameters.
    fn rows_for_ids<T>(
        &self,
        ids: &[i64],
        sql: impl Fn(&str) -> String,
        mut map: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let (marks, params) = id_list(chunk);
            out.extend(self.rows(&sql(&marks), &params, &mut map)?);
        }
        Ok(out)
    }

    /// Which of the Retro, Alignment and Governance panes have anything to show.
    pub fn planning_presence(&self) -> Result<PlanningPresence> {
        let exists = |sql: &str| -> Result<bool> {
            Ok(self
                .conn()
                .query_row(&format!("SELECT EXISTS ({sql})"), [], |r| r.get(0))?)
        };
        Ok(PlanningPresence {
            sprints: exists("SELECT 1 FROM sprints")?,
            alignment: exists("SELECT 1 FROM objectives")?
                || exists("SELECT 1 FROM work_items WHERE epic IS NOT NULL")?,
            // Every run records the definitions it uses, so their mere presence says nothing:
            // a definition counts once it has a history (a second version).
            governance: exists("SELECT 1 FROM annotations")?
                || exists("SELECT 1 FROM sync_state")?
                || exists("SELECT 1 FROM metric_definitions WHERE version > 1")?,
        })
    }

    /// Sprints, oldest first, narrowed by team.
    pub fn sprints(&self, team: Option<&str>) -> Result<Vec<Sprint>> {
        let (filter, params) = team_clause("team", team);
        self.rows(
            &format!("SELECT {SPRINT_COLUMNS}{filter} ORDER BY start_at, id"),
            &params,
            map_sprint,
        )
    }

    /// The inputs of the retro prep of sprint `sprint_id` (no sprint: empty inputs).
    pub fn retro_inputs(&self, sprint_id: i64) -> Result<RetroInputs> {
        let Some(sprint) = self
            .conn()
            .query_row(
                &format!("SELECT {SPRINT_COLUMNS} WHERE id = ?1"),
                [sprint_id],
                map_sprint,
            )
            .optional()?
        else {
            return Ok(RetroInputs::default());
        };
        let previous = self
            .conn()
            .query_row(
                &format!(
                    "SELECT {SPRINT_COLUMNS} WHERE board = ?1 AND start_at < ?2
                     ORDER BY start_at DESC, id DESC LIMIT 1"
                ),
                rusqlite::params![sprint.board, sprint.start_at.timestamp()],
                map_sprint,
            )
            .optional()?;
        let item_ids: Vec<i64> = self.rows(
            "SELECT work_item_id FROM sprint_items WHERE sprint_id = ?1
             UNION SELECT id FROM work_items WHERE sprint_id = ?1",
            &[Value::Integer(sprint_id)],
            |r| r.get(0),
        )?;
        let (items, memberships, transitions) = self.work_of(&item_ids)?;
        let close = sprint.completed_at.unwrap_or(sprint.end_at);
        let window = Filter {
            since: Some(sprint.start_at),
            until: Some(close),
            team: sprint.team.clone(),
            ..Filter::default()
        };
        let incidents = self.incidents(&window, 0)?;
        let actions = self.action_items(&window)?;
        let support_tickets = self.support_tickets(&window)?;
        Ok(RetroInputs {
            sprint: Some(sprint),
            previous,
            items,
            memberships,
            transitions,
            incidents,
            actions,
            support_tickets,
            // Needs the DORA parameters of the team, which the store does not know.
            delivery: None,
        })
    }

    /// Work items by id with their sprint memberships and status history.
    fn work_of(
        &self,
        ids: &[i64],
    ) -> Result<(
        Vec<crate::model::WorkItem>,
        Vec<SprintItem>,
        Vec<Transition>,
    )> {
        let mut items = self.rows_for_ids(
            ids,
            |marks| {
                format!(
                    "SELECT id, key, title, item_type, category, status, status_category, team,
                            sprint_id, milestone_id, epic, points, created_at, started_at,
                            resolved_at, due_at
                     FROM work_items WHERE id IN ({marks})"
                )
            },
            |r| {
                Ok(crate::model::WorkItem {
                    id: r.get(0)?,
                    key: r.get(1)?,
                    title: r.get(2)?,
                    item_type: r.get(3)?,
                    category: r.get(4)?,
                    status: r.get(5)?,
                    status_category: r.get(6)?,
                    team: r.get(7)?,
                    sprint_id: r.get(8)?,
                    milestone_id: r.get(9)?,
                    epic: r.get(10)?,
                    points: r.get(11)?,
                    created_at: req_ts(r, 12)?,
                    started_at: opt_ts(r, 13)?,
                    resolved_at: opt_ts(r, 14)?,
                    due_at: opt_ts(r, 15)?,
                })
            },
        )?;
        // Both histories are read per work item, in the order the retro replays them.
        let of_items = |columns: &'static str, table: &'static str, order: &'static str| {
            move |marks: &str| {
                format!(
                    "SELECT {columns} FROM {table} WHERE work_item_id IN ({marks})
                     ORDER BY work_item_id, {order}"
                )
            }
        };
        let memberships = self.rows_for_ids(
            ids,
            of_items(
                "sprint_id, work_item_id, added_at, removed_at",
                "sprint_items",
                "added_at",
            ),
            map_sprint_item,
        )?;
        let transitions = self.rows_for_ids(
            ids,
            of_items(
                "work_item_id, at, from_status, to_status",
                "work_item_transitions",
                "at",
            ),
            map_transition,
        )?;
        // Keys in tracker order: PAY-9 before PAY-10.
        items.sort_by(|a, b| (a.key.len(), &a.key, a.id).cmp(&(b.key.len(), &b.key, b.id)));
        Ok((items, memberships, transitions))
    }

    /// Support tickets created in the filter's range, narrowed by team and service.
    pub fn support_tickets(&self, filter: &Filter) -> Result<Vec<SupportTicket>> {
        let w = super::read::where_clause(filter, "created_at", 0, false);
        self.rows(
            &format!(
                "SELECT id, title, service, team, priority, status, created_at, resolved_at, labels
                 FROM support_tickets{} ORDER BY created_at, id",
                w.sql
            ),
            &w.params,
            |r| {
                let labels: String = r.get(8)?;
                Ok(SupportTicket {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    service: r.get(2)?,
                    team: r.get(3)?,
                    priority: r.get(4)?,
                    status: r.get(5)?,
                    created_at: req_ts(r, 6)?,
                    resolved_at: opt_ts(r, 7)?,
                    // Labels are a JSON array of strings; anything else reads as no labels.
                    labels: serde_json::from_str(&labels).unwrap_or_default(),
                })
            },
        )
    }

    /// Objectives, narrowed by team, by period then title.
    pub fn objectives(&self, team: Option<&str>) -> Result<Vec<Objective>> {
        let (filter, params) = team_clause("team", team);
        self.rows(
            &format!(
                "SELECT id, title, team, period, status FROM objectives{filter}
                 ORDER BY period, team, title, id"
            ),
            &params,
            |r| {
                Ok(Objective {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    team: r.get(2)?,
                    period: r.get(3)?,
                    status: r.get(4)?,
                })
            },
        )
    }

    /// The key results of the given objectives.
    pub fn key_results(&self, objective_ids: &[i64]) -> Result<Vec<KeyResult>> {
        self.rows_for_ids(
            objective_ids,
            |marks| {
                format!(
                    "SELECT id, objective_id, title, metric, unit, baseline, target, current
                     FROM key_results WHERE objective_id IN ({marks}) ORDER BY objective_id, id"
                )
            },
            |r| {
                Ok(KeyResult {
                    id: r.get(0)?,
                    objective_id: r.get(1)?,
                    title: r.get(2)?,
                    metric: r.get(3)?,
                    unit: r.get(4)?,
                    baseline: r.get(5)?,
                    target: r.get(6)?,
                    current: r.get(7)?,
                })
            },
        )
    }

    /// Milestones (narrowed by team) with the count of their work items and of those done.
    pub fn milestone_progress(&self, team: Option<&str>) -> Result<Vec<MilestoneProgress>> {
        let (filter, params) = team_clause("m.team", team);
        self.rows(
            &format!(
                "SELECT m.id, m.name, m.team, m.status, m.start_at, m.due_at, m.completed_at,
                        count(w.id), count(CASE WHEN w.status_category = 'done' THEN 1 END)
                 FROM milestones m LEFT JOIN work_items w ON w.milestone_id = m.id{filter}
                 GROUP BY m.id ORDER BY m.due_at, m.name, m.id"
            ),
            &params,
            |r| {
                Ok(MilestoneProgress {
                    milestone: Milestone {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        team: r.get(2)?,
                        status: r.get(3)?,
                        start_at: opt_ts(r, 4)?,
                        due_at: opt_ts(r, 5)?,
                        completed_at: opt_ts(r, 6)?,
                    },
                    items: count(r, 7)?,
                    done: count(r, 8)?,
                })
            },
        )
    }

    /// Work resolved in the filter's range, by category and whether it is linked to the
    /// roadmap (an epic or a milestone).
    pub fn work_links(&self, filter: &Filter) -> Result<Vec<WorkLink>> {
        let w = super::read::where_clause(
            &Filter {
                service: None,
                ..filter.clone()
            },
            "resolved_at",
            0,
            false,
        );
        let resolved = if w.sql.is_empty() {
            " WHERE resolved_at IS NOT NULL".to_string()
        } else {
            format!("{} AND resolved_at IS NOT NULL", w.sql)
        };
        self.rows(
            &format!(
                "SELECT category, (epic IS NOT NULL OR milestone_id IS NOT NULL) AS linked,
                        count(*), coalesce(sum(points), 0)
                 FROM work_items{resolved} GROUP BY category, linked ORDER BY category, linked"
            ),
            &w.params,
            |r| {
                Ok(WorkLink {
                    category: r.get(0)?,
                    linked: r.get(1)?,
                    items: count(r, 2)?,
                    points: r.get(3)?,
                })
            },
        )
    }

    /// Every recorded version of every metric definition, by metric then version.
    pub fn definition_history(&self) -> Result<Vec<DefinitionRow>> {
        self.rows(
            "SELECT metric, version, parameters, valid_from, lifecycle, reason
             FROM metric_definitions ORDER BY metric, version",
            &[],
            |r| {
                Ok(DefinitionRow {
                    metric: r.get(0)?,
                    version: r.get(1)?,
                    parameters: r.get(2)?,
                    valid_from: req_ts(r, 3)?,
                    lifecycle: r.get(4)?,
                    reason: r.get(5)?,
                })
            },
        )
    }

    /// Decision-log entries narrowed by the filter's range and team (entries for every team,
    /// without a team, are always included), newest first.
    pub fn annotations(&self, filter: &Filter) -> Result<Vec<Annotation>> {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        if let Some(s) = filter.since {
            parts.push("at >= ?");
            params.push(Value::Integer(s.timestamp()));
        }
        if let Some(u) = filter.until {
            parts.push("at < ?");
            params.push(Value::Integer(u.timestamp()));
        }
        if let Some(t) = &filter.team {
            parts.push("(team = ? OR team IS NULL)");
            params.push(Value::Text(t.clone()));
        }
        let filter = if parts.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", parts.join(" AND "))
        };
        self.rows(
            &format!(
                "SELECT id, at, team, service, metric, title, body FROM annotations{filter}
                 ORDER BY at DESC, id DESC"
            ),
            &params,
            |r| {
                Ok(Annotation {
                    id: r.get(0)?,
                    at: req_ts(r, 1)?,
                    team: r.get(2)?,
                    service: r.get(3)?,
                    metric: r.get(4)?,
                    title: r.get(5)?,
                    body: r.get(6)?,
                })
            },
        )
    }

    /// The sync state of every resource of every source.
    pub fn sync_states(&self) -> Result<Vec<SyncStateRow>> {
        self.rows(
            "SELECT source, resource, last_ok_at, last_error, last_error_at FROM sync_state
             ORDER BY source, resource",
            &[],
            |r| {
                Ok(SyncStateRow {
                    source: r.get(0)?,
                    resource: r.get(1)?,
                    last_ok_at: opt_ts(r, 2)?,
                    last_error: r.get(3)?,
                    last_error_at: opt_ts(r, 4)?,
                })
            },
        )
    }
}
