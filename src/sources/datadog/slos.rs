//! SLOs (`GET /api/v1/slo`) → `slos`, and their history (`GET /api/v1/slo/{id}/history`)
//! → `slo_samples`.
//!
//! History is walked per SLO in windows of one UTC day from the pass's lower bound (rounded
//! down to midnight, and at most [`MAX_HISTORY_DAYS`] back) to now; as many windows as the
//! source's concurrency are fetched at once and written as one page. What a window gives
//! depends on the SLO type:
//! - metric SLOs: the `series` numerator and denominator per interval are the good and total
//!   event counts of one bucket each. Buckets starting before the window (Datadog rounds the
//!   first one down) are left to the window that owns them, so none is counted twice.
//! - monitor (and time-slice) SLOs have no event counts, only the window's uptime
//!   (`overall.sli_value`, a percentage). The schema stores counts, so one bucket per window
//!   holds seconds: total = the window's length, good = its uptime share of those seconds.
//!   The budget computed from such samples is Datadog's own uptime budget.

use super::{Owner, owner, param, target};
use crate::model::{Timestamp, ts};
use crate::sources::SourceError;
use crate::sources::http::HttpClient;
use crate::sources::prometheus::{Bucket, write_buckets};
use crate::sources::shared::{Listed, fetch_next};
use crate::sync::{Session, SyncError, opt_text, text};
use chrono::Duration;
use futures_util::{StreamExt, stream};
use rusqlite::types::Value;
use serde::Deserialize;

/// SLOs asked per page; Datadog may answer with fewer and a `total_count`.
const LIMIT: usize = 100;
const DAY_SECONDS: i64 = 86_400;
/// The longest SLO timeframe Datadog offers: older history feeds no budget, so a first or
/// `--full` sync reads at most this far back (one request per SLO and day).
const MAX_HISTORY_DAYS: i64 = 90;

#[derive(Debug, Deserialize)]
struct SloList {
    #[serde(default)]
    data: Option<Vec<Slo>>,
    #[serde(default)]
    metadata: Option<ListMetadata>,
}

#[derive(Debug, Deserialize)]
struct ListMetadata {
    #[serde(default)]
    page: Option<ListPage>,
}

#[derive(Debug, Deserialize)]
struct ListPage {
    #[serde(default)]
    total_count: Option<usize>,
}

#[derive(Debug, Deserialize)]
struct Slo {
    id: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    thresholds: Vec<Threshold>,
    #[serde(default)]
    timeframe: Option<String>,
    #[serde(default)]
    target_threshold: Option<f64>,
}

#[derive(Debug, Deserialize)]
struct Threshold {
    timeframe: String,
    target: f64,
}

/// Days of a Datadog rolling timeframe (`7d`, `30d`, `90d`); `custom` has none.
fn timeframe_days(timeframe: &str) -> Option<i64> {
    timeframe.strip_suffix('d')?.parse().ok().filter(|d| *d > 0)
}

/// An SLO's row: its primary timeframe (the `timeframe` field, else the first threshold
/// with a rolling timeframe) with that timeframe's target, a percentage in Datadog.
struct SloRow {
    owner: Owner,
    target: f64,
    window_days: i64,
}

impl SloRow {
    fn new(session: &Session<'_>, slo: &Slo) -> Option<SloRow> {
        let primary = slo
            .timeframe
            .as_deref()
            .and_then(|tf| slo.thresholds.iter().find(|t| t.timeframe == tf))
            .filter(|t| timeframe_days(&t.timeframe).is_some())
            .or_else(|| {
                slo.thresholds
                    .iter()
                    .find(|t| timeframe_days(&t.timeframe).is_some())
            });
        let (days, percent) = match primary {
            Some(t) => (timeframe_days(&t.timeframe)?, t.target),
            None => (
                timeframe_days(slo.timeframe.as_deref()?)?,
                slo.target_threshold?,
            ),
        };
        let target = percent / 100.0;
        if !(target > 0.0 && target < 1.0) {
            tracing::warn!(
                source = %session.source.name,
                slo = %slo.id,
                target = percent,
                "skipping a Datadog SLO whose target is not strictly between 0 and 100%"
            );
            return None;
        }
        Some(SloRow {
            owner: owner(session.ownership(), &slo.tags),
            target,
            window_days: days,
        })
    }
}

