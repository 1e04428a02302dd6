//! Incidents with their PagerDuty-like timelines and postmortem action items. Most incidents
//! follow a risky deployment (planned in `delivery`); the rest come from infrastructure, some
//! of them repeating on the same service. A few scripted ones tell the dataset's stories.

use super::alerts;
use super::calendar::TeamCalendar;
use super::delivery::ServiceLog;
use super::org::{Archetype, ServiceSpec, TeamSpec};
use super::sampling::{
    DemoRng, between, chance, lognormal, minutes, pick, poisson, pseudonym, stream, weighted,
};
use super::sink::{JIRA, PAGERDUTY, Sink, Table};
use super::{Ctx, DemoError};

/// An incident before it is written.
#[derive(Debug, Clone)]
pub(crate) struct IncidentPlan {
    pub created: i64,
    /// 1 (worst) to 4, as P1..P4.
    pub sev: u8,
    pub ack: Option<i64>,
    pub resolved: Option<i64>,
    pub auto: bool,
    pub deployment: Option<i64>,
    /// Whether the postmortem names the deployment (else metrics attribute by window).
    pub explicit: bool,
    pub title: String,
    /// Share of requests failing while it lasts.
    pub error_ratio: f64,
    pub remedy: Option<&'static str>,
}

/// A scripted incident caused by the first production deployment `days_before` the anchor.
pub(crate) struct DeployStory {
    pub service: &'static str,
    pub days_before: i64,
    pub severity: u8,
    pub minutes_to_resolve: i64,
    pub error_ratio: f64,
    pub title: &'static str,
}

/// Burns the search availability budget well below zero within the last 30 days.
const DEPLOY_STORIES: [DeployStory; 1] = [DeployStory {
    service: "search-api",
    days_before: 12,
    severity: 1,
    minutes_to_resolve: 170,
    error_ratio: 0.3,
    title: "Search returns empty results for the EU catalog",
}];

/// Scripted incidents still open at the anchor: (service, minutes before the anchor,
/// severity, acknowledged, error ratio, title). The first one burns the budget fast.
const OPEN_STORIES: [(&str, i64, u8, bool, f64, &str); 2] = [
    (
        "billing-monolith",
        50,
        2,
        true,
        0.15,
        "Invoice API timing out: payment provider webhook backlog",
    ),
    (
        "checkout-web",
        8,
        4,
        false,
        0.004,
        "Checkout page slow for some mobile clients",
    ),
];

const INFRA_TITLES: [&str; 8] = [
    "Node pool exhausted in eu-west-1",
    "Upstream DNS resolution failures",
    "TLS certificate expired on {svc} endpoint",
    "Database failover on {svc} primary",
    "Message queue consumer lag on {svc}",
    "Disk full on {svc} hosts",
    "Third-party API outage affecting {svc}",
    "Noisy neighbour saturating {svc} cluster",
];

pub(crate) fn deploy_story(service: &str) -> Option<&'static DeployStory> {
    DEPLOY_STORIES.iter().find(|s| s.service == service)
}

/// Ack and resolve times by severity, slower for struggling teams and off hours.
pub(crate) fn plan_incident(
    rng: &mut DemoRng,
    arch: &Archetype,
    cal: &TeamCalendar,
    created: i64,
    sev: u8,
) -> IncidentPlan {
    let i = usize::from(sev.clamp(1, 4) - 1);
    let team_factor = match arch.label {
        "elite" => 1.0,
        "high" => 1.15,
        "medium" => 1.35,
        _ => 1.8,
    };
    let hour = cal.local_hour(created);
    let off_hours = if (8.0..19.0).contains(&hour) {
        1.0
    } else {
        1.7
    };
    let auto = chance(rng, [0.0, 0.0, 0.1, 0.35][i]);
    let ack_median = [3.5, 6.0, 14.0, 40.0][i] * team_factor * off_hours;
    let ack = if auto && chance(rng, 0.6) {
        None
    } else {
        Some(created + minutes(rng, ack_median, 0.7))
    };
    let resolve_median = if auto {
        25.0
    } else {
        [100.0, 150.0, 240.0, 420.0][i] * team_factor
    };
    let resolved = (created + minutes(rng, resolve_median, 0.7)).max(ack.unwrap_or(created) + 120);
    let (lo, hi) = [(0.15, 0.4), (0.04, 0.12), (0.01, 0.04), (0.002, 0.01)][i];
    IncidentPlan {
        created,
        sev,
        ack,
        resolved: Some(resolved),
        auto,
        deployment: None,
        explicit: false,
        title: String::new(),
        error_ratio: lo + (hi - lo) * lognormal(rng, 0.5, 0.3).min(1.0),
        remedy: None,
    }
}

