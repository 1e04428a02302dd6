//! Report output: tables for people, JSON for scripts (a documented, stable contract in
//! `docs/report-json.md`), CSV for spreadsheets. Reports format results computed by
//! `metrics`; they never compute.

pub mod dora;
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

/// A fraction as a percentage, `–` for no data.
pub fn human_pct(r: Option<f64>) -> String {
    r.map_or("–".into(), |r| format!("{:.1}%", r * 100.0))
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