const SLO_COLUMNS: &[&str] = &[
    "name",
    "service",
    "team",
    "description",
    "target",
    "window_kind",
    "window_days",
    "budgeting_method",
];

fn list_target(session: &Session<'_>, offset: usize) -> String {
    let mut params = vec![("limit", LIMIT.to_string()), ("offset", offset.to_string())];
    if !session.source.slos.is_empty() {
        params.push(("ids", session.source.slos.join(",")));
    }
    target("/api/v1/slo", &params)
}

fn slo_url(session: &Session<'_>, id: &str) -> Option<String> {
    let site = session.source.site.as_deref()?;
    Some(format!("https://app.{site}/slo?slo_id={id}"))
}

pub(super) async fn sync_slos(
    session: &mut Session<'_>,
    client: &HttpClient,
) -> Result<(), SyncError> {
    let resource = "slos";
    let mut run = session.begin(resource)?;
    loop {
        let Some(Listed { page, target }) =
            fetch_next(client, &mut run, || list_target(session, 0)).await?
        else {
            session.not_modified(resource);
            return Ok(());
        };
        let list: SloList = client.decode(&page)?;
        let slos = list.data.unwrap_or_default();
        let offset: usize = param(&target, "offset")
            .and_then(|o| o.parse().ok())
            .unwrap_or(0);
        let total = list
            .metadata
            .and_then(|m| m.page)
            .and_then(|p| p.total_count);
        let more = !slos.is_empty()
            && (slos.len() >= LIMIT || total.is_some_and(|t| offset + slos.len() < t));
        run.advance(more.then(|| list_target(session, offset + slos.len())));
        let privacy = session.privacy().clone();
        let rows: Vec<(&Slo, SloRow, Option<String>)> = slos
            .iter()
            .filter_map(|s| Some((s, SloRow::new(session, s)?, slo_url(session, &s.id))))
            .collect();
        session.write_page(resource, &mut run, slos.len(), |w| {
            for (slo, row, url) in &rows {
                let description = slo
                    .description
                    .as_deref()
                    .filter(|d| !d.trim().is_empty())
                    .map(|d| privacy.redact(d).into_owned());
                let values = [
                    text(privacy.redact(&slo.name)),
                    opt_text(row.owner.service.clone()),
                    opt_text(row.owner.team.clone()),
                    opt_text(description),
                    Value::Real(row.target),
                    text("rolling"),
                    Value::Integer(row.window_days),
                    text("occurrences"),
                ];
                w.upsert("slos", SLO_COLUMNS, &values, &slo.id, url.as_deref())?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[derive(Debug, Deserialize)]
struct History {
    data: Option<HistoryData>,
}

#[derive(Debug, Deserialize)]
struct HistoryData {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    series: Option<Series>,
    #[serde(default)]
    overall: Option<Overall>,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    interval: Option<i64>,
    #[serde(default)]
    times: Vec<f64>,
    #[serde(default)]
    numerator: Option<SeriesValues>,
    #[serde(default)]
    denominator: Option<SeriesValues>,
}

#[derive(Debug, Deserialize)]
struct SeriesValues {
    #[serde(default)]
    values: Vec<Option<f64>>,
}

#[derive(Debug, Deserialize)]
struct Overall {
    #[serde(default)]
    sli_value: Option<f64>,
}

fn floor_day(t: Timestamp) -> Timestamp {
    ts(t.timestamp().div_euclid(DAY_SECONDS) * DAY_SECONDS).unwrap_or(t)
}

/// The history request of window `[from, to)` (epoch seconds).
fn history_target(slo: &str, from: i64, to: i64) -> String {
    format!("/api/v1/slo/{slo}/history?from_ts={from}&to_ts={to}")
}

/// The SLO and window start of a stored history request.
fn parse_history_target(target: &str) -> Option<(String, Timestamp)> {
    let rest = target.strip_prefix("/api/v1/slo/")?;
    let (slo, _) = rest.split_once("/history")?;
    let from = param(target, "from_ts")?.parse().ok().and_then(ts)?;
    Some((slo.to_string(), from))
}

/// The buckets of one history window `[from, to)`.
fn buckets(data: &HistoryData, from: i64, to: i64) -> Vec<Bucket> {
    if let Some(series) = &data.series
        && let (Some(num), Some(den)) = (&series.numerator, &series.denominator)
    {
        let interval = series
            .interval
            .filter(|i| *i > 0)
            .or_else(|| match series.times.as_slice() {
                [a, b, ..] => Some(((b - a) / 1000.0).round() as i64).filter(|i| *i > 0),
                _ => None,
            })
            .unwrap_or(to - from);
        return series
            .times
            .iter()
            .zip(num.values.iter().zip(&den.values))
            .filter_map(|(t, (good, total))| {
                let start = (t / 1000.0).floor() as i64;
                // A null is a gap in the series, not zero events.
                let (good, total) = ((*good)?, (*total)?);
                (start >= from && start < to).then_some(Bucket {
                    start,
                    seconds: interval,
                    good: good.max(0.0),
                    total: total.max(0.0),
                })
            })
            .collect();
    }
    // A metric SLO without its series has no counts: its ratio alone is not stored.
    if data.kind.as_deref() == Some("metric") {
        return Vec::new();
    }
    let seconds = to - from;
    match data.overall.as_ref().and_then(|o| o.sli_value) {
        Some(uptime) if seconds > 0 => vec![Bucket {
            start: from,
            seconds,
            good: (uptime / 100.0).clamp(0.0, 1.0) * seconds as f64,
            total: seconds as f64,
        }],
        _ => Vec::new(),
    }
}

/// This source's synced SLOs (narrowed to the configured ids), in a stable order.
fn synced_slos(session: &Session<'_>) -> rusqlite::Result<Vec<String>> {
    let mut stmt = session
        .conn()
        .prepare("SELECT external_id FROM slos WHERE source = ?1 ORDER BY external_id")?;
    let ids = stmt
        .query_map([session.source.name.as_str()], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let wanted = &session.source.slos;
    Ok(ids
        .into_iter()
        .filter(|id| wanted.is_empty() || wanted.contains(id))
        .collect())
}

/// The history of one window `[from, to)` (epoch seconds).
async fn history_window(
    client: &HttpClient,
    slo: &str,
    from: i64,
    to: i64,
) -> Result<Option<HistoryData>, SourceError> {
    let page = client.get_page(&history_target(slo, from, to)).await?;
    let history: History = client.decode(&page)?;
    Ok(history.data)
}

pub(super) async fn sync_history(
    session: &mut Session<'_>,
    client: &HttpClient,
) -> Result<(), SyncError> {
    let resource = "slo_history";
    let ids = synced_slos(session).map_err(|e| SyncError::Store {
        source_name: session.source.name.clone(),
        resource: resource.into(),
        error: Box::new(e.into()),
    })?;
    let mut run = session.begin(resource)?;
    let source_name = session.source.name.clone();
    let concurrency = client.policy().concurrency.max(1);
    loop {
        let pass = run.pass();
        let horizon = pass.started_at;
        let lower = floor_day(
            pass.lower_bound
                .max(horizon - Duration::days(MAX_HISTORY_DAYS)),
        );
        let current = pass
            .next
            .as_deref()
            .and_then(parse_history_target)
            .or_else(|| ids.first().map(|id| (id.clone(), lower)));
        let Some((slo, from)) = current else {
            run.advance(None);
            session.write_page(resource, &mut run, 0, |_| Ok(()))?;
            return Ok(());
        };
        let next_slo = || {
            ids.iter()
                .skip_while(|id| **id != slo)
                .nth(1)
                .map(|id| (id.clone(), lower))
        };
        // As many consecutive day windows of this SLO as requests may run at once, written
        // together as one page.
        let mut windows = Vec::new();
        let mut start = from;
        while start < horizon && windows.len() < concurrency {
            let end = (start + Duration::days(1)).min(horizon);
            windows.push((start.timestamp(), end.timestamp()));
            start = end;
        }
        let fetched: Vec<Result<Option<HistoryData>, SourceError>> = stream::iter(&windows)
            .map(|(f, t)| history_window(client, &slo, *f, *t))
            .buffered(concurrency)
            .collect()
            .await;
        let mut read = Vec::with_capacity(windows.len());
        let mut gone = false;
        for (&(f, t), result) in windows.iter().zip(fetched) {
            match result {
                Ok(data) => {
                    let got = data.map_or_else(Vec::new, |d| buckets(&d, f, t));
                    read.push(((f, t), got));
                }
                // Deleted upstream since the SLO list was read: its samples stay as synced.
                Err(SourceError::Http { status: 404, .. }) => {
                    let message = "SLO history not found; skipping the SLO";
                    tracing::warn!(source = %source_name, %slo, message);
                    gone = true;
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let next = if !gone && start < horizon {
            Some((slo.clone(), start))
        } else {
            next_slo()
        };
        run.advance(next.map(|(s, f)| {
            let to = (f + Duration::days(1)).min(horizon);
            history_target(&s, f.timestamp(), to.timestamp())
        }));
        let items = read.iter().map(|(_, b)| b.len()).sum();
        session.write_page(resource, &mut run, items, |w| {
            let Some(slo_id) = w.id_of("slos", &slo)? else {
                return Ok(());
            };
            for (range, window) in &read {
                write_buckets(w, &source_name, slo_id, &slo, *range, window)?;
            }
            Ok(())
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeframes_in_days() {
        assert_eq!(timeframe_days("7d"), Some(7));
        assert_eq!(timeframe_days("90d"), Some(90));
        assert_eq!(timeframe_days("custom"), None);
        assert_eq!(timeframe_days("0d"), None);
    }

    #[test]
    fn history_targets_round_trip_and_days_floor_to_midnight() {
        let from = ts(1_704_236_088).unwrap();
        assert_eq!(floor_day(from).timestamp(), 1_704_153_600);
        let t = history_target("abc", from.timestamp(), from.timestamp() + DAY_SECONDS);
        assert_eq!(parse_history_target(&t), Some(("abc".into(), from)));
        assert_eq!(parse_history_target("/api/v1/monitor"), None);
    }

    #[test]
    fn uptime_windows_become_seconds_and_gaps_are_skipped() {
        let data: HistoryData =
            serde_json::from_str(r#"{"type": "monitor", "overall": {"sli_value": 99.5}}"#).unwrap();
        let b = buckets(&data, 0, 86_400);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].total, 86_400.0);
        assert!((b[0].good - 85_968.0).abs() < 1e-6);
        let none: HistoryData =
            serde_json::from_str(r#"{"overall": {"sli_value": null}}"#).unwrap();
        assert!(buckets(&none, 0, 86_400).is_empty());
        let ratio_only: HistoryData =
            serde_json::from_str(r#"{"type": "metric", "overall": {"sli_value": 99.5}}"#).unwrap();
        assert!(
            buckets(&ratio_only, 0, 86_400).is_empty(),
            "no counts, no samples"
        );
        let series: HistoryData = serde_json::from_str(
            r#"{"series": {"interval": 60, "times": [0.0, 60000.0, 120000.0],
                "numerator": {"values": [1.0, null, 3.0]},
                "denominator": {"values": [2.0, 2.0, 4.0]}}}"#,
        )
        .unwrap();
        let b = buckets(&series, 60, 180);
        assert_eq!(
            b.len(),
            1,
            "the first bucket starts before the window, the second is a gap"
        );
        assert_eq!((b[0].start, b[0].good, b[0].total), (120, 3.0, 4.0));
    }
}
