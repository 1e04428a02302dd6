//! Inputs people keep outside the engineering tools: OKRs, support tickets, costs (finance
//! vs engineering's estimate) and the decision log. All come from an import, marked manual.

use super::org::TeamSpec;
use super::sampling::{between, chance, lognormal, normal, pick, poisson, stream};
use super::sink::{IMPORT, Sink, Table};
use super::{Ctx, DemoError, story};
use chrono::{DateTime, Datelike, NaiveDate};

const DAY: i64 = 86_400;

pub(crate) fn write_team(sink: &mut Sink, ctx: &Ctx, team: &TeamSpec) -> Result<(), DemoError> {
    write_okrs(sink, ctx, team)?;
    write_support(sink, ctx, team)?;
    write_costs(sink, ctx, team)
}

fn date(t: i64) -> NaiveDate {
    DateTime::from_timestamp(t, 0)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn epoch(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        .timestamp()
}

/// A key result bound to a metric, with (baseline, target) for the elite and the struggling
/// archetype; the others sit in between.
struct BoundKr {
    metric: &'static str,
    unit: &'static str,
    title: &'static str,
    elite: (f64, f64),
    struggling: (f64, f64),
}

const BOUND_KRS: [BoundKr; 4] = [
    BoundKr {
        metric: "dora.deployment_frequency",
        unit: "deploy-days/week",
        title: "Deploy on more days each week",
        elite: (4.6, 5.0),
        struggling: (0.8, 2.0),
    },
    BoundKr {
        metric: "dora.lead_time",
        unit: "hours",
        title: "Cut median lead time for changes",
        elite: (6.0, 4.0),
        struggling: (320.0, 160.0),
    },
    BoundKr {
        metric: "dora.change_failure_rate",
        unit: "%",
        title: "Lower change failure rate",
        elite: (4.0, 3.0),
        struggling: (24.0, 15.0),
    },
    BoundKr {
        metric: "slo.budget_remaining",
        unit: "%",
        title: "Keep error budget remaining above target",
        elite: (40.0, 50.0),
        struggling: (10.0, 35.0),
    },
];

fn write_okrs(sink: &mut Sink, ctx: &Ctx, team: &TeamSpec) -> Result<(), DemoError> {
    let mut rng = stream(ctx.seed, &["okrs", &team.name]);
    let weight = match team.arch.label {
        "elite" => 0.0,
        "high" => 0.3,
        "medium" => 0.6,
        _ => 1.0,
    };
    let lerp =
        |(a, b): (f64, f64), (c, d): (f64, f64)| (a + (c - a) * weight, b + (d - b) * weight);
    let now = date(ctx.now);
    let (mut year, mut q) = (now.year(), (now.month0() / 3) as i32);
    let mut quarters = Vec::new();
    for _ in 0..6 {
        quarters.push((year, q));
        q -= 1;
        if q < 0 {
            q = 3;
            year -= 1;
        }
    }
    quarters.reverse();
    for (k, &(year, q)) in quarters.iter().enumerate() {
        let current = k == quarters.len() - 1;
        let period = format!("{year}-Q{}", q + 1);
        let objectives = [
            ("Ship faster without breaking things", 0..3),
            ("Keep customers happy and the service reliable", 3..4),
        ];
        for (title, krs) in objectives {
            let status = if current {
                "active"
            } else if chance(&mut rng, 0.1) {
                "dropped"
            } else {
                "done"
            };
            sink.prov(
                format_args!("okr/{}/{period}/{title}", team.name),
                format_args!("https://okr.example/acme/{}/{period}", team.name),
            );
            let oid = sink.insert(
                Table::Objectives,
                IMPORT,
                &[&title, &team.name, &period, &status],
            )?;
            for kr in &BOUND_KRS[krs] {
                let (metric, unit, kr_title) = (&kr.metric, &kr.unit, &kr.title);
                let (baseline, target) = lerp(kr.elite, kr.struggling);
                // Later quarters start from better baselines.
                let drift = 1.0 - 0.03 * k as f64;
                let (baseline, target) = if *metric == "dora.deployment_frequency"
                    || *metric == "slo.budget_remaining"
                {
                    (baseline / drift, target / drift)
                } else {
                    (baseline * drift, target * drift)
                };
                let round = |v: f64| (v * 10.0).round() / 10.0;
                sink.prov(
                    format_args!("okr/{}/{period}/{metric}", team.name),
                    format_args!("https://okr.example/acme/{}/{period}", team.name),
                );
                sink.insert(
                    Table::KeyResults,
                    IMPORT,
                    &[
                        &oid,
                        kr_title,
                        metric,
                        unit,
                        &round(baseline),
                        &round(target),
                        &None::<f64>,
                    ],
                )?;
            }
            // One key result typed in by hand, not bound to a metric.
            let base = (team.arch.support_per_week * 4.0).round();
            let current_value = (base * (0.7 + 0.2 * rng_unit(&mut rng))).round();
            sink.prov(
                format_args!("okr/{}/{period}/{title}/manual", team.name),
                format_args!("https://okr.example/acme/{}/{period}", team.name),
            );
            sink.insert(
                Table::KeyResults,
                IMPORT,
                &[
                    &oid,
                    &"Fewer support tickets per month",
                    &None::<&str>,
                    &"tickets/month",
                    &base,
                    &(base * 0.6).round(),
                    &current_value,
                ],
            )?;
        }
    }
    Ok(())
}

fn rng_unit(rng: &mut super::sampling::DemoRng) -> f64 {
    between(rng, 0, 1000) as f64 / 1000.0
}

const TICKET_LABELS: [&str; 8] = [
    "bug",
    "how-to",
    "billing",
    "performance",
    "outage",
    "data-export",
    "login",
    "feature-request",
];
const TICKET_TITLES: [&str; 6] = [
    "Customer cannot download invoice",
    "Payment shown twice",
    "Search results missing items",
    "Slow page load reported",
    "Question about API limits",
    "Export stuck at 99%",
];

fn write_support(sink: &mut Sink, ctx: &Ctx, team: &TeamSpec) -> Result<(), DemoError> {
    let mut rng = stream(ctx.seed, &["support", &team.name]);
    let mut t = ctx.start;
    while t < ctx.now {
        let n = poisson(&mut rng, team.arch.support_per_week);
        for _ in 0..n {
            let created = between(&mut rng, t, (t + 7 * DAY).min(ctx.now));
            let service = &pick(&mut rng, &team.services).name;
            let priority = *pick(&mut rng, &["low", "normal", "normal", "high", "urgent"]);
            let first = *pick(&mut rng, &TICKET_LABELS);
            let second = *pick(&mut rng, &TICKET_LABELS);
            let labels = if first == second {
                format!(r#"["{first}"]"#)
            } else {
                format!(r#"["{first}","{second}"]"#)
            };
            let resolved = created + (lognormal(&mut rng, 1.5, 0.9) * DAY as f64) as i64;
            let (status, resolved_at) = if resolved < ctx.now {
                (
                    if chance(&mut rng, 0.7) {
                        "closed"
                    } else {
                        "solved"
                    },
                    Some(resolved),
                )
            } else if chance(&mut rng, 0.5) {
                ("pending", None)
            } else {
                ("open", None)
            };
            let title = *pick(&mut rng, &TICKET_TITLES);
            let n = sink.next_id(Table::SupportTickets);
            sink.prov(
                format_args!("ticket-{}", 50_000 + n),
                format_args!("https://acme.zendesk.example/agent/tickets/{}", 50_000 + n),
            );
            sink.insert(
                Table::SupportTickets,
                IMPORT,
                &[
                    &title,
                    service,
                    &team.name,
                    &priority,
                    &status,
                    &created,
                    &resolved_at,
                    &labels,
                ],
            )?;
        }
        t += 7 * DAY;
    }
    Ok(())
}

/// Monthly cloud spend as finance reports it and as engineering estimates it. Platform's
/// recent months disagree by about 30%: finance moved shared cluster costs onto it.
fn write_costs(sink: &mut Sink, ctx: &Ctx, team: &TeamSpec) -> Result<(), DemoError> {
    let mut rng = stream(ctx.seed, &["costs", &team.name]);
    let mut month = date(ctx.start).with_day(1).unwrap_or_default();
    let realloc_from = ctx.now - 180 * DAY;
    while epoch(month) < ctx.now {
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(month);
        let (from, to) = (epoch(month), epoch(next));
        if to > ctx.now {
            break;
        }
        let growth = 0.85 + 0.3 * (from - ctx.start) as f64 / (ctx.now - ctx.start) as f64;
        let estimate = (team.arch.monthly_cost * growth * (1.0 + 0.04 * normal(&mut rng))).round();
        let drift = if team.name == "platform" && from >= realloc_from {
            1.3
        } else {
            1.0
        };
        let finance = (estimate * drift * (1.0 + 0.03 * normal(&mut rng))).round();
        let ci = (team.arch.monthly_cost * 0.08 * growth).round();
        let key = format!("{}-{:02}", month.year(), month.month());
        for (category, amount, source) in [
            ("cloud", finance, "finance"),
            ("cloud", estimate, "estimate"),
            ("ci", ci, "estimate"),
        ] {
            sink.prov(
                format_args!("cost/{}/{key}/{category}/{source}", team.name),
                format_args!("https://finance.example/reports/{key}#{}", team.name),
            );
            sink.insert(
                Table::Costs,
                IMPORT,
                &[
                    &from,
                    &to,
                    &team.name,
                    &None::<&str>,
                    &category,
                    &amount,
                    &"USD",
                    &source,
                ],
            )?;
        }
        month = next;
    }
    Ok(())
}

/// (at, team, service, metric, title, body)
type Decision = (
    i64,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
    &'static str,
);

/// The decision log, including a metric that drove a wrong decision.
pub(crate) fn write_annotations(
    sink: &mut Sink,
    ctx: &Ctx,
    teams: &[TeamSpec],
) -> Result<(), DemoError> {
    let last_december = {
        let d = date(ctx.now);
        let year = if d.month() == 12 && d.day() >= 20 {
            d.year()
        } else {
            d.year() - 1
        };
        NaiveDate::from_ymd_opt(year, 12, 20).map_or(ctx.now, epoch)
    };
    let entries: [Decision; 7] = [
        (
            ctx.now - story::TRUNK_BASED_DAYS_AGO * DAY,
            Some(story::TRUNK_BASED_TEAM),
            None,
            Some("dora.lead_time"),
            "Moved to trunk-based development",
            "Short-lived branches behind feature flags; PRs under 200 lines.",
        ),
        (
            ctx.now - story::CI_RUNNERS_DAYS_AGO * DAY,
            Some(story::CI_RUNNERS_TEAM),
            None,
            Some("ci.duration"),
            "CI moved to larger runners",
            "8-core runners for the test job; build time roughly halved.",
        ),
        (
            last_december,
            None,
            None,
            None,
            "Holiday change freeze",
            "Only hotfixes ship until January 3.",
        ),
        (
            ctx.now - 200 * DAY,
            Some("billing-legacy"),
            None,
            Some("dora.deployment_frequency"),
            "Dropped the deployment-count target",
            "A target of 20 deployments a week led to split batches and empty deployments \
             without shipping faster; we now track deploy-days per week instead.",
        ),
        (
            ctx.now - 180 * DAY,
            Some("platform"),
            None,
            Some("cost.per_deployment"),
            "Shared cluster costs moved to platform",
            "Finance now books the shared Kubernetes cluster on platform; our estimate \
             still splits it by usage.",
        ),
        (
            ctx.now - 300 * DAY,
            Some("billing-legacy"),
            None,
            Some("incidents.mtta"),
            "On-call rotation grown to six people",
            "Fewer pages per person; acknowledgement times should drop.",
        ),
        (
            ctx.now - 11 * DAY,
            Some("search"),
            Some("search-api"),
            Some("slo.budget_remaining"),
            "SEV1 postmortem: empty EU search results",
            "Budget for search-api availability is exhausted; feature releases paused.",
        ),
    ];
    let known = |t: &Option<&str>| t.is_none_or(|t| teams.iter().any(|x| x.name == t));
    for (k, (at, team, service, metric, title, body)) in entries.iter().enumerate() {
        if !known(team) || *at < ctx.start {
            continue;
        }
        sink.prov(
            format_args!("decision-{}", k + 1),
            format_args!("https://wiki.example/acme/decision-log#decision-{}", k + 1),
        );
        sink.insert(
            Table::Annotations,
            IMPORT,
            &[at, team, service, metric, title, body],
        )?;
    }
    Ok(())
}
