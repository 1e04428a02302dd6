//! What an issue's changelog tells: status transitions (cycle time) and when the issue joined
//! or left each sprint (committed work vs scope added after the start).

use super::issue::WorkItem;
use super::parse_time;
use crate::model::Timestamp;
use serde::Deserialize;

/// The changelog embedded by `expand=changelog`: possibly truncated (`total` > histories).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Changelog {
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub histories: Vec<History>,
}

impl Changelog {
    pub fn is_truncated(&self) -> bool {
        self.total.is_some_and(|t| t > self.histories.len() as u64)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct History {
    pub id: String,
    pub created: String,
    #[serde(default)]
    pub items: Vec<ChangeItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ChangeItem {
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub field_id: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub from_string: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub to_string: Option<String>,
}

impl ChangeItem {
    fn is(&self, name: &str) -> bool {
        self.field.eq_ignore_ascii_case(name)
            || self
                .field_id
                .as_deref()
                .is_some_and(|f| f.eq_ignore_ascii_case(name))
    }
}

/// A sprint an issue is or was in.
/// A status change from the changelog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Transition {
    /// `KEY/history id`: stable across re-reads.
    pub external_id: String,
    pub at: Timestamp,
    pub from: Option<String>,
    pub to: String,
}

/// Status changes, oldest first.
pub(super) fn transitions(key: &str, histories: &[History]) -> Vec<Transition> {
    let mut out: Vec<Transition> = histories
        .iter()
        .filter_map(|h| Some((h, parse_time(&h.created)?)))
        .flat_map(|(h, at)| {
            h.items
                .iter()
                .filter(|i| i.is("status"))
                .enumerate()
                .filter_map(move |(n, i)| {
                    Some(Transition {
                        external_id: if n == 0 {
                            format!("{key}/{}", h.id)
                        } else {
                            format!("{key}/{}/{n}", h.id)
                        },
                        at,
                        from: i.from_string.clone().filter(|s| !s.is_empty()),
                        to: i.to_string.clone().filter(|s| !s.is_empty())?,
                    })
                })
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.external_id).cmp(&(b.at, &b.external_id)));
    out
}

/// When work started: the first status change, unless the item is back in a to-do status.
pub(super) fn started_at(item: &WorkItem, transitions: &[Transition]) -> Option<Timestamp> {
    if item.status_category == "todo" {
        return None;
    }
    transitions.first().map(|t| t.at)
}

/// When an issue joined (and possibly left) one sprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Membership {
    pub sprint: u64,
    pub added_at: Timestamp,
    pub removed_at: Option<Timestamp>,
}

fn sprint_ids(list: Option<&str>) -> Vec<u64> {
    list.unwrap_or("")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Sprint membership from the changelog's `Sprint` changes (ids in `from` and `to`): a sprint
/// in the first change's `from`, or one the issue is in with no change at all, was set when
/// the issue was created. Comparing `added_at` with the sprint's start tells committed work
/// from scope added after the start.
pub(super) fn sprint_membership(item: &WorkItem, histories: &[History]) -> Vec<Membership> {
    let mut changes: Vec<(Timestamp, &ChangeItem)> = histories
        .iter()
        .filter_map(|h| Some((parse_time(&h.created)?, h)))
        .flat_map(|(at, h)| {
            h.items
                .iter()
                .filter(|i| i.is("sprint"))
                .map(move |i| (at, i))
        })
        .collect();
    changes.sort_by_key(|(at, _)| *at);
    let mut out: Vec<Membership> = Vec::new();
    let added = |out: &mut Vec<Membership>, sprint: u64, at: Timestamp| match out
        .iter_mut()
        .find(|m| m.sprint == sprint)
    {
        Some(m) => {
            m.added_at = at;
            m.removed_at = None;
        }
        None => out.push(Membership {
            sprint,
            added_at: at,
            removed_at: None,
        }),
    };
    if let Some((_, first)) = changes.first() {
        for id in sprint_ids(first.from.as_deref()) {
            added(&mut out, id, item.created_at);
        }
    }
    for (at, change) in &changes {
        let from = sprint_ids(change.from.as_deref());
        let to = sprint_ids(change.to.as_deref());
        for id in to.iter().filter(|id| !from.contains(id)) {
            added(&mut out, *id, *at);
        }
        for id in from.iter().filter(|id| !to.contains(id)) {
            if !out.iter().any(|m| m.sprint == *id) {
                added(&mut out, *id, item.created_at);
            }
            if let Some(m) = out.iter_mut().find(|m| m.sprint == *id) {
                m.removed_at = Some(*at);
            }
        }
    }
    for s in item.sprints.iter().flatten() {
        if !out.iter().any(|m| m.sprint == s.id) {
            added(&mut out, s.id, item.created_at);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::jira::fields::CustomFields;
    use crate::sources::jira::issue::tests::issue;
    use serde_json::{Value, json};

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn history(id: &str, created: &str, field: &str, from: Value, to: Value) -> Value {
        json!({"id": id, "created": created, "items": [{
            "field": field, "fieldtype": "jira", "from": from, "fromString": "x",
            "to": to, "toString": "y"}]})
    }

    fn sprint_field() -> CustomFields {
        CustomFields {
            points: vec!["customfield_10016".into()],
            sprint: Some("customfield_10020".into()),
            epic_link: None,
        }
    }

    #[test]
    fn status_changes_become_transitions_and_start_work() {
        let histories = json!([
            history(
                "3",
                "2024-05-03T09:00:00.000+0000",
                "status",
                json!("3"),
                json!("10001")
            ),
            history(
                "2",
                "2024-05-02T09:00:00.000+0000",
                "status",
                json!("1"),
                json!("3")
            ),
            history(
                "1",
                "2024-05-01T09:00:00.000+0000",
                "labels",
                Value::Null,
                Value::Null
            ),
        ]);
        let i = issue(
            json!({"created": "2024-04-30T10:00:00.000+0000",
                   "status": {"name": "Done", "statusCategory": {"key": "done"}}}),
            histories,
        );
        let item = WorkItem::from_issue(&i, &CustomFields::default()).unwrap();
        let hs = &i.changelog.as_ref().unwrap().histories;
        let t = transitions("ED-1", hs);
        assert_eq!(t.len(), 2, "the label change is not a transition");
        assert_eq!(t[0].external_id, "ED-1/2");
        assert_eq!(t[0].at, at("2024-05-02T09:00:00Z"));
        assert_eq!((t[0].from.as_deref(), t[0].to.as_str()), (Some("x"), "y"));
        assert_eq!(started_at(&item, &t), Some(at("2024-05-02T09:00:00Z")));
    }

    #[test]
    fn sprint_changes_tell_committed_from_added_scope() {
        // Created into sprint 1; added to sprint 2 on May 6; removed from sprint 1 on May 7.
        let histories = json!([
            history(
                "20",
                "2024-05-06T12:00:00.000+0000",
                "Sprint",
                json!("1"),
                json!("1, 2")
            ),
            history(
                "21",
                "2024-05-07T12:00:00.000+0000",
                "Sprint",
                json!("1, 2"),
                json!("2")
            ),
        ]);
        let i = issue(
            json!({"created": "2024-04-30T10:00:00.000+0000",
                   "customfield_10020": [{"id": 2, "state": "active"}, {"id": 3, "state": "future"}]}),
            histories,
        );
        let item = WorkItem::from_issue(&i, &sprint_field()).unwrap();
        let m = sprint_membership(&item, &i.changelog.as_ref().unwrap().histories);
        assert_eq!(
            m,
            [
                Membership {
                    sprint: 1,
                    added_at: at("2024-04-30T10:00:00Z"),
                    removed_at: Some(at("2024-05-07T12:00:00Z")),
                },
                Membership {
                    sprint: 2,
                    added_at: at("2024-05-06T12:00:00Z"),
                    removed_at: None,
                },
                Membership {
                    sprint: 3,
                    added_at: at("2024-04-30T10:00:00Z"),
                    removed_at: None,
                },
            ]
        );
    }
}
