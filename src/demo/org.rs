//! Teams, services and repos, and the performance profile of each team archetype.

use super::sink::{GITHUB, PAGERDUTY, Sink, Table};
use super::{Ctx, DemoError, Scale};
use chrono_tz::Tz;

/// When production deployments happen.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DeployMode {
    /// Every merge ships shortly after CI, during extended working hours.
    Continuous { delay_min: f64 },
    /// Release trains on given weekdays (0 = Monday) at given local hours.
    Scheduled {
        weekdays: &'static [u32],
        hours: &'static [f64],
    },
}

/// How a kind of team works. Figures are per service unless said otherwise.
#[derive(Debug)]
pub(crate) struct Archetype {
    pub label: &'static str,
    pub changes_per_day: f64,
    pub pr_lines_median: f64,
    pub coding_h: f64,
    pub pickup_h: f64,
    pub review_h: f64,
    pub deploy: DeployMode,
    /// Probability that a production deployment needs a staging deployment first.
    pub staging_share: f64,
    pub deploy_minutes: f64,
    pub deploy_fail: f64,
    /// Share of production deployments that cause a failure (before size weighting).
    pub cfr: f64,
    pub ci_minutes: f64,
    pub queue_minutes: f64,
    pub ci_fail: f64,
    pub flaky_share: f64,
    pub tests: f64,
    pub infra_incidents_per_month: f64,
    pub sprint_items: f64,
    pub sprint_completion: f64,
    pub action_done: f64,
    /// feature, reliability, debt, support
    pub work_mix: [f64; 4],
    pub support_per_week: f64,
    pub monthly_cost: f64,
}

pub(crate) static ELITE: Archetype = Archetype {
    label: "elite",
    changes_per_day: 7.0,
    pr_lines_median: 70.0,
    coding_h: 2.5,
    pickup_h: 0.5,
    review_h: 0.8,
    deploy: DeployMode::Continuous { delay_min: 25.0 },
    staging_share: 0.2,
    deploy_minutes: 6.0,
    deploy_fail: 0.015,
    cfr: 0.03,
    ci_minutes: 6.0,
    queue_minutes: 0.3,
    ci_fail: 0.07,
    flaky_share: 0.3,
    tests: 2400.0,
    infra_incidents_per_month: 0.25,
    sprint_items: 12.0,
    sprint_completion: 0.88,
    action_done: 0.85,
    work_mix: [0.6, 0.15, 0.15, 0.1],
    support_per_week: 1.5,
    monthly_cost: 42_000.0,
};

pub(crate) static HIGH: Archetype = Archetype {
    label: "high",
    changes_per_day: 4.5,
    pr_lines_median: 140.0,
    coding_h: 8.0,
    pickup_h: 3.0,
    review_h: 4.0,
    deploy: DeployMode::Scheduled {
        weekdays: &[0, 1, 2, 3, 4],
        hours: &[11.0, 15.5],
    },
    staging_share: 1.0,
    deploy_minutes: 12.0,
    deploy_fail: 0.03,
    cfr: 0.08,
    ci_minutes: 14.0,
    queue_minutes: 1.0,
    ci_fail: 0.1,
    flaky_share: 0.35,
    tests: 1600.0,
    infra_incidents_per_month: 0.3,
    sprint_items: 11.0,
    sprint_completion: 0.8,
    action_done: 0.7,
    work_mix: [0.55, 0.15, 0.2, 0.1],
    support_per_week: 2.5,
    monthly_cost: 35_000.0,
};

pub(crate) static MEDIUM: Archetype = Archetype {
    label: "medium",
    changes_per_day: 3.0,
    pr_lines_median: 220.0,
    coding_h: 20.0,
    pickup_h: 12.0,
    review_h: 10.0,
    deploy: DeployMode::Scheduled {
        weekdays: &[1, 3],
        hours: &[14.0],
    },
    staging_share: 1.0,
    deploy_minutes: 20.0,
    deploy_fail: 0.05,
    cfr: 0.13,
    ci_minutes: 22.0,
    queue_minutes: 3.0,
    ci_fail: 0.14,
    flaky_share: 0.4,
    tests: 1100.0,
    infra_incidents_per_month: 0.45,
    sprint_items: 10.0,
    sprint_completion: 0.72,
    action_done: 0.55,
    work_mix: [0.45, 0.2, 0.2, 0.15],
    support_per_week: 3.0,
    monthly_cost: 58_000.0,
};

