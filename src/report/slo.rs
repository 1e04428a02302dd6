//! `plumb report slo`: one row per SLO with target, window, method, budget remaining (not
//! clamped), burn rates per alert window, alert state and time to exhaustion; the exclusions and
//! planned peaks that applied are listed explicitly.

use super::{
    EXPLAIN_TABLE_LIMIT, Format, Provenances, TextTable, csv_header, csv_number, human_pct,
    human_seconds, human_span, json_document, provenance_json, scope_line, versions_text,
};
use crate::metrics::slo::{AlertSeverity, AlertState, AppliedAdjustment, SloReport};
use crate::model::{BudgetingMethod, Filter, Slo, SloSample, SloWindow, Timestamp};
use chrono::DateTime;
use chrono_tz::Tz;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::fmt::Write as _;

/// One SLO with its report and the samples it was computed from.
pub struct SloEntry {
    pub slo: Slo,
    pub samples: Vec<SloSample>,
    pub report: SloReport,
    /// Zone of calendar windows and recurring exclusions (the SLO team's).
    pub timezone: Tz,
    /// This SLO's metric id → version (its adjustments are part of its definition).
    pub definition_version: Value,
}

pub struct SloView<'a> {
    pub entries: &'a [SloEntry],
    /// The moment budgets and burn rates are measured at: `--until`, else the clock.
    pub now: Timestamp,
    pub filter: &'a Filter,
    /// Metric id → version for the metrics on which every SLO of the report agrees.
    pub definition_version: Value,
}

/// `page`, `ticket` or `ok`; `None` when no alert window has any event.
pub fn alert_label(a: &AlertState) -> Option<&'static str> {
    let data = a
        .windows
        .iter()
        .any(|w| w.long_burn_rate.is_some() || w.short_burn_rate.is_some());
    match a.level {
        Some(AlertSeverity::Page) => Some("page"),
        Some(AlertSeverity::Ticket) => Some("ticket"),
        None if data => Some("ok"),
        None => None,
    }
}

/// The adjustments of a report with entries of the same kind and name merged (a daily
/// exclusion is applied as one window per weekday).
pub fn merged_adjustments(list: &[AppliedAdjustment]) -> Vec<AppliedAdjustment> {
    let mut out: Vec<AppliedAdjustment> = Vec::new();
    for a in list {
        match out
            .iter_mut()
            .find(|o| o.kind == a.kind && o.name == a.name)
        {
            Some(o) => {
                o.buckets += a.buckets;
                o.total += a.total;
                o.bad += a.bad;
                o.bad_counted = match (o.bad_counted, a.bad_counted) {
                    (None, None) => None,
                    (x, y) => Some(x.unwrap_or(0.0) + y.unwrap_or(0.0)),
                };
            }
            None => out.push(a.clone()),
        }
    }
    out
}

pub fn render(view: &SloView, format: Format, explain: Option<&Provenances>) -> String {
    match format {
        Format::Json => render_json(view, explain),
        Format::Csv => render_csv(view),
        Format::Table => render_table(view, explain),
    }
}

fn window_label(w: SloWindow) -> String {
    match w {
        SloWindow::Rolling { days } => format!("{days}d"),
        SloWindow::Calendar { period } => serde_json::to_value(period)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
    }
}

fn method_label(m: BudgetingMethod) -> &'static str {
    match m {
        BudgetingMethod::Occurrences => "events",
        BudgetingMethod::Timeslices => "slices",
        BudgetingMethod::RatioTimeslices => "ratio",
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        format!("{}…", text.chars().take(max - 1).collect::<String>())
    } else {
        text.to_string()
    }
}

fn bucket_time(epoch: i64) -> Option<Timestamp> {
    DateTime::from_timestamp(epoch, 0)
}

fn render_json(view: &SloView, explain: Option<&Provenances>) -> String {
    let slos: Vec<Value> = view
        .entries
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(&e.report).unwrap_or(Value::Null);
            if let Value::Object(map) = &mut v {
                map.insert("team".into(), json!(e.slo.team));
                map.insert("timezone".into(), json!(e.timezone.name()));
                map.insert("alert_state".into(), json!(alert_label(&e.report.alerts)));
                map.insert(
                    "adjustments".into(),
                    json!(merged_adjustments(&e.report.adjustments)),
                );
                map.insert("definition_version".into(), e.definition_version.clone());
            }
            v
        })
        .collect();
    let mut body = json!({"now": view.now, "slos": slos});
    if let (Some(rows), Value::Object(map)) = (explain, &mut body) {
        let mut ex = serde_json::Map::new();
        for e in view.entries {
            let samples: HashMap<i64, &SloSample> = e
                .samples
                .iter()
                .map(|s| (s.bucket_start.timestamp(), s))
                .collect();
            let buckets: Vec<Value> = e
                .report
                .buckets
                .iter()
                .map(|b| {
                    let s = samples.get(b);
                    json!({
                        "bucket_start": bucket_time(*b),
                        "good": s.map(|s| s.good),
                        "total": s.map(|s| s.total),
                    })
                })
                .collect();
            ex.insert(
                e.slo.name.clone(),
                json!({
                    "slos": [provenance_json("slos", e.slo.id, rows)],
                    "buckets": buckets,
                }),
            );
        }
        map.insert("explain".into(), Value::Object(ex));
    }
    json_document("slo", body, view.filter, view.definition_version.clone())
}

