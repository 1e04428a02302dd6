//! What a complete pass over each resource would have seen again, had it still existed
//! upstream: the rows a full sync may remove when the pass did not see them.
//!
//! Lists read items changed or created since the pass's lower bound, so a stored row is in
//! the scope only when its own times prove the pass would have listed it (a pull request
//! opened after the bound was necessarily updated after it). A resource that reads a partial
//! view by design has no scope, or one narrowed to what it asked for: Jira's configured JQL
//! (issues known only from a board's sprints are kept), PagerDuty's `services` and Opsgenie's
//! `teams` filters, lists filtered by update time without a creation time to prove it
//! (GitLab milestones), derived links (deployment changes, which go with their deployment or
//! change), and time-ranged SLO samples, which the pass already replaces over the range it
//! read.

use super::cursor::SKEW_MARGIN;
use crate::config::{SourceConfig, SourceKind};
use crate::model::Timestamp;
use crate::store::sweep::{Condition, Scope};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension};

/// The time range one pass read: items from `lower_bound` up to `started_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub lower_bound: Timestamp,
    pub started_at: Timestamp,
}

/// The scopes of `resource` of `source`, swept in this order (a derived row after the row it
/// follows). Empty when the resource never removes rows.
pub fn of(
    conn: &Connection,
    source: &SourceConfig,
    resource: &str,
    window: Window,
) -> rusqlite::Result<Vec<Scope>> {
    let lower = whole_seconds_from(window.lower_bound);
    Ok(match source.kind {
        SourceKind::Github => match resource.rsplit_once(':') {
            Some((repo, kind)) => github(source, repo, kind, lower),
            None => Vec::new(),
        },
        SourceKind::Gitlab => match resource.rsplit_once(':') {
            Some((project, kind)) => gitlab(project, kind, lower),
            None => Vec::new(),
        },
        SourceKind::Jira => jira(source, resource, lower),
        SourceKind::Pagerduty => pagerduty(conn, source, resource, window)?,
        SourceKind::Opsgenie if resource == "alerts" && source.teams.is_empty() => {
            vec![Scope::of(
                "alerts",
                vec![Condition::AtOrAfter("triggered_at", lower)],
            )]
        }
        SourceKind::Datadog if resource == "slos" => vec![datadog_slos(source)],
        SourceKind::Opsgenie | SourceKind::Datadog | SourceKind::Prometheus => Vec::new(),
    })
}

/// The first whole second at or after `t`. Rows keep whole seconds while lists compare the
/// bound with its fraction (`now - history`): an item at 10:00:00 is not listed from
/// 10:00:00.3 on, so its row must not be in the scope either.
fn whole_seconds_from(t: Timestamp) -> i64 {
    t.timestamp() + i64::from(t.timestamp_subsec_nanos() > 0)
}

/// Every SLO of the source, or of the configured `slos` ids the list asks for.
fn datadog_slos(source: &SourceConfig) -> Scope {
    let conditions = match source.slos.as_slice() {
        [] => Vec::new(),
        ids => vec![Condition::OneOf(
            "external_id",
            ids.iter().map(|id| Value::Text(id.clone())).collect(),
        )],
    };
    Scope::of("slos", conditions)
}

/// Attempt rows (`<run>/attempts/<n>`) are separate rows of `pipeline_runs` with no foreign
/// key to their run: they go once their run is gone.
const ATTEMPT: &str = "instr(external_id, '/attempts/') > 0";
const NOT_ATTEMPT: &str = "instr(external_id, '/attempts/') = 0";
const ORPHAN_ATTEMPT: &str = "NOT EXISTS (SELECT 1 FROM pipeline_runs r \
     WHERE r.source = pipeline_runs.source \
     AND r.external_id = substr(pipeline_runs.external_id, 1, \
         instr(pipeline_runs.external_id, '/attempts/') - 1))";

