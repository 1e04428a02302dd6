//! CI pipeline runs and their jobs: a run per pull request (with failures, fixes and flaky
//! re-runs of the same commit), per push to main, per production deployment, and a nightly
//! end-to-end run.

use super::calendar::{DayKind, TeamCalendar};
use super::org::{Archetype, ServiceSpec, TeamSpec};
use super::sampling::{DemoRng, between, chance, lognormal, minutes, sha, stream};
use super::sink::{GITHUB, Sink, Table};
use super::{Ctx, DemoError, story};

pub(crate) struct Ci<'a> {
    rng: DemoRng,
    arch: &'static Archetype,
    repo: &'a str,
    service: &'a str,
    team: &'a str,
    now: i64,
    start: i64,
    /// Before this moment builds ran on the old, slower runners.
    slow_until: i64,
    head: String,
}

#[derive(Clone, Copy)]
struct Run<'s> {
    workflow: &'static str,
    branch: &'static str,
    sha: &'s str,
    event: &'static str,
    attempt: i64,
    queued: i64,
    minutes: f64,
    fail: bool,
    tests: bool,
}

impl<'a> Ci<'a> {
    pub fn new(ctx: &Ctx, team: &'a TeamSpec, service: &'a ServiceSpec) -> Self {
        let slow_until = if team.name == story::CI_RUNNERS_TEAM {
            ctx.now - story::CI_RUNNERS_DAYS_AGO * 86_400
        } else {
            i64::MIN
        };
        Ci {
            rng: stream(ctx.seed, &["ci", &service.name]),
            arch: team.arch,
            repo: &service.repo,
            service: &service.name,
            team: &team.name,
            now: ctx.now,
            start: ctx.start,
            slow_until,
            head: String::with_capacity(40),
        }
    }

    fn build_minutes(&mut self, at: i64) -> f64 {
        let slow = if at < self.slow_until { 2.0 } else { 1.0 };
        lognormal(&mut self.rng, self.arch.ci_minutes * slow, 0.3)
    }

    /// Runs for a pull request opened at `opened`: a failure is either flaky (re-run of the
    /// same commit passes) or real (a fix commit is pushed and its run passes).
    pub fn pull_request(&mut self, sink: &mut Sink, opened: i64, by: i64) -> Result<(), DemoError> {
        let mut head = std::mem::take(&mut self.head);
        sha(&mut self.rng, &mut head);
        let queued = opened + between(&mut self.rng, 5, 90);
        let m = self.build_minutes(queued);
        let fail = chance(&mut self.rng, self.arch.ci_fail);
        let run = Run {
            workflow: "ci",
            branch: "feature",
            sha: &head,
            event: "pull_request",
            attempt: 1,
            queued,
            minutes: m,
            fail,
            tests: true,
        };
        let end = self.write(sink, run)?;
        if fail && let Some(end) = end {
            if chance(&mut self.rng, self.arch.flaky_share) {
                let queued = end + minutes(&mut self.rng, 6.0, 0.6);
                let m = self.build_minutes(queued);
                self.write(
                    sink,
                    Run {
                        attempt: 2,
                        queued,
                        minutes: m,
                        fail: false,
                        ..run
                    },
                )?;
            } else {
                let fix = end + minutes(&mut self.rng, 35.0, 0.8);
                let queued = fix.min(by.max(end + 60));
                let mut fix_sha = String::with_capacity(40);
                sha(&mut self.rng, &mut fix_sha);
                let m = self.build_minutes(queued);
                self.write(
                    sink,
                    Run {
                        sha: &fix_sha,
                        queued,
                        minutes: m,
                        fail: false,
                        ..run
                    },
                )?;
            }
        }
        self.head = head;
        Ok(())
    }

    pub fn main_push(&mut self, sink: &mut Sink, merged: i64, sha: &str) -> Result<(), DemoError> {
        let queued = merged + between(&mut self.rng, 2, 30);
        let m = self.build_minutes(queued);
        let fail = chance(&mut self.rng, self.arch.ci_fail / 3.0);
        let run = Run {
            workflow: "ci",
            branch: "main",
            sha,
            event: "push",
            attempt: 1,
            queued,
            minutes: m,
            fail,
            tests: true,
        };
        if let Some(end) = self.write(sink, run)?
            && fail
        {
            let queued = end + minutes(&mut self.rng, 10.0, 0.5);
            let m = self.build_minutes(queued);
            self.write(
                sink,
                Run {
                    attempt: 2,
                    queued,
                    minutes: m,
                    fail: false,
                    ..run
                },
            )?;
        }
        Ok(())
    }