/// Incident windows on one service: (start, end, error ratio), for the SLO samples.
pub(crate) struct ServiceOps {
    pub windows: Vec<(i64, i64, f64)>,
}

pub(crate) fn write_service(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    cal: &TeamCalendar,
    log: &ServiceLog,
) -> Result<ServiceOps, DemoError> {
    let mut rng = stream(ctx.seed, &["incidents", &service.name]);
    let mut plans = log.incidents.clone();
    plans.extend(infra_incidents(&mut rng, ctx, team, service, cal));
    for &(svc, before, sev, acked, ratio, title) in &OPEN_STORIES {
        if svc == service.name {
            let created = ctx.now - before * 60;
            plans.push(IncidentPlan {
                created,
                sev,
                ack: acked.then_some(created + 4 * 60),
                resolved: None,
                auto: false,
                deployment: None,
                explicit: false,
                title: title.to_string(),
                error_ratio: ratio,
                remedy: None,
            });
        }
    }
    for p in &mut plans {
        if p.ack.is_some_and(|a| a >= ctx.now) {
            p.ack = None;
        }
        if p.resolved.is_some_and(|r| r >= ctx.now) {
            p.resolved = None;
        }
    }
    plans.retain(|p| p.created < ctx.now);
    plans.sort_by_key(|p| p.created);

    let oncall: Vec<String> = (0..6).map(|k| pseudonym("oncall", &team.name, k)).collect();
    let devs: Vec<String> = (0..8).map(|k| pseudonym("dev", &team.name, k)).collect();
    let mut windows = Vec::with_capacity(plans.len());
    let mut linked = Vec::with_capacity(plans.len());
    for p in &plans {
        let id = write_incident(sink, &mut rng, team, service, p, &oncall)?;
        windows.push((p.created, p.resolved.unwrap_or(ctx.now), p.error_ratio));
        linked.push((id, p.clone()));
        if let Some(resolved) = p.resolved
            && p.sev <= 3
        {
            write_actions(sink, &mut rng, ctx, team, id, p.sev, resolved, &devs)?;
        }
    }
    alerts::write_service(sink, ctx, team, service, &linked)?;
    Ok(ServiceOps { windows })
}

fn infra_incidents(
    rng: &mut DemoRng,
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    cal: &TeamCalendar,
) -> Vec<IncidentPlan> {
    let months = (ctx.now - ctx.start) as f64 / (30.0 * 86_400.0);
    let n = poisson(
        rng,
        team.arch.infra_incidents_per_month * team.size * team.size * months,
    );
    let mut out = Vec::new();
    for _ in 0..n {
        let created = between(rng, ctx.start + 86_400, ctx.now);
        let sev = 1 + weighted(rng, &[0.03, 0.12, 0.35, 0.5]) as u8;
        let title = pick(rng, &INFRA_TITLES).replace("{svc}", &service.name);
        let mut at = created;
        // Repeats: the same failure on the same service again within days.
        loop {
            let mut p = plan_incident(rng, team.arch, cal, at, sev);
            p.title = title.clone();
            out.push(p);
            if !chance(rng, 0.3) {
                break;
            }
            at += between(rng, 2 * 86_400, 10 * 86_400);
            if at >= ctx.now {
                break;
            }
        }
    }
    out
}