/// A CI list's runs and then the earlier attempts of the runs removed.
fn runs(prefix: String, lower: i64) -> Vec<Scope> {
    vec![
        Scope::of(
            "pipeline_runs",
            vec![
                Condition::IdPrefix(prefix.clone()),
                Condition::Sql(NOT_ATTEMPT),
                Condition::AtOrAfter("queued_at", lower),
            ],
        ),
        Scope::of(
            "pipeline_runs",
            vec![
                Condition::IdPrefix(prefix),
                Condition::Sql(ATTEMPT),
                Condition::Sql(ORPHAN_ATTEMPT),
            ],
        ),
    ]
}

fn github(source: &SourceConfig, repo: &str, kind: &str, lower: i64) -> Vec<Scope> {
    match kind {
        // Listed by last update, newest first, down to the bound: opened after it means
        // updated after it.
        "pulls" => vec![Scope::of(
            "changes",
            vec![
                Condition::IdPrefix(format!("{repo}#")),
                Condition::AtOrAfter("opened_at", lower),
            ],
        )],
        // Listed newest first down to the bound by creation time, stored as `started_at`.
        "deployments" | "releases" => vec![Scope::of(
            "deployments",
            vec![
                Condition::IdPrefix(format!("{repo}/{kind}/")),
                Condition::AtOrAfter("started_at", lower),
            ],
        )],
        // Filtered by the server on creation time, stored as `queued_at`.
        "runs" => runs(format!("{repo}/runs/"), lower),
        "incidents" if !source.incident_labels.is_empty() => vec![Scope::of(
            "incidents",
            vec![
                Condition::IdPrefix(format!("{repo}/issues/")),
                Condition::AtOrAfter("created_at", lower),
            ],
        )],
        // Every milestone, open or closed, whatever the bound.
        "milestones" => vec![Scope::of(
            "milestones",
            vec![Condition::IdPrefix(format!("{repo}/milestones/"))],
        )],
        _ => Vec::new(),
    }
}

fn gitlab(project: &str, kind: &str, lower: i64) -> Vec<Scope> {
    // `updated_after` may be strict: an item updated at the bound itself is not listed.
    let lower = lower + 1;
    match kind {
        "merge_requests" => vec![Scope::of(
            "changes",
            vec![
                Condition::IdPrefix(format!("{project}!")),
                Condition::AtOrAfter("opened_at", lower),
            ],
        )],
        // Listed by update time; a deployment is updated when its job finishes, which is
        // stored as `finished_at`. The skew margin absorbs the seconds between the two.
        "deployments" => vec![Scope::of(
            "deployments",
            vec![
                Condition::IdPrefix(format!("{project}/deployments/")),
                Condition::AtOrAfter("finished_at", lower + SKEW_MARGIN.num_seconds()),
            ],
        )],
        // Listed by update time; created (stored as `queued_at`) before any update.
        "pipelines" => runs(format!("{project}/pipelines/"), lower),
        _ => Vec::new(),
    }
}

/// Work items whose issue the search may not cover: members of a board's sprints.
const NOT_IN_A_SPRINT: &str = "sprint_id IS NULL AND NOT EXISTS \
     (SELECT 1 FROM sprint_items si WHERE si.work_item_id = work_items.id)";
/// An action item is the issue it was read with: it goes when that issue's row is gone.
const ISSUE_GONE: &str = "NOT EXISTS (SELECT 1 FROM work_items w \
     WHERE w.source = action_items.source AND w.external_id = action_items.external_id)";

