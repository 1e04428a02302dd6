//! The retro prep as a Markdown document: what `e` on the Retro pane writes, ready to paste
//! into a wiki page or a retro board.

use super::units::{fmt_day, fmt_pct, fmt_secs};
use crate::metrics::retro::{Bucket, RetroAction, RetroPrep};
use std::fmt::Write;

fn points(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// Markdown table cells cannot hold a pipe or a line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn bucket_line(name: &str, b: &Bucket) -> String {
    let unestimated = if b.unestimated > 0 {
        format!(" ({} unestimated)", b.unestimated)
    } else {
        String::new()
    };
    format!(
        "| {name} | {} | {}{unestimated} |\n",
        b.count(),
        points(b.points)
    )
}

fn item_list(out: &mut String, title: &str, b: &Bucket) {
    if b.items.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### {title} ({})\n", b.count());
    for i in &b.items {
        let _ = writeln!(
            out,
            "- {} {} · {} · {} pts",
            i.key,
            i.title.as_deref().unwrap_or(""),
            i.status,
            i.points.map_or("–".into(), points)
        );
    }
}

fn action_list(out: &mut String, title: &str, actions: &[RetroAction]) {
    let _ = writeln!(out, "- {title}: {}", actions.len());
    for a in actions {
        let due = a
            .due_at
            .map_or(String::new(), |d| format!(" · due {}", fmt_day(Some(d))));
        let ticket = a
            .ticket_key
            .as_deref()
            .map_or(String::new(), |t| format!(" · {t}"));
        let owner = a
            .owner
            .as_deref()
            .map_or(String::new(), |o| format!(" · {o}"));
        let mark = if a.closed { "x" } else { " " };
        let _ = writeln!(out, "  - [{mark}] {}{owner}{ticket}{due}", a.title);
    }
}

/// The whole retro prep as Markdown.
pub fn render(p: &RetroPrep) -> String {
    let mut out = String::new();
    let s = &p.sprint;
    let _ = writeln!(out, "# Retro: {}\n", s.name);
    let _ = writeln!(
        out,
        "- Team: {}\n- Sprint: {} to {} ({})",
        s.team.as_deref().unwrap_or("–"),
        fmt_day(Some(s.start_at)),
        fmt_day(Some(s.close_at)),
        s.state
    );
    if let Some(goal) = &s.goal {
        let _ = writeln!(out, "- Goal: {goal}");
    }
    if let Some(prev) = &p.previous_sprint {
        let _ = writeln!(out, "- Previous sprint: {prev}");
    }
    let _ = writeln!(
        out,
        "- Definition: {} v{}",
        p.definition.metric, p.definition.version
    );

    out.push_str("\n## Prompts\n\n");
    if p.prompts.is_empty() {
        out.push_str("No prompts: nothing in the numbers stands out.\n");
    }
    for prompt in &p.prompts {
        let _ = writeln!(out, "- **{}** {}", prompt.kind.label(), prompt.text);
    }

    out.push_str("\n## Scope\n\n| | Items | Points |\n|---|---:|---:|\n");
    out.push_str(&bucket_line("Committed", &p.committed));
    out.push_str(&bucket_line("Added after start", &p.added));
    out.push_str(&bucket_line("Removed", &p.removed));
    out.push_str(&bucket_line("Completed", &p.completed));
    out.push_str(&bucket_line("Carried over", &p.carried_over));
    out.push_str(&bucket_line(
        "Carried in from earlier sprints",
        &p.carried_in,
    ));
    let _ = writeln!(
        out,
        "\nCompletion: {} of committed points, {} of items in scope; say/do: {} of the committed \
         points were done (scope added later left out).",
        fmt_pct(p.completion_points),
        fmt_pct(p.completion_count),
        fmt_pct(p.say_do_points)
    );
    item_list(&mut out, "Completed", &p.completed);
    item_list(&mut out, "Added after start", &p.added);
    item_list(&mut out, "Carried over", &p.carried_over);

    out.push_str("\n## Cycle time\n\n");
    let _ = writeln!(
        out,
        "Median {}, p75 {}, p90 {} over {} completed items.",
        fmt_secs(p.cycle_time.median_seconds),
        fmt_secs(p.cycle_time.p75_seconds),
        fmt_secs(p.cycle_time.p90_seconds),
        p.cycle_time.count
    );
    if !p.outliers.is_empty() {
        let _ = writeln!(
            out,
            "\nOutliers (above {}):\n",
            fmt_secs(p.outlier_fence_seconds)
        );
        for i in &p.outliers {
            let _ = writeln!(
                out,
                "- {} {}: {}",
                i.key,
                i.title.as_deref().unwrap_or(""),
                fmt_secs(i.cycle_seconds)
            );
        }
    }

    out.push_str("\n## Incidents\n\n");
    if p.incidents.is_empty() {
        out.push_str("None in the sprint.\n");
    } else {
        let _ = writeln!(
            out,
            "{} incidents, median time to acknowledge {}, to resolve {}.\n",
            p.incidents.len(),
            fmt_secs(p.mtta_median_seconds),
            fmt_secs(p.mttr_median_seconds)
        );
        out.push_str(
            "| Severity | Incident | Service | Opened | Ack | Resolve | Follow-ups |\n\
             |---|---|---|---|---:|---:|---|\n",
        );
        for i in &p.incidents {
            let done = i.actions.iter().filter(|(_, closed)| *closed).count();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} of {} closed |",
                i.severity,
                cell(&i.title),
                cell(i.service.as_deref().unwrap_or("–")),
                fmt_day(Some(i.created_at)),
                fmt_secs(i.ack_seconds),
                fmt_secs(i.resolve_seconds),
                done,
                i.actions.len()
            );
        }
    }

    if let Some(d) = &p.delivery {
        out.push_str("\n## Delivery\n\n| | Deployments | Deploy days | Lead time p50 | Change failure rate |\n|---|---:|---:|---:|---:|\n");
        for (name, w) in [
            ("This sprint", Some(d.current)),
            ("Previous sprint", d.previous),
        ] {
            if let Some(w) = w {
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {} | {} |",
                    w.deployments,
                    w.deploy_days,
                    fmt_secs(w.lead_time_median_seconds),
                    fmt_pct(w.change_failure_rate)
                );
            }
        }
    }

    out.push_str("\n## Support\n\n");
    let top = p
        .support_top_labels
        .iter()
        .map(|(l, n)| format!("{l} ({n})"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        out,
        "{} tickets opened{}.",
        p.support.len(),
        if top.is_empty() {
            String::new()
        } else {
            format!("; top labels: {top}")
        }
    );

    out.push_str("\n## Follow-ups\n\n");
    action_list(&mut out, "Opened", &p.actions_opened);
    action_list(&mut out, "Closed", &p.actions_closed);
    action_list(&mut out, "Overdue at the close", &p.actions_overdue);
    action_list(
        &mut out,
        "Left from the last retro",
        &p.actions_left_from_last_retro,
    );
    out
}
