//! CI health: build duration p50/p90, queue time, success rate, test pass rate, flaky rate,
//! and the slowest and least reliable workflows.
//!
//! A run is flaky when it failed and a later attempt of the same workflow on the same commit
//! passed (a re-run that succeeded without a code change). Success rate counts success against
//! failure and timeout; cancelled and skipped runs say nothing about the build and are left out.

use super::definitions::{DefinitionRef, MetricDefinition, Versions, ids};
use super::dora::sha_key;
use super::explain::{ExclusionReason, Explain};
use super::id_map::IdMap;
use super::period::Period;
use super::stats::{DurationSummary, ratio};
use crate::model::{PipelineRun, RunConclusion};
use serde::Serialize;
use serde_json::json;

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

/// The numbers over all runs of a period, without the per-workflow lists: what a weekly
/// series needs (the flaky rate is left to [`ci_report`], which looks across attempts).
#[derive(Debug, Clone, PartialEq)]
pub struct CiTotals {
    pub runs: usize,
    /// started → finished.
    pub duration: DurationSummary,
    /// queued → started.
    pub queue: DurationSummary,
    pub success_rate: Option<f64>,
    pub test_pass_rate: Option<f64>,
}

fn is_failure(c: RunConclusion) -> bool {
    matches!(c, RunConclusion::Failure | RunConclusion::TimedOut)
}

fn finished_in(runs: &[PipelineRun], period: Period) -> impl Iterator<Item = &PipelineRun> {
    runs.iter()
        .filter(move |r| r.finished_at.is_some_and(|f| period.contains(f)))
}

/// Run count, durations, queue times, success and test pass rates of the runs that finished
/// in `period`, by the same definition as [`ci_report`].
pub fn ci_totals(runs: &[PipelineRun], period: Period) -> CiTotals {
    let (mut durations, mut queue) = (Vec::new(), Vec::new());
    let (mut n, mut ok, mut bad, mut passed, mut failed_tests) = (0, 0, 0, 0i64, 0i64);
    for r in finished_in(runs, period) {
        n += 1;
        if let (Some(s), Some(f)) = (r.started_at, r.finished_at) {
            durations.push((f - s).num_seconds());
        }
        if let (Some(q), Some(s)) = (r.queued_at, r.started_at) {
            queue.push((s - q).num_seconds());
        }
        match r.conclusion {
            Some(RunConclusion::Success) => ok += 1,
            Some(c) if is_failure(c) => bad += 1,
            _ => {}
        }
        passed += r.tests_passed.unwrap_or(0);
        failed_tests += r.tests_failed.unwrap_or(0);
    }
    let tests_total = passed + failed_tests;
    CiTotals {
        runs: n,
        duration: DurationSummary::from_seconds(durations),
        queue: DurationSummary::from_seconds(queue),
        success_rate: ratio(ok, ok + bad),
        test_pass_rate: (tests_total > 0).then(|| passed as f64 / tests_total as f64),
    }
}

/// One attempt of a workflow on a commit: attempt number, run id, conclusion, and the run's
/// index among the finished runs.
type Attempt = (i64, i64, RunConclusion, usize);

/// The runs of one (repo, workflow, commit) that had a failed attempt.
struct FailedGroup<'a> {
    repo: &'a str,
    workflow: &'a str,
    sha: &'a str,
    attempts: Vec<Attempt>,
}

impl FailedGroup<'_> {
    fn holds(&self, r: &PipelineRun, sha: &str) -> bool {
        self.sha == sha && self.repo == r.repo && self.workflow == r.workflow
    }
}

