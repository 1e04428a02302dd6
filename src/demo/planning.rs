//! Sprints, work items with their status history and sprint membership (carry-over and scope
//! added after the start), and roadmap milestones.

use super::calendar::TeamCalendar;
use super::org::TeamSpec;
use super::sampling::{DemoRng, between, chance, lognormal, pick, poisson, stream, weighted};
use super::sink::{JIRA, Sink, Table};
use super::{Ctx, DemoError};

const CATEGORIES: [&str; 4] = ["feature", "reliability", "debt", "support"];
const POINTS: [f64; 5] = [1.0, 2.0, 3.0, 5.0, 8.0];
const GOALS: [&str; 6] = [
    "Ship the next roadmap slice",
    "Pay down on-call pain",
    "Finish the migration work",
    "Close the quarter's OKR gaps",
    "Stabilise after last sprint's incidents",
    "Cut review wait time",
];
const ITEM_TITLES: [&str; 10] = [
    "Add export endpoint",
    "Fix timeout on large accounts",
    "Remove deprecated client",
    "Investigate customer report",
    "Add audit log field",
    "Upgrade framework version",
    "Improve retry policy",
    "Document runbook",
    "Add feature flag for rollout",
    "Clean up unused tables",
];

struct MilestoneSpec {
    id: i64,
    name: String,
    start: i64,
    done: Option<i64>,
}

struct Item {
    key: u32,
    category: usize,
    points: f64,
    created: i64,
    started: Option<i64>,
    resolved: Option<i64>,
    status: &'static str,
    title: &'static str,
    milestone: Option<usize>,
    /// (sprint index, added_at, removed_at)
    sprints: Vec<(usize, i64, Option<i64>)>,
    transitions: Vec<(i64, &'static str, &'static str)>,
}

