//! Pull requests: when work starts, opens, gets its first review and merges, in the team's
//! working hours, with sizes and stage durations from the team's archetype.

use super::calendar::TeamCalendar;
use super::org::{ServiceSpec, TeamSpec};
use super::sampling::{between, chance, lognormal, minutes, poisson, sha, stream};
use super::{Ctx, story};

const VERBS: [&str; 8] = [
    "Add", "Fix", "Refactor", "Bump", "Remove", "Improve", "Handle", "Migrate",
];
const OBJECTS: [&str; 14] = [
    "retry on upstream timeout",
    "idempotency keys",
    "pagination of list endpoint",
    "request metrics",
    "flaky integration test",
    "config loading",
    "error messages",
    "dependency versions",
    "cache invalidation",
    "request validation",
    "stale feature flags",
    "connection pool sizing",
    "structured logging",
    "schema migration",
];
const LABELS: [&str; 4] = [
    r#"["feature"]"#,
    r#"["bug"]"#,
    r#"["dependencies"]"#,
    r#"["tech-debt"]"#,
];
const HOTFIX_LABELS: &str = r#"["hotfix","bug"]"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeState {
    Merged,
    Open,
    Closed,
}

#[derive(Debug, Clone)]
pub(crate) struct Change {
    pub state: ChangeState,
    pub first_commit: i64,
    pub opened: i64,
    pub first_review: Option<i64>,
    pub merged: i64,
    pub additions: i64,
    pub deletions: i64,
    pub verb: u8,
    pub object: u8,
    pub author: u8,
    pub hotfix: bool,
    pub sha: String,
}

pub(crate) const OBJECT_COUNT: i64 = OBJECTS.len() as i64;
/// The verb index of "Fix", which hotfixes use.
pub(crate) const FIX: u8 = 1;

impl Change {
    pub fn title(&self, out: &mut String) {
        out.clear();
        if self.hotfix {
            out.push_str("Hotfix: ");
        }
        out.push_str(VERBS[self.verb as usize]);
        out.push(' ');
        out.push_str(OBJECTS[self.object as usize]);
    }

    pub fn labels(&self) -> &'static str {
        if self.hotfix {
            return HOTFIX_LABELS;
        }
        LABELS[match self.verb {
            1 => 1,
            3 => 2,
            2 | 4 => 3,
            _ => 0,
        }]
    }
}

pub(crate) fn generate_changes(
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    cal: &TeamCalendar,
) -> Vec<Change> {
    let mut rng = stream(ctx.seed, &["changes", &service.name]);
    let arch = team.arch;
    let trunk_since = ctx.now - story::TRUNK_BASED_DAYS_AGO * 86_400;
    let span = (ctx.now - ctx.start) as f64;
    let mut out = Vec::new();
    for day in &cal.days {
        // Teams grow a little over the history.
        let growth = 0.85 + 0.3 * (day.midnight - ctx.start) as f64 / span;
        let n = poisson(
            &mut rng,
            arch.changes_per_day * team.size * day.activity() * growth,
        );
        for _ in 0..n {
            let merged = cal.work_time(&mut rng, day);
            let before_trunk = team.name == story::TRUNK_BASED_TEAM && merged < trunk_since;
            let (slow, big) = if before_trunk { (2.5, 1.8) } else { (1.0, 1.0) };
            let review = minutes(&mut rng, arch.review_h * 60.0 * slow, 0.9);
            let pickup = minutes(&mut rng, arch.pickup_h * 60.0 * slow, 1.0);
            let coding = minutes(&mut rng, arch.coding_h * 60.0 * slow, 1.0);
            let first_review = merged - review;
            let opened = first_review - pickup;
            let first_commit = opened - coding;
            let additions = lognormal(&mut rng, arch.pr_lines_median * big, 1.0)
                .round()
                .max(1.0) as i64;
            let deletions = (additions as f64 * between(&mut rng, 5, 70) as f64 / 100.0) as i64;
            let state = if opened >= ctx.now {
                continue;
            } else if merged >= ctx.now {
                ChangeState::Open
            } else if chance(&mut rng, 0.03) {
                ChangeState::Closed
            } else {
                ChangeState::Merged
            };
            let mut merge_sha = String::with_capacity(40);
            sha(&mut rng, &mut merge_sha);
            out.push(Change {
                state,
                first_commit,
                opened,
                first_review: (first_review < ctx.now).then_some(first_review),
                merged,
                additions,
                deletions,
                verb: between(&mut rng, 0, VERBS.len() as i64) as u8,
                object: between(&mut rng, 0, OBJECTS.len() as i64) as u8,
                author: between(&mut rng, 0, 8) as u8,
                hotfix: false,
                sha: merge_sha,
            });
        }
    }
    out
}
