//! Data of the CI, SLOs, Incidents and Actions panes, loaded and computed with the same store
//! calls and metric functions as `plumb report ci|slo|incidents|actions`.

use super::data::{DataRequest, Shared};
use crate::metrics::ci::{self, CiReport};
use crate::metrics::dora::{self, AttributionRule};
use crate::metrics::incidents::{self, IncidentReport};
use crate::metrics::period::weeks_in;
use crate::metrics::slo::{self, SloReport, samples_needed_from};
use crate::metrics::{Period, actions};
use crate::model::{
    ActionItem, Change, Deployment, Filter, Incident, IncidentEvent, Slo, Timestamp,
};
use crate::report::slo::{alert_label, merged_adjustments};
use crate::store::Store;
use chrono::NaiveDate;
use color_eyre::eyre::Result;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct CiWeek {
    pub week_start: NaiveDate,
    pub runs: usize,
    pub success_rate: Option<f64>,
    pub duration_p50: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct CiData {
    pub report: CiReport,
    pub weeks: Vec<CiWeek>,
}

#[derive(Debug, Clone)]
pub struct SloRow {
    pub slo: Slo,
    pub report: SloReport,
    /// `page`, `ticket`, `ok`, or `None` without data in any alert window.
    pub alert: Option<&'static str>,
}

#[derive(Debug, Clone, Default)]
pub struct SloData {
    pub slos: Vec<SloRow>,
}

/// SLA verdict of one incident, from the incident definition run over that incident alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaStatus {
    Met,
    Breached,
    Pending,
    /// No SLA target for its severity.
    NoTarget,
}

#[derive(Debug, Clone)]
pub struct IncidentRow {
    pub incident: Incident,
    /// The incident as its tool names it (PagerDuty's id, Opsgenie's tiny id, an issue number):
    /// the stored external id.
    pub reference: Option<String>,
    /// Created to first acknowledgement (from the log when there is one), in seconds.
    pub ack_seconds: Option<f64>,
    pub resolve_seconds: Option<f64>,
    pub sla: SlaStatus,
    pub events: Vec<IncidentEvent>,
    /// From the DORA attribution: the deployment and the rule that chose it.
    pub attribution: Option<(AttributionRule, Option<Deployment>)>,
    pub deployment_changes: Vec<Change>,
    pub actions: Vec<ActionItem>,
}

#[derive(Debug, Clone)]
pub struct IncidentData {
    pub report: IncidentReport,
    /// Open incidents (whatever their age) first, then the scope's others, newest first.
    pub rows: Vec<IncidentRow>,
}

#[derive(Debug, Clone)]
pub struct ActionRow {
    pub item: ActionItem,
    pub overdue: bool,
    /// Normalised severity of its incident, when it has one.
    pub severity: Option<crate::model::Severity>,
}

#[derive(Debug, Clone)]
pub struct ActionData {
    pub report: actions::ActionReport,
    /// Overdue first, then open by due date, then closed.
    pub rows: Vec<ActionRow>,
}