pub(crate) fn write_team(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
    cal: &TeamCalendar,
) -> Result<(), DemoError> {
    let mut rng = stream(ctx.seed, &["planning", &team.name]);
    let milestones = write_milestones(sink, ctx, team)?;

    // Two-week sprints starting on Mondays, through one future sprint.
    let first_monday = cal.days.iter().position(|d| d.weekday() == 0).unwrap_or(0);
    let mut bounds: Vec<(i64, i64)> = Vec::new();
    let mut i = first_monday;
    loop {
        let start = match (cal.days.get(i), bounds.last()) {
            (Some(d), _) => d.midnight,
            (None, Some(&(_, prev_end))) => prev_end,
            (None, None) => ctx.now,
        };
        let end = start + 14 * 86_400;
        bounds.push((start, end));
        if start > ctx.now {
            break;
        }
        i += 14;
    }
    let first_sprint = sink.next_id(Table::Sprints);
    for (k, &(start, end)) in bounds.iter().enumerate() {
        let (state, completed) = if end <= ctx.now {
            ("closed", Some(end + between(&mut rng, 0, 4 * 3600)))
        } else if start <= ctx.now {
            ("active", None)
        } else {
            ("future", None)
        };
        let completed = completed.filter(|&c| c < ctx.now);
        let name = format!("{} Sprint {}", team.jira, k + 1);
        let goal = *pick(&mut rng, &GOALS);
        let n = first_sprint + k as i64;
        sink.prov(
            format_args!("sprint-{n}"),
            format_args!(
                "https://jira.example/secure/RapidBoard.jspa?rapidView={}&sprint={n}",
                team.jira
            ),
        );
        sink.insert(
            Table::Sprints,
            JIRA,
            &[
                &team.board,
                &team.name,
                &name,
                &state,
                &start,
                &end,
                &completed,
                &goal,
            ],
        )?;
    }

    let mut key = 100u32;
    let mut carried: Vec<Item> = Vec::new();
    let mut finished: Vec<Item> = Vec::new();
    for (k, &(start, end)) in bounds.iter().enumerate() {
        let mut items: Vec<Item> = std::mem::take(&mut carried);
        for it in &mut items {
            it.sprints.push((k, start, None));
        }
        let planned = poisson(&mut rng, team.arch.sprint_items);
        let added_later = poisson(&mut rng, team.arch.sprint_items * 0.15);
        for j in 0..planned + added_later {
            key += 1;
            let late = j >= planned;
            let added = if late {
                start + between(&mut rng, 86_400, 11 * 86_400)
            } else {
                start - between(&mut rng, 0, 86_400)
            };
            let created = if late {
                added - between(&mut rng, 600, 86_400)
            } else {
                added - between(&mut rng, 86_400, 50 * 86_400)
            };
            let category = weighted(&mut rng, &team.arch.work_mix);
            let category = if late && chance(&mut rng, 0.6) {
                3
            } else {
                category
            };
            let heavy = if team.arch.label == "struggling" {
                2.0
            } else {
                0.6
            };
            let points = POINTS[weighted(&mut rng, &[1.0, 2.0, 2.0, 1.5, heavy])];
            let milestone = (category == 0)
                .then(|| {
                    milestones
                        .iter()
                        .rposition(|m| m.start <= created && m.done.is_none_or(|d| d > created))
                })
                .flatten();
            items.push(Item {
                key,
                category,
                points,
                created,
                started: None,
                resolved: None,
                status: "To Do",
                title: ITEM_TITLES[between(&mut rng, 0, ITEM_TITLES.len() as i64) as usize],
                milestone,
                sprints: vec![(k, added, None)],
                transitions: Vec::new(),
            });
        }
        let future = start > ctx.now;
        for mut it in items {
            if future {
                finished.push(it);
                continue;
            }
            let added = it.sprints.last().map_or(start, |s| s.1);
            let carried_before = it.sprints.len() > 1;
            if chance(&mut rng, 0.04) && !carried_before {
                let removed = (added + between(&mut rng, 86_400, 6 * 86_400)).min(ctx.now - 60);
                if let Some(last) = it.sprints.last_mut() {
                    last.2 = Some(removed.max(added));
                }
                finished.push(it);
                continue;
            }
            let p = if carried_before {
                0.85
            } else {
                team.arch.sprint_completion
            };
            let begin = it
                .started
                .unwrap_or_else(|| added.max(start) + between(&mut rng, 0, 5 * 86_400));
            let resolve = begin + (lognormal(&mut rng, 0.9 * it.points, 0.5) * 86_400.0) as i64;
            if it.started.is_none() && begin < ctx.now.min(end) {
                it.started = Some(begin);
                it.transitions.push((begin, "To Do", "In Progress"));
                it.status = "In Progress";
            }
            let done = chance(&mut rng, p) && resolve < end && resolve < ctx.now;
            if done {
                let review = resolve
                    - between(&mut rng, 3600, 86_400)
                        .min(resolve - begin - 60)
                        .max(60);
                it.transitions.push((review, "In Progress", "In Review"));
                it.transitions.push((resolve, "In Review", "Done"));
                it.status = "Done";
                it.resolved = Some(resolve);
                finished.push(it);
            } else if end <= ctx.now && chance(&mut rng, 0.85) {
                carried.push(it);
            } else {
                finished.push(it);
            }
        }
    }
    finished.extend(carried);
    finished.sort_by_key(|it| it.key);
    write_items(sink, team, first_sprint, &milestones, &finished, &mut rng)
}

