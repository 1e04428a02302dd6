//! `plumb report incidents`: counts by normalised severity (with the sources' own values), MTTA,
//! MTTR, SLA adherence per severity, repeat incidents, off-hours pages and open incidents.

use super::{
    ExplainSection, Format, Provenances, TextTable, csv_header, csv_number, explain_sections_json,
    explain_sections_table, human_pct, human_seconds, human_span, json_document, scope_line,
    versions_text,
};
use crate::metrics::Period;
use crate::metrics::incidents::{IncidentParams, IncidentReport, SeverityStats};
use crate::model::{Filter, Incident, Severity, Timestamp};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// How many repeat and open incidents the table lists; JSON lists them all.
const LIST_LIMIT: usize = 10;

/// Everything an incident report shows.
pub struct IncidentView<'a> {
    pub report: &'a IncidentReport,
    /// The incidents loaded for the report (the period, and earlier ones for repeats).
    pub incidents: &'a [Incident],
    /// Unresolved incidents of the scope, whatever their age.
    pub open: &'a [Incident],
    pub period: Option<Period>,
    /// The moment SLAs and ages are measured at.
    pub now: Timestamp,
    pub params: &'a IncidentParams,
    pub filter: &'a Filter,
    pub definition_version: Value,
}

/// The sources' own severity values behind each normalised severity, with their counts, over
/// the incidents created in `period`.
pub fn original_severities(
    incidents: &[Incident],
    period: Option<Period>,
) -> BTreeMap<Severity, BTreeMap<String, usize>> {
    let mut out: BTreeMap<Severity, BTreeMap<String, usize>> = BTreeMap::new();
    for i in incidents
        .iter()
        .filter(|i| period.is_some_and(|p| p.contains(i.created_at)))
    {
        *out.entry(i.severity)
            .or_default()
            .entry(i.severity_original.clone())
            .or_default() += 1;
    }
    out
}

/// The rows behind the numbers: the period's incidents (MTTA, MTTR, SLA, off-hours), the
/// repeats with the incidents they repeat, and the open incidents.
pub fn explain_sections(view: &IncidentView) -> Vec<ExplainSection> {
    let mut repeats: Vec<i64> = view
        .report
        .repeats
        .iter()
        .flat_map(|r| [r.incident_id, r.previous_id])
        .collect();
    repeats.sort_unstable();
    repeats.dedup();
    vec![
        ExplainSection::from_explain("response", &view.report.explain),
        ExplainSection::of("repeats", "incidents", repeats),
        ExplainSection::of(
            "open_incidents",
            "incidents",
            view.open.iter().map(|i| i.id),
        ),
    ]
}

pub fn render(view: &IncidentView, format: Format, explain: Option<&Provenances>) -> String {
    match format {
        Format::Json => render_json(view, explain),
        Format::Csv => render_csv(view),
        Format::Table => render_table(view, explain),
    }
}

fn age_seconds(i: &Incident, now: Timestamp) -> f64 {
    (now - i.created_at).num_seconds().max(0) as f64
}

fn render_json(view: &IncidentView, explain: Option<&Provenances>) -> String {
    let originals = original_severities(view.incidents, view.period);
    let mut body = serde_json::to_value(view.report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        if let Some(Value::Array(list)) = map.get_mut("by_severity") {
            for (entry, stats) in list.iter_mut().zip(&view.report.by_severity) {
                if let Value::Object(e) = entry {
                    e.insert(
                        "original_values".into(),
                        json!(originals.get(&stats.severity).cloned().unwrap_or_default()),
                    );
                }
            }
        }
        map.insert(
            "period".into(),
            json!(view.period.map(|p| json!({"start": p.start, "end": p.end}))),
        );
        map.insert("now".into(), json!(view.now));
        map.insert("timezone".into(), json!(view.params.timezone.name()));
        let items: Vec<Value> = view
            .open
            .iter()
            .map(|i| {
                json!({
                    "id": i.id,
                    "severity": i.severity,
                    "severity_original": i.severity_original,
                    "title": i.title,
                    "service": i.service,
                    "team": i.team,
                    "created_at": i.created_at,
                    "acknowledged": i.acknowledged_at.is_some(),
                    "age_seconds": age_seconds(i, view.now),
                })
            })
            .collect();
        map.insert(
            "open_incidents".into(),
            json!({
                "count": view.open.len(),
                "oldest_age_seconds": view.open.iter().map(|i| age_seconds(i, view.now))
                    .max_by(f64::total_cmp),
                "items": items,
            }),
        );
        if let Some(rows) = explain {
            map.insert(
                "explain".into(),
                explain_sections_json(&explain_sections(view), rows),
            );
        }
    }
    json_document(
        "incidents",
        body,
        view.filter,
        view.definition_version.clone(),
    )
}

