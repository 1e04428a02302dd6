//! Report output: tables for people, JSON for scripts (a documented, stable contract in
//! `docs/report-json.md`), CSV for spreadsheets. Reports format results computed by
//! `metrics`; they never compute.

pub mod actions;
pub mod ci;
pub mod dora;
pub mod incidents;
pub mod slo;
mod table;

pub use table::TextTable;

use crate::model::{Filter, Timestamp};
use serde_json::{Value, json};

/// Version of the JSON contract. Bumped only for incompatible changes; fields may be added.
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// The filter as echoed in every JSON report.
pub fn filter_json(filter: &Filter) -> Value {
    json!({
        "since": filter.since.map(|t| t.to_rfc3339()),
        "until": filter.until.map(|t| t.to_rfc3339()),
        "team": filter.team,
        "service": filter.service,
        "environment": filter.environment,
    })
}

/// Seconds as a short human duration (`45s`, `38m`, `5.2h`, `3.1d`), `–` for no data.
pub fn human_seconds(s: Option<f64>) -> String {
    match s {
        None => "–".into(),
        Some(s) if s < 60.0 => format!("{s:.0}s"),
        Some(s) if s < 3600.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 2.0 * 86_400.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    }
}

/// A configured span in its whole unit (`5m`, `4h`, `1d`, `30d`), else as [`human_seconds`].
pub fn human_span(seconds: i64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => human_seconds(Some(s as f64)),
    }
}

/// A fraction as a percentage to one decimal, `–` for no data, that never rounds to a bound it
/// has not reached: 99.96 % of successes is not `100.0%` (that would read as no failure at all)
/// but `99.9%`, and one failure in ten thousand is not `0.0%` but `<0.1%`. The TUI prints the
/// same.
pub fn human_pct(r: Option<f64>) -> String {
    let Some(r) = r else { return "–".into() };
    let pct = r * 100.0;
    if (99.95..100.0).contains(&pct) {
        return "99.9%".into();
    }
    if pct > 0.0 && pct < 0.05 {
        return "<0.1%".into();
    }
    format!("{pct:.1}%")
}

/// A header line naming what a table covers.
pub fn scope_line(title: &str, filter: &Filter, period: Option<(Timestamp, Timestamp)>) -> String {
    let mut parts = vec![title.to_string()];
    parts.push(format!("team: {}", filter.team.as_deref().unwrap_or("all")));
    if let Some(s) = &filter.service {
        parts.push(format!("service: {s}"));
    }
    if let Some(e) = &filter.environment {
        parts.push(format!("environment: {e}"));
    }
    if let Some((a, b)) = period {
        parts.push(format!(
            "{} → {}",
            a.format("%Y-%m-%d %H:%M"),
            b.format("%Y-%m-%d %H:%M")
        ));
    }
    parts.join(" · ")
}

/// Writes one CSV record line (RFC 4180 quoting).
pub fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|f| {
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.clone()
            }
        })
        .collect();
    format!("{}\n", quoted.join(","))
}