fn render_csv(view: &SloView) -> String {
    let mut out = csv_header();
    for e in view.entries {
        let r = &e.report;
        let v = r.definition.version;
        let name = &r.name;
        out.push_str(&csv_number(
            "target",
            name,
            Some(r.target),
            "fraction",
            None,
            v,
        ));
        out.push_str(&csv_number(
            "error_ratio",
            name,
            r.error_ratio,
            "fraction",
            None,
            v,
        ));
        out.push_str(&csv_number(
            "budget_remaining",
            name,
            r.budget_remaining,
            "fraction",
            Some(r.buckets.len()),
            v,
        ));
        out.push_str(&csv_number(
            "budget_remaining_unadjusted",
            name,
            r.budget_remaining_unadjusted,
            "fraction",
            None,
            v,
        ));
        out.push_str(&csv_number(
            "burn_rate",
            name,
            r.burn_rate,
            "ratio",
            None,
            v,
        ));
        out.push_str(&csv_number(
            "current_burn_rate",
            name,
            r.current_burn_rate,
            "ratio",
            None,
            v,
        ));
        // Alert windows share spans (6 h is one alert's long and another's short window).
        let mut spans: std::collections::BTreeMap<i64, Option<f64>> = Default::default();
        for w in &r.alerts.windows {
            spans.insert(w.window.long.num_seconds(), w.long_burn_rate);
            spans.insert(w.window.short.num_seconds(), w.short_burn_rate);
        }
        for (seconds, burn) in spans {
            let label = format!("burn_rate_{}", human_span(seconds));
            out.push_str(&csv_number(&label, name, burn, "ratio", None, v));
        }
        out.push_str(&csv_number(
            "time_to_exhaustion",
            name,
            r.time_to_exhaustion_seconds,
            "seconds",
            None,
            v,
        ));
    }
    out
}

fn render_table(view: &SloView, explain: Option<&Provenances>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}\nat {}\n{}\n",
        scope_line("SLOs", view.filter, None),
        view.now.format("%Y-%m-%d %H:%M UTC"),
        versions_text(&view.definition_version)
    );
    if view.entries.is_empty() {
        out.push_str("(no SLO matches the filter)\n");
        return out;
    }
    let long_windows: Vec<String> = view.entries[0]
        .report
        .alerts
        .windows
        .iter()
        .map(|w| human_span(w.window.long.num_seconds()))
        .collect();
    let burn_header = format!("burn {}", long_windows.join("/"));
    let mut t = TextTable::new(&[
        "SLO",
        "target",
        "window",
        "budget",
        &burn_header,
        "alert",
        "exhausts",
    ])
    .numeric(&[1, 3, 6]);
    for e in view.entries {
        let r = &e.report;
        let burns: Vec<String> = r
            .alerts
            .windows
            .iter()
            .map(|w| w.long_burn_rate.map_or("–".into(), |b| format!("{b:.1}")))
            .collect();
        let alert = alert_cell(alert_label(&r.alerts));
        let budget = match r.budget_remaining {
            Some(b) if b < 0.0 => format!("✗ {}", human_pct(Some(b))),
            b => human_pct(b),
        };
        let exhausts = match r.time_to_exhaustion_seconds {
            Some(s) if s <= 0.0 => "spent".to_string(),
            s => human_seconds(s),
        };
        t.row(vec![
            shorten(&r.name, 30),
            format!("{:.2}%", r.target * 100.0),
            format!(
                "{} {}",
                window_label(r.window),
                method_label(r.budgeting_method)
            ),
            budget,
            burns.join("/"),
            alert,
            exhausts,
        ]);
    }
    out.push_str(&t.render());
    out.push_str(
        "\nbudget: error budget remaining, not clamped (below 0 % it is overspent)\n\
         burn: error ratio / error budget over each alert's long window (1 spends the budget \
         over the window)\n",
    );
    firing_alerts(view, &mut out);
    adjustments(view, &mut out);
    if let Some(rows) = explain {
        explain_table(view, rows, &mut out);
    }
    out
}

