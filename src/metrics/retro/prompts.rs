//! Start / Stop / Continue prompts derived from a retro prep's numbers.

use super::{DeliveryDelta, Prompt, PromptKind, RetroParams, RetroPrep};

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

fn days(s: f64) -> String {
    format!("{:.1}d", s / 86_400.0)
}

fn pts(p: f64) -> String {
    if p.fract() == 0.0 {
        format!("{p:.0}")
    } else {
        format!("{p:.1}")
    }
}

/// Start / Stop / Continue prompts, each quoting the numbers behind it, in a fixed order
/// (commitment, scope, slippage, outliers, incidents, delivery, follow-ups).
pub fn prompts(p: &RetroPrep, params: &RetroParams) -> Vec<Prompt> {
    let mut out = Vec::new();
    let mut say = |kind, text: String| out.push(Prompt { kind, text });
    // The commitment is judged on what was committed: points added later are quoted, never
    // counted towards it.
    let added = if p.added.points > 0.0 {
        format!(", and {} points added after the start", pts(p.added.points))
    } else {
        String::new()
    };
    // A sprint still running (or not started) has no commitment verdict yet.
    match p.say_do_points.filter(|_| p.sprint.finished) {
        Some(c) if c < params.low_completion => say(
            PromptKind::Stop,
            format!(
                "over-committing: {} of {} committed points done ({}){added}.",
                pts(p.committed_done.points),
                pts(p.committed.points),
                pct(c)
            ),
        ),
        Some(c) if c >= params.high_completion => say(
            PromptKind::Continue,
            format!(
                "planning at this pace: {} of {} committed points done ({}){added}.",
                pts(p.committed_done.points),
                pts(p.committed.points),
                pct(c)
            ),
        ),
        _ => {}
    }
    if p.committed.points > 0.0 && p.added.points > params.scope_creep * p.committed.points {
        say(
            PromptKind::Stop,
            format!(
                "adding scope mid-sprint: {} items ({} points) added after the start, {} of the commitment.",
                p.added.count(),
                pts(p.added.points),
                pct(p.added.points / p.committed.points)
            ),
        );
    }
    if !p.carried_over.items.is_empty() {
        let repeat = p
            .carried_over
            .items
            .iter()
            .filter(|i| p.carried_in.items.iter().any(|c| c.id == i.id))
            .count();
        let again = if repeat > 0 {
            format!(", {repeat} of them for a second sprint or more")
        } else {
            String::new()
        };
        say(
            PromptKind::Start,
            format!(
                "splitting or re-planning slipping work: {} items ({} points) carried over{again}.",
                p.carried_over.count(),
                pts(p.carried_over.points)
            ),
        );
    }
    if let (Some(worst), Some(med)) = (p.outliers.first(), p.cycle_time.median_seconds) {
        say(
            PromptKind::Start,
            format!(
                "asking what slowed {}: {} against a median of {} ({} above the fence).",
                worst.key,
                days(worst.cycle_seconds.unwrap_or(0.0)),
                days(med),
                p.outliers.len()
            ),
        );
    }
    let severe = p
        .incidents
        .iter()
        .filter(|i| i.severity == "SEV1" || i.severity == "SEV2")
        .count();
    if severe > 0 {
        say(
            PromptKind::Start,
            format!(
                "with reliability: {severe} SEV1-2 incidents of {} in the sprint.",
                p.incidents.len()
            ),
        );
    } else if p.incidents.is_empty() {
        say(
            PromptKind::Continue,
            "what keeps production quiet: no incidents in the sprint.".into(),
        );
    }
    if let Some(DeliveryDelta {
        current,
        previous: Some(prev),
    }) = p.delivery
    {
        match (
            current.lead_time_median_seconds,
            prev.lead_time_median_seconds,
        ) {
            (Some(now), Some(before)) if now > before * params.slowdown => say(
                PromptKind::Start,
                format!(
                    "looking at the delivery pipeline: median lead time {} against {} in the previous sprint.",
                    days(now),
                    days(before)
                ),
            ),
            _ if current.deploy_days > prev.deploy_days => say(
                PromptKind::Continue,
                format!(
                    "shipping in small batches: {} deploy days against {} in the previous sprint.",
                    current.deploy_days, prev.deploy_days
                ),
            ),
            _ => {}
        }
    }
    if !p.actions_overdue.is_empty() {
        say(
            PromptKind::Start,
            format!(
                "closing overdue follow-ups: {} past their due date.",
                p.actions_overdue.len()
            ),
        );
    }
    if !p.actions_left_from_last_retro.is_empty() {
        say(
            PromptKind::Stop,
            format!(
                "letting follow-ups slide: {} opened since the last retro are still open.",
                p.actions_left_from_last_retro.len()
            ),
        );
    }
    if !p.actions_closed.is_empty() && p.actions_closed.len() >= p.actions_opened.len() {
        say(
            PromptKind::Continue,
            format!(
                "closing follow-ups: {} closed, {} opened.",
                p.actions_closed.len(),
                p.actions_opened.len()
            ),
        );
    }
    out
}
