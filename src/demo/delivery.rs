//! Deployments chained per service and environment, the links
//! between them and the changes they ship, and the remediation (rollbacks, hotfixes) that follows risky deployments.

use super::calendar::{DayKind, TeamCalendar};
use super::changes::{Change, ChangeState, FIX, OBJECT_COUNT, generate_changes};
use super::ci::Ci;
use super::operations::{IncidentPlan, deploy_story, plan_incident};
use super::org::{DeployMode, ServiceSpec, TeamSpec};
use super::sampling::{DemoRng, between, chance, minutes, pick, pseudonym, sha, stream, weighted};
use super::sink::{GITHUB, Sink, Table};
use super::{Ctx, DemoError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Env {
    Production,
    Staging,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Rollback,
    Hotfix,
}

#[derive(Debug)]
struct Deploy {
    env: Env,
    ok: bool,
    kind: Kind,
    started: i64,
    finished: i64,
    sha: String,
    /// Indexes into the change list of what this production deployment shipped.
    ships: Vec<u32>,
}

/// What operations needs from the delivery history of one service.
pub(crate) struct ServiceLog {
    pub incidents: Vec<IncidentPlan>,
}

struct Sim<'a> {
    ctx: &'a Ctx,
    team: &'a TeamSpec,
    service: &'a ServiceSpec,
    cal: &'a TeamCalendar,
    rng: DemoRng,
    changes: Vec<Change>,
    /// Indexes of merged changes in merge order.
    merged: Vec<u32>,
    cursor: usize,
    deploys: Vec<Deploy>,
    /// (deploy index, plan) for incidents caused by deployments.
    incidents: Vec<(usize, IncidentPlan)>,
    last_finish: i64,
    last_good_sha: String,
    size_ema: f64,
    story_used: bool,
}

pub(crate) fn write_service(
    sink: &mut Sink,
    ctx: &Ctx,
    team: &TeamSpec,
    service: &ServiceSpec,
    cal: &TeamCalendar,
) -> Result<ServiceLog, DemoError> {
    let mut sim = Sim {
        ctx,
        team,
        service,
        cal,
        rng: stream(ctx.seed, &["deploys", &service.name]),
        changes: generate_changes(ctx, team, service, cal),
        merged: Vec::new(),
        cursor: 0,
        deploys: Vec::new(),
        incidents: Vec::new(),
        last_finish: ctx.start,
        last_good_sha: String::new(),
        size_ema: team.arch.pr_lines_median * 2.0,
        story_used: false,
    };
    sim.merged = (0..sim.changes.len() as u32)
        .filter(|&i| sim.changes[i as usize].state == ChangeState::Merged)
        .collect();
    sim.merged
        .sort_by_key(|&i| (sim.changes[i as usize].merged, i));
    sim.run();
    sim.write(sink)
}