/// An alert state as the dashboard marks it: a page is a breach (✗), a ticket a warning (▲).
fn alert_cell(label: Option<&str>) -> String {
    match label {
        Some("ok") => "✓ ok".into(),
        Some("page") => "✗ page".into(),
        Some(level) => format!("▲ {level}"),
        None => "–".into(),
    }
}

fn firing_alerts(view: &SloView, out: &mut String) {
    let mut t = TextTable::new(&[
        "SLO",
        "alert",
        "windows",
        "threshold",
        "long burn",
        "short burn",
    ])
    .numeric(&[3, 4, 5]);
    let mut any = false;
    for e in view.entries {
        for w in e.report.alerts.windows.iter().filter(|w| w.firing) {
            any = true;
            let burn = |b: Option<f64>| b.map_or("–".into(), |b| format!("{b:.2}"));
            t.row(vec![
                e.report.name.clone(),
                alert_cell(Some(if w.window.severity == AlertSeverity::Page {
                    "page"
                } else {
                    "ticket"
                })),
                format!(
                    "{} + {}",
                    human_span(w.window.long.num_seconds()),
                    human_span(w.window.short.num_seconds())
                ),
                format!("{:.2}", w.factor),
                burn(w.long_burn_rate),
                burn(w.short_burn_rate),
            ]);
        }
    }
    if any {
        out.push_str("\nFiring alerts (both windows burn above the threshold)\n");
        out.push_str(&t.render());
    }
}

fn adjustments(view: &SloView, out: &mut String) {
    let mut t = TextTable::new(&["SLO", "kind", "name", "buckets", "events", "bad counted"])
        .numeric(&[3, 4, 5]);
    let mut any = false;
    for e in view.entries {
        for a in merged_adjustments(&e.report.adjustments)
            .iter()
            .filter(|a| a.buckets > 0)
        {
            any = true;
            let counted = match a.bad_counted {
                Some(c) => format!("{:.0} of {:.0}", c, a.bad),
                None => format!("0 of {:.0}", a.bad),
            };
            t.row(vec![
                e.report.name.clone(),
                a.kind.replace('_', " "),
                a.name.clone(),
                a.buckets.to_string(),
                format!("{:.0}", a.total),
                counted,
            ]);
        }
    }
    if any {
        out.push_str(
            "\nAdjustments applied (exclusions remove buckets; peaks re-weight bad events)\n",
        );
        out.push_str(&t.render());
        for e in view.entries {
            let r = &e.report;
            if r.budget_remaining != r.budget_remaining_unadjusted
                && r.adjustments.iter().any(|a| a.buckets > 0)
            {
                let _ = writeln!(
                    out,
                    "{}: budget {} with adjustments, {} without",
                    r.name,
                    human_pct(r.budget_remaining),
                    human_pct(r.budget_remaining_unadjusted)
                );
            }
        }
    }
}

fn explain_table(view: &SloView, rows: &Provenances, out: &mut String) {
    for e in view.entries {
        let r = &e.report;
        let p = rows.get(&("slos", e.slo.id));
        let _ = writeln!(
            out,
            "\n{}: rows behind the number (slos {} · {} {})",
            r.name,
            e.slo.id,
            p.map(|p| p.source.as_str()).unwrap_or(""),
            p.map(|p| p.external_id.as_str()).unwrap_or("")
        );
        let samples: HashMap<i64, &SloSample> = e
            .samples
            .iter()
            .map(|s| (s.bucket_start.timestamp(), s))
            .collect();
        let mut t = TextTable::new(&["bucket start", "good", "total", "bad"]).numeric(&[1, 2, 3]);
        for b in r.buckets.iter().take(EXPLAIN_TABLE_LIMIT) {
            let s = samples.get(b);
            t.row(vec![
                bucket_time(*b)
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                s.map_or(String::new(), |s| format!("{:.0}", s.good)),
                s.map_or(String::new(), |s| format!("{:.0}", s.total)),
                s.map_or(String::new(), |s| {
                    format!("{:.0}", (s.total - s.good).max(0.0))
                }),
            ]);
        }
        out.push_str(&t.render());
        if r.buckets.len() > EXPLAIN_TABLE_LIMIT {
            let _ = writeln!(
                out,
                "… and {} more buckets (all of them in --format json --explain)",
                r.buckets.len() - EXPLAIN_TABLE_LIMIT
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::alert_cell;

    #[test]
    fn a_page_is_marked_as_a_breach_like_the_dashboard_does() {
        assert_eq!(alert_cell(Some("page")), "✗ page");
        assert_eq!(alert_cell(Some("ticket")), "▲ ticket");
        assert_eq!(alert_cell(Some("ok")), "✓ ok");
        assert_eq!(alert_cell(None), "–");
    }
}