pub(crate) static STRUGGLING: Archetype = Archetype {
    label: "struggling",
    changes_per_day: 1.6,
    pr_lines_median: 650.0,
    coding_h: 60.0,
    pickup_h: 60.0,
    review_h: 40.0,
    deploy: DeployMode::Scheduled {
        weekdays: &[2],
        hours: &[10.0],
    },
    staging_share: 1.0,
    deploy_minutes: 45.0,
    deploy_fail: 0.1,
    cfr: 0.17,
    ci_minutes: 38.0,
    queue_minutes: 8.0,
    ci_fail: 0.2,
    flaky_share: 0.5,
    tests: 700.0,
    infra_incidents_per_month: 0.6,
    sprint_items: 9.0,
    sprint_completion: 0.58,
    action_done: 0.35,
    work_mix: [0.35, 0.25, 0.12, 0.28],
    support_per_week: 6.0,
    monthly_cost: 27_000.0,
};

#[derive(Debug)]
pub(crate) struct ServiceSpec {
    pub name: String,
    pub tier: &'static str,
    /// `acme/<name>`
    pub repo: String,
    /// Requests per hour at the daily peak.
    pub peak_rph: f64,
}

#[derive(Debug)]
pub(crate) struct TeamSpec {
    pub name: String,
    pub display: String,
    pub tz: Tz,
    /// Jira project key, e.g. `PAY`.
    pub jira: String,
    pub board: String,
    pub arch: &'static Archetype,
    /// Headcount relative to the small dataset's teams: scales changes and incidents.
    pub size: f64,
    pub services: Vec<ServiceSpec>,
}

struct Seed {
    name: &'static str,
    display: &'static str,
    tz: Tz,
    jira: &'static str,
    arch: &'static Archetype,
    services: [(&'static str, &'static str, f64); 4],
}

const SMALL: [Seed; 4] = [
    Seed {
        name: "payments",
        display: "Payments",
        tz: Tz::Europe__Berlin,
        jira: "PAY",
        arch: &ELITE,
        services: [
            ("payments-api", "tier-1", 90_000.0),
            ("checkout-web", "tier-1", 140_000.0),
            ("ledger", "tier-1", 40_000.0),
            ("fraud-scoring", "tier-2", 60_000.0),
        ],
    },
    Seed {
        name: "search",
        display: "Search",
        tz: Tz::America__New_York,
        jira: "SRCH",
        arch: &HIGH,
        services: [
            ("search-api", "tier-1", 220_000.0),
            ("indexer", "tier-2", 12_000.0),
            ("query-suggest", "tier-2", 160_000.0),
            ("catalog-sync", "tier-3", 4_000.0),
        ],
    },
    Seed {
        name: "platform",
        display: "Platform",
        tz: Tz::UTC,
        jira: "PLAT",
        arch: &MEDIUM,
        services: [
            ("api-gateway", "tier-1", 400_000.0),
            ("auth", "tier-1", 120_000.0),
            ("notifications", "tier-2", 30_000.0),
            ("service-mesh", "tier-2", 8_000.0),
        ],
    },
    Seed {
        name: "billing-legacy",
        display: "Billing (legacy)",
        tz: Tz::Europe__London,
        jira: "BILL",
        arch: &STRUGGLING,
        services: [
            ("billing-monolith", "tier-1", 25_000.0),
            ("invoice-renderer", "tier-2", 6_000.0),
            ("tax-engine", "tier-2", 9_000.0),
            ("dunning-worker", "tier-3", 2_000.0),
        ],
    },
];