fn jira(source: &SourceConfig, resource: &str, lower: i64) -> Vec<Scope> {
    match resource.split_once(':') {
        // Every sprint of the board is listed on each pass.
        Some(("sprints", board)) => vec![Scope::of(
            "sprints",
            vec![Condition::Equals("board", Value::Text(board.into()))],
        )],
        // Searched by `updated >=` the bound: created after it means updated after it.
        None if resource == "issues" => {
            let mut items = vec![Condition::AtOrAfter("created_at", lower)];
            if source.jql.as_deref().is_some_and(|j| !j.trim().is_empty()) {
                items.push(Condition::Sql(NOT_IN_A_SPRINT));
            }
            vec![
                Scope::of("work_items", items),
                Scope {
                    table: "action_items",
                    kept_by: "work_items",
                    conditions: vec![
                        Condition::AtOrAfter("created_at", lower),
                        Condition::Sql(ISSUE_GONE),
                    ],
                },
            ]
        }
        _ => Vec::new(),
    }
}

fn pagerduty(
    conn: &Connection,
    source: &SourceConfig,
    resource: &str,
    window: Window,
) -> rusqlite::Result<Vec<Scope>> {
    match resource {
        "services" => Ok(vec![Scope::of("services", Vec::new())]),
        "incidents" => {
            let mut conditions = vec![
                Condition::AtOrAfter("created_at", whole_seconds_from(window.lower_bound)),
                Condition::Before("created_at", window.started_at.timestamp()),
            ];
            if !source.services.is_empty() {
                // Incidents are stored under their service's name; a configured service
                // whose name is unknown could hide incidents of its own: keep them all.
                let Some(names) = service_names(conn, source)? else {
                    return Ok(Vec::new());
                };
                conditions.push(Condition::OneOf("service", names));
            }
            Ok(vec![Scope::of("incidents", conditions)])
        }
        _ => Ok(Vec::new()),
    }
}

