//! Weekly trend series of every DORA metric, weeks starting Monday in the team's zone. Each
//! point uses the same definitions as the period totals, restricted to rows of its week that
//! fall inside the period.

use super::Prepared;
use super::cfr::DeploymentOutcome;
use crate::metrics::period::{local_date, week_index, weeks_in};
use crate::metrics::stats::{median, ratio};
use crate::model::{Change, Incident};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoraWeek {
    /// Monday of the week, in the report's time zone.
    pub week_start: NaiveDate,
    pub deployments: usize,
    pub deploy_days: usize,
    pub lead_time_median_seconds: Option<f64>,
    pub failed_deployments: usize,
    pub change_failure_rate: Option<f64>,
    pub recovery_median_seconds: Option<f64>,
    pub restore_median_seconds: Option<f64>,
    pub rework_rate: Option<f64>,
}

#[derive(Default)]
struct Acc {
    deployments: usize,
    days: HashSet<NaiveDate>,
    lead: Vec<f64>,
    failed: usize,
    recovery: Vec<f64>,
    restore: Vec<f64>,
    rework: usize,
}

pub(crate) fn weekly(
    p: &Prepared,
    changes: &[Change],
    incidents: &[Incident],
    outcomes: &[DeploymentOutcome],
) -> Vec<DoraWeek> {
    let tz = p.params.timezone;
    let weeks = weeks_in(p.period, tz);
    let mut acc: Vec<Acc> = weeks.iter().map(|_| Acc::default()).collect();
    for o in outcomes {
        let Some(w) = week_index(&weeks, o.finished_at) else {
            continue;
        };
        let a = &mut acc[w];
        a.deployments += 1;
        a.days.insert(local_date(o.finished_at, tz));
        if o.kind != crate::model::DeployKind::Regular {
            a.rework += 1;
        }
        if o.failed() {
            a.failed += 1;
            if let Some(r) = o.recovered_at {
                let s = (r - o.finished_at).num_seconds();
                if s >= 0 {
                    a.recovery.push(s as f64);
                }
            }
        }
    }
    for c in changes {
        let (Some(d), Some(first)) = (p.first_deploy.get(&c.id), c.first_commit_at) else {
            continue;
        };
        if !p.period.contains(d.finished_at) {
            continue;
        }
        let s = (d.finished_at - first).num_seconds();
        if let (true, Some(w)) = (s >= 0, week_index(&weeks, d.finished_at)) {
            acc[w].lead.push(s as f64);
        }
    }
    for i in incidents.iter().filter(|i| p.period.contains(i.created_at)) {
        let (Some(r), Some(w)) = (i.resolved_at, week_index(&weeks, i.created_at)) else {
            continue;
        };
        let s = (r - i.created_at).num_seconds();
        if s >= 0 {
            acc[w].restore.push(s as f64);
        }
    }
    weeks
        .iter()
        .zip(acc)
        .map(|(w, a)| DoraWeek {
            week_start: w.start,
            deployments: a.deployments,
            deploy_days: a.days.len(),
            lead_time_median_seconds: median(&a.lead),
            failed_deployments: a.failed,
            change_failure_rate: ratio(a.failed, a.deployments),
            recovery_median_seconds: median(&a.recovery),
            restore_median_seconds: median(&a.restore),
            rework_rate: ratio(a.rework, a.deployments),
        })
        .collect()
}