/// Provenance of the rows behind the numbers, keyed by (table, id), for `--explain`.
pub type Provenances = std::collections::HashMap<(&'static str, i64), crate::model::Provenance>;

/// How many rows per metric an explain table lists; JSON lists them all.
pub const EXPLAIN_TABLE_LIMIT: usize = 25;

/// The rows behind one number: store rows by table, and the rows left out with the reason.
#[derive(Debug, Clone, Default)]
pub struct ExplainSection {
    pub name: String,
    pub rows: Vec<(&'static str, i64)>,
    pub excluded: Vec<crate::metrics::explain::Exclusion>,
}

impl ExplainSection {
    /// Every row a metric's [`Explain`](crate::metrics::Explain) names.
    pub fn from_explain(name: &str, e: &crate::metrics::Explain) -> Self {
        let mut rows = Vec::new();
        for (table, ids) in [
            ("deployments", &e.deployments),
            ("changes", &e.changes),
            ("incidents", &e.incidents),
            ("pipeline_runs", &e.pipeline_runs),
            ("action_items", &e.action_items),
        ] {
            rows.extend(ids.iter().map(|id| (table, *id)));
        }
        ExplainSection {
            name: name.to_string(),
            rows,
            excluded: e.excluded.clone(),
        }
    }

    /// Rows of one table.
    pub fn of(name: &str, table: &'static str, ids: impl IntoIterator<Item = i64>) -> Self {
        ExplainSection {
            name: name.to_string(),
            rows: ids.into_iter().map(|id| (table, id)).collect(),
            excluded: Vec::new(),
        }
    }
}

/// The ids of every row the sections name, by table (sorted, unique), to load provenance for.
pub fn explain_ids(
    sections: &[ExplainSection],
) -> std::collections::BTreeMap<&'static str, Vec<i64>> {
    let mut out: std::collections::BTreeMap<&'static str, Vec<i64>> = Default::default();
    for s in sections {
        for (table, id) in &s.rows {
            out.entry(table).or_default().push(*id);
        }
    }
    for ids in out.values_mut() {
        ids.sort_unstable();
        ids.dedup();
    }
    out
}

/// One row's provenance as JSON: `{id, source, external_id, url, origin}`.
pub fn provenance_json(table: &'static str, id: i64, rows: &Provenances) -> Value {
    let p = rows.get(&(table, id));
    json!({
        "id": id,
        "source": p.map(|p| p.source.clone()),
        "external_id": p.map(|p| p.external_id.clone()),
        "url": p.and_then(|p| p.url.clone()),
        "origin": p.map(|p| p.origin.as_str()),
    })
}

/// `{section: {table: [provenance...], excluded: [...]}}`, every row listed.
pub fn explain_sections_json(sections: &[ExplainSection], rows: &Provenances) -> Value {
    let mut out = serde_json::Map::new();
    for s in sections {
        let mut by_table = serde_json::Map::new();
        for (table, id) in &s.rows {
            let entry = by_table
                .entry(table.to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(list) = entry {
                list.push(provenance_json(table, *id, rows));
            }
        }
        by_table.insert("excluded".into(), json!(s.excluded));
        out.insert(s.name.clone(), Value::Object(by_table));
    }
    Value::Object(out)
}

/// The explain tables: per section, the first [`EXPLAIN_TABLE_LIMIT`] rows with provenance and
/// `describe(table, id) -> (when, what)`, then how many more there are.
pub fn explain_sections_table(
    sections: &[ExplainSection],
    rows: &Provenances,
    describe: &dyn Fn(&str, i64) -> (String, String),
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for s in sections {
        let _ = writeln!(out, "\n{}: rows behind the number", s.name);
        if s.rows.is_empty() {
            let _ = writeln!(out, "(none)");
        } else {
            let mut t = TextTable::new(&["table", "id", "source", "external id", "when", "what"]);
            for (table, id) in s.rows.iter().take(EXPLAIN_TABLE_LIMIT) {
                let p = rows.get(&(*table, *id));
                let (when, what) = describe(table, *id);
                t.row(vec![
                    table.to_string(),
                    id.to_string(),
                    p.map(|p| p.source.clone()).unwrap_or_default(),
                    p.map(|p| p.external_id.clone()).unwrap_or_default(),
                    when,
                    what,
                ]);
            }
            out.push_str(&t.render());
            if s.rows.len() > EXPLAIN_TABLE_LIMIT {
                let _ = writeln!(
                    out,
                    "… and {} more (all of them, with urls, in --format json --explain)",
                    s.rows.len() - EXPLAIN_TABLE_LIMIT
                );
            }
        }
        if !s.excluded.is_empty() {
            let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
            for e in &s.excluded {
                let reason = serde_json::to_value(e.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                *reasons.entry(reason).or_default() += 1;
            }
            let list: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
            let _ = writeln!(out, "left out: {}", list.join(", "));
        }
    }
    out
}

/// Metric id → version of every definition a report used.
pub fn definition_versions(
    definitions: &[crate::metrics::MetricDefinition],
    versions: &crate::metrics::Versions,
) -> Value {
    let map: serde_json::Map<String, Value> = definitions
        .iter()
        .map(|d| (d.metric.to_string(), json!(versions.get(d.metric))))
        .collect();
    Value::Object(map)
}

/// Adds the fields every JSON report has (`report`, `schema_version`, `filter`,
/// `definition_version`) to `body` and prints it.
pub fn json_document(report: &str, mut body: Value, filter: &Filter, versions: Value) -> String {
    round_durations(&mut body);
    if let Value::Object(map) = &mut body {
        map.insert("report".into(), json!(report));
        map.insert("schema_version".into(), json!(JSON_SCHEMA_VERSION));
        map.insert("filter".into(), filter_json(filter));
        map.insert("definition_version".into(), versions);
    }
    let mut s = serde_json::to_string_pretty(&body).unwrap_or_default();
    s.push('\n');
    s
}

/// The CSV header of the ci, incidents, slo and actions reports: one row per number, `subject`
/// naming what the number is about (a workflow, a severity, an SLO) or empty for totals.
pub const CSV_HEADER: [&str; 6] = [
    "metric",
    "subject",
    "value",
    "unit",
    "count",
    "definition_version",
];

/// One CSV row of a number (empty `value` for no data, as JSON's `null`).
pub fn csv_number(
    metric: &str,
    subject: &str,
    value: Option<f64>,
    unit: &str,
    count: Option<usize>,
    version: u32,
) -> String {
    csv_line(&[
        metric.into(),
        subject.into(),
        value.map_or(String::new(), |v| csv_value(v, unit)),
        unit.into(),
        count.map_or(String::new(), |c| c.to_string()),
        version.to_string(),
    ])
}

/// A number as a CSV cell: durations to the millisecond (a mean of whole seconds is not
/// exactly representable, `5861.000000000002`), other numbers as they are.
pub fn csv_value(v: f64, unit: &str) -> String {
    if unit == "seconds" {
        format!("{}", round_ms(v))
    } else {
        format!("{v}")
    }
}

/// Seconds rounded to the millisecond: the precision any source records times with.
pub fn round_ms(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

/// Rounds, in place, every number under a key ending in `_seconds` to the millisecond, so
/// JSON durations carry no floating-point noise.
pub fn round_durations(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    Value::Number(n) if k.ends_with("_seconds") => {
                        if let Some(f) = n.as_f64().filter(|_| !n.is_i64() && !n.is_u64()) {
                            *v = json!(round_ms(f));
                        }
                    }
                    Value::Array(list) if k.ends_with("_seconds") => {
                        for item in list.iter_mut() {
                            if let Some(f) = item.as_f64().filter(|_| item.is_f64()) {
                                *item = json!(round_ms(f));
                            }
                        }
                    }
                    other => round_durations(other),
                }
            }
        }
        Value::Array(list) => list.iter_mut().for_each(round_durations),
        _ => {}
    }
}