/// Domains for the extra teams of the large dataset; each gets an archetype in turn.
const LARGE_DOMAINS: [&str; 12] = [
    "checkout",
    "identity",
    "mobile",
    "growth",
    "fulfilment",
    "catalog",
    "pricing",
    "messaging",
    "analytics",
    "storage",
    "compliance",
    "partner",
];
const LARGE_SUFFIXES: [(&str, &str, f64); 4] = [
    ("api", "tier-1", 80_000.0),
    ("worker", "tier-2", 10_000.0),
    ("web", "tier-1", 60_000.0),
    ("store", "tier-2", 20_000.0),
];
const LARGE_ZONES: [Tz; 5] = [
    Tz::UTC,
    Tz::Europe__Berlin,
    Tz::America__New_York,
    Tz::Asia__Kolkata,
    Tz::America__Los_Angeles,
];
const LARGE_EXTRA_TEAMS: usize = 32;
/// The large dataset's extra teams are bigger, for about a million changes in three years.
const LARGE_TEAM_SIZE: f64 = 2.6;

pub(crate) fn teams(ctx: &Ctx) -> Vec<TeamSpec> {
    let mut out: Vec<TeamSpec> = SMALL
        .iter()
        .map(|s| TeamSpec {
            name: s.name.to_string(),
            display: s.display.to_string(),
            tz: s.tz,
            jira: s.jira.to_string(),
            board: format!("{} board", s.display),
            arch: s.arch,
            size: 1.0,
            services: s
                .services
                .iter()
                .map(|&(name, tier, peak_rph)| ServiceSpec {
                    name: name.to_string(),
                    tier,
                    repo: format!("acme/{name}"),
                    peak_rph,
                })
                .collect(),
        })
        .collect();
    if ctx.scale == Scale::Large {
        let archetypes = [&ELITE, &HIGH, &MEDIUM, &STRUGGLING];
        for i in 0..LARGE_EXTRA_TEAMS {
            let domain = LARGE_DOMAINS[i % LARGE_DOMAINS.len()];
            let name = format!("{domain}-{}", i / LARGE_DOMAINS.len() + 1);
            let jira = format!(
                "{}{}",
                domain[..3].to_ascii_uppercase(),
                i / LARGE_DOMAINS.len()
            );
            out.push(TeamSpec {
                display: name.clone(),
                tz: LARGE_ZONES[i % LARGE_ZONES.len()],
                board: format!("{name} board"),
                jira,
                arch: archetypes[i % archetypes.len()],
                size: LARGE_TEAM_SIZE,
                services: LARGE_SUFFIXES
                    .iter()
                    .map(|&(suffix, tier, peak_rph)| ServiceSpec {
                        name: format!("{name}-{suffix}"),
                        tier,
                        repo: format!("acme/{name}-{suffix}"),
                        peak_rph,
                    })
                    .collect(),
                name,
            });
        }
    }
    out
}

pub(crate) fn write(sink: &mut Sink, _ctx: &Ctx, teams: &[TeamSpec]) -> Result<(), DemoError> {
    for (i, team) in teams.iter().enumerate() {
        sink.prov(
            format_args!("team-{}", 4100 + i),
            format_args!("https://github.example/orgs/acme/teams/{}", team.name),
        );
        sink.insert(
            Table::Teams,
            GITHUB,
            &[&team.name, &team.display, &team.tz.name()],
        )?;
    }
    let mut n = 0;
    for team in teams {
        for svc in &team.services {
            n += 1;
            sink.prov(
                format_args!("PSVC{n:04}"),
                format_args!("https://pagerduty.example/service-directory/PSVC{n:04}"),
            );
            sink.insert(
                Table::Services,
                PAGERDUTY,
                &[&svc.name, &team.name, &svc.tier, &svc.repo],
            )?;
            sink.prov(
                format_args!("repo-{}", 70_000 + n),
                format_args!("https://github.example/{}", svc.repo),
            );
            sink.insert(Table::Repos, GITHUB, &[&svc.repo, &team.name, &svc.name])?;
        }
    }
    Ok(())
}