fn render_csv(view: &IncidentView) -> String {
    let r = view.report;
    let v = r.definition.version;
    let mut out = csv_header();
    let count = |n: usize| Some(n as f64);
    out.push_str(&csv_number(
        "incidents",
        "",
        count(r.incidents),
        "incidents",
        Some(r.incidents),
        v,
    ));
    out.push_str(&csv_number(
        "unresolved",
        "",
        count(r.unresolved),
        "incidents",
        Some(r.incidents),
        v,
    ));
    for (name, rt) in [("mtta", &r.acknowledge), ("mttr", &r.resolve)] {
        out.push_str(&csv_number(
            name,
            "",
            rt.mean_seconds,
            "seconds",
            Some(rt.count),
            v,
        ));
        out.push_str(&csv_number(
            &format!("{name}_median"),
            "",
            rt.median_seconds,
            "seconds",
            Some(rt.count),
            v,
        ));
        out.push_str(&csv_number(
            &format!("{name}_p90"),
            "",
            rt.p90_seconds,
            "seconds",
            Some(rt.count),
            v,
        ));
    }
    out.push_str(&csv_number(
        "repeat_rate",
        "",
        r.repeat_rate,
        "fraction",
        Some(r.repeats.len()),
        v,
    ));
    out.push_str(&csv_number(
        "off_hours_share",
        "",
        r.off_hours_share,
        "fraction",
        Some(r.off_hours),
        v,
    ));
    out.push_str(&csv_number(
        "open_incidents",
        "",
        count(view.open.len()),
        "incidents",
        Some(view.open.len()),
        v,
    ));
    for s in &r.by_severity {
        let sev = s.severity.as_str();
        out.push_str(&csv_number(
            "incidents",
            sev,
            count(s.incidents),
            "incidents",
            Some(s.incidents),
            v,
        ));
        out.push_str(&csv_number(
            "mtta",
            sev,
            s.acknowledge.mean_seconds,
            "seconds",
            Some(s.acknowledge.count),
            v,
        ));
        out.push_str(&csv_number(
            "mttr",
            sev,
            s.resolve.mean_seconds,
            "seconds",
            Some(s.resolve.count),
            v,
        ));
        if let Some(sla) = &s.sla {
            out.push_str(&csv_number(
                "sla_adherence",
                sev,
                sla.rate,
                "fraction",
                Some(sla.met + sla.breached),
                v,
            ));
        }
    }
    out
}

fn response(rt: &crate::metrics::incidents::ResponseTime) -> String {
    format!(
        "mean {} · p50 {} · p90 {}",
        human_seconds(rt.mean_seconds),
        human_seconds(rt.median_seconds),
        human_seconds(rt.p90_seconds)
    )
}

