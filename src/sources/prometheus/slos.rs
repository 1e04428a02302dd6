//! The SLO rows Prometheus samples attach to, and the sample writing shared with the
//! Datadog connector.

use crate::config::{SloConfig, SourceConfig};
use crate::model::{BudgetingMethod, CalendarPeriod, Origin, SloWindow};
use crate::store::write::{Outcome, RowProvenance, Writer};
use crate::store::{Store, StoreError};
use crate::sync::{RowWriter, Session};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};
use std::collections::HashSet;

/// One bucket of an SLO's good and total events (epoch seconds). Shared with the Datadog
/// connector, whose history gives the same shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::sources) struct Bucket {
    pub start: i64,
    pub seconds: i64,
    pub good: f64,
    pub total: f64,
}

const SAMPLE_COLUMNS: &[&str] = &["slo_id", "bucket_start", "bucket_seconds", "good", "total"];

/// Writes the buckets read for `range` (`[from, to)`, epoch seconds) of an SLO, keyed
/// `<key>@<bucket start>`, and deletes this source's buckets of that range that the new read
/// does not repeat: a grid read earlier with another step would otherwise count twice.
pub(in crate::sources) fn write_buckets(
    w: &mut RowWriter<'_>,
    source: &str,
    slo_id: i64,
    key: &str,
    range: (i64, i64),
    buckets: &[Bucket],
) -> Result<(), StoreError> {
    let stored: Vec<(i64, i64)> = {
        let mut stmt = w.conn().prepare_cached(
            "SELECT id, bucket_start FROM slo_samples
             WHERE source = ?1 AND slo_id = ?2 AND bucket_start >= ?3 AND bucket_start < ?4",
        )?;
        stmt.query_map(params![source, slo_id, range.0, range.1], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?
    };
    let fresh: HashSet<i64> = buckets.iter().map(|b| b.start).collect();
    let stale: Vec<i64> = stored
        .into_iter()
        .filter(|(_, start)| !fresh.contains(start))
        .map(|(id, _)| id)
        .collect();
    for id in stale {
        w.conn()
            .execute("DELETE FROM slo_samples WHERE id = ?1", [id])?;
    }
    for b in buckets {
        let values = [
            Value::Integer(slo_id),
            Value::Integer(b.start),
            Value::Integer(b.seconds),
            Value::Real(b.good.max(0.0)),
            Value::Real(b.total.max(0.0)),
        ];
        let external_id = format!("{key}@{}", b.start);
        w.upsert("slo_samples", SAMPLE_COLUMNS, &values, &external_id, None)?;
    }
    Ok(())
}

/// The external id of the SLO row declared for query `name`.
fn declared_id(name: &str) -> String {
    format!("slo/{name}")
}

const SLO_COLUMNS: &[&str] = &[
    "name",
    "service",
    "team",
    "description",
    "target",
    "window_kind",
    "window_days",
    "calendar_period",
    "budgeting_method",
    "timeslice_seconds",
    "timeslice_target",
];

fn budgeting(method: BudgetingMethod) -> &'static str {
    match method {
        BudgetingMethod::Occurrences => "occurrences",
        BudgetingMethod::Timeslices => "timeslices",
        BudgetingMethod::RatioTimeslices => "ratio_timeslices",
    }
}

fn period(p: CalendarPeriod) -> &'static str {
    match p {
        CalendarPeriod::Week => "week",
        CalendarPeriod::Month => "month",
        CalendarPeriod::Quarter => "quarter",
    }
}

/// The `[[slos]]` entry a query feeds: the one bound to this source whose `query` (else its
/// name) is the query's `slo`, else an entry so named without a `source`.
fn entry_for<'a>(
    source: &SourceConfig,
    slos: &'a [SloConfig],
    query: &str,
) -> Option<&'a SloConfig> {
    let bound = |s: &&SloConfig| {
        s.source.as_deref() == Some(source.name.as_str())
            && s.query.as_deref().unwrap_or(&s.name) == query
    };
    slos.iter()
        .find(bound)
        .or_else(|| slos.iter().find(|s| s.source.is_none() && s.name == query))
}