    pub fn deploy(
        &mut self,
        sink: &mut Sink,
        started: i64,
        finished: i64,
        ok: bool,
        sha: &str,
    ) -> Result<(), DemoError> {
        let queued = started - between(&mut self.rng, 5, 60);
        let run = Run {
            workflow: "deploy",
            branch: "main",
            sha,
            event: "workflow_dispatch",
            attempt: 1,
            queued,
            minutes: (finished - queued) as f64 / 60.0,
            fail: !ok,
            tests: false,
        };
        self.write(sink, run).map(|_| ())
    }

    /// A nightly end-to-end run on working days, at 02:00 local time.
    pub fn nightly(&mut self, sink: &mut Sink, cal: &TeamCalendar) -> Result<(), DemoError> {
        let mut head = String::with_capacity(40);
        for day in &cal.days {
            if matches!(day.kind, DayKind::Weekend | DayKind::Holiday) {
                continue;
            }
            sha(&mut self.rng, &mut head);
            let queued = day.at_hour(2.0) + between(&mut self.rng, 0, 300);
            let m = lognormal(&mut self.rng, self.arch.ci_minutes * 2.5, 0.25);
            let fail = chance(&mut self.rng, self.arch.ci_fail * 1.5);
            let run = Run {
                workflow: "e2e",
                branch: "main",
                sha: &head,
                event: "schedule",
                attempt: 1,
                queued,
                minutes: m,
                fail,
                tests: true,
            };
            self.write(sink, run)?;
        }
        Ok(())
    }

    /// Writes a run and its jobs; returns when it finished (`None` if still running at the
    /// anchor, or not yet queued).
    fn write(&mut self, sink: &mut Sink, run: Run) -> Result<Option<i64>, DemoError> {
        if run.queued >= self.now {
            return Ok(None);
        }
        let queue = minutes(&mut self.rng, self.arch.queue_minutes, 0.8) / 2;
        let started = run.queued + queue;
        let finished = started + (run.minutes * 60.0).max(20.0) as i64;
        let (status, conclusion, started_opt, finished_opt) = if finished < self.now {
            let c = if run.fail { "failure" } else { "success" };
            ("completed", Some(c), Some(started), Some(finished))
        } else if started < self.now {
            ("in_progress", None, Some(started), None)
        } else {
            ("queued", None, None, None)
        };
        let progress = (run.queued - self.start) as f64 / (self.now - self.start) as f64;
        let suite = (self.arch.tests * (0.8 + 0.4 * progress)) as i64;
        let (passed, failed) = match (run.tests, conclusion) {
            (true, Some("failure")) => {
                let f = between(&mut self.rng, 1, 9);
                (Some(suite - f), Some(f))
            }
            (true, Some(_)) => (Some(suite), Some(0)),
            _ => (None, None),
        };
        let n = 8_000_000_000 + sink.next_id(Table::PipelineRuns);
        let repo = self.repo;
        sink.prov(
            format_args!("{n}"),
            format_args!("https://github.example/{repo}/actions/runs/{n}"),
        );
        let id = sink.insert(
            Table::PipelineRuns,
            GITHUB,
            &[
                &repo,
                &self.service,
                &self.team,
                &run.workflow,
                &run.branch,
                &run.sha,
                &run.event,
                &status,
                &conclusion,
                &run.attempt,
                &run.queued,
                &started_opt,
                &finished_opt,
                &passed,
                &failed,
            ],
        )?;
        let jobs: &[(&str, f64, f64)] = match run.workflow {
            "ci" => &[
                ("lint", 0.0, 0.25),
                ("build", 0.0, 0.35),
                ("test", 0.35, 1.0),
            ],
            "e2e" => &[("e2e-chrome", 0.0, 1.0), ("e2e-firefox", 0.0, 0.9)],
            _ => &[("build-image", 0.0, 0.4), ("deploy", 0.4, 1.0)],
        };
        let span = (finished - started) as f64;
        for (k, &(name, from, to)) in jobs.iter().enumerate() {
            let js = started + (span * from) as i64;
            let jf = started + (span * to) as i64;
            let last = k == jobs.len() - 1;
            let (jstatus, jconc, jstart, jfin) = if jf < self.now && finished_opt.is_some() {
                let c = if run.fail && last {
                    "failure"
                } else {
                    "success"
                };
                ("completed", Some(c), Some(js), Some(jf))
            } else if js < self.now && started_opt.is_some() {
                ("in_progress", None, Some(js), None)
            } else {
                ("queued", None, None, None)
            };
            let j = 20_000_000_000 + sink.next_id(Table::Jobs);
            sink.prov(
                format_args!("{j}"),
                format_args!("https://github.example/{repo}/actions/runs/{n}/job/{j}"),
            );
            sink.insert(
                Table::Jobs,
                GITHUB,
                &[&id, &name, &jstatus, &jconc, &run.attempt, &jstart, &jfin],
            )?;
        }
        Ok(finished_opt)
    }
}
