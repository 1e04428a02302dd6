//! Prometheus (HTTP API v1): SLI good and total event counts through `query_range`, for each
//! configured `[[sources.queries]]` entry, stored as `slo_samples` of the SLO it feeds.
//!
//! Each query is a resource (`query:<slo>`). A pass walks from its lower bound to now in
//! chunks of at most [`POINTS_PER_REQUEST`] steps, under Prometheus' limit of 11,000 points
//! per series, asking for the `good` and the `total` expression over the same grid.
//!
//! The expressions must give event counts per step, e.g.
//! `sum(increase(http_requests_total{code!~"5.."}[5m]))` with `step = "5m"`, or a Sloth or
//! Pyrra rate recording rule times the step in seconds. A point at `t` counts the events of
//! `(t - step, t]`, so it is stored as the bucket starting at `t - step`. Several series in a
//! result are summed; `NaN` and infinite points are gaps.
//!
//! Samples need an SLO row for their target and window: the row written by [`declare_slos`]
//! from the `[[slos]]` entry bound to this source, else any SLO of that name (imported, for
//! instance). Prometheus offers no ETag: the last stretch is re-read from the cursor and
//! unchanged buckets are not written again.

mod slos;

pub use slos::declare_slos;
pub(super) use slos::{Bucket, write_buckets};

use super::SourceError;
use super::http::{HttpClient, Page};
use crate::config::{PromQuery, SourceConfig};
use crate::sync::{Session, SyncError};
use serde::Deserialize;
use slos::slo_for;
use std::collections::BTreeMap;

/// Steps per request: under Prometheus' 11,000 points per series, with a margin for the
/// inclusive end.
pub const POINTS_PER_REQUEST: i64 = 10_000;

/// Stands for the queries of a source that has none, so that sync says so rather than
/// calling Prometheus unsupported.
const NO_QUERIES: &str = "queries";

/// The resources of a Prometheus source: one per configured query.
pub fn resources(source: &SourceConfig) -> Vec<String> {
    if source.queries.is_empty() {
        return vec![NO_QUERIES.into()];
    }
    source
        .queries
        .iter()
        .map(|q| format!("query:{}", q.slo))
        .collect()
}

