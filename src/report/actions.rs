//! `plumb report actions`: postmortem follow-ups open and overdue, completion rate, median age,
//! incidents without a prevent or mitigate item, follow-ups still open when their incident
//! recurred, incident debt and the recommended reliability share of sprint capacity.

use super::{
    ExplainSection, Format, Provenances, TextTable, csv_header, csv_number, explain_sections_json,
    explain_sections_table, human_pct, human_seconds, human_span, json_document, scope_line,
    versions_text,
};
use crate::metrics::Period;
use crate::metrics::actions::{ActionParams, ActionReport};
use crate::model::{ActionItem, Filter, Incident, Timestamp};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// How many incidents and items the table lists; JSON lists them all.
const LIST_LIMIT: usize = 10;

pub struct ActionView<'a> {
    pub report: &'a ActionReport,
    /// The follow-ups in scope.
    pub actions: &'a [ActionItem],
    /// The incidents in scope (their follow-ups are `actions`).
    pub incidents: &'a [Incident],
    /// SLOs of the scope whose budget is overspent: (name, budget remaining, below zero).
    pub overspent_slos: &'a [(String, f64)],
    pub period: Option<Period>,
    /// The moment ages and due dates are measured at.
    pub now: Timestamp,
    pub params: &'a ActionParams,
    pub filter: &'a Filter,
    pub definition_version: Value,
}

/// The rows behind the numbers: every follow-up, the overdue ones, the incidents lacking a
/// prevent or mitigate item, and the follow-ups open when their incident recurred.
pub fn explain_sections(report: &ActionReport) -> Vec<ExplainSection> {
    let mut recurred: Vec<i64> = report
        .open_at_recurrence
        .iter()
        .map(|o| o.action_id)
        .collect();
    recurred.sort_unstable();
    recurred.dedup();
    vec![
        ExplainSection::from_explain("follow_up", &report.explain),
        ExplainSection::of(
            "overdue",
            "action_items",
            report.overdue_ids.iter().copied(),
        ),
        ExplainSection::of(
            "incidents_without_prevent_or_mitigate",
            "incidents",
            report.incidents_without_prevent_or_mitigate.iter().copied(),
        ),
        ExplainSection::of("open_at_recurrence", "action_items", recurred),
    ]
}

pub fn render(view: &ActionView, format: Format, explain: Option<&Provenances>) -> String {
    match format {
        Format::Json => render_json(view, explain),
        Format::Csv => render_csv(view.report),
        Format::Table => render_table(view, explain),
    }
}

fn render_json(view: &ActionView, explain: Option<&Provenances>) -> String {
    let mut body = serde_json::to_value(view.report).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut body {
        map.insert(
            "period".into(),
            json!(view.period.map(|p| json!({"start": p.start, "end": p.end}))),
        );
        map.insert("now".into(), json!(view.now));
        let policy: serde_json::Map<String, Value> = view
            .params
            .policy
            .iter()
            .map(|(s, d)| (s.as_str().to_string(), json!(d.num_seconds())))
            .collect();
        map.insert("due_policy_seconds".into(), Value::Object(policy));
        let slos: Vec<Value> = view
            .overspent_slos
            .iter()
            .map(|(name, remaining)| json!({"slo": name, "budget_remaining": remaining}))
            .collect();
        map.insert("overspent_slos".into(), Value::Array(slos));
        if let Some(rows) = explain {
            map.insert(
                "explain".into(),
                explain_sections_json(&explain_sections(view.report), rows),
            );
        }
    }
    json_document(
        "actions",
        body,
        view.filter,
        view.definition_version.clone(),
    )
}

fn render_csv(r: &ActionReport) -> String {
    let v = r.definition.version;
    let mut out = csv_header();
    let n = |x: usize| Some(x as f64);
    for (metric, value, unit, count) in [
        ("total", n(r.total), "items", Some(r.total)),
        ("open", n(r.open), "items", Some(r.total)),
        ("overdue", n(r.overdue), "items", Some(r.open)),
        (
            "completion_rate",
            r.completion_rate,
            "fraction",
            Some(r.total),
        ),
        (
            "median_open_age",
            r.median_open_age_seconds,
            "seconds",
            Some(r.open),
        ),
        (
            "incidents_without_prevent_or_mitigate",
            n(r.incidents_without_prevent_or_mitigate.len()),
            "incidents",
            Some(r.incidents),
        ),
        (
            "prevent_or_mitigate_share",
            r.prevent_or_mitigate_share,
            "fraction",
            Some(r.incidents),
        ),
        (
            "open_at_recurrence",
            n(r.open_at_recurrence.len()),
            "items",
            None,
        ),
        ("incident_debt", Some(r.debt.points), "points", None),
        (
            "recommended_reliability_share",
            Some(r.debt.recommended_reliability_share),
            "fraction",
            None,
        ),
    ] {
        out.push_str(&csv_number(metric, "", value, unit, count, v));
    }
    out
}

fn policy_text(p: &ActionParams) -> String {
    if p.policy.is_empty() {
        return "due date only".into();
    }
    let list: Vec<String> = p
        .policy
        .iter()
        .map(|(s, d)| format!("{} {}", s.as_str(), human_span(d.num_seconds())))
        .collect();
    format!("due date, else {}", list.join(" · "))
}