fn write_items(
    sink: &mut Sink,
    team: &TeamSpec,
    first_sprint: i64,
    milestones: &[MilestoneSpec],
    items: &[Item],
    rng: &mut DemoRng,
) -> Result<(), DemoError> {
    for it in items {
        let key = format!("{}-{}", team.jira, it.key);
        let item_type = match it.category {
            0 => "Story",
            1 | 3 if chance(rng, 0.6) => "Bug",
            _ => "Task",
        };
        let status_category = match it.status {
            "Done" => "done",
            "To Do" => "todo",
            _ => "in_progress",
        };
        let removed = it.sprints.last().is_some_and(|s| s.2.is_some());
        let sprint_id = it
            .sprints
            .last()
            .filter(|_| !removed)
            .map(|s| first_sprint + s.0 as i64);
        let milestone_id = it.milestone.map(|m| milestones[m].id);
        let epic = it.milestone.map(|m| milestones[m].name.as_str());
        let labels = format!(r#"["{}"]"#, CATEGORIES[it.category]);
        sink.prov(
            format_args!("{key}"),
            format_args!("https://jira.example/browse/{key}"),
        );
        let id = sink.insert(
            Table::WorkItems,
            JIRA,
            &[
                &key,
                &it.title,
                &item_type,
                &CATEGORIES[it.category],
                &it.status,
                &status_category,
                &team.name,
                &sprint_id,
                &milestone_id,
                &epic,
                &it.points,
                &it.created,
                &it.started,
                &it.resolved,
                &None::<i64>,
                &labels,
            ],
        )?;
        for &(s, added, removed) in &it.sprints {
            let sprint = first_sprint + s as i64;
            sink.prov(
                format_args!("{key}@sprint-{sprint}"),
                format_args!("https://jira.example/browse/{key}"),
            );
            sink.insert(Table::SprintItems, JIRA, &[&sprint, &id, &added, &removed])?;
        }
        for (k, (at, from, to)) in it.transitions.iter().enumerate() {
            sink.prov(
                format_args!("{key}/changelog/{k}"),
                format_args!("https://jira.example/browse/{key}?page=changelog"),
            );
            sink.insert(Table::WorkItemTransitions, JIRA, &[&id, at, from, to])?;
        }
    }
    Ok(())
}

fn milestone_names(team: &TeamSpec) -> [String; 4] {
    let fixed: Option<[&str; 4]> = match team.name.as_str() {
        "payments" => Some([
            "Checkout v2",
            "SEPA Instant payouts",
            "3-D Secure 2 rollout",
            "Multi-currency ledger",
        ]),
        "search" => Some([
            "Typo tolerance",
            "Index rebuild under 1 h",
            "Semantic search beta",
            "Personalised ranking",
        ]),
        "platform" => Some([
            "Kubernetes upgrade",
            "Zero-trust service auth",
            "Self-service environments",
            "Observability migration",
        ]),
        "billing-legacy" => Some([
            "Extract invoice renderer",
            "Dunning rewrite",
            "Tax engine migration",
            "Usage-based billing",
        ]),
        _ => None,
    };
    match fixed {
        Some(names) => names.map(str::to_string),
        None => [1, 2, 3, 4].map(|k| format!("{} roadmap item {k}", team.display)),
    }
}

/// Two delivered milestones (one late), one in flight (slipping for the struggling team,
/// whose due date has passed) and one just started.
fn write_milestones(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
) -> Result<Vec<MilestoneSpec>, DemoError> {
    let h = ctx.now - ctx.start;
    let day = 86_400;
    let slipping = team.arch.label == "struggling";
    let plan = [
        (
            ctx.start,
            ctx.start + h * 3 / 10,
            Some(ctx.start + h * 3 / 10 - 5 * day),
        ),
        (
            ctx.start + h / 4,
            ctx.start + h * 55 / 100,
            Some(ctx.start + h * 55 / 100 + 9 * day),
        ),
        (
            ctx.start + h / 2,
            if slipping {
                ctx.now - 20 * day
            } else {
                ctx.now + 45 * day
            },
            None,
        ),
        (ctx.now - 60 * day, ctx.now + 120 * day, None),
    ];
    let mut out = Vec::new();
    for (name, (start, due, done)) in milestone_names(team).into_iter().zip(plan) {
        let status = if done.is_some() { "done" } else { "open" };
        let description = format!("{} roadmap: {name}", team.display);
        let n = sink.next_id(Table::Milestones);
        sink.prov(
            format_args!("version-{}", 20_000 + n),
            format_args!(
                "https://jira.example/projects/{}/versions/{}",
                team.jira,
                20_000 + n
            ),
        );
        let id = sink.insert(
            Table::Milestones,
            JIRA,
            &[
                &name,
                &team.name,
                &description,
                &status,
                &start,
                &due,
                &done,
            ],
        )?;
        out.push(MilestoneSpec {
            id,
            name,
            start,
            done,
        });
    }
    Ok(out)
}