/// The names of the configured PagerDuty services (given by id or name), if all are stored.
fn service_names(conn: &Connection, source: &SourceConfig) -> rusqlite::Result<Option<Vec<Value>>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM services WHERE source = ?1 AND (external_id = ?2 OR name = ?2)",
    )?;
    let mut names = Vec::with_capacity(source.services.len());
    for wanted in &source.services {
        match stmt
            .query_row([source.name.as_str(), wanted.as_str()], |r| {
                r.get::<_, String>(0)
            })
            .optional()?
        {
            Some(name) => names.push(Value::Text(name)),
            None => return Ok(None),
        }
    }
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;
    use crate::store::Store;
    use crate::store::sweep::sweep;
    use crate::store::write::{RowProvenance, Writer};
    use std::collections::HashSet;

    fn window() -> Window {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        Window {
            lower_bound: at("2024-05-01T00:00:00Z"),
            started_at: at("2024-06-01T00:00:00Z"),
        }
    }

    fn run_row(w: &mut Writer<'_>, external_id: &str, queued_at: i64) {
        let shape = w
            .shape("pipeline_runs", &["repo", "workflow", "queued_at"])
            .unwrap();
        let values = [
            Value::Text("o/r".into()),
            Value::Text("ci".into()),
            Value::Integer(queued_at),
        ];
        let p = RowProvenance {
            source: "gh",
            source_kind: "github",
            external_id,
            url: None,
            synced_at: 1,
            origin: Origin::Api,
        };
        w.upsert(shape, &values, &p).unwrap();
    }

    #[test]
    fn a_removed_run_takes_its_attempt_rows_and_a_kept_run_keeps_them() {
        let store = Store::open_in_memory().unwrap();
        let recent = window().lower_bound.timestamp() + 60;
        {
            let mut w = Writer::new(store.conn());
            for id in ["o/r/runs/1", "o/r/runs/1/attempts/1"] {
                run_row(&mut w, id, recent);
            }
            for id in [
                "o/r/runs/2",
                "o/r/runs/2/attempts/1",
                "o/r/runs/2/attempts/2",
            ] {
                run_row(&mut w, id, recent);
            }
            run_row(&mut w, "o/r/runs/3", 0);
            run_row(&mut w, "o/rr/runs/4", recent);
        }
        let source = SourceConfig::new("gh", SourceKind::Github);
        let seen: HashSet<String> = ["o/r/runs/1".to_string()].into();
        let mut removed = 0;
        for scope in of(store.conn(), &source, "o/r:runs", window()).unwrap() {
            removed += sweep(store.conn(), "gh", &scope, &seen).unwrap();
        }
        assert_eq!(removed, 3, "run 2 and its two attempts");
        let mut stmt = store
            .conn()
            .prepare("SELECT external_id FROM pipeline_runs ORDER BY external_id")
            .unwrap();
        let left: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(
            left,
            [
                "o/r/runs/1",
                "o/r/runs/1/attempts/1",
                "o/r/runs/3",
                "o/rr/runs/4"
            ],
            "run 1's attempt goes with run 1; run 3 predates the pass; o/rr is another repo"
        );
    }

    #[test]
    fn a_bound_with_a_fraction_starts_at_the_next_second() {
        let t: Timestamp = "2024-05-01T10:00:00.300Z".parse().unwrap();
        assert_eq!(whole_seconds_from(t), t.timestamp() + 1);
        let whole: Timestamp = "2024-05-01T10:00:00Z".parse().unwrap();
        assert_eq!(whole_seconds_from(whole), whole.timestamp());
    }

    #[test]
    fn partial_views_narrow_or_drop_their_scope() {
        let store = Store::open_in_memory().unwrap();
        let mut jira = SourceConfig::new("jira", SourceKind::Jira);
        let plain = of(store.conn(), &jira, "issues", window()).unwrap();
        assert!(
            !plain[0]
                .conditions
                .contains(&Condition::Sql(NOT_IN_A_SPRINT))
        );
        jira.jql = Some("project = PAY".into());
        let narrowed = of(store.conn(), &jira, "issues", window()).unwrap();
        assert!(
            narrowed[0]
                .conditions
                .contains(&Condition::Sql(NOT_IN_A_SPRINT))
        );
        assert_eq!(narrowed[1].kept_by, "work_items");
        assert!(
            of(store.conn(), &jira, "versions", window())
                .unwrap()
                .is_empty()
        );

        let mut pd = SourceConfig::new("pd", SourceKind::Pagerduty);
        pd.services = vec!["PIJ90N7".into()];
        assert!(
            of(store.conn(), &pd, "incidents", window())
                .unwrap()
                .is_empty(),
            "a configured service not synced yet: its incidents' names are unknown"
        );
        store
            .conn()
            .execute(
                "INSERT INTO services (name, source, source_kind, external_id, synced_at, origin)
                 VALUES ('mail', 'pd', 'pagerduty', 'PIJ90N7', 1, 'api')",
                [],
            )
            .unwrap();
        let scoped = of(store.conn(), &pd, "incidents", window()).unwrap();
        assert!(scoped[0].conditions.contains(&Condition::OneOf(
            "service",
            vec![Value::Text("mail".into())]
        )));

        let mut og = SourceConfig::new("og", SourceKind::Opsgenie);
        assert_eq!(of(store.conn(), &og, "alerts", window()).unwrap().len(), 1);
        og.teams = vec!["payments".into()];
        assert!(
            of(store.conn(), &og, "alerts", window())
                .unwrap()
                .is_empty()
        );
        let mut dd = SourceConfig::new("dd", SourceKind::Datadog);
        assert!(
            of(store.conn(), &dd, "slos", window()).unwrap()[0]
                .conditions
                .is_empty()
        );
        dd.slos = vec!["abc".into()];
        assert_eq!(
            of(store.conn(), &dd, "slos", window()).unwrap()[0].conditions,
            [Condition::OneOf(
                "external_id",
                vec![Value::Text("abc".into())]
            )]
        );
        assert!(
            of(store.conn(), &dd, "slo_history", window())
                .unwrap()
                .is_empty()
        );
        let prom = SourceConfig::new("prom", SourceKind::Prometheus);
        assert!(
            of(store.conn(), &prom, "query:api", window())
                .unwrap()
                .is_empty()
        );
    }
}