/// A cheap key of a repository and workflow name: their bytes folded eight at a time. Names
/// sharing a key only share a bucket; the names are compared within it.
fn names_key(repo: &str, workflow: &str) -> i64 {
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut h = 0u64;
    for name in [repo, workflow] {
        let mut chunks = name.as_bytes().chunks_exact(8);
        for chunk in &mut chunks {
            h = mix(h, u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
        }
        let tail = chunks
            .remainder()
            .iter()
            .fold(0xffu64, |w, b| (w << 8) | u64::from(*b));
        h = mix(h, tail);
    }
    h as i64
}

/// Which of `finished` are flaky: failed, with a passing attempt of the same repo, workflow
/// and commit after it (ordered by attempt number, then run id). Only groups holding a failed
/// attempt can hold a flaky run, so those are found first and only passing runs are matched
/// against them: most runs never enter a group.
fn flaky_runs(finished: &[&PipelineRun]) -> Vec<bool> {
    let mut flaky = vec![false; finished.len()];
    let mut groups: IdMap<Vec<FailedGroup>> = IdMap::default();
    for (k, r) in finished.iter().enumerate() {
        let (Some(sha), Some(c)) = (r.commit_sha.as_deref(), r.conclusion) else {
            continue;
        };
        if !is_failure(c) {
            continue;
        }
        let bucket = groups.entry(sha_key(sha)).or_default();
        let attempt = (r.attempt, r.id, c, k);
        match bucket.iter_mut().find(|g| g.holds(r, sha)) {
            Some(g) => g.attempts.push(attempt),
            None => bucket.push(FailedGroup {
                repo: &r.repo,
                workflow: &r.workflow,
                sha,
                attempts: vec![attempt],
            }),
        }
    }
    if groups.is_empty() {
        return flaky;
    }
    for (k, r) in finished.iter().enumerate() {
        if let (Some(sha), Some(RunConclusion::Success)) = (r.commit_sha.as_deref(), r.conclusion)
            && let Some(bucket) = groups.get_mut(&sha_key(sha))
            && let Some(g) = bucket.iter_mut().find(|g| g.holds(r, sha))
        {
            g.attempts
                .push((r.attempt, r.id, RunConclusion::Success, k));
        }
    }
    for group in groups.values_mut().flatten() {
        let list = &mut group.attempts;
        list.sort_unstable_by_key(|(a, id, _, _)| (*a, *id));
        // A failed attempt is flaky when any attempt after it passed: scan from the end.
        let mut passed_later = false;
        for (_, _, c, k) in list.iter().rev() {
            if *c == RunConclusion::Success {
                passed_later = true;
            } else if passed_later {
                flaky[*k] = true;
            }
        }
    }
    flaky
}

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
    let finished: Vec<&PipelineRun> = finished_in(runs, period).collect();
    for r in runs.iter().filter(|r| r.finished_at.is_none()) {
        explain.exclude("pipeline_runs", r.id, ExclusionReason::NotFinished);
    }
    let flaky = if params.flaky_rerun {
        flaky_runs(&finished)
    } else {
        vec![false; finished.len()]
    };
    let flaky_count = flaky.iter().filter(|f| **f).count();
    // Few workflows, many runs: the workflows in a hash map by a cheap key of their names
    // (hashing both names of every run with SipHash was a third of this function's time).
    let mut per_workflow: IdMap<Vec<(&str, &str, Acc)>> = IdMap::default();
    explain.pipeline_runs.reserve(finished.len());
    for (r, is_flaky) in finished.iter().zip(&flaky) {
        explain.pipeline_runs.push(r.id);
        let bucket = per_workflow
            .entry(names_key(&r.repo, &r.workflow))
            .or_default();
        let k = match bucket
            .iter()
            .position(|(repo, wf, _)| *repo == r.repo && *wf == r.workflow)
        {
            Some(k) => k,
            None => {
                bucket.push((&r.repo, &r.workflow, Acc::default()));
                bucket.len() - 1
            }
        };
        let acc = &mut bucket[k].2;
        acc.runs += 1;
        if let (Some(s), Some(f)) = (r.started_at, r.finished_at) {
            acc.durations.push((f - s).num_seconds());
        }
        match r.conclusion {
            Some(RunConclusion::Success) => acc.ok += 1,
            Some(c) if is_failure(c) => acc.bad += 1,
            _ => {}
        }
        if *is_flaky {
            acc.flaky += 1;
        }
    }
    let per_workflow: Vec<(&str, &str, Acc)> = per_workflow.into_values().flatten().collect();
    let (ok, bad) = per_workflow
        .iter()
        .fold((0, 0), |(ok, bad), (_, _, a)| (ok + a.ok, bad + a.bad));
    let mut stats: Vec<WorkflowStats> = per_workflow
        .into_iter()
        .filter(|(_, _, a)| a.runs >= params.min_runs)
        .map(|(repo, workflow, a)| WorkflowStats {
            repo: repo.to_string(),
            workflow: workflow.to_string(),
            runs: a.runs,
            duration: DurationSummary::from_seconds(a.durations),
            success_rate: ratio(a.ok, a.ok + a.bad),
            flaky_runs: a.flaky,
        })
        .collect();
    stats.sort_by(|a, b| (&a.repo, &a.workflow).cmp(&(&b.repo, &b.workflow)));
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
    let totals = ci_totals(runs, period);
    CiReport {
        definition: versions.reference(ids::CI),
        runs: totals.runs,
        duration: totals.duration,
        queue: totals.queue,
        success_rate: totals.success_rate,
        test_pass_rate: totals.test_pass_rate,
        flaky_runs: flaky_count,
        flaky_rate: ratio(flaky_count, ok + bad).filter(|_| params.flaky_rerun),
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

    /// Flaky runs as first defined: every (repo, workflow, commit) group sorted by attempt and
    /// id, a failed attempt flaky when any later one passed.
    fn flaky_by_definition(runs: &[PipelineRun]) -> Vec<i64> {
        let mut groups: std::collections::BTreeMap<(&str, &str, &str), Vec<&PipelineRun>> =
            std::collections::BTreeMap::new();
        for r in runs {
            if let (Some(sha), Some(_)) = (r.commit_sha.as_deref(), r.conclusion) {
                groups
                    .entry((&r.repo, &r.workflow, sha))
                    .or_default()
                    .push(r);
            }
        }
        let mut flaky = Vec::new();
        for list in groups.values_mut() {
            list.sort_by_key(|r| (r.attempt, r.id));
            for (k, r) in list.iter().enumerate() {
                let later_pass = list[k + 1..].iter().any(|l| l.conclusion == Some(Success));
                if r.conclusion.is_some_and(is_failure) && later_pass {
                    flaky.push(r.id);
                }
            }
        }
        flaky.sort_unstable();
        flaky
    }

    use RunConclusion::*;

    fn arbitrary_run() -> impl Strategy<Value = (usize, usize, usize, i64, usize, i64)> {
        // Few repos, workflows and commits so that groups collide; SHAs sharing their first
        // eight bytes (one cheap key) must still be told apart.
        (
            0..2usize,
            0..3usize,
            0..6usize,
            1..4i64,
            0..6usize,
            0..90i64,
        )
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn flaky_runs_and_workflow_lists_match_the_definition(
            specs in proptest::collection::vec(arbitrary_run(), 0..80)
        ) {
            let conclusions = [Success, Failure, TimedOut, Cancelled, Skipped];
            let runs: Vec<PipelineRun> = specs
                .iter()
                .enumerate()
                .map(|(k, &(repo, wf, sha, attempt, c, minutes))| {
                    let mut r = run(
                        k as i64 + 1,
                        ["build", "test", "deploy"][wf],
                        &format!("deadbeef{sha}"),
                        attempt,
                        Success,
                        minutes,
                    );
                    r.repo = ["org/api", "org/web"][repo].into();
                    r.conclusion = conclusions.get(c).copied();
                    if sha == 5 {
                        r.commit_sha = None;
                    }
                    r
                })
                .collect();
            let params = CiParams { worst: 10, min_runs: 1, flaky_rerun: true };
            let period = Period::new(t0(), t0() + Duration::days(10));
            let report = ci_report(&runs, period, &params, &Versions::default());
            let expected = flaky_by_definition(&runs);
            prop_assert_eq!(report.flaky_runs, expected.len());
            // Per workflow: the flaky runs of that workflow, and every list in name order on ties.
            for w in report.slowest.iter().chain(&report.least_reliable) {
                let of_workflow = runs
                    .iter()
                    .filter(|r| r.repo == w.repo && r.workflow == w.workflow)
                    .filter(|r| expected.contains(&r.id))
                    .count();
                prop_assert_eq!(w.flaky_runs, of_workflow);
                let n = runs.iter().filter(|r| r.repo == w.repo && r.workflow == w.workflow).count();
                prop_assert_eq!(w.runs, n);
            }
            let workflows: std::collections::BTreeSet<(&str, &str)> =
                runs.iter().map(|r| (r.repo.as_str(), r.workflow.as_str())).collect();
            prop_assert_eq!(report.slowest.len(), workflows.len());
            let totals = ci_totals(&runs, period);
            prop_assert_eq!(
                (totals.runs, totals.success_rate, totals.test_pass_rate),
                (report.runs, report.success_rate, report.test_pass_rate)
            );
            prop_assert_eq!(totals.duration, report.duration);
        }
    }

    #[test]
    fn shas_sharing_their_first_bytes_are_different_commits() {
        let runs = [
            run(1, "build", "deadbeef-a", 1, Failure, 10),
            run(2, "build", "deadbeef-b", 2, Success, 10),
        ];
        let r = ci_report(&runs, day(), &CiParams::default(), &Versions::default());
        assert_eq!(r.flaky_runs, 0, "a pass on another commit is no re-run");
    }

    #[test]
    fn no_runs_no_numbers() {
        let r = ci_report(&[], day(), &CiParams::default(), &Versions::default());
        assert_eq!(r.success_rate, None);
        assert_eq!(r.duration.median_seconds, None);
        assert_eq!(r.test_pass_rate, None);
    }
}