fn render_table(view: &IncidentView, explain: Option<&Provenances>) -> String {
    let r = view.report;
    let p = view.params;
    let mut out = String::new();
    let period = view.period.map(|p| (p.start, p.end));
    let _ = writeln!(
        out,
        "{}\nat {} · times in {}\n{}\n",
        scope_line("Incidents", view.filter, period),
        view.now.format("%Y-%m-%d %H:%M UTC"),
        p.timezone.name(),
        versions_text(&view.definition_version)
    );
    let mut t = TextTable::new(&["metric", "value", "based on"]);
    t.row(vec![
        "Incidents".into(),
        r.incidents.to_string(),
        format!(
            "{} unresolved · {} unacknowledged",
            r.unresolved, r.unacknowledged
        ),
    ]);
    t.row(vec![
        "MTTA".into(),
        response(&r.acknowledge),
        format!("{} acknowledged (first log entry)", r.acknowledge.count),
    ]);
    t.row(vec![
        "MTTR".into(),
        response(&r.resolve),
        format!("{} resolved", r.resolve.count),
    ]);
    t.row(vec![
        "Repeat incidents".into(),
        format!("{} ({})", r.repeats.len(), human_pct(r.repeat_rate)),
        format!(
            "same service and title within {}",
            human_span(p.repeat_window.num_seconds())
        ),
    ]);
    t.row(vec![
        "Off-hours pages".into(),
        format!("{} ({})", r.off_hours, human_pct(r.off_hours_share)),
        format!(
            "{}–{} local{}",
            p.off_hours.start.format("%H:%M"),
            p.off_hours.end.format("%H:%M"),
            if p.off_hours.weekends {
                " and weekends"
            } else {
                ""
            }
        ),
    ]);
    let oldest = view
        .open
        .iter()
        .map(|i| age_seconds(i, view.now))
        .max_by(f64::total_cmp);
    t.row(vec![
        "Open incidents".into(),
        view.open.len().to_string(),
        format!("any age · oldest {}", human_seconds(oldest)),
    ]);
    out.push_str(&t.render());
    out.push_str("\nBy severity (SLA: met / breached / pending)\n");
    out.push_str(&severity_table(view));
    if !r.repeats.is_empty() {
        out.push_str("\nRepeat incidents\n");
        let mut t = TextTable::new(&["incident", "repeats", "service", "normalised title"]);
        for rep in r.repeats.iter().take(LIST_LIMIT) {
            t.row(vec![
                rep.incident_id.to_string(),
                rep.previous_id.to_string(),
                rep.service.clone(),
                rep.normalised_title.clone(),
            ]);
        }
        out.push_str(&t.render());
        more(&mut out, r.repeats.len());
    }
    if !view.open.is_empty() {
        out.push_str("\nOpen incidents (▲ not acknowledged)\n");
        let mut t = TextTable::new(&["id", "sev", "service", "age", "title"]).numeric(&[3]);
        for i in view.open.iter().take(LIST_LIMIT) {
            let ack = if i.acknowledged_at.is_some() {
                " "
            } else {
                "▲"
            };
            t.row(vec![
                format!("{ack} {}", i.id),
                i.severity.as_str().into(),
                i.service.clone().unwrap_or_default(),
                human_seconds(Some(age_seconds(i, view.now))),
                i.title.clone(),
            ]);
        }
        out.push_str(&t.render());
        more(&mut out, view.open.len());
    }
    if let Some(rows) = explain {
        let by_id: HashMap<i64, &Incident> = view
            .incidents
            .iter()
            .chain(view.open.iter())
            .map(|i| (i.id, i))
            .collect();
        let describe = |_: &str, id: i64| -> (String, String) {
            by_id.get(&id).map_or((String::new(), String::new()), |i| {
                (
                    i.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    format!("{} {}", i.severity.as_str(), i.title),
                )
            })
        };
        out.push_str(&explain_sections_table(
            &explain_sections(view),
            rows,
            &describe,
        ));
    }
    out
}

fn more(out: &mut String, total: usize) {
    if total > LIST_LIMIT {
        let _ = writeln!(
            out,
            "… and {} more (all of them in --format json)",
            total - LIST_LIMIT
        );
    }
}

/// "P1 ×2, critical" from the original values behind one severity, shortened to fit.
fn originals_cell(values: Option<&BTreeMap<String, usize>>) -> String {
    let Some(values) = values else {
        return String::new();
    };
    let text = values
        .iter()
        .map(|(v, n)| {
            if *n > 1 {
                format!("{v} ×{n}")
            } else {
                v.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    if text.chars().count() > 24 {
        format!("{}…", text.chars().take(23).collect::<String>())
    } else {
        text
    }
}

fn sla_cells(s: &SeverityStats) -> (String, String, String) {
    let Some(sla) = &s.sla else {
        return ("no target".into(), String::new(), "–".into());
    };
    let target = |v: Option<i64>| v.map_or("–".into(), human_span);
    let glyph = match (sla.rate, sla.breached) {
        (None, _) => "",
        (Some(_), 0) => "✓ ",
        (Some(_), _) => "✗ ",
    };
    (
        format!(
            "ack {} · fix {}",
            target(sla.target.acknowledge_seconds),
            target(sla.target.resolve_seconds)
        ),
        format!("{}/{}/{}", sla.met, sla.breached, sla.pending),
        format!("{glyph}{}", human_pct(sla.rate)),
    )
}

fn severity_table(view: &IncidentView) -> String {
    if view.report.by_severity.is_empty() {
        return "(no incidents in the period)\n".into();
    }
    let originals = original_severities(view.incidents, view.period);
    let mut t = TextTable::new(&[
        "sev",
        "count",
        "source values",
        "MTTA",
        "MTTR",
        "SLA target",
        "m/b/p",
        "adherence",
    ])
    .numeric(&[1, 3, 4, 7]);
    for s in &view.report.by_severity {
        let (target, counts, rate) = sla_cells(s);
        t.row(vec![
            s.severity.as_str().into(),
            s.incidents.to_string(),
            originals_cell(originals.get(&s.severity)),
            human_seconds(s.acknowledge.mean_seconds),
            human_seconds(s.resolve.mean_seconds),
            target,
            counts,
            rate,
        ]);
    }
    t.render()
}
