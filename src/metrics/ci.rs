//! CI health: build duration p50/p90, queue time, success rate, test pass rate, flaky rate,
//! and the slowest and least reliable workflows.
//!
//! A run is flaky when it failed and a later attempt of the same workflow on the same commit
//! passed (a re-run that succeeded without a code change). Success rate counts success against
//! failure and timeout; cancelled and skipped runs say nothing about the build and are left out.

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::explain::{ExclusionReason, Explain};
use super::period::Period;
use super::stats::{DurationSummary, ratio};
use crate::model::{PipelineRun, RunConclusion};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, Clone)]
pub struct CiParams {
    /// How many workflows the slowest and least reliable lists hold.
    pub worst: usize,
    /// Workflows with fewer finished runs are left out of the worst lists (too few to judge).
    pub min_runs: usize,
    /// Detect flaky runs (failed, then passed on a re-run of the same commit). When off, the
    /// flaky rate is not measured (`None`), rather than reported as zero.
    pub flaky_rerun: bool,
}

impl Default for CiParams {
    fn default() -> Self {
        CiParams {
            worst: 5,
            min_runs: 5,
            flaky_rerun: true,
        }
    }
}

impl CiParams {
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        vec![MetricDefinition::new(
            ids::CI,
            1,
            json!({"worst": self.worst, "min_runs": self.min_runs, "flaky_rerun": self.flaky_rerun,
                   "success": "success / (success + failure + timed_out)",
                   "flaky": "failed, then passed on a later attempt of the same commit"}),
        )]
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowStats {
    pub repo: String,
    pub workflow: String,
    pub runs: usize,
    pub duration: DurationSummary,
    pub success_rate: Option<f64>,
    pub flaky_runs: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CiReport {
    pub definition: DefinitionRef,
    pub runs: usize,
    /// started → finished.
    pub duration: DurationSummary,
    /// queued → started.
    pub queue: DurationSummary,
    pub success_rate: Option<f64>,
    pub test_pass_rate: Option<f64>,
    /// Failed runs later passed on re-run, over runs that failed or passed.
    pub flaky_runs: usize,
    pub flaky_rate: Option<f64>,
    pub slowest: Vec<WorkflowStats>,
    pub least_reliable: Vec<WorkflowStats>,
    #[serde(skip)]
    pub explain: Explain,
}

/// (attempt number, run id, conclusion) of one run of a workflow on a commit.
type Attempt = (i64, i64, RunConclusion);

#[derive(Default)]
struct Acc {
    durations: Vec<i64>,
    ok: usize,
    bad: usize,
    flaky: usize,
    runs: usize,
}

/// CI report over runs that finished in `period`.
pub fn ci_report(
    runs: &[PipelineRun],
    period: Period,
    params: &CiParams,
    versions: &Versions,
) -> CiReport {
    let mut explain = Explain::default();
    let finished: Vec<&PipelineRun> = runs
        .iter()
        .filter(|r| r.finished_at.is_some_and(|f| period.contains(f)))
        .collect();
    for r in runs.iter().filter(|r| r.finished_at.is_none()) {
        explain.exclude("pipeline_runs", r.id, ExclusionReason::NotFinished);
    }
    // Flaky: within (repo, workflow, commit), a failed attempt followed by a passing one.
    let mut attempts: BTreeMap<(&str, &str, &str), Vec<Attempt>> = BTreeMap::new();
    for r in &finished {
        if let (Some(sha), Some(c)) = (r.commit_sha.as_deref(), r.conclusion) {
            attempts
                .entry((r.repo.as_str(), r.workflow.as_str(), sha))
                .or_default()
                .push((r.attempt, r.id, c));
        }
    }
    let mut flaky_ids = std::collections::HashSet::new();
    for list in attempts.values_mut().filter(|_| params.flaky_rerun) {
        list.sort_unstable_by_key(|(a, id, _)| (*a, *id));
        for (k, (_, id, c)) in list.iter().enumerate() {
            let failed = matches!(c, RunConclusion::Failure | RunConclusion::TimedOut);
            if failed
                && list[k + 1..]
                    .iter()
                    .any(|(_, _, l)| *l == RunConclusion::Success)
            {
                flaky_ids.insert(*id);
            }
        }
    }
    let mut per_workflow: BTreeMap<(&str, &str), Acc> = BTreeMap::new();
    let (mut durations, mut queue) = (Vec::new(), Vec::new());
    let (mut ok, mut bad, mut passed, mut failed_tests) = (0, 0, 0i64, 0i64);
    for r in &finished {
        explain.pipeline_runs.push(r.id);
        let acc = per_workflow.entry((&r.repo, &r.workflow)).or_default();
        acc.runs += 1;
        if let (Some(s), Some(f)) = (r.started_at, r.finished_at) {
            let d = (f - s).num_seconds();
            durations.push(d);
            acc.durations.push(d);
        }
        if let (Some(q), Some(s)) = (r.queued_at, r.started_at) {
            queue.push((s - q).num_seconds());
        }
        match r.conclusion {
            Some(RunConclusion::Success) => {
                ok += 1;
                acc.ok += 1;
            }
            Some(RunConclusion::Failure | RunConclusion::TimedOut) => {
                bad += 1;
                acc.bad += 1;
            }
            _ => {}
        }
        if flaky_ids.contains(&r.id) {
            acc.flaky += 1;
        }
        passed += r.tests_passed.unwrap_or(0);
        failed_tests += r.tests_failed.unwrap_or(0);
    }
    let stats: Vec<WorkflowStats> = per_workflow
        .into_iter()
        .filter(|(_, a)| a.runs >= params.min_runs)
        .map(|((repo, workflow), a)| WorkflowStats {
            repo: repo.to_string(),
            workflow: workflow.to_string(),
            runs: a.runs,
            duration: DurationSummary::from_seconds(a.durations),
            success_rate: ratio(a.ok, a.ok + a.bad),
            flaky_runs: a.flaky,
        })
        .collect();
    let mut slowest = stats.clone();
    slowest.sort_by(|a, b| {
        b.duration
            .p90_seconds
            .unwrap_or(0.0)
            .total_cmp(&a.duration.p90_seconds.unwrap_or(0.0))
            .then_with(|| (&a.repo, &a.workflow).cmp(&(&b.repo, &b.workflow)))
    });
    slowest.truncate(params.worst);
    let mut least_reliable: Vec<WorkflowStats> = stats
        .into_iter()
        .filter(|s| s.success_rate.is_some())
        .collect();
    least_reliable.sort_by(|a, b| {
        a.success_rate
            .unwrap_or(1.0)
            .total_cmp(&b.success_rate.unwrap_or(1.0))
            .then_with(|| (&a.repo, &a.workflow).cmp(&(&b.repo, &b.workflow)))
    });
    least_reliable.truncate(params.worst);
    let tests_total = passed + failed_tests;
    CiReport {
        definition: versions.reference(ids::CI),
        runs: finished.len(),
        duration: DurationSummary::from_seconds(durations),
        queue: DurationSummary::from_seconds(queue),
        success_rate: ratio(ok, ok + bad),
        test_pass_rate: (tests_total > 0).then(|| passed as f64 / tests_total as f64),
        flaky_runs: flaky_ids.len(),
        flaky_rate: ratio(flaky_ids.len(), ok + bad).filter(|_| params.flaky_rerun),
        slowest,
        least_reliable,
        explain: explain.normalise(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Timestamp;
    use chrono::{Duration, TimeZone, Utc};

    fn t0() -> Timestamp {
        Utc.with_ymd_and_hms(2024, 6, 3, 12, 0, 0)
            .single()
            .expect("t")
    }

    fn run(
        id: i64,
        workflow: &str,
        sha: &str,
        attempt: i64,
        c: RunConclusion,
        minutes: i64,
    ) -> PipelineRun {
        let start = t0() + Duration::hours(id);
        PipelineRun {
            id,
            repo: "org/api".into(),
            service: None,
            team: None,
            workflow: workflow.into(),
            branch: None,
            commit_sha: Some(sha.into()),
            conclusion: Some(c),
            attempt,
            queued_at: Some(start - Duration::minutes(1)),
            started_at: Some(start),
            finished_at: Some(start + Duration::minutes(minutes)),
            tests_passed: Some(9),
            tests_failed: Some(1),
        }
    }

    fn day() -> Period {
        Period::new(t0(), t0() + Duration::days(2))
    }

    #[test]
    fn durations_success_and_flaky() {
        use RunConclusion::*;
        let runs = [
            run(1, "build", "a", 1, Failure, 10),
            run(2, "build", "a", 2, Success, 20), // re-run of a: run 1 was flaky
            run(3, "build", "b", 1, Failure, 30), // a real failure, never passed
            run(4, "build", "c", 1, Cancelled, 40),
        ];
        let r = ci_report(
            &runs,
            day(),
            &CiParams {
                worst: 5,
                min_runs: 1,
                flaky_rerun: true,
            },
            &Versions::default(),
        );
        // Durations 10, 20, 30, 40 min → median 25 min, p90 = 30 + 0.7 × 10 = 37 min.
        assert_eq!(r.duration.median_seconds, Some(1500.0));
        assert_eq!(r.duration.p90_seconds, Some(37.0 * 60.0));
        assert_eq!(r.queue.median_seconds, Some(60.0));
        // 1 success of 3 decided runs (cancelled left out).
        assert_eq!(r.success_rate, Some(1.0 / 3.0));
        assert_eq!(r.flaky_runs, 1);
        assert_eq!(r.flaky_rate, Some(1.0 / 3.0));
        let off = CiParams {
            flaky_rerun: false,
            ..CiParams::default()
        };
        let not_measured = ci_report(&runs, day(), &off, &Versions::default());
        assert_eq!(
            (not_measured.flaky_runs, not_measured.flaky_rate),
            (0, None),
            "flaky detection off: not measured, not zero"
        );
        // 36 passed of 40 tests.
        assert_eq!(r.test_pass_rate, Some(0.9));
    }

    #[test]
    fn worst_workflows_are_ranked() {
        use RunConclusion::*;
        let runs = [
            run(1, "lint", "a", 1, Success, 1),
            run(2, "e2e", "a", 1, Failure, 50),
            run(3, "e2e", "b", 1, Success, 60),
        ];
        let r = ci_report(
            &runs,
            day(),
            &CiParams {
                worst: 1,
                min_runs: 1,
                flaky_rerun: true,
            },
            &Versions::default(),
        );
        assert_eq!(r.slowest[0].workflow, "e2e");
        assert_eq!(r.least_reliable[0].workflow, "e2e");
        assert_eq!(r.least_reliable[0].success_rate, Some(0.5));
    }

    #[test]
    fn no_runs_no_numbers() {
        let r = ci_report(&[], day(), &CiParams::default(), &Versions::default());
        assert_eq!(r.success_rate, None);
        assert_eq!(r.duration.median_seconds, None);
        assert_eq!(r.test_pass_rate, None);
    }
}