fn write_incident(
    sink: &mut Sink,
    rng: &mut DemoRng,
    team: &TeamSpec,
    service: &ServiceSpec,
    p: &IncidentPlan,
    oncall: &[String],
) -> Result<i64, DemoError> {
    let sev = format!("SEV{}", p.sev);
    let original = format!("P{}", p.sev);
    let status = match (p.resolved, p.ack) {
        (Some(_), _) => "resolved",
        (None, Some(_)) => "acknowledged",
        (None, None) => "triggered",
    };
    let resolved_by = p.resolved.map(|_| if p.auto { "auto" } else { "human" });
    let deployment = if p.explicit { p.deployment } else { None };
    let n = sink.next_id(Table::Incidents);
    sink.prov(
        format_args!("Q{n:07}"),
        format_args!("https://acme.pagerduty.example/incidents/Q{n:07}"),
    );
    let id = sink.insert(
        Table::Incidents,
        PAGERDUTY,
        &[
            &service.name,
            &team.name,
            &sev,
            &original,
            &p.title,
            &status,
            &p.created,
            &p.ack,
            &p.resolved,
            &resolved_by,
            &deployment,
        ],
    )?;
    let primary = pick(rng, oncall).as_str();
    let secondary = pick(rng, oncall).as_str();
    let monitor = format!("monitor:{}.error_rate", service.name);
    let mut events: Vec<(i64, &str, &str, String)> = Vec::with_capacity(6);
    events.push((p.created, "trigger", &monitor, p.title.clone()));
    events.push((
        p.created,
        "assign",
        primary,
        "Assigned to primary on-call".into(),
    ));
    let slow_ack = p.ack.is_none_or(|a| a - p.created > 5 * 60);
    if p.sev <= 2 && slow_ack {
        let at = p.created + 5 * 60;
        events.push((
            at,
            "escalate",
            "escalation-policy",
            "Escalated to level 2".into(),
        ));
    }
    if let Some(a) = p.ack {
        let who = if p.sev <= 2 && slow_ack {
            secondary
        } else {
            primary
        };
        events.push((a, "acknowledge", who, String::new()));
    }
    if let (Some(r), Some(remedy)) = (p.resolved, p.remedy) {
        events.push((r - 120, "note", primary, remedy.into()));
    }
    if let Some(r) = p.resolved {
        let who = if p.auto {
            "pagerduty-auto-resolve"
        } else {
            primary
        };
        events.push((r, "resolve", who, String::new()));
    }
    events.sort_by_key(|e| e.0);
    for (k, (at, kind, actor, detail)) in events.iter().enumerate() {
        let detail = (!detail.is_empty()).then_some(detail.as_str());
        sink.prov(
            format_args!("Q{n:07}/log/{k}"),
            format_args!("https://acme.pagerduty.example/incidents/Q{n:07}/log_entries"),
        );
        sink.insert(
            Table::IncidentEvents,
            PAGERDUTY,
            &[&id, at, kind, actor, &detail],
        )?;
    }
    Ok(id)
}

const CATEGORIES: [&str; 5] = ["investigate", "mitigate", "repair", "detect", "prevent"];
const ACTION_TITLES: [[&str; 3]; 5] = [
    [
        "Find why alerts fired late",
        "Root-cause the connection resets",
        "Review capacity assumptions",
    ],
    [
        "Add circuit breaker to upstream calls",
        "Write rollback runbook",
        "Add rate limit on retries",
    ],
    [
        "Repair records written during the incident",
        "Replay failed jobs",
        "Restore missing audit entries",
    ],
    [
        "Alert on error budget burn rate",
        "Add synthetic check",
        "Add dashboard for queue depth",
    ],
    [
        "Add canary stage to deploys",
        "Add load test to CI",
        "Make migrations backward compatible",
    ],
];

#[allow(clippy::too_many_arguments)]
fn write_actions(
    sink: &mut Sink,
    rng: &mut DemoRng,
    ctx: &Ctx,
    team: &TeamSpec,
    incident_id: i64,
    sev: u8,
    resolved: i64,
    devs: &[String],
) -> Result<(), DemoError> {
    let created = resolved + between(rng, 86_400, 4 * 86_400);
    if created >= ctx.now {
        return Ok(());
    }
    let count = match sev {
        1 => between(rng, 3, 6),
        2 => between(rng, 2, 5),
        _ => between(rng, 1, 3),
    };
    // About one postmortem in five produces no prevent or mitigate item.
    let allowed: &[usize] = if chance(rng, 0.2) {
        &[0, 2, 3]
    } else {
        &[0, 1, 2, 3, 4]
    };
    let due_days = [14, 21, 30][usize::from(sev - 1)];
    let priority = ["Highest", "High", "Medium"][usize::from(sev - 1)];
    for _ in 0..count {
        let cat = *pick(rng, allowed);
        let title = *pick(rng, &ACTION_TITLES[cat]);
        let due = created + (due_days + between(rng, -3, 8)) * 86_400;
        let finish = created + (lognormal(rng, 0.7, 0.6) * (due - created) as f64) as i64;
        let (status, completed) = if chance(rng, team.arch.action_done) && finish < ctx.now {
            ("done", Some(finish))
        } else if chance(rng, 0.1) {
            ("wont_do", None)
        } else if chance(rng, 0.4) {
            ("in_progress", None)
        } else {
            ("open", None)
        };
        let key = format!("{}-{}", team.jira, 4000 + sink.next_id(Table::ActionItems));
        let owner = pick(rng, devs);
        sink.prov(
            format_args!("{key}"),
            format_args!("https://jira.example/browse/{key}"),
        );
        sink.insert(
            Table::ActionItems,
            JIRA,
            &[
                &incident_id,
                &title,
                &CATEGORIES[cat],
                &team.name,
                owner,
                &priority,
                &status,
                &key,
                &created,
                &due,
                &completed,
            ],
        )?;
    }
    Ok(())
}

/// A later ack for a slow minute count, used by alerts that page a human.
pub(crate) fn human_ack(rng: &mut DemoRng, at: i64) -> i64 {
    at + minutes(rng, 9.0, 0.8)
}