fn render_table(view: &ActionView, explain: Option<&Provenances>) -> String {
    let r = view.report;
    let p = view.params;
    let mut out = String::new();
    let period = view.period.map(|p| (p.start, p.end));
    let _ = writeln!(
        out,
        "{}\nat {}\n{}\n",
        scope_line("Postmortem actions", view.filter, period),
        view.now.format("%Y-%m-%d %H:%M UTC"),
        versions_text(&view.definition_version)
    );
    let mut t = TextTable::new(&["metric", "value", "based on"]);
    t.row(vec![
        "Open follow-ups".into(),
        r.open.to_string(),
        format!("of {} items", r.total),
    ]);
    let overdue = if r.overdue > 0 {
        format!("✗ {}", r.overdue)
    } else {
        "✓ 0".into()
    };
    t.row(vec!["Overdue".into(), overdue, policy_text(p)]);
    t.row(vec![
        "Completion rate".into(),
        human_pct(r.completion_rate),
        format!("{} done of {} (won't-do is not done)", r.done, r.total),
    ]);
    t.row(vec![
        "Median age of open items".into(),
        human_seconds(r.median_open_age_seconds),
        format!("{} open", r.open),
    ]);
    let without = r.incidents_without_prevent_or_mitigate.len();
    t.row(vec![
        "Incidents w/o prevent or mitigate".into(),
        if without > 0 {
            format!("▲ {without}")
        } else {
            "✓ 0".into()
        },
        format!(
            "of {} incidents ({} have one)",
            r.incidents,
            human_pct(r.prevent_or_mitigate_share)
        ),
    ]);
    t.row(vec![
        "Open when the incident recurred".into(),
        r.open_at_recurrence.len().to_string(),
        "follow-ups of an incident that repeated".into(),
    ]);
    t.row(vec![
        "Incident debt".into(),
        format!("{:.1} points", r.debt.points),
        format!(
            "overdue {:.1} + open SEV1-2 {}×{} + overspent {:.2}×{}",
            r.debt.weighted_overdue,
            r.debt.open_sev12_followups,
            p.open_sev12_weight,
            r.debt.overspent_budget,
            p.overspent_budget_weight
        ),
    ]);
    t.row(vec![
        "Reliability share of sprint".into(),
        human_pct(Some(r.debt.recommended_reliability_share)),
        format!(
            "{} + {} per point, at most {}",
            human_pct(Some(p.base_share)),
            human_pct(Some(p.share_per_point)),
            human_pct(Some(p.max_share))
        ),
    ]);
    out.push_str(&t.render());
    if !view.overspent_slos.is_empty() {
        let list: Vec<String> = view
            .overspent_slos
            .iter()
            .map(|(name, rem)| format!("{name} ({})", human_pct(Some(*rem))))
            .collect();
        let _ = writeln!(out, "\nOverspent SLO budgets: {}", list.join(", "));
    }
    let incidents: HashMap<i64, &Incident> = view.incidents.iter().map(|i| (i.id, i)).collect();
    let actions: HashMap<i64, &ActionItem> = view.actions.iter().map(|a| (a.id, a)).collect();
    if without > 0 {
        out.push_str("\nIncidents without a prevent or mitigate follow-up\n");
        let mut t = TextTable::new(&["incident", "sev", "created", "title"]);
        for id in r
            .incidents_without_prevent_or_mitigate
            .iter()
            .take(LIST_LIMIT)
        {
            let i = incidents.get(id);
            t.row(vec![
                id.to_string(),
                i.map_or(String::new(), |i| i.severity.as_str().into()),
                i.map_or(String::new(), |i| {
                    i.created_at.format("%Y-%m-%d").to_string()
                }),
                i.map_or(String::new(), |i| i.title.clone()),
            ]);
        }
        out.push_str(&t.render());
        more(&mut out, without);
    }
    if !r.open_at_recurrence.is_empty() {
        out.push_str("\nFollow-ups still open when their incident recurred\n");
        let mut t = TextTable::new(&["action", "incident", "recurred as", "title"]);
        for o in r.open_at_recurrence.iter().take(LIST_LIMIT) {
            t.row(vec![
                o.action_id.to_string(),
                o.incident_id.to_string(),
                o.recurrence_id.to_string(),
                actions
                    .get(&o.action_id)
                    .map_or(String::new(), |a| a.title.clone()),
            ]);
        }
        out.push_str(&t.render());
        more(&mut out, r.open_at_recurrence.len());
    }
    if let Some(rows) = explain {
        let describe = |table: &str, id: i64| -> (String, String) {
            if table == "incidents" {
                return incidents
                    .get(&id)
                    .map_or((String::new(), String::new()), |i| {
                        (
                            i.created_at.format("%Y-%m-%d %H:%M").to_string(),
                            format!("{} {}", i.severity.as_str(), i.title),
                        )
                    });
            }
            actions
                .get(&id)
                .map_or((String::new(), String::new()), |a| {
                    let status = serde_json::to_value(a.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    (
                        a.created_at.format("%Y-%m-%d %H:%M").to_string(),
                        format!("[{status}] {}", a.title),
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

fn more(out: &mut String, total: usize) {
    if total > LIST_LIMIT {
        let _ = writeln!(
            out,
            "… and {} more (all of them in --format json)",
            total - LIST_LIMIT
        );
    }
}
