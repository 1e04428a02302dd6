//! The numbers of the Retro pane and the rows behind each: what a line says, and what Enter
//! lists.

use super::units::{fmt_day, fmt_pct, fmt_secs};
use crate::metrics::retro::{Bucket, RetroAction, RetroPrep};

/// The numbers of the prep, in the order the pane lists them.
pub const FACTS: [&str; 14] = [
    "Committed",
    "Added after start",
    "Removed",
    "Completed",
    "Carried over",
    "Carried in",
    "Cycle-time outliers",
    "Incidents",
    "Deployments",
    "Support tickets",
    "Follow-ups opened",
    "Follow-ups closed",
    "Follow-ups overdue",
    "Left from last retro",
];

fn bucket_value(b: &Bucket) -> String {
    let pts = if b.points.fract() == 0.0 {
        format!("{:.0}", b.points)
    } else {
        format!("{:.1}", b.points)
    };
    format!("{} items · {pts} pts", b.count())
}

fn bucket_rows(b: &Bucket) -> Vec<Vec<String>> {
    b.items
        .iter()
        .map(|i| {
            vec![
                i.key.clone(),
                i.title.clone().unwrap_or_default(),
                i.status.clone(),
                i.points.map_or("–".into(), |p| format!("{p}")),
                fmt_secs(i.cycle_seconds),
            ]
        })
        .collect()
}

fn action_rows(actions: &[RetroAction]) -> Vec<Vec<String>> {
    actions
        .iter()
        .map(|a| {
            vec![
                a.ticket_key.clone().unwrap_or_else(|| "–".into()),
                a.title.clone(),
                if a.closed { "✓ closed" } else { "· open" }.into(),
                a.owner.clone().unwrap_or_else(|| "–".into()),
                fmt_day(a.due_at),
            ]
        })
        .collect()
}

/// The value shown for fact `i` of the prep.
pub fn fact_value(p: &RetroPrep, i: usize) -> String {
    match i {
        0 => bucket_value(&p.committed),
        1 => bucket_value(&p.added),
        2 => bucket_value(&p.removed),
        3 => format!(
            "{} · {} of points · say/do {}",
            bucket_value(&p.completed),
            fmt_pct(p.completion_points),
            fmt_pct(p.say_do_points)
        ),
        4 => bucket_value(&p.carried_over),
        5 => bucket_value(&p.carried_in),
        6 => format!(
            "{} · median {} · above {}",
            p.outliers.len(),
            fmt_secs(p.cycle_time.median_seconds),
            fmt_secs(p.outlier_fence_seconds)
        ),
        7 => format!(
            "{} · MTTA {} · MTTR {}",
            p.incidents.len(),
            fmt_secs(p.mtta_median_seconds),
            fmt_secs(p.mttr_median_seconds)
        ),
        8 => match &p.delivery {
            None => "–".into(),
            Some(d) => {
                let c = &d.current;
                let mut s = format!(
                    "{} · {} deploy days · lead {}",
                    c.deployments,
                    c.deploy_days,
                    fmt_secs(c.lead_time_median_seconds)
                );
                if let Some(prev) = &d.previous {
                    s.push_str(&format!(
                        " (before: {} · {} · {})",
                        prev.deployments,
                        prev.deploy_days,
                        fmt_secs(prev.lead_time_median_seconds)
                    ));
                }
                s
            }
        },
        9 => {
            let top = p
                .support_top_labels
                .iter()
                .map(|(l, n)| format!("{l} {n}"))
                .collect::<Vec<_>>()
                .join(", ");
            if top.is_empty() {
                p.support.len().to_string()
            } else {
                format!("{} · top: {top}", p.support.len())
            }
        }
        10 => p.actions_opened.len().to_string(),
        11 => p.actions_closed.len().to_string(),
        12 => p.actions_overdue.len().to_string(),
        _ => p.actions_left_from_last_retro.len().to_string(),
    }
}

/// The header and rows behind fact `i`.
pub fn fact_rows(p: &RetroPrep, i: usize) -> ([&'static str; 5], Vec<Vec<String>>) {
    const ITEM: [&str; 5] = ["Key", "Title", "Status", "Pts", "Cycle"];
    const ACTION: [&str; 5] = ["Ticket", "Follow-up", "Status", "Owner", "Due"];
    match i {
        0 => (ITEM, bucket_rows(&p.committed)),
        1 => (ITEM, bucket_rows(&p.added)),
        2 => (ITEM, bucket_rows(&p.removed)),
        3 => (ITEM, bucket_rows(&p.completed)),
        4 => (ITEM, bucket_rows(&p.carried_over)),
        5 => (ITEM, bucket_rows(&p.carried_in)),
        6 => (
            ITEM,
            bucket_rows(&Bucket {
                items: p.outliers.clone(),
                ..Bucket::default()
            }),
        ),
        7 => (
            ["Sev", "Incident", "Ack", "Resolve", "Follow-ups"],
            p.incidents
                .iter()
                .map(|x| {
                    let done = x.actions.iter().filter(|(_, c)| *c).count();
                    vec![
                        x.severity.clone(),
                        x.title.clone(),
                        fmt_secs(x.ack_seconds),
                        fmt_secs(x.resolve_seconds),
                        format!("{done}/{} closed", x.actions.len()),
                    ]
                })
                .collect(),
        ),
        8 => (
            ["Sprint", "Deploys", "Deploy days", "Lead p50", "CFR"],
            p.delivery
                .iter()
                .flat_map(|d| {
                    [("This sprint", Some(d.current)), ("Previous", d.previous)]
                        .into_iter()
                        .filter_map(|(name, w)| {
                            let w = w?;
                            Some(vec![
                                name.to_string(),
                                w.deployments.to_string(),
                                w.deploy_days.to_string(),
                                fmt_secs(w.lead_time_median_seconds),
                                fmt_pct(w.change_failure_rate),
                            ])
                        })
                })
                .collect(),
        ),
        9 => (
            ["Opened", "Ticket", "Status", "Priority", "Labels"],
            p.support
                .iter()
                .map(|t| {
                    vec![
                        fmt_day(Some(t.created_at)),
                        t.title.clone().unwrap_or_default(),
                        t.status.clone(),
                        t.priority.clone().unwrap_or_else(|| "–".into()),
                        t.labels.join(","),
                    ]
                })
                .collect(),
        ),
        10 => (ACTION, action_rows(&p.actions_opened)),
        11 => (ACTION, action_rows(&p.actions_closed)),
        12 => (ACTION, action_rows(&p.actions_overdue)),
        _ => (ACTION, action_rows(&p.actions_left_from_last_retro)),
    }
}