impl Shared {
    pub(super) fn ci(&self, store: &Store, req: &DataRequest) -> Result<CiData> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.ci_params();
        let mut runs = store.pipeline_runs_for_metrics(&req.filter())?;
        let report = ci::ci_report(&runs, req.period(), &params, &versions);
        // Each run counts in the week it finished: in finish order, every week is one slice
        // of the runs (already in that order from the store, so the sort is a check).
        runs.sort_by_key(|r| (r.finished_at, r.id));
        let weeks = weeks_in(req.period(), tz)
            .into_iter()
            .map(|w| {
                let p = Period::new(w.period.start.max(req.since), w.period.end.min(req.until));
                let lo = runs.partition_point(|r| r.finished_at.is_none_or(|f| f < p.start));
                let hi = runs.partition_point(|r| r.finished_at.is_none_or(|f| f < p.end));
                // The weekly series shows totals only: no flaky or per-workflow grouping.
                let r = ci::ci_totals(&runs[lo..hi.max(lo)], p);
                CiWeek {
                    week_start: w.start,
                    runs: r.runs,
                    success_rate: r.success_rate,
                    duration_p50: r.duration.median_seconds,
                }
            })
            .collect();
        Ok(CiData { report, weeks })
    }

    pub(super) fn slos(&self, store: &Store, req: &DataRequest) -> Result<SloData> {
        let now = req.until;
        let mut slos = Vec::new();
        for s in store.slos(&req.filter())? {
            let (tz, _) = self.scope(s.team.as_deref());
            let params = self.config.slo_params(&s.name, tz);
            let versions = self.slo_versions.get(&s.id).cloned().unwrap_or_default();
            let samples = store.slo_samples(s.id, samples_needed_from(&s, &params, now), now)?;
            let mut report = slo::slo_report(&s, &samples, &params, now, &versions);
            report.adjustments = merged_adjustments(&report.adjustments);
            slos.push(SloRow {
                alert: alert_label(&report.alerts),
                slo: s,
                report,
            });
        }
        Ok(SloData { slos })
    }

    pub(super) fn incidents(&self, store: &Store, req: &DataRequest) -> Result<IncidentData> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.incident_params(tz);
        let now = req.until;
        let scope = Filter {
            team: req.team.clone(),
            service: req.service.clone(),
            since: Some(req.since),
            until: Some(now),
            ..Filter::default()
        };
        // The scope's incidents plus those still open at `now`, whatever their age.
        let mut list: Vec<Incident> = store.incidents_in_range_or_open(&scope, now)?;
        let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
        let events = store.incident_events_for(&ids)?;
        let report =
            incidents::incident_report(&list, &events, req.period(), now, &params, &versions);

        let dparams = self.config.dora_params(&self.ownership, tz);
        // Only the attributions and what deployments shipped: not the DORA keys, nor every
        // change of the period (the rows of those listed are read by id below).
        let inputs = store.dora_link_inputs(&req.filter(), &dparams, now)?;
        let dora = dora::incident_links(&inputs, &dparams);
        let deployments: HashMap<i64, &Deployment> =
            inputs.deployments.iter().map(|d| (d.id, d)).collect();
        let attributions: HashMap<i64, _> = dora
            .attributions
            .iter()
            .map(|a| (a.incident_id, a))
            .collect();
        let shipped: HashMap<i64, &[i64]> = dora
            .shipped
            .iter()
            .map(|(d, ids)| (*d, ids.as_slice()))
            .collect();
        let attributed = |i: &Incident| {
            attributions
                .get(&i.id)
                .and_then(|a| a.deployment_id)
                .filter(|d| deployments.contains_key(d))
        };
        // The metric load leaves titles out: read those of the changes listed, by id.
        let mut listed: Vec<i64> = list
            .iter()
            .filter_map(attributed)
            .filter_map(|d| shipped.get(&d))
            .flat_map(|ids| ids.iter().copied())
            .collect();
        listed.sort_unstable();
        listed.dedup();
        let changes: HashMap<i64, Change> = store
            .changes_by_ids(&listed)?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let mut items: HashMap<i64, Vec<ActionItem>> = HashMap::new();
        for a in store.action_items_of_incidents(&ids)? {
            if let Some(i) = a.incident_id {
                items.entry(i).or_default().push(a);
            }
        }

        let mut by_incident: HashMap<i64, Vec<IncidentEvent>> = HashMap::new();
        for e in events {
            by_incident.entry(e.incident_id).or_default().push(e);
        }
        let open_now = |i: &Incident| i.resolved_at.is_none_or(|r| r > now);
        list.sort_by(|a, b| {
            open_now(b)
                .cmp(&open_now(a))
                .then(b.created_at.cmp(&a.created_at))
        });
        let ids: Vec<i64> = list.iter().map(|i| i.id).collect();
        let mut provenance = store.provenance_many("incidents", &ids)?;
        let mut rows = Vec::with_capacity(list.len());
        for i in list {
            let events = by_incident.remove(&i.id).unwrap_or_default();
            // The incident definition over this incident alone gives its own MTTA, MTTR, SLA.
            let one = incidents::incident_report(
                std::slice::from_ref(&i),
                &events,
                Period::new(
                    i.created_at,
                    now.max(i.created_at) + chrono::Duration::seconds(1),
                ),
                now,
                &params,
                &versions,
            );
            let sla = match one.by_severity.first().and_then(|s| s.sla.as_ref()) {
                None => SlaStatus::NoTarget,
                Some(a) if a.breached > 0 => SlaStatus::Breached,
                Some(a) if a.pending > 0 => SlaStatus::Pending,
                Some(_) => SlaStatus::Met,
            };
            let attribution = attributions.get(&i.id).map(|a| {
                let d = a
                    .deployment_id
                    .and_then(|d| deployments.get(&d))
                    .map(|d| (*d).clone());
                (a.rule, d)
            });
            let deployment_changes = attribution
                .as_ref()
                .and_then(|(_, d)| d.as_ref())
                .and_then(|d| shipped.get(&d.id))
                .map(|ids| ids.iter().filter_map(|c| changes.get(c).cloned()).collect())
                .unwrap_or_default();
            rows.push(IncidentRow {
                reference: provenance.remove(&i.id).map(|p| p.external_id),
                ack_seconds: one.acknowledge.median_seconds,
                resolve_seconds: one.resolve.median_seconds,
                sla,
                events,
                attribution,
                deployment_changes,
                actions: items.remove(&i.id).unwrap_or_default(),
                incident: i,
            });
        }
        Ok(IncidentData { report, rows })
    }

    pub(super) fn actions(&self, store: &Store, req: &DataRequest) -> Result<ActionData> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.action_params();
        let incident_params = self.config.incident_params(tz);
        // The same inputs and definition as `plumb report actions` over the same scope.
        let inputs =
            store.action_inputs(&req.filter(), req.period(), incident_params.repeat_window)?;
        let budgets: Vec<f64> = self
            .slos(store, req)?
            .slos
            .iter()
            .filter_map(|s| s.report.budget_remaining)
            .collect();
        let report = actions::scope_report(&inputs, &budgets, &incident_params, &params, &versions);
        let severity: HashMap<i64, crate::model::Severity> = inputs
            .incidents
            .iter()
            .chain(&inputs.other_incidents)
            .map(|i| (i.id, i.severity))
            .collect();
        let overdue: HashSet<i64> = report.overdue_ids.iter().copied().collect();
        let mut rows: Vec<ActionRow> = inputs
            .items
            .into_iter()
            .map(|item| ActionRow {
                severity: item.incident_id.and_then(|i| severity.get(&i).copied()),
                overdue: overdue.contains(&item.id),
                item,
            })
            .collect();
        let rank = |r: &ActionRow| match (r.overdue, r.item.status.is_closed()) {
            (true, _) => 0,
            (false, false) => 1,
            (false, true) => 2,
        };
        let far = Timestamp::MAX_UTC;
        rows.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then(
                    a.item
                        .due_at
                        .unwrap_or(far)
                        .cmp(&b.item.due_at.unwrap_or(far)),
                )
                .then(a.item.id.cmp(&b.item.id))
        });
        Ok(ActionData { report, rows })
    }
}
