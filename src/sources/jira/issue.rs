//! One Jira issue as the search and agile endpoints return it, and what plumb keeps of its
//! fields: the work item, its sprints, fix versions and links, and how it reads as a
//! postmortem action item. Its changelog is read in [`super::changelog`].
//!
//! Fields are read leniently from the `fields` map: ids of custom fields differ per site, and
//! the published examples omit most system fields (and give `updated` as a number).

use super::changelog::Changelog;
use super::fields::CustomFields;
use super::{end_of_day, parse_time, start_of_day};
use crate::model::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Issue {
    pub key: String,
    #[serde(default)]
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub changelog: Option<Changelog>,
}

/// A sprint an issue is or was in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SprintRef {
    pub id: u64,
    pub state: String,
    /// Completion, else planned end, else start: orders closed sprints.
    pub last_date: Option<Timestamp>,
}

/// A fix version as embedded in an issue (also the shape of the versions list).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Version {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub released: bool,
    #[serde(default)]
    pub release_date: Option<String>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(rename = "self", default)]
    pub url: Option<String>,
}

impl Version {
    pub fn status(&self) -> &'static str {
        match (self.released, self.archived) {
            (true, _) => "done",
            (false, true) => "cancelled",
            (false, false) => "open",
        }
    }

    pub fn due_at(&self) -> Option<Timestamp> {
        self.release_date.as_deref().and_then(end_of_day)
    }

    /// Jira keeps only the release date, not when "release" was pressed.
    pub fn completed_at(&self) -> Option<Timestamp> {
        self.released
            .then(|| self.release_date.as_deref().and_then(start_of_day))
            .flatten()
    }
}

/// A link to another issue, with the words of its type (`is caused by`, `Postmortem`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Link {
    pub key: String,
    pub kind: String,
}

