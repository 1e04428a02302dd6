//! Queries that return domain types. Filters are applied in SQL (indexed columns) so callers
//! never load rows they will not use.

use super::{Result, Store};
use crate::model::*;
use rusqlite::types::Value;
use rusqlite::{Row, params_from_iter};

/// Builds a WHERE clause from a [`Filter`] for a table whose time column is `time_col`.
/// `margin_before` widens the lower bound (seconds) for metrics that need earlier context,
/// such as the previous deployment of a chain or the deployment an incident follows.
pub(crate) struct Where {
    pub sql: String,
    pub params: Vec<Value>,
}

pub(crate) fn where_clause(
    filter: &Filter,
    time_col: &str,
    margin_before: i64,
    has_environment: bool,
) -> Where {
    let mut parts = Vec::new();
    let mut params = Vec::new();
    if let Some(since) = filter.since {
        parts.push(format!("{time_col} >= ?"));
        params.push(Value::Integer(since.timestamp() - margin_before));
    }
    if let Some(until) = filter.until {
        parts.push(format!("{time_col} < ?"));
        params.push(Value::Integer(until.timestamp()));
    }
    if let Some(team) = &filter.team {
        parts.push("team = ?".to_string());
        params.push(Value::Text(team.clone()));
    }
    if let Some(service) = &filter.service {
        parts.push("service = ?".to_string());
        params.push(Value::Text(service.clone()));
    }
    if has_environment && let Some(env) = &filter.environment {
        parts.push("environment = ?".to_string());
        params.push(Value::Text(env.clone()));
    }
    let sql = if parts.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", parts.join(" AND "))
    };
    Where { sql, params }
}

pub(super) fn opt_ts(row: &Row, idx: usize) -> rusqlite::Result<Option<Timestamp>> {
    Ok(row.get::<_, Option<i64>>(idx)?.and_then(ts))
}

pub(super) fn req_ts(row: &Row, idx: usize) -> rusqlite::Result<Timestamp> {
    let v: i64 = row.get(idx)?;
    ts(v).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Integer,
            format!("timestamp {v} out of range").into(),
        )
    })
}

fn bad_enum(idx: usize, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        idx,
        rusqlite::types::Type::Text,
        format!("unexpected value {value:?}").into(),
    )
}

// Enum columns are parsed from SQLite's own text, without an allocation per row.
fn parse_enum<T>(row: &Row, idx: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let s = row.get_ref(idx)?.as_str()?;
    parse(s).ok_or_else(|| bad_enum(idx, s))
}

pub(super) fn parse_opt_enum<T>(
    row: &Row,
    idx: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    match row.get_ref(idx)?.as_str_or_null()? {
        None => Ok(None),
        Some(s) => parse(s).map(Some).ok_or_else(|| bad_enum(idx, s)),
    }
}