/// Writes (or updates) the SLO row of each query of `source` from its `[[slos]]` entry, so
/// that the query's samples have a target and a window. Call it before syncing the source.
/// Rows are marked `manual`: their definition comes from the config, not from Prometheus.
/// Returns the rows written.
pub fn declare_slos(
    store: &mut Store,
    source: &SourceConfig,
    slos: &[SloConfig],
) -> Result<u64, StoreError> {
    let tx = store.conn_mut().transaction()?;
    let mut written = 0;
    {
        let mut writer = Writer::new(&tx);
        let shape = writer.shape("slos", SLO_COLUMNS)?;
        let synced_at = chrono::Utc::now().timestamp();
        for (query, slo) in source
            .queries
            .iter()
            .filter_map(|q| Some((q.slo.as_str(), entry_for(source, slos, &q.slo)?)))
        {
            let (kind, days, calendar) = match slo.window {
                SloWindow::Rolling { days } => ("rolling", i64::from(days), None),
                // The schema's default; calendar windows are measured by their period.
                SloWindow::Calendar { period: p } => ("calendar", 30, Some(period(p))),
            };
            let values = [
                Value::Text(slo.name.clone()),
                Value::Text(slo.service.clone()),
                slo.team.clone().map_or(Value::Null, Value::Text),
                slo.description.clone().map_or(Value::Null, Value::Text),
                Value::Real(slo.target),
                Value::Text(kind.into()),
                Value::Integer(days),
                calendar.map_or(Value::Null, |c| Value::Text(c.into())),
                Value::Text(budgeting(slo.method).into()),
                slo.timeslice
                    .map_or(Value::Null, |t| Value::Integer(t.as_secs() as i64)),
                slo.timeslice_target.map_or(Value::Null, Value::Real),
            ];
            let external_id = declared_id(query);
            let provenance = RowProvenance {
                source: &source.name,
                source_kind: source.kind.as_str(),
                external_id: &external_id,
                url: None,
                synced_at,
                origin: Origin::Manual,
            };
            if !matches!(
                writer.upsert(shape, &values, &provenance)?,
                Outcome::Unchanged
            ) {
                written += 1;
            }
        }
    }
    tx.commit()?;
    Ok(written)
}

/// The SLO a query feeds: the row declared for it on this source, else any SLO so named.
pub(super) fn slo_for(session: &Session<'_>, name: &str) -> rusqlite::Result<Option<i64>> {
    let conn = session.conn();
    let declared = conn
        .query_row(
            "SELECT id FROM slos WHERE source = ?1 AND external_id = ?2",
            params![session.source.name, declared_id(name)],
            |r| r.get(0),
        )
        .optional()?;
    if declared.is_some() {
        return Ok(declared);
    }
    conn.query_row(
        "SELECT id FROM slos WHERE name = ?1 ORDER BY id LIMIT 1",
        [name],
        |r| r.get(0),
    )
    .optional()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(extra: &str) -> SloConfig {
        let text = format!("service = \"s\"\ntarget = 0.99\nwindow = \"7d\"\n{extra}");
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn a_query_feeds_the_entry_bound_to_its_source_else_an_unbound_one_of_its_name() {
        let source = SourceConfig::new("prom", crate::config::SourceKind::Prometheus);
        let slos = [
            slo("name = \"checkout\"\nsource = \"other\""),
            slo("name = \"checkout-availability\"\nsource = \"prom\"\nquery = \"checkout\""),
            slo("name = \"search\""),
        ];
        let name = |q| entry_for(&source, &slos, q).map(|s| s.name.as_str());
        assert_eq!(name("checkout"), Some("checkout-availability"));
        assert_eq!(name("search"), Some("search"));
        assert_eq!(name("missing"), None);
        assert_eq!(
            entry_for(&source, &slos[..1], "checkout").map(|s| &s.name),
            None,
            "an entry bound to another source is not this query's"
        );
    }
}