/// Syncs one resource named by [`resources`].
pub async fn sync_resource(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
) -> Result<(), SyncError> {
    let Some(name) = resource.strip_prefix("query:") else {
        if resource == NO_QUERIES {
            let message = "no [[sources.queries]] entry: nothing to read";
            tracing::warn!(source = %session.source.name, message);
        }
        return Ok(());
    };
    let Some(query) = session.source.queries.iter().find(|q| q.slo == name) else {
        return Ok(());
    };
    let query = query.clone();
    sync_query(session, client, resource, &query).await
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Data {
    result_type: String,
    #[serde(default)]
    result: Vec<RangeSeries>,
}

#[derive(Debug, Deserialize)]
struct RangeSeries {
    #[serde(default)]
    values: Vec<(f64, String)>,
}

/// `path?k=v&...` with the values percent-encoded.
fn target(path: &str, params: &[(&str, String)]) -> String {
    // The host is never contacted: the URL type only does the query encoding.
    match reqwest::Url::parse_with_params(&format!("http://plumb.invalid{path}"), params) {
        Ok(url) => match url.query() {
            Some(q) if !q.is_empty() => format!("{}?{q}", url.path()),
            _ => url.path().to_string(),
        },
        Err(_) => path.to_string(),
    }
}

fn range_target(expr: &str, start: i64, end: i64, step: i64) -> String {
    target(
        "/api/v1/query_range",
        &[
            ("query", expr.to_string()),
            ("start", start.to_string()),
            ("end", end.to_string()),
            ("step", format!("{step}s")),
        ],
    )
}

/// The `start` of a stored range request.
fn start_of(target: &str) -> Option<i64> {
    let query = target.split_once('?')?.1;
    query
        .split('&')
        .find_map(|p| p.strip_prefix("start="))?
        .parse()
        .ok()
}

/// The points of a range answer summed per timestamp; an error answer names the query.
fn points(
    client: &HttpClient,
    page: &Page,
    slo: &str,
    which: &str,
    expr: &str,
) -> Result<BTreeMap<i64, f64>, SourceError> {
    let fail = |detail: String| SourceError::Decode {
        source_name: client.source_name().to_string(),
        endpoint: page.endpoint.clone(),
        detail,
    };
    let response: Response = client.decode(page)?;
    if response.status != "success" {
        return Err(fail(format!(
            "Prometheus refused the {which} query of SLO `{slo}` (`{expr}`): {}: {}",
            response.error_type.as_deref().unwrap_or("error"),
            response.error.as_deref().unwrap_or("no message")
        )));
    }
    let data = response
        .data
        .ok_or_else(|| fail(format!("no data for the {which} query of SLO `{slo}`")))?;
    if data.result_type != "matrix" {
        return Err(fail(format!(
            "the {which} query of SLO `{slo}` gave a {} instead of a range (matrix)",
            data.result_type
        )));
    }
    let mut sums = BTreeMap::new();
    for series in &data.result {
        for (t, v) in &series.values {
            let Ok(v) = v.parse::<f64>() else { continue };
            if v.is_finite() {
                *sums.entry(t.round() as i64).or_insert(0.0) += v;
            }
        }
    }
    Ok(sums)
}

/// Buckets from good and total points: a step without a total is a gap; a total without
/// good points had no good events (Prometheus drops empty series).
fn merge(good: &BTreeMap<i64, f64>, total: &BTreeMap<i64, f64>, step: i64) -> Vec<Bucket> {
    total
        .iter()
        .map(|(t, total)| Bucket {
            start: t - step,
            seconds: step,
            good: good.get(t).copied().unwrap_or(0.0).max(0.0),
            total: total.max(0.0),
        })
        .collect()
}

async fn sync_query(
    session: &mut Session<'_>,
    client: &HttpClient,
    resource: &str,
    query: &PromQuery,
) -> Result<(), SyncError> {
    let source_name = session.source.name.clone();
    let slo_id = slo_for(session, &query.slo).map_err(|e| SyncError::Store {
        source_name: source_name.clone(),
        resource: resource.into(),
        error: Box::new(e.into()),
    })?;
    let Some(slo_id) = slo_id else {
        tracing::warn!(
            source = %source_name,
            slo = %query.slo,
            "no SLO named `{}`: add a [[slos]] entry with source = \"{}\"; its query is skipped",
            query.slo,
            source_name
        );
        return Ok(());
    };
    let step = i64::try_from(query.step.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut run = session.begin(resource)?;
    loop {
        let pass = run.pass();
        // The last point whose step has ended, and the first point after the lower bound.
        let last = pass.started_at.timestamp().div_euclid(step) * step;
        let first = pass.lower_bound.timestamp().div_euclid(step) * step + step;
        let start = pass.next.as_deref().and_then(start_of).unwrap_or(first);
        if start > last {
            run.advance(None);
            session.write_page(resource, &mut run, 0, |_| Ok(()))?;
            return Ok(());
        }
        let end = (start + (POINTS_PER_REQUEST - 1) * step).min(last);
        let good_target = range_target(&query.good, start, end, step);
        let total_target = range_target(&query.total, start, end, step);
        let (good_page, total_page) = futures_util::future::try_join(
            client.get_page(&good_target),
            client.get_page(&total_target),
        )
        .await?;
        let good = points(client, &good_page, &query.slo, "good", &query.good)?;
        let total = points(client, &total_page, &query.slo, "total", &query.total)?;
        let buckets = merge(&good, &total, step);
        let next = end + step;
        run.advance((next <= last).then(|| range_target(&query.total, next, next, step)));
        let key = query.slo.clone();
        session.write_page(resource, &mut run, buckets.len(), |w| {
            write_buckets(w, &source_name, slo_id, &key, (start - step, end), &buckets)
        })?;
        if run.cursor.pass.is_none() || session.cancelled() {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(points: &[(i64, f64)]) -> BTreeMap<i64, f64> {
        points.iter().copied().collect()
    }

    #[test]
    fn points_count_the_step_before_them_and_missing_good_is_zero() {
        let b = merge(&map(&[(600, 9.0)]), &map(&[(300, 4.0), (600, 10.0)]), 300);
        assert_eq!(
            b,
            vec![
                Bucket {
                    start: 0,
                    seconds: 300,
                    good: 0.0,
                    total: 4.0
                },
                Bucket {
                    start: 300,
                    seconds: 300,
                    good: 9.0,
                    total: 10.0
                },
            ]
        );
    }

    #[test]
    fn range_targets_encode_the_expression_and_keep_their_start() {
        let t = range_target("sum(rate(x{code=~\"5..\"}[5m]))", 100, 400, 300);
        assert!(
            t.starts_with("/api/v1/query_range?query=sum%28rate%28x%7Bcode"),
            "{t}"
        );
        assert!(t.ends_with("&start=100&end=400&step=300s"), "{t}");
        assert_eq!(start_of(&t), Some(100));
    }
}