impl Sim<'_> {
    fn run(&mut self) {
        let arch = self.team.arch;
        let mut sched_day = 0usize;
        let mut sched_hour = 0usize;
        while self.cursor < self.merged.len() {
            let next_merge = self.changes[self.merged[self.cursor] as usize].merged;
            let slot = match arch.deploy {
                DeployMode::Continuous { delay_min } => {
                    let ci_wait = (arch.ci_minutes * 60.0) as i64 + 300;
                    let t = (next_merge + minutes(&mut self.rng, delay_min, 0.4).max(ci_wait + 60))
                        .max(self.last_finish + 300);
                    match self.cal.next_working(t, 8.0, 20.0) {
                        Some(t) => t,
                        None => break,
                    }
                }
                DeployMode::Scheduled { weekdays, hours } => {
                    let Some(t) = self.next_train(&mut sched_day, &mut sched_hour, weekdays, hours)
                    else {
                        break;
                    };
                    t + between(&mut self.rng, 0, 1200)
                }
            };
            if slot >= self.ctx.now {
                break;
            }
            if slot < self.last_finish {
                continue;
            }
            let ci_wait = (arch.ci_minutes * 60.0) as i64 + 300;
            let upto = self.pending_until(slot - ci_wait);
            if upto == self.cursor {
                continue;
            }
            self.release(slot, upto);
        }
    }

    /// The next release-train slot at or after the cursor day.
    fn next_train(
        &mut self,
        day: &mut usize,
        hour: &mut usize,
        weekdays: &[u32],
        hours: &[f64],
    ) -> Option<i64> {
        while *day < self.cal.days.len() {
            let d = self.cal.days[*day];
            if d.kind == DayKind::Work && weekdays.contains(&d.weekday()) && *hour < hours.len() {
                let t = d.at_hour(hours[*hour]);
                *hour += 1;
                return Some(t);
            }
            *day += 1;
            *hour = 0;
        }
        None
    }

    /// Cursor position after every change merged at or before `t`.
    fn pending_until(&self, t: i64) -> usize {
        let mut upto = self.cursor;
        while upto < self.merged.len() && self.changes[self.merged[upto] as usize].merged <= t {
            upto += 1;
        }
        upto
    }

    fn release(&mut self, slot: i64, upto: usize) {
        let arch = self.team.arch;
        let ships: Vec<u32> = self.merged[self.cursor..upto].to_vec();
        let head = self.changes[*ships.last().unwrap_or(&0) as usize]
            .sha
            .clone();
        let mut t = slot;
        if chance(&mut self.rng, arch.staging_share) {
            let dur = minutes(&mut self.rng, arch.deploy_minutes * 0.7, 0.3);
            let start = t - dur - between(&mut self.rng, 600, 2400);
            let ok = !chance(&mut self.rng, arch.deploy_fail / 2.0);
            self.push(
                Env::Staging,
                ok,
                Kind::Regular,
                start,
                dur,
                head.clone(),
                Vec::new(),
            );
            if !ok {
                // A broken staging deploy holds the train; the changes wait for the next slot.
                self.last_finish = t;
                return;
            }
        }
        self.cursor = upto;
        if chance(&mut self.rng, arch.deploy_fail) {
            let dur = minutes(&mut self.rng, arch.deploy_minutes * 0.6, 0.4);
            self.push(
                Env::Production,
                false,
                Kind::Regular,
                t,
                dur,
                head.clone(),
                ships.clone(),
            );
            t += dur + minutes(&mut self.rng, 25.0, 0.5);
        }
        let dur = minutes(&mut self.rng, arch.deploy_minutes, 0.3);
        if t + dur >= self.ctx.now {
            return;
        }
        let size: i64 = ships
            .iter()
            .map(|&i| self.changes[i as usize].additions + self.changes[i as usize].deletions)
            .sum();
        let idx = self.push(
            Env::Production,
            true,
            Kind::Regular,
            t,
            dur,
            head.clone(),
            ships,
        );
        let prev_good = std::mem::replace(&mut self.last_good_sha, head);
        self.after_success(idx, size, prev_good);
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        env: Env,
        ok: bool,
        kind: Kind,
        started: i64,
        dur: i64,
        sha: String,
        ships: Vec<u32>,
    ) -> usize {
        let finished = started + dur;
        if env == Env::Production {
            self.last_finish = self.last_finish.max(finished);
        }
        self.deploys.push(Deploy {
            env,
            ok,
            kind,
            started,
            finished,
            sha,
            ships,
        });
        self.deploys.len() - 1
    }

    /// Decides whether a successful production deployment turns out bad, and plays out the
    /// incident and remediation. Risk grows with the size of what shipped.
    fn after_success(&mut self, idx: usize, size: i64, prev_good: String) {
        let arch = self.team.arch;
        let finished = self.deploys[idx].finished;
        let scripted = match deploy_story(&self.service.name) {
            Some(s) if !self.story_used && finished >= self.ctx.now - s.days_before * 86_400 => {
                self.story_used = true;
                Some(s)
            }
            _ => None,
        };
        let risk = (arch.cfr * 1.15 * (size as f64 / self.size_ema).sqrt()).min(0.9);
        self.size_ema = 0.9 * self.size_ema + 0.1 * size as f64;
        if scripted.is_none() && !chance(&mut self.rng, risk) {
            return;
        }
        // Many bad deployments are caught by canaries and rolled back before anyone is paged.
        let with_incident = scripted.is_some() || chance(&mut self.rng, 0.55);
        let remedy = if scripted.is_some() {
            Kind::Hotfix
        } else {
            match between(&mut self.rng, 0, 10) {
                0..=4 => Kind::Hotfix,
                5..=8 => Kind::Rollback,
                _ => Kind::Regular,
            }
        };
        let noticed = finished + minutes(&mut self.rng, 40.0, 1.0).min(6 * 3600);
        let mut remedy_done = None;
        match remedy {
            Kind::Rollback => {
                let start = noticed + minutes(&mut self.rng, 15.0, 0.5);
                let dur = minutes(&mut self.rng, arch.deploy_minutes * 0.5, 0.3);
                if start + dur < self.ctx.now && !prev_good.is_empty() {
                    let i = self.push(
                        Env::Production,
                        true,
                        Kind::Rollback,
                        start,
                        dur,
                        prev_good,
                        Vec::new(),
                    );
                    remedy_done = Some(self.deploys[i].finished);
                }
            }
            Kind::Hotfix => remedy_done = self.hotfix(noticed),
            Kind::Regular => {}
        }
        if !with_incident {
            return;
        }
        let mut plan = match scripted {
            Some(s) => {
                let mut p = plan_incident(&mut self.rng, arch, self.cal, noticed, s.severity);
                p.title = s.title.to_string();
                p.error_ratio = s.error_ratio;
                p.resolved = Some(noticed + s.minutes_to_resolve * 60);
                p.explicit = true;
                p
            }
            None => {
                let sev = 1 + weighted(&mut self.rng, &[0.02, 0.08, 0.3, 0.6]) as u8;
                let mut p = plan_incident(&mut self.rng, arch, self.cal, noticed, sev);
                p.title = pick(&mut self.rng, &DEPLOY_TITLES).replace("{svc}", &self.service.name);
                p.explicit = sev <= 2 || chance(&mut self.rng, 0.4);
                p
            }
        };
        if let Some(done) = remedy_done
            && scripted.is_none()
        {
            let at = done + minutes(&mut self.rng, 8.0, 0.5);
            plan.resolved = Some(at);
            plan.auto = false;
            plan.ack = plan.ack.map(|a| a.min(at - 60));
        }
        plan.remedy = match (remedy, remedy_done) {
            (Kind::Rollback, Some(_)) => Some("Rolled back to the previous release"),
            (Kind::Hotfix, Some(_)) => Some("Hotfix deployed"),
            _ => None,
        };
        if plan.resolved.is_some_and(|r| r >= self.ctx.now) {
            plan.resolved = None;
        }
        self.incidents.push((idx, plan));
    }

    /// Writes a hotfix change and ships it with whatever else merged since; returns when it
    /// finished.
    fn hotfix(&mut self, noticed: i64) -> Option<i64> {
        let arch = self.team.arch;
        let first_commit = noticed + minutes(&mut self.rng, 12.0, 0.5);
        let opened = first_commit + minutes(&mut self.rng, 15.0, 0.5);
        let review = opened + minutes(&mut self.rng, 6.0, 0.5);
        let merged = review + minutes(&mut self.rng, 8.0, 0.5);
        let start = merged + (arch.ci_minutes * 60.0) as i64 + between(&mut self.rng, 60, 600);
        let dur = minutes(&mut self.rng, arch.deploy_minutes * 0.8, 0.3);
        if start + dur >= self.ctx.now {
            return None;
        }
        let mut merge_sha = String::with_capacity(40);
        sha(&mut self.rng, &mut merge_sha);
        let additions = between(&mut self.rng, 2, 60);
        self.changes.push(Change {
            state: ChangeState::Merged,
            first_commit,
            opened,
            first_review: Some(review),
            merged,
            additions,
            deletions: between(&mut self.rng, 0, additions),
            verb: FIX,
            object: between(&mut self.rng, 0, OBJECT_COUNT) as u8,
            author: between(&mut self.rng, 0, 8) as u8,
            hotfix: true,
            sha: merge_sha.clone(),
        });
        // The hotfix goes out on top of whatever had merged before it.
        let upto = self.pending_until(merged - 1);
        let mut ships: Vec<u32> = self.merged[self.cursor..upto].to_vec();
        self.cursor = upto;
        ships.push(self.changes.len() as u32 - 1);
        let i = self.push(
            Env::Production,
            true,
            Kind::Hotfix,
            start,
            dur,
            merge_sha.clone(),
            ships,
        );
        self.last_good_sha = merge_sha;
        Some(self.deploys[i].finished)
    }

    fn write(self, sink: &mut Sink) -> Result<ServiceLog, DemoError> {
        let svc = &self.service.name;
        let team = &self.team.name;
        let repo = &self.service.repo;
        let mut ci = Ci::new(self.ctx, self.team, self.service);
        let first_change = sink.next_id(Table::Changes);
        let mut title = String::with_capacity(64);
        let authors: Vec<String> = (0..8).map(|k| pseudonym("dev", team, k)).collect();
        for (i, c) in self.changes.iter().enumerate() {
            let number = i + 1;
            c.title(&mut title);
            let labels = c.labels();
            let (state, merged, merge_sha) = match c.state {
                ChangeState::Merged => ("merged", Some(c.merged), Some(c.sha.as_str())),
                ChangeState::Open => ("open", None, None),
                ChangeState::Closed => ("closed", None, None),
            };
            // Numeric ids of one width, like GitHub's database ids, keep the unique index
            // on (source, external_id) append-only.
            let gh_id = 1_000_000_000 + sink.next_id(Table::Changes);
            sink.prov(
                format_args!("{gh_id}"),
                format_args!("https://github.example/{repo}/pull/{number}"),
            );
            sink.insert(
                Table::Changes,
                GITHUB,
                &[
                    repo,
                    svc,
                    team,
                    &title,
                    &authors[c.author as usize],
                    &state,
                    &merge_sha,
                    &c.first_commit,
                    &c.opened,
                    &c.first_review,
                    &merged,
                    &c.additions,
                    &c.deletions,
                    &labels,
                ],
            )?;
            ci.pull_request(sink, c.opened, c.first_review.unwrap_or(c.merged))?;
            if c.state == ChangeState::Merged {
                ci.main_push(sink, c.merged, &c.sha)?;
            }
        }
        let mut dep_ids = Vec::with_capacity(self.deploys.len());
        for d in &self.deploys {
            let env = match d.env {
                Env::Production => "production",
                Env::Staging => "staging",
            };
            let kind = match d.kind {
                Kind::Regular => "regular",
                Kind::Rollback => "rollback",
                Kind::Hotfix => "hotfix",
            };
            let status = if d.ok { "success" } else { "failure" };
            let n = sink.next_id(Table::Deployments);
            sink.prov(
                format_args!("{}", 2_000_000_000 + n),
                format_args!("https://github.example/{repo}/deployments/{env}#{n}"),
            );
            let id = sink.insert(
                Table::Deployments,
                GITHUB,
                &[
                    svc,
                    team,
                    &env,
                    &status,
                    &kind,
                    &d.started,
                    &d.finished,
                    &d.sha,
                ],
            )?;
            dep_ids.push(id);
            for &c in &d.ships {
                let change_id = first_change + i64::from(c);
                sink.prov(
                    format_args!("{id:010}:{change_id:010}"),
                    format_args!("https://github.example/{repo}/pull/{}", c + 1),
                );
                sink.insert(Table::DeploymentChanges, GITHUB, &[&id, &change_id])?;
            }
            if d.env == Env::Production {
                ci.deploy(sink, d.started, d.finished, d.ok, &d.sha)?;
            }
        }
        ci.nightly(sink, self.cal)?;
        let incidents = self
            .incidents
            .into_iter()
            .map(|(i, mut plan)| {
                plan.deployment = Some(dep_ids[i]);
                plan
            })
            .collect();
        Ok(ServiceLog { incidents })
    }
}

const DEPLOY_TITLES: [&str; 8] = [
    "Elevated 5xx on {svc} after release",
    "{svc} latency p99 above 2s",
    "{svc} crash loop after deploy",
    "Checkout errors traced to {svc} change",
    "{svc} returning stale data",
    "Memory leak in {svc} new build",
    "{svc} DB migration locked table",
    "Feature flag misconfiguration in {svc}",
];