/// The header line of [`CSV_HEADER`].
pub fn csv_header() -> String {
    csv_line(&CSV_HEADER.map(String::from))
}

/// "definitions: incidents.response v1, incidents.repeats v2" from a `definition_version` map,
/// wrapped to fit 100 columns.
pub fn versions_text(versions: &Value) -> String {
    let items: Vec<String> = versions
        .as_object()
        .map(|m| m.iter().map(|(k, v)| format!("{k} v{v}")).collect())
        .unwrap_or_default();
    let mut out = String::from("definitions:");
    let mut width = out.chars().count();
    for (k, item) in items.iter().enumerate() {
        let piece = if k + 1 < items.len() {
            format!(" {item},")
        } else {
            format!(" {item}")
        };
        if width + piece.chars().count() > 100 {
            out.push_str("\n ");
            width = 1;
        }
        width += piece.chars().count();
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_lose_their_floating_point_noise() {
        let row = csv_number("mttr", "SEV2", Some(5861.000000000002), "seconds", None, 1);
        assert_eq!(row, "mttr,SEV2,5861,seconds,,1\n");
        // Only durations are rounded: a ratio keeps its digits.
        let row = csv_number("rate", "", Some(0.123_456_789), "fraction", None, 1);
        assert_eq!(row, "rate,,0.123456789,fraction,,1\n");
        let mut v = json!({
            "resolve": {"mean_seconds": 5861.000000000002, "count": 3},
            "by_severity": [{"median_seconds": 12.3456}],
            "rate": 0.123_456_789,
            "age_seconds": 7,
        });
        round_durations(&mut v);
        assert_eq!(v["resolve"]["mean_seconds"], json!(5861.0));
        assert_eq!(v["by_severity"][0]["median_seconds"], json!(12.346));
        assert_eq!(v["rate"], json!(0.123_456_789));
        assert_eq!(v["age_seconds"], json!(7));
    }
}
