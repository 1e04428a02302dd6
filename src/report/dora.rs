//! `plumb report dora`.

use super::{Format, TextTable, csv_line, filter_json, human_pct, human_seconds, scope_line};
use crate::metrics::Explain;
use crate::metrics::dora::{Band, DoraInputs, DoraReport};
use crate::model::{Filter, Provenance};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Provenance of the rows behind the numbers, keyed by (table, id), for `--explain`.
pub type ExplainRows = HashMap<(&'static str, i64), Provenance>;

fn band(b: Option<Band>) -> String {
    b.map_or("–".into(), |b| b.as_str().to_string())
}

/// The metrics of a report as (name, explain) pairs, in display order.
pub fn explained(report: &DoraReport) -> Vec<(&'static str, &Explain)> {
    vec![
        ("deployment_frequency", &report.deployment_frequency.explain),
        ("lead_time", &report.lead_time.explain),
        ("change_failure_rate", &report.change_failure_rate.explain),
        ("recovery_time", &report.recovery_time.explain),
        ("time_to_restore", &report.time_to_restore.explain),
        ("rework_rate", &report.rework_rate.explain),
    ]
}

pub fn render(
    report: &DoraReport,
    inputs: &DoraInputs,
    filter: &Filter,
    format: Format,
    explain: Option<&ExplainRows>,
) -> String {
    match format {
        Format::Json => render_json(report, filter, explain),
        Format::Csv => render_csv(report),
        Format::Table => render_table(report, inputs, filter, explain),
    }
}

fn render_json(report: &DoraReport, filter: &Filter, explain: Option<&ExplainRows>) -> String {
    let mut v = serde_json::to_value(report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut v {
        let versions: serde_json::Map<String, Value> = [
            &report.deployment_frequency.definition,
            &report.lead_time.definition,
            &report.change_failure_rate.definition,
            &report.recovery_time.definition,
            &report.time_to_restore.definition,
            &report.rework_rate.definition,
        ]
        .iter()
        .map(|d| (d.metric.to_string(), json!(d.version)))
        .collect();
        map.insert("report".into(), json!("dora"));
        map.insert("schema_version".into(), json!(super::JSON_SCHEMA_VERSION));
        map.insert("filter".into(), filter_json(filter));
        map.insert("definition_version".into(), Value::Object(versions));
        if let Some(rows) = explain {
            let mut ex = serde_json::Map::new();
            for (name, e) in explained(report) {
                ex.insert(name.into(), explain_json(e, rows));
            }
            map.insert("explain".into(), Value::Object(ex));
        }
    }
    super::round_durations(&mut v);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

fn explain_json(e: &Explain, rows: &ExplainRows) -> Value {
    let list = |table: &'static str, ids: &[i64]| -> Value {
        Value::Array(
            ids.iter()
                .map(|id| {
                    let p = rows.get(&(table, *id));
                    let mut row = json!({
                        "id": id,
                        "source": p.map(|p| p.source.clone()),
                        "external_id": p.map(|p| p.external_id.clone()),
                        "url": p.and_then(|p| p.url.clone()),
                        "origin": p.map(|p| p.origin.as_str()),
                    });
                    // The value the row contributed to a median, when it did.
                    if let Some(s) = e.seconds_of(table, *id) {
                        row["seconds"] = json!(s.round());
                    }
                    row
                })
                .collect(),
        )
    };
    json!({
        "deployments": list("deployments", &e.deployments),
        "changes": list("changes", &e.changes),
        "incidents": list("incidents", &e.incidents),
        "excluded": e.excluded,
    })
}

fn render_csv(r: &DoraReport) -> String {
    let mut out = csv_line(&[
        "metric".into(),
        "value".into(),
        "unit".into(),
        "count".into(),
        "band".into(),
        "definition_version".into(),
    ]);
    let rows = [
        (
            "deploy_days_per_week",
            r.deployment_frequency.deploy_days_per_week,
            "days/week",
            r.deployment_frequency.deploy_days,
            r.deployment_frequency.band,
            r.deployment_frequency.definition.version,
        ),
        (
            "deployments_per_week",
            r.deployment_frequency.deployments_per_week,
            "deployments/week",
            r.deployment_frequency.deployments,
            None,
            r.deployment_frequency.definition.version,
        ),
        (
            "lead_time_median",
            r.lead_time.median_seconds,
            "seconds",
            r.lead_time.changes,
            r.lead_time.band,
            r.lead_time.definition.version,
        ),
        (
            "lead_time_p90",
            r.lead_time.p90_seconds,
            "seconds",
            r.lead_time.changes,
            None,
            r.lead_time.definition.version,
        ),
        (
            "change_failure_rate",
            r.change_failure_rate.rate,
            "fraction",
            r.change_failure_rate.deployments,
            r.change_failure_rate.band,
            r.change_failure_rate.definition.version,
        ),
        (
            "recovery_time_median",
            r.recovery_time.median_seconds,
            "seconds",
            r.recovery_time.recovered,
            r.recovery_time.band,
            r.recovery_time.definition.version,
        ),
        (
            "time_to_restore_median",
            r.time_to_restore.median_seconds,
            "seconds",
            r.time_to_restore.resolved,
            r.time_to_restore.band,
            r.time_to_restore.definition.version,
        ),
        (
            "rework_rate",
            r.rework_rate.rate,
            "fraction",
            r.rework_rate.deployments,
            None,
            r.rework_rate.definition.version,
        ),
    ];
    for (metric, value, unit, count, b, version) in rows {
        out.push_str(&csv_line(&[
            metric.into(),
            value.map_or(String::new(), |v| super::csv_value(v, unit)),
            unit.into(),
            count.to_string(),
            b.map_or(String::new(), |b| b.as_str().into()),
            version.to_string(),
        ]));
    }
    out
}

fn render_table(
    r: &DoraReport,
    inputs: &DoraInputs,
    filter: &Filter,
    explain: Option<&ExplainRows>,
) -> String {
    let mut out = String::new();
    let period = r.period.map(|p| (p.start, p.end));
    let _ = writeln!(
        out,
        "{} · weeks in {} · bands {}\n",
        scope_line("DORA", filter, period),
        r.timezone,
        r.report_year.as_str()
    );
    let mut t = TextTable::new(&["metric", "value", "based on", "band", "definition"]);
    let f = &r.deployment_frequency;
    t.row(vec![
        "Deployment frequency".into(),
        f.deploy_days_per_week
            .map_or("–".into(), |v| format!("{v:.1} deploy-days/wk")),
        format!("{} deployments on {} days", f.deployments, f.deploy_days),
        band(f.band),
        format!("{} v{}", f.definition.metric, f.definition.version),
    ]);
    let lt = &r.lead_time;
    t.row(vec![
        "Lead time for changes".into(),
        format!(
            "p50 {} · p90 {}",
            human_seconds(lt.median_seconds),
            human_seconds(lt.p90_seconds)
        ),
        format!("{} changes", lt.changes),
        band(lt.band),
        format!("{} v{}", lt.definition.metric, lt.definition.version),
    ]);
    let c = &r.change_failure_rate;
    t.row(vec![
        "Change failure rate".into(),
        human_pct(c.rate),
        format!("{} of {} deployments", c.failed_deployments, c.deployments),
        band(c.band),
        format!("{} v{}", c.definition.metric, c.definition.version),
    ]);
    let rt = &r.recovery_time;
    t.row(vec![
        "Failed deployment recovery".into(),
        format!("p50 {}", human_seconds(rt.median_seconds)),
        format!(
            "{} of {} failed recovered",
            rt.recovered, rt.failed_deployments
        ),
        band(rt.band),
        format!("{} v{}", rt.definition.metric, rt.definition.version),
    ]);
    let tr = &r.time_to_restore;
    t.row(vec![
        "Time to restore service".into(),
        format!("p50 {}", human_seconds(tr.median_seconds)),
        format!("{} of {} incidents resolved", tr.resolved, tr.incidents),
        band(tr.band),
        format!("{} v{}", tr.definition.metric, tr.definition.version),
    ]);
    let rw = &r.rework_rate;
    t.row(vec![
        "Deployment rework rate".into(),
        human_pct(rw.rate),
        format!(
            "{} of {} deployments",
            rw.rework_deployments, rw.deployments
        ),
        "–".into(),
        format!("{} v{}", rw.definition.metric, rw.definition.version),
    ]);
    out.push_str(&t.render());
    let s = &lt.stages;
    let _ = writeln!(
        out,
        "\nLead time stages (p50): coding {} · pickup {} · review {} · deploy {}",
        human_seconds(s.coding.median_seconds),
        human_seconds(s.pickup.median_seconds),
        human_seconds(s.review.median_seconds),
        human_seconds(s.deploy.median_seconds),
    );
    if lt.merged_not_deployed > 0 || lt.excluded_negative > 0 {
        let _ = writeln!(
            out,
            "Left out of lead time: {} merged but not deployed, {} with negative spans (clock skew)",
            lt.merged_not_deployed, lt.excluded_negative
        );
    }
    if let Some(rows) = explain {
        out.push_str(&explain_table(r, inputs, rows));
    }
    out
}

/// How many rows per metric the table lists; JSON lists them all.
const EXPLAIN_TABLE_LIMIT: usize = 25;

fn explain_table(r: &DoraReport, inputs: &DoraInputs, rows: &ExplainRows) -> String {
    let deployments: HashMap<i64, _> = inputs.deployments.iter().map(|d| (d.id, d)).collect();
    let changes: HashMap<i64, _> = inputs.changes.iter().map(|c| (c.id, c)).collect();
    let incidents: HashMap<i64, _> = inputs.incidents.iter().map(|i| (i.id, i)).collect();
    let mut out = String::new();
    for (name, e) in explained(r) {
        let _ = writeln!(out, "\n{name}: rows behind the number");
        let mut t = TextTable::new(&[
            "table",
            "id",
            "source",
            "external id",
            "when",
            "what",
            "value",
            "url",
        ]);
        let mut listed = 0usize;
        let mut total = 0usize;
        for (table, ids) in [
            ("deployments", &e.deployments),
            ("changes", &e.changes),
            ("incidents", &e.incidents),
        ] {
            total += ids.len();
            for id in ids.iter().take(EXPLAIN_TABLE_LIMIT.saturating_sub(listed)) {
                listed += 1;
                let p = rows.get(&(table, *id));
                let (when, what) = match table {
                    "deployments" => {
                        deployments
                            .get(id)
                            .map_or((String::new(), String::new()), |d| {
                                (
                                    d.finished_at.format("%Y-%m-%d %H:%M").to_string(),
                                    format!(
                                        "{} → {} ({})",
                                        d.service,
                                        d.environment,
                                        d.kind.as_str()
                                    ),
                                )
                            })
                    }
                    "changes" => changes.get(id).map_or((String::new(), String::new()), |c| {
                        (
                            c.merged_at
                                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                                .unwrap_or_default(),
                            format!("{} {}", c.repo, c.title.clone().unwrap_or_default()),
                        )
                    }),
                    _ => incidents
                        .get(id)
                        .map_or((String::new(), String::new()), |i| {
                            (
                                i.created_at.format("%Y-%m-%d %H:%M").to_string(),
                                format!("{} {}", i.severity.as_str(), i.title),
                            )
                        }),
                };
                t.row(vec![
                    table.into(),
                    id.to_string(),
                    p.map(|p| p.source.clone()).unwrap_or_default(),
                    p.map(|p| p.external_id.clone()).unwrap_or_default(),
                    when,
                    what,
                    e.seconds_of(table, *id)
                        .map(|s| super::human_seconds(Some(s)))
                        .unwrap_or_default(),
                    p.and_then(|p| p.url.clone()).unwrap_or_default(),
                ]);
            }
        }
        out.push_str(&t.render());
        if total > listed {
            let _ = writeln!(
                out,
                "… and {} more (all of them with --format json --explain)",
                total - listed
            );
        }
        if !e.excluded.is_empty() {
            let _ = writeln!(
                out,
                "left out: {} rows: {} (their ids with --format json --explain)",
                e.excluded.len(),
                e.exclusion_summary()
            );
        }
    }
    out
}