/// What plumb keeps of an issue's fields.
#[derive(Debug, Clone)]
pub(super) struct WorkItem {
    pub key: String,
    pub summary: Option<String>,
    pub item_type: String,
    pub status: String,
    pub status_category: &'static str,
    pub resolution: Option<String>,
    pub created_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub due_at: Option<Timestamp>,
    pub labels: Vec<String>,
    pub components: Vec<String>,
    pub points: Option<f64>,
    pub epic: Option<String>,
    pub priority: Option<String>,
    pub assignee: Option<String>,
    /// Present when the response carried sprint information (agile API or the sprint field).
    pub sprints: Option<Vec<SprintRef>>,
    pub fix_versions: Vec<Version>,
    pub links: Vec<Link>,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

fn names(v: Option<&Value>, key: &str) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().or_else(|| str_at(i, &[key])))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl WorkItem {
    /// The work item of an issue; `None` when the issue has no creation time (only the
    /// published examples lack it: every search asks for `created`).
    pub fn from_issue(issue: &Issue, custom: &CustomFields) -> Option<WorkItem> {
        let f = &issue.fields;
        let field = |name: &str| f.get(name).filter(|v| !v.is_null());
        let text = |name: &str| field(name).and_then(Value::as_str);
        let created_at = text("created").and_then(parse_time)?;
        let status = field("status");
        let resolved_at = text("resolutiondate").and_then(parse_time);
        let status_category = match status.and_then(|s| str_at(s, &["statusCategory", "key"])) {
            Some("done") => "done",
            Some("indeterminate") => "in_progress",
            Some(_) => "todo",
            None if resolved_at.is_some() => "done",
            None => "todo",
        };
        let points = custom
            .points
            .iter()
            .find_map(|id| field(id).and_then(Value::as_f64));
        let parent_is_epic = field("parent").is_some_and(|p| {
            str_at(p, &["fields", "issuetype", "name"]).is_some_and(|n| n == "Epic")
                || p.pointer("/fields/issuetype/hierarchyLevel")
                    .and_then(Value::as_i64)
                    == Some(1)
        });
        let epic = parent_is_epic
            .then(|| field("parent").and_then(|p| str_at(p, &["key"])))
            .flatten()
            .or_else(|| custom.epic_link.as_deref().and_then(text))
            .map(str::to_string);
        let sprints = sprint_refs(field("sprint"), field("closedSprints"), custom, f);
        Some(WorkItem {
            key: issue.key.clone(),
            summary: text("summary").map(str::to_string),
            item_type: field("issuetype")
                .and_then(|t| str_at(t, &["name"]))
                .unwrap_or("Issue")
                .to_string(),
            status: status
                .and_then(|s| str_at(s, &["name"]))
                .unwrap_or("Unknown")
                .to_string(),
            status_category,
            resolution: field("resolution")
                .and_then(|r| str_at(r, &["name"]))
                .map(str::to_string),
            created_at,
            resolved_at,
            due_at: text("duedate").and_then(end_of_day),
            labels: names(field("labels"), "name"),
            components: names(field("components"), "name"),
            points,
            epic,
            priority: field("priority")
                .and_then(|p| str_at(p, &["name"]))
                .map(str::to_string),
            assignee: field("assignee")
                .and_then(|a| str_at(a, &["displayName"]))
                .map(str::to_string),
            sprints,
            fix_versions: field("fixVersions")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default(),
            links: links(field("issuelinks")),
        })
    }

    /// The sprint the issue belongs to now: an active (else future) one, else the closed one
    /// that ended last. Both the agile API and the sprint field give the same answer.
    pub fn current_sprint(&self) -> Option<u64> {
        let sprints = self.sprints.as_ref()?;
        let open = |state: &str| sprints.iter().find(|s| s.state.eq_ignore_ascii_case(state));
        open("active")
            .or_else(|| open("future"))
            .or_else(|| sprints.iter().max_by_key(|s| (s.last_date, s.id)))
            .map(|s| s.id)
    }

    pub fn has_label(&self, wanted: &[String]) -> bool {
        self.labels
            .iter()
            .any(|l| wanted.iter().any(|w| w.eq_ignore_ascii_case(l)))
    }

    /// The work-mix category, from the issue type and labels. `action` marks a postmortem
    /// follow-up, which is reliability work whatever its type.
    pub fn category(&self, action: bool) -> Option<&'static str> {
        let labels: Vec<String> = self.labels.iter().map(|l| l.to_lowercase()).collect();
        let has = |set: &[&str]| labels.iter().any(|l| set.contains(&l.as_str()));
        let kind = self.item_type.to_lowercase();
        if has(&[
            "tech-debt",
            "techdebt",
            "tech_debt",
            "debt",
            "refactor",
            "refactoring",
        ]) {
            Some("debt")
        } else if has(&["support", "customer-support"])
            || matches!(kind.as_str(), "support" | "service request" | "question")
        {
            Some("support")
        } else if action
            || has(&["reliability", "postmortem", "incident", "sre"])
            || matches!(kind.as_str(), "bug" | "incident" | "problem" | "defect")
        {
            Some("reliability")
        } else if matches!(
            kind.as_str(),
            "story" | "feature" | "new feature" | "improvement" | "epic"
        ) {
            Some("feature")
        } else {
            None
        }
    }

    /// The action-item category (Lueder and Beyer) named by a label such as `prevent` or
    /// `postmortem-prevent`.
    pub fn action_category(&self) -> Option<&'static str> {
        const CATEGORIES: [&str; 5] = ["investigate", "mitigate", "repair", "detect", "prevent"];
        self.labels.iter().find_map(|l| {
            let l = l.to_lowercase();
            let last = l.rsplit(['-', ':', '_', '/']).next().unwrap_or(&l);
            CATEGORIES.into_iter().find(|c| *c == last)
        })
    }

    /// The action item's state; a resolution such as "Won't Do" closes it without completing.
    pub fn action_status(&self) -> &'static str {
        let declined = self.resolution.as_deref().is_some_and(|r| {
            let r = r.to_lowercase();
            [
                "won't",
                "wont",
                "duplicate",
                "cannot reproduce",
                "declined",
                "obsolete",
            ]
            .iter()
            .any(|w| r.contains(w))
        });
        match self.status_category {
            "done" if declined => "wont_do",
            "done" => "done",
            "in_progress" => "in_progress",
            _ => "open",
        }
    }
}

fn links(v: Option<&Value>) -> Vec<Link> {
    let Some(items) = v.and_then(Value::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|l| {
            let (issue, words) = match (l.get("inwardIssue"), l.get("outwardIssue")) {
                (Some(i), _) => (i, str_at(l, &["type", "inward"])),
                (None, Some(o)) => (o, str_at(l, &["type", "outward"])),
                (None, None) => return None,
            };
            let name = str_at(l, &["type", "name"]).unwrap_or("");
            Some(Link {
                key: str_at(issue, &["key"])?.to_string(),
                kind: format!("{name} {}", words.unwrap_or("")).trim().to_string(),
            })
        })
        .collect()
}

/// Sprints from the agile API (`sprint`, `closedSprints`) or from the site's sprint field
/// (objects on Cloud; on older Data Center, strings like `...Sprint@1f[id=37,state=CLOSED,..]`).
fn sprint_refs(
    current: Option<&Value>,
    closed: Option<&Value>,
    custom: &CustomFields,
    fields: &Map<String, Value>,
) -> Option<Vec<SprintRef>> {
    let from_field = custom.sprint.as_deref().and_then(|id| fields.get(id));
    if current.is_none() && closed.is_none() && from_field.is_none() {
        return None;
    }
    let mut out: Vec<SprintRef> = Vec::new();
    let mut push = |s: SprintRef| {
        if !out.iter().any(|o| o.id == s.id) {
            out.push(s);
        }
    };
    let values = current
        .into_iter()
        .chain(closed.and_then(Value::as_array).into_iter().flatten())
        .chain(from_field.and_then(Value::as_array).into_iter().flatten());
    for v in values {
        if let Some(s) = sprint_ref(v) {
            push(s);
        }
    }
    Some(out)
}

