//! `plumb report ci`: build duration, queue time, success, test pass and flaky rates, and the
//! slowest and least reliable workflows.

use super::{
    ExplainSection, Format, Provenances, TextTable, csv_header, csv_number, explain_sections_json,
    explain_sections_table, human_pct, human_seconds, json_document, scope_line, versions_text,
};
use crate::metrics::Period;
use crate::metrics::ci::{CiReport, WorkflowStats};
use crate::model::{Filter, PipelineRun};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Everything a CI report shows.
pub struct CiView<'a> {
    pub report: &'a CiReport,
    /// The runs loaded for the report, to describe explained rows.
    pub runs: &'a [PipelineRun],
    /// `None` when nothing matched and no `--since` was given.
    pub period: Option<Period>,
    pub filter: &'a Filter,
    /// Metric id → version (see [`super::definition_versions`]).
    pub definition_version: Value,
}

/// The rows behind the numbers: every finished run of the period, and the runs left out.
pub fn explain_sections(report: &CiReport) -> Vec<ExplainSection> {
    vec![ExplainSection::from_explain(
        "pipeline_health",
        &report.explain,
    )]
}

pub fn render(view: &CiView, format: Format, explain: Option<&Provenances>) -> String {
    match format {
        Format::Json => render_json(view, explain),
        Format::Csv => render_csv(view.report),
        Format::Table => render_table(view, explain),
    }
}

fn render_json(view: &CiView, explain: Option<&Provenances>) -> String {
    let mut body = serde_json::to_value(view.report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        map.insert(
            "period".into(),
            json!(view.period.map(|p| json!({"start": p.start, "end": p.end}))),
        );
        if let Some(rows) = explain {
            map.insert(
                "explain".into(),
                explain_sections_json(&explain_sections(view.report), rows),
            );
        }
    }
    json_document("ci", body, view.filter, view.definition_version.clone())
}

fn render_csv(r: &CiReport) -> String {
    let v = r.definition.version;
    let mut out = csv_header();
    let d = &r.duration;
    let q = &r.queue;
    out.push_str(&csv_number(
        "runs",
        "",
        Some(r.runs as f64),
        "runs",
        Some(r.runs),
        v,
    ));
    for (metric, value, count) in [
        ("duration_p50", d.median_seconds, d.count),
        ("duration_p90", d.p90_seconds, d.count),
        ("queue_p50", q.median_seconds, q.count),
        ("queue_p90", q.p90_seconds, q.count),
    ] {
        out.push_str(&csv_number(metric, "", value, "seconds", Some(count), v));
    }
    out.push_str(&csv_number(
        "success_rate",
        "",
        r.success_rate,
        "fraction",
        Some(r.runs),
        v,
    ));
    out.push_str(&csv_number(
        "test_pass_rate",
        "",
        r.test_pass_rate,
        "fraction",
        None,
        v,
    ));
    out.push_str(&csv_number(
        "flaky_rate",
        "",
        r.flaky_rate,
        "fraction",
        Some(r.flaky_runs),
        v,
    ));
    for w in &r.slowest {
        let subject = format!("{}/{}", w.repo, w.workflow);
        out.push_str(&csv_number(
            "slowest_workflow_duration_p90",
            &subject,
            w.duration.p90_seconds,
            "seconds",
            Some(w.runs),
            v,
        ));
    }
    for w in &r.least_reliable {
        let subject = format!("{}/{}", w.repo, w.workflow);
        out.push_str(&csv_number(
            "least_reliable_workflow_success_rate",
            &subject,
            w.success_rate,
            "fraction",
            Some(w.runs),
            v,
        ));
    }
    out
}

fn render_table(view: &CiView, explain: Option<&Provenances>) -> String {
    let r = view.report;
    let mut out = String::new();
    let period = view.period.map(|p| (p.start, p.end));
    let _ = writeln!(
        out,
        "{}\n{}\n",
        scope_line("CI", view.filter, period),
        versions_text(&view.definition_version)
    );
    let mut t = TextTable::new(&["metric", "value", "based on"]);
    let d = &r.duration;
    t.row(vec![
        "Build duration".into(),
        format!(
            "p50 {} · p90 {}",
            human_seconds(d.median_seconds),
            human_seconds(d.p90_seconds)
        ),
        format!("{} runs with start and finish", d.count),
    ]);
    let q = &r.queue;
    t.row(vec![
        "Queue time".into(),
        format!(
            "p50 {} · p90 {}",
            human_seconds(q.median_seconds),
            human_seconds(q.p90_seconds)
        ),
        format!("{} runs with queue and start", q.count),
    ]);
    t.row(vec![
        "Success rate".into(),
        human_pct(r.success_rate),
        format!("{} finished runs (cancelled, skipped left out)", r.runs),
    ]);
    t.row(vec![
        "Test pass rate".into(),
        human_pct(r.test_pass_rate),
        "tests passed / tests run".into(),
    ]);
    t.row(vec![
        "Flaky rate".into(),
        human_pct(r.flaky_rate),
        format!("{} failed runs passed on re-run", r.flaky_runs),
    ]);
    out.push_str(&t.render());
    out.push_str("\nSlowest workflows (by p90 duration)\n");
    out.push_str(&workflow_table(&r.slowest));
    out.push_str("\nLeast reliable workflows (by success rate)\n");
    out.push_str(&workflow_table(&r.least_reliable));
    if let Some(rows) = explain {
        let runs: HashMap<i64, &PipelineRun> = view.runs.iter().map(|r| (r.id, r)).collect();
        let describe = |_: &str, id: i64| -> (String, String) {
            runs.get(&id).map_or((String::new(), String::new()), |r| {
                (
                    r.finished_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default(),
                    format!(
                        "{} {} #{} {}",
                        r.repo,
                        r.workflow,
                        r.attempt,
                        r.conclusion
                            .and_then(|c| serde_json::to_value(c).ok())
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_else(|| "–".into())
                    ),
                )
            })
        };
        out.push_str(&explain_sections_table(
            &explain_sections(r),
            rows,
            &describe,
        ));
    }
    out
}

fn workflow_table(list: &[WorkflowStats]) -> String {
    if list.is_empty() {
        return "(no workflow with enough runs)\n".into();
    }
    let mut t = TextTable::new(&["workflow", "runs", "p50", "p90", "success", "flaky"])
        .numeric(&[1, 2, 3, 4, 5]);
    for w in list {
        t.row(vec![
            format!("{}/{}", w.repo, w.workflow),
            w.runs.to_string(),
            human_seconds(w.duration.median_seconds),
            human_seconds(w.duration.p90_seconds),
            human_pct(w.success_rate),
            w.flaky_runs.to_string(),
        ]);
    }
    t.render()
}