impl Store {
    pub(super) fn query_map<T>(
        &self,
        sql: &str,
        params: &[Value],
        map: impl FnMut(&Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt.query_map(params_from_iter(params.iter()), map)?;
        Ok(rows.collect::<rusqlite::Result<Vec<T>>>()?)
    }

    /// Deployments finishing in the filter's range, plus `margin_before` seconds earlier.
    pub fn deployments(&self, filter: &Filter, margin_before: i64) -> Result<Vec<Deployment>> {
        let w = where_clause(filter, "finished_at", margin_before, true);
        let sql = format!(
            "SELECT id, service, team, environment, status, kind, started_at, finished_at, commit_sha
             FROM deployments{} ORDER BY finished_at, id",
            w.sql
        );
        self.query_map(&sql, &w.params, |r| {
            Ok(Deployment {
                id: r.get(0)?,
                service: r.get(1)?,
                team: r.get(2)?,
                environment: r.get(3)?,
                status: parse_enum(r, 4, DeployStatus::parse)?,
                kind: parse_enum(r, 5, DeployKind::parse)?,
                started_at: opt_ts(r, 6)?,
                finished_at: req_ts(r, 7)?,
                commit_sha: r.get(8)?,
            })
        })
    }

    /// Changes merged in the filter's range (plus `margin_before` seconds earlier), and open
    /// changes. Environment does not apply to changes.
    pub fn changes(&self, filter: &Filter, margin_before: i64) -> Result<Vec<Change>> {
        let w = where_clause(filter, "merged_at", margin_before, false);
        let sql = format!(
            "SELECT id, repo, service, team, title, state, merge_sha, first_commit_at, opened_at,
                    first_review_at, merged_at, additions, deletions
             FROM changes{} ORDER BY merged_at, id",
            w.sql
        );
        self.query_map(&sql, &w.params, map_change)
    }

    /// Changes by store id (for explaining a number, or for the changes a deployment shipped).
    pub fn changes_by_ids(&self, ids: &[i64]) -> Result<Vec<Change>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, repo, service, team, title, state, merge_sha, first_commit_at, opened_at,
                        first_review_at, merged_at, additions, deletions
                 FROM changes WHERE id IN ({marks}) ORDER BY merged_at, id"
            );
            let params: Vec<Value> = chunk.iter().map(|&i| Value::Integer(i)).collect();
            out.extend(self.query_map(&sql, &params, map_change)?);
        }
        Ok(out)
    }

    /// Links between the given deployments and the changes they shipped.
    pub fn deployment_changes_for(&self, deployment_ids: &[i64]) -> Result<Vec<DeploymentChange>> {
        let mut out = Vec::new();
        for chunk in deployment_ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT deployment_id, change_id FROM deployment_changes
                 WHERE deployment_id IN ({marks}) ORDER BY deployment_id, change_id"
            );
            let params: Vec<Value> = chunk.iter().map(|&i| Value::Integer(i)).collect();
            out.extend(self.query_map(&sql, &params, |r| {
                Ok(DeploymentChange {
                    deployment_id: r.get(0)?,
                    change_id: r.get(1)?,
                })
            })?);
        }
        Ok(out)
    }

    /// Incidents created in the filter's range (plus `margin_before` seconds earlier).
    pub fn incidents(&self, filter: &Filter, margin_before: i64) -> Result<Vec<Incident>> {
        let w = where_clause(filter, "created_at", margin_before, false);
        self.incidents_where(w)
    }

    /// Unresolved incidents, whatever their age, narrowed by team and service.
    pub fn open_incidents(&self, filter: &Filter) -> Result<Vec<Incident>> {
        let scope = Filter {
            team: filter.team.clone(),
            service: filter.service.clone(),
            ..Filter::default()
        };
        let mut w = where_clause(&scope, "created_at", 0, false);
        w.sql = if w.sql.is_empty() {
            " WHERE resolved_at IS NULL".to_string()
        } else {
            format!("{} AND resolved_at IS NULL", w.sql)
        };
        self.incidents_where(w)
    }

    /// The incidents of the filter's scope created in its range, plus those of the scope created
    /// before it and still open at `now` (unresolved, or resolved after `now`): what the
    /// Incidents pane lists. Chosen in SQL, so the scope's closed history is never read into rows.
    pub fn incidents_in_range_or_open(
        &self,
        filter: &Filter,
        now: Timestamp,
    ) -> Result<Vec<Incident>> {
        let scope = Filter {
            since: None,
            ..filter.clone()
        };
        let mut w = where_clause(&scope, "created_at", 0, false);
        let since = filter.since.map_or(i64::MIN, |s| s.timestamp());
        let cond = "(created_at >= ? OR resolved_at IS NULL OR resolved_at > ?)";
        w.sql = if w.sql.is_empty() {
            format!(" WHERE {cond}")
        } else {
            format!("{} AND {cond}", w.sql)
        };
        w.params.push(Value::Integer(since));
        w.params.push(Value::Integer(now.timestamp()));
        self.incidents_where(w)
    }

    /// Incidents by store id (the incidents of some follow-ups), in creation order.
    pub fn incidents_by_ids(&self, ids: &[i64]) -> Result<Vec<Incident>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let (marks, params) = super::planning::id_list(chunk);
            out.extend(self.incidents_where(Where {
                sql: format!(" WHERE id IN ({marks})"),
                params,
            })?);
        }
        out.sort_by_key(|i| (i.created_at, i.id));
        Ok(out)
    }

    fn incidents_where(&self, w: Where) -> Result<Vec<Incident>> {
        let sql = format!(
            "SELECT id, service, team, severity, severity_original, title, created_at,
                    acknowledged_at, resolved_at, resolved_by, deployment_id
             FROM incidents{} ORDER BY created_at, id",
            w.sql
        );
        self.query_map(&sql, &w.params, |r| {
            Ok(Incident {
                id: r.get(0)?,
                service: r.get(1)?,
                team: r.get(2)?,
                severity: parse_enum(r, 3, Severity::parse)?,
                severity_original: r.get(4)?,
                title: r.get(5)?,
                created_at: req_ts(r, 6)?,
                acknowledged_at: opt_ts(r, 7)?,
                resolved_at: opt_ts(r, 8)?,
                resolved_by: parse_opt_enum(r, 9, ResolvedBy::parse)?,
                deployment_id: r.get(10)?,
            })
        })
    }

    /// Every SLO, narrowed by team and service.
    pub fn slos(&self, filter: &Filter) -> Result<Vec<Slo>> {
        let scope = Filter {
            team: filter.team.clone(),
            service: filter.service.clone(),
            ..Filter::default()
        };
        let w = where_clause(&scope, "", 0, false);
        let sql = format!(
            "SELECT id, name, service, team, description, target, window_kind, window_days,
                    calendar_period, budgeting_method, timeslice_seconds, timeslice_target
             FROM slos{} ORDER BY team, name, id",
            w.sql
        );
        self.query_map(&sql, &w.params, |r| {
            let kind: String = r.get(6)?;
            let window = match kind.as_str() {
                "calendar" => SloWindow::Calendar {
                    period: parse_opt_enum(r, 8, CalendarPeriod::parse)?
                        .unwrap_or(CalendarPeriod::Month),
                },
                _ => SloWindow::Rolling {
                    days: u32::try_from(r.get::<_, i64>(7)?).unwrap_or(30),
                },
            };
            Ok(Slo {
                id: r.get(0)?,
                name: r.get(1)?,
                service: r.get(2)?,
                team: r.get(3)?,
                description: r.get(4)?,
                target: r.get(5)?,
                window,
                budgeting_method: parse_enum(r, 9, BudgetingMethod::parse)?,
                timeslice_seconds: r.get(10)?,
                timeslice_target: r.get(11)?,
            })
        })
    }

    /// Samples of one SLO with buckets starting in `[from, to)`.
    pub fn slo_samples(
        &self,
        slo_id: i64,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<SloSample>> {
        self.query_map(
            "SELECT slo_id, bucket_start, bucket_seconds, good, total FROM slo_samples
             WHERE slo_id = ?1 AND bucket_start >= ?2 AND bucket_start < ?3 ORDER BY bucket_start",
            &[
                Value::Integer(slo_id),
                Value::Integer(from.timestamp()),
                Value::Integer(to.timestamp()),
            ],
            |r| {
                Ok(SloSample {
                    slo_id: r.get(0)?,
                    bucket_start: req_ts(r, 1)?,
                    bucket_seconds: r.get(2)?,
                    good: r.get(3)?,
                    total: r.get(4)?,
                })
            },
        )
    }

    /// Postmortem action items, narrowed by team (their owning team).
    pub fn action_items(&self, filter: &Filter) -> Result<Vec<ActionItem>> {
        let scope = Filter {
            team: filter.team.clone(),
            ..Filter::default()
        };
        self.action_items_where(where_clause(&scope, "", 0, false))
    }

    /// Action items still open (open or in progress), narrowed by team: what "overdue" is
    /// counted over, without reading the closed history.
    pub fn open_action_items(&self, filter: &Filter) -> Result<Vec<ActionItem>> {
        let scope = Filter {
            team: filter.team.clone(),
            ..Filter::default()
        };
        let mut w = where_clause(&scope, "", 0, false);
        let open = "(status = 'open' OR status = 'in_progress')";
        w.sql = if w.sql.is_empty() {
            format!(" WHERE {open}")
        } else {
            format!("{} AND {open}", w.sql)
        };
        self.action_items_where(w)
    }

    /// The follow-ups a team's Actions scope can draw on, read by index instead of the whole
    /// table (the Overview asks once per team): those the team owns or nobody owns, created
    /// before the period's end and not closed before its start, plus every follow-up of the
    /// given incidents. A superset: `ActionInputs::select` makes the exact choice.
    pub fn action_items_around(
        &self,
        team: &str,
        incident_ids: &[i64],
        period: crate::metrics::Period,
    ) -> Result<Vec<ActionItem>> {
        let mut items = self.action_items_where(Where {
            sql: " WHERE (team = ?1 OR team IS NULL) AND created_at < ?2 \
                  AND (completed_at IS NULL OR completed_at >= ?3)"
                .to_string(),
            params: vec![
                Value::Text(team.to_string()),
                Value::Integer(period.end.timestamp()),
                Value::Integer(period.start.timestamp()),
            ],
        })?;
        let mut seen: std::collections::HashSet<i64> = items.iter().map(|a| a.id).collect();
        let linked = self.action_items_of_incidents(incident_ids)?;
        items.extend(linked.into_iter().filter(|a| seen.insert(a.id)));
        items.sort_by_key(|a| (a.created_at, a.id));
        Ok(items)
    }

    /// The follow-ups of the given incidents; each incident's in creation order.
    pub fn action_items_of_incidents(&self, incident_ids: &[i64]) -> Result<Vec<ActionItem>> {
        let mut items = Vec::new();
        for chunk in incident_ids.chunks(500) {
            let (marks, params) = super::planning::id_list(chunk);
            items.extend(self.action_items_where(Where {
                sql: format!(" WHERE incident_id IN ({marks})"),
                params,
            })?);
        }
        Ok(items)
    }

    fn action_items_where(&self, w: Where) -> Result<Vec<ActionItem>> {
        let sql = format!(
            "SELECT id, incident_id, title, category, team, owner, priority, status, ticket_key,
                    created_at, due_at, completed_at
             FROM action_items{} ORDER BY created_at, id",
            w.sql
        );
        self.query_map(&sql, &w.params, |r| {
            Ok(ActionItem {
                id: r.get(0)?,
                incident_id: r.get(1)?,
                title: r.get(2)?,
                category: parse_opt_enum(r, 3, ActionCategory::parse)?,
                team: r.get(4)?,
                owner: r.get(5)?,
                priority: r.get(6)?,
                status: parse_enum(r, 7, ActionStatus::parse)?,
                ticket_key: r.get(8)?,
                created_at: req_ts(r, 9)?,
                due_at: opt_ts(r, 10)?,
                completed_at: opt_ts(r, 11)?,
            })
        })
    }

    /// Teams known to the store, by name.
    pub fn teams(&self) -> Result<Vec<Team>> {
        self.query_map(
            "SELECT id, name, display_name, timezone FROM teams GROUP BY name ORDER BY name",
            &[],
            |r| {
                Ok(Team {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    display_name: r.get(2)?,
                    timezone: r.get(3)?,
                })
            },
        )
    }

    /// Team names: the `teams` table, or when it is empty the teams that deployments name
    /// (imports often bring deployments before anyone describes the teams).
    pub fn team_names(&self) -> Result<Vec<String>> {
        let names: Vec<String> = self.teams()?.into_iter().map(|t| t.name).collect();
        if !names.is_empty() {
            return Ok(names);
        }
        self.query_map(
            "SELECT DISTINCT team FROM deployments WHERE team IS NOT NULL ORDER BY team",
            &[],
            |r| r.get(0),
        )
    }

    /// Whether any deployment, change or incident is stored.
    /// The environments deployments went to, sorted.
    pub fn environments(&self) -> Result<Vec<String>> {
        self.query_map(
            "SELECT DISTINCT environment FROM deployments ORDER BY environment",
            &[],
            |r| r.get(0),
        )
    }

    pub fn has_delivery_data(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM deployments) OR EXISTS (SELECT 1 FROM changes)
                    OR EXISTS (SELECT 1 FROM incidents)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Services known to the store, by name.
    pub fn services(&self) -> Result<Vec<Service>> {
        self.query_map(
            "SELECT id, name, team, tier, repo FROM services GROUP BY name ORDER BY name",
            &[],
            |r| {
                Ok(Service {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    team: r.get(2)?,
                    tier: r.get(3)?,
                    repo: r.get(4)?,
                })
            },
        )
    }

    /// When each source last delivered data (newest successful sync or import), by source.
    pub fn freshness(&self) -> Result<Vec<(String, Option<Timestamp>)>> {
        self.query_map(
            "SELECT source, max(last_ok_at) FROM sync_state GROUP BY source ORDER BY source",
            &[],
            |r| Ok((r.get(0)?, opt_ts(r, 1)?)),
        )
    }

    /// Records that `resource` of `source` was brought up to date at `at` (sync or import).
    pub fn record_success(&self, source: &str, resource: &str, at: Timestamp) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_state (source, resource, last_ok_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (source, resource) DO UPDATE SET last_ok_at = excluded.last_ok_at",
            rusqlite::params![source, resource, at.timestamp()],
        )?;
        Ok(())
    }

    /// Every source with rows in any entity table, with the newest `synced_at` of its rows.
    /// Scans the tables: for after a bulk write (demo, import), not for drawing.
    pub fn sources_in_rows(&self) -> Result<Vec<(String, Timestamp)>> {
        let union = super::tables::TABLE_NAMES
            .iter()
            .map(|t| format!("SELECT source, max(synced_at) AS at FROM {t} GROUP BY source"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let sql = format!("SELECT source, max(at) FROM ({union}) GROUP BY source ORDER BY source");
        self.query_map(&sql, &[], |r| Ok((r.get(0)?, req_ts(r, 1)?)))
    }

    /// Row counts per table, for `doctor`, the welcome screen and tests.
    pub fn row_counts(&self) -> Result<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for table in super::tables::TABLE_NAMES {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
            out.push((*table, n));
        }
        Ok(out)
    }

    /// Provenance of many rows of `table` (one of [`super::tables::TABLE_NAMES`]), by id.
    pub fn provenance_many(
        &self,
        table: &str,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Provenance>> {
        let mut out = std::collections::HashMap::with_capacity(ids.len());
        if !super::tables::TABLE_NAMES.contains(&table) {
            return Ok(out);
        }
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT id, source, source_kind, external_id, url, synced_at, origin
                 FROM {table} WHERE id IN ({marks})"
            );
            let params: Vec<Value> = chunk.iter().map(|&i| Value::Integer(i)).collect();
            for (id, p) in self.query_map(&sql, &params, |r| {
                let origin: String = r.get(6)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    Provenance {
                        source: r.get(1)?,
                        source_kind: r.get(2)?,
                        external_id: r.get(3)?,
                        url: r.get(4)?,
                        synced_at: req_ts(r, 5)?,
                        origin: Origin::parse(&origin).ok_or_else(|| bad_enum(6, &origin))?,
                    },
                ))
            })? {
                out.insert(id, p);
            }
        }
        Ok(out)
    }

    /// Provenance of one row of `table` (one of [`super::tables::TABLE_NAMES`]).
    pub fn provenance(&self, table: &str, id: i64) -> Result<Option<Provenance>> {
        Ok(self.provenance_many(table, &[id])?.remove(&id))
    }
}

pub(crate) fn map_change(r: &Row) -> rusqlite::Result<Change> {
    Ok(Change {
        id: r.get(0)?,
        repo: r.get(1)?,
        service: r.get(2)?,
        team: r.get(3)?,
        title: r.get(4)?,
        state: parse_enum(r, 5, ChangeState::parse)?,
        merge_sha: r.get(6)?,
        first_commit_at: opt_ts(r, 7)?,
        opened_at: opt_ts(r, 8)?,
        first_review_at: opt_ts(r, 9)?,
        merged_at: opt_ts(r, 10)?,
        additions: r.get(11)?,
        deletions: r.get(12)?,
    })
}