fn sprint_ref(v: &Value) -> Option<SprintRef> {
    if let Some(text) = v.as_str() {
        let attr = |name: &str| {
            let start = text.find(&format!("{name}="))? + name.len() + 1;
            let rest = &text[start..];
            Some(&rest[..rest.find([',', ']']).unwrap_or(rest.len())])
        };
        return Some(SprintRef {
            id: attr("id")?.parse().ok()?,
            state: attr("state").unwrap_or("closed").to_lowercase(),
            last_date: ["completeDate", "endDate", "startDate"]
                .into_iter()
                .find_map(|k| attr(k).and_then(parse_time)),
        });
    }
    Some(SprintRef {
        id: v.get("id")?.as_u64()?,
        state: str_at(v, &["state"]).unwrap_or("closed").to_lowercase(),
        last_date: ["completeDate", "endDate", "startDate"]
            .into_iter()
            .find_map(|k| str_at(v, &[k]).and_then(parse_time)),
    })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    /// Issue ED-1 with `fields` and the changelog `histories`.
    pub(in crate::sources::jira) fn issue(fields: Value, histories: Value) -> Issue {
        serde_json::from_value(json!({
            "id": "10002", "key": "ED-1", "fields": fields,
            "changelog": {"startAt": 0, "maxResults": 100, "total": 3, "histories": histories}
        }))
        .unwrap()
    }

    fn sprint_field() -> CustomFields {
        CustomFields {
            points: vec!["customfield_10016".into()],
            sprint: Some("customfield_10020".into()),
            epic_link: None,
        }
    }

    #[test]
    fn fields_map_to_a_work_item() {
        let i = issue(
            json!({
                "summary": "Main order flow broken",
                "issuetype": {"name": "Bug"},
                "status": {"name": "In Review", "statusCategory": {"key": "indeterminate"}},
                "created": "2024-04-30T10:00:00.000+0000",
                "duedate": "2024-05-10",
                "labels": ["postmortem-action", "prevent"],
                "priority": {"name": "High"},
                "assignee": {"displayName": "Mia Krystof"},
                "parent": {"key": "ED-0", "fields": {"issuetype": {"name": "Epic"}}},
                "customfield_10016": 3.0,
                "customfield_10020": [
                    {"id": 1, "state": "closed", "completeDate": "2024-04-29T08:00:00.000Z"},
                    {"id": 2, "state": "active", "startDate": "2024-04-29T09:00:00.000Z"}
                ],
                "issuelinks": [{"type": {"name": "Problem/Incident", "inward": "is caused by",
                    "outward": "causes"}, "inwardIssue": {"key": "INC-7"}}],
                "updated": 1
            }),
            json!([]),
        );
        let item = WorkItem::from_issue(&i, &sprint_field()).unwrap();
        assert_eq!(
            (
                item.item_type.as_str(),
                item.status.as_str(),
                item.status_category
            ),
            ("Bug", "In Review", "in_progress")
        );
        assert_eq!(item.points, Some(3.0));
        assert_eq!(item.epic.as_deref(), Some("ED-0"));
        assert_eq!(
            item.due_at,
            Some(at("2024-05-11T00:00:00Z")),
            "due through the 10th"
        );
        assert_eq!(item.current_sprint(), Some(2), "the active sprint");
        assert_eq!(item.category(false), Some("reliability"), "a bug");
        assert_eq!(item.action_category(), Some("prevent"));
        assert_eq!(item.action_status(), "in_progress");
        assert_eq!(
            item.links,
            [Link {
                key: "INC-7".into(),
                kind: "Problem/Incident is caused by".into()
            }]
        );
        let mut no_created = i.clone();
        no_created.fields.remove("created");
        assert!(WorkItem::from_issue(&no_created, &sprint_field()).is_none());
    }

    #[test]
    fn a_declined_resolution_closes_an_action_without_completing_it() {
        let i = issue(
            json!({"created": "2024-04-30T10:00:00.000+0000",
                   "status": {"name": "Closed", "statusCategory": {"key": "done"}},
                   "resolution": {"name": "Won't Do"}}),
            json!([]),
        );
        let item = WorkItem::from_issue(&i, &CustomFields::default()).unwrap();
        assert_eq!(item.action_status(), "wont_do");
        assert_eq!(item.sprints, None, "no sprint information asked for");
    }

    #[test]
    fn data_center_sprint_strings_are_read() {
        let v = json!(
            "com.atlassian.greenhopper.service.sprint.Sprint@1f[id=37,rapidViewId=5,state=CLOSED,name=S1,startDate=2015-04-11T15:22:00.000+10:00,endDate=2015-04-20T01:22:00.000+10:00,completeDate=<null>]"
        );
        let s = sprint_ref(&v).unwrap();
        assert_eq!((s.id, s.state.as_str()), (37, "closed"));
        assert_eq!(s.last_date, Some(at("2015-04-19T15:22:00Z")));
    }
}
