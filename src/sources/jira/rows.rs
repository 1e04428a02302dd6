//! Rows shared by the resources: the columns of a work item both the search and the sprint
//! issue lists know, milestones from versions, and links into Jira's web UI.
//!
//! Resources that see an issue through different endpoints write the same values for the
//! columns they share and leave the others alone (a column set per resource), so re-reading
//! an unchanged issue through either writes nothing.

use super::issue::{Version, WorkItem};
use crate::privacy::Privacy;
use crate::store::StoreError;
use crate::sync::{RowWriter, opt_text, opt_time, text};
use rusqlite::types::Value;

/// Columns every resource that reads issues writes, in this order (see [`base_values`]).
pub(super) const BASE_COLUMNS: [&str; 11] = [
    "key",
    "title",
    "item_type",
    "category",
    "status",
    "status_category",
    "points",
    "created_at",
    "resolved_at",
    "due_at",
    "labels",
];

/// Values of [`BASE_COLUMNS`]. The category counts action-item labels only (not links to
/// incidents, which only the search resource resolves) so every resource agrees on it.
pub(super) fn base_values(
    item: &WorkItem,
    privacy: &Privacy,
    action_labels: &[String],
) -> Vec<Value> {
    let labels = serde_json::to_string(&item.labels).unwrap_or_else(|_| "[]".into());
    vec![
        text(item.key.as_str()),
        opt_text(
            item.summary
                .as_deref()
                .map(|s| privacy.redact(s).into_owned()),
        ),
        text(item.item_type.as_str()),
        opt_text(item.category(item.has_label(action_labels))),
        text(item.status.as_str()),
        text(item.status_category),
        item.points.map_or(Value::Null, Value::Real),
        opt_time(Some(item.created_at)),
        opt_time(item.resolved_at),
        opt_time(item.due_at),
        text(labels),
    ]
}

/// The issue's page in Jira's web UI.
pub(super) fn browse_url(base_url: &str, key: &str) -> String {
    format!("{}/browse/{key}", base_url.trim_end_matches('/'))
}

/// Columns of a milestone that both an issue's fix version and the versions list carry.
const MILESTONE_COLUMNS: [&str; 5] = ["name", "description", "status", "due_at", "completed_at"];

fn milestone_values(v: &Version, privacy: &Privacy) -> Vec<Value> {
    // Jira sends a missing description as "".
    let description = v.description.as_deref().filter(|d| !d.trim().is_empty());
    vec![
        text(v.name.as_str()),
        opt_text(description.map(|d| privacy.redact(d).into_owned())),
        text(v.status()),
        opt_time(v.due_at()),
        opt_time(v.completed_at()),
    ]
}

pub(super) fn milestone_id(v: &Version) -> String {
    format!("version-{}", v.id)
}

/// Upserts a version as a milestone; `with_start` adds the start date, which only the
/// versions list carries.
pub(super) fn write_milestone(
    w: &mut RowWriter<'_>,
    v: &Version,
    privacy: &Privacy,
    with_start: bool,
) -> Result<i64, StoreError> {
    let mut columns: Vec<&'static str> = MILESTONE_COLUMNS.to_vec();
    let mut values = milestone_values(v, privacy);
    if with_start {
        columns.push("start_at");
        values.push(opt_time(
            v.start_date.as_deref().and_then(super::start_of_day),
        ));
    }
    w.upsert(
        "milestones",
        &columns,
        &values,
        &milestone_id(v),
        v.url.as_deref(),
    )
}
