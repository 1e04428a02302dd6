//! Delivery data: the DORA report of the scope over weeks, per service, and the rows behind
//! any of its numbers ("explain"), with the definition and version that produced it.

mod explain;
mod services;

pub use explain::{ExplainData, ExplainQuery, ExplainRow};

use super::data::{DataRequest, Shared};
use crate::metrics::dora::{self, Band, DoraReport, FailureCause};
use crate::metrics::{DefinitionRef, Explain};
use crate::store::Store;
use chrono::NaiveDate;
use color_eyre::eyre::Result;
use services::{ServiceQueue, SplitPlan, extra_report_threads, join};
use std::collections::HashMap;
use std::sync::OnceLock;

/// How a metric's value reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MetricValue {
    PerWeek(Option<f64>),
    Seconds(Option<f64>),
    Ratio(Option<f64>),
}

/// One DORA number of the scope, with what produced it.
#[derive(Debug, Clone)]
pub struct MetricRow {
    pub name: &'static str,
    pub value: MetricValue,
    /// The count the value is computed over ("112 deployments").
    pub basis: String,
    pub band: Option<Band>,
    pub definition: DefinitionRef,
    pub explain: Explain,
}

#[derive(Debug, Clone)]
pub struct DeliveryWeek {
    pub week_start: NaiveDate,
    pub deployments: usize,
    pub lead_time_p50: Option<f64>,
    pub change_failure_rate: Option<f64>,
}

/// One lead-time stage: p50 and p90 in seconds.
#[derive(Debug, Clone)]
pub struct Stage {
    pub name: &'static str,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

/// The DORA keys of one service over the scope.
#[derive(Debug, Clone)]
pub struct ServiceRow {
    pub service: String,
    pub deployments: usize,
    pub deploy_days_per_week: Option<f64>,
    pub lead_time_p50: Option<f64>,
    pub change_failure_rate: Option<f64>,
    pub restore_p50: Option<f64>,
    pub definitions: Vec<DefinitionRef>,
    /// Its deployments, changes and incidents.
    pub explain: Explain,
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryData {
    pub timezone: String,
    pub weeks: Vec<DeliveryWeek>,
    pub metrics: Vec<MetricRow>,
    pub stages: Vec<Stage>,
    pub services: Vec<ServiceRow>,
    /// Why each failed production deployment of the scope failed (store id → causes), so that
    /// an explain list can mark them.
    pub failures: HashMap<i64, Vec<FailureCause>>,
}

fn metric_rows(r: &DoraReport) -> Vec<MetricRow> {
    let f = &r.deployment_frequency;
    let l = &r.lead_time;
    let c = &r.change_failure_rate;
    let rec = &r.recovery_time;
    let t = &r.time_to_restore;
    let w = &r.rework_rate;
    vec![
        MetricRow {
            name: "Deploy days / week",
            value: MetricValue::PerWeek(f.deploy_days_per_week),
            basis: format!("{} deployments on {} days", f.deployments, f.deploy_days),
            band: f.band,
            definition: f.definition.clone(),
            explain: f.explain.clone(),
        },
        MetricRow {
            name: "Lead time p50",
            value: MetricValue::Seconds(l.median_seconds),
            basis: format!("{} changes", l.changes),
            band: l.band,
            definition: l.definition.clone(),
            explain: l.explain.clone(),
        },
        MetricRow {
            name: "Change failure rate",
            value: MetricValue::Ratio(c.rate),
            basis: format!("{} of {} failed", c.failed_deployments, c.deployments),
            band: c.band,
            definition: c.definition.clone(),
            explain: c.explain.clone(),
        },
        MetricRow {
            name: "Recovery p50",
            value: MetricValue::Seconds(rec.median_seconds),
            basis: format!("{} of {} recovered", rec.recovered, rec.failed_deployments),
            band: rec.band,
            definition: rec.definition.clone(),
            explain: rec.explain.clone(),
        },
        MetricRow {
            name: "Time to restore p50",
            value: MetricValue::Seconds(t.median_seconds),
            basis: format!("{} of {} incidents resolved", t.resolved, t.incidents),
            band: t.band,
            definition: t.definition.clone(),
            explain: t.explain.clone(),
        },
        MetricRow {
            name: "Rework rate",
            value: MetricValue::Ratio(w.rate),
            basis: format!("{} of {}", w.rework_deployments, w.deployments),
            band: None,
            definition: w.definition.clone(),
            explain: w.explain.clone(),
        },
    ]
}

fn merged_explain(r: &DoraReport) -> Explain {
    let mut e = Explain::default();
    e.deployments
        .extend(&r.deployment_frequency.explain.deployments);
    e.changes.extend(&r.lead_time.explain.changes);
    e.incidents.extend(&r.time_to_restore.explain.incidents);
    e.normalise()
}

impl Shared {
    pub(super) fn delivery(&self, store: &Store, req: &DataRequest) -> Result<DeliveryData> {
        let (tz, versions) = self.scope(req.team.as_deref());
        let params = self.config.dora_params(&self.ownership, tz);
        let filter = req.filter();
        let inputs = store.dora_metric_inputs(&filter, &params, req.until)?;
        // The services of the report's outcomes, known before the report is.
        let services = dora::services_deployed(&inputs, &params);
        let merged = (filter.since, filter.until.unwrap_or(req.until));
        // The scope's report runs on a second thread while this one copies each service's
        // rows out of the same load (the rows a query narrowed to that service would read)
        // and computes the services' reports; the second thread joins in when its report is
        // done. Copies, not moves, so that both start at once.
        let queue: OnceLock<ServiceQueue> = OnceLock::new();
        let (report, mut done) = std::thread::scope(|scope| {
            let full = scope.spawn(|| {
                let report = dora::dora_report(&inputs, &params, &versions);
                let done = queue
                    .get()
                    .map(|q| q.work(&params, &versions))
                    .unwrap_or_default();
                (report, done)
            });
            let split = SplitPlan::new(&inputs, &services, merged).copy(&inputs);
            let queue = queue.get_or_init(|| ServiceQueue::new(split));
            let helpers: Vec<_> = (0..extra_report_threads())
                .map(|_| scope.spawn(|| queue.work(&params, &versions)))
                .collect();
            let mut done = queue.work(&params, &versions);
            for h in helpers {
                done.extend(join(h));
            }
            let (report, more) = join(full);
            done.extend(more);
            (report, done)
        });
        drop(inputs);
        done.sort_unstable_by_key(|(k, _)| *k);
        let rows: Vec<ServiceRow> = services
            .into_iter()
            .zip(done)
            .map(|(service, (_, keys))| keys.into_row(service))
            .collect();
        let s = &report.lead_time.stages;
        Ok(DeliveryData {
            timezone: report.timezone.clone(),
            weeks: report
                .weekly
                .iter()
                .map(|w| DeliveryWeek {
                    week_start: w.week_start,
                    deployments: w.deployments,
                    lead_time_p50: w.lead_time_median_seconds,
                    change_failure_rate: w.change_failure_rate,
                })
                .collect(),
            stages: [
                ("coding", &s.coding),
                ("pickup", &s.pickup),
                ("review", &s.review),
                ("deploy", &s.deploy),
            ]
            .into_iter()
            .map(|(name, d)| Stage {
                name,
                p50: d.median_seconds,
                p90: d.p90_seconds,
            })
            .collect(),
            metrics: metric_rows(&report),
            services: rows,
            failures: report
                .outcomes
                .iter()
                .filter(|o| o.failed())
                .map(|o| (o.deployment_id, o.causes.clone()))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::demo::{DemoOptions, Scale};
    use crate::metrics::Versions;
    use crate::model::Filter;
    use crate::tui::data::{Loader, PaneData, Query};
    use chrono::{Duration, TimeZone, Utc};
    use services::keys_of;
    use std::collections::BTreeSet;

    /// The pane's data, computed on several threads from one split load, is the report of the
    /// scope and, per service of its outcomes, the report of a load narrowed to the service.
    #[test]
    fn the_pane_shows_each_service_as_its_own_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("demo.db");
        let mut store = Store::open(&path).expect("open");
        let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let opts = DemoOptions {
            seed: 8,
            scale: Scale::Small,
            anchor,
        };
        crate::demo::generate(&mut store, &opts).expect("demo");
        let config = Config::default();
        let loader = Loader::new(path.clone(), &config).expect("loader");
        let ownership = config.ownership().expect("ownership");
        let teams = store.teams().expect("teams");
        for team in [None, Some("payments".to_string())] {
            let tz = team
                .as_deref()
                .map_or(chrono_tz::Tz::UTC, |t| config.team_timezone(t, &teams));
            let params = config.dora_params(&ownership, tz);
            let req = DataRequest {
                generation: 1,
                since: anchor - Duration::days(90),
                until: anchor,
                team: team.clone(),
                service: None,
                query: Query::Delivery,
            };
            let Ok(PaneData::Delivery(data)) = loader.load_now(&req) else {
                panic!("no delivery data for {team:?}");
            };
            let filter = req.filter();
            let inputs = store
                .dora_metric_inputs(&filter, &params, anchor)
                .expect("load");
            let versions = Versions::default();
            let report = dora::dora_report(&inputs, &params, &versions);
            let services: BTreeSet<String> =
                report.outcomes.iter().map(|o| o.service.clone()).collect();
            assert_eq!(dora::services_deployed(&inputs, &params), services);
            let shown: Vec<&str> = data.services.iter().map(|r| r.service.as_str()).collect();
            assert_eq!(
                shown,
                services.iter().map(String::as_str).collect::<Vec<_>>()
            );
            assert!(shown.len() > 1, "{shown:?}");
            let values = |m: &[MetricRow]| m.iter().map(|r| r.value).collect::<Vec<_>>();
            assert_eq!(values(&data.metrics), values(&metric_rows(&report)));
            let failed = report.outcomes.iter().filter(|o| o.failed()).count();
            assert_eq!(data.failures.len(), failed);
            for row in &data.services {
                let narrowed = Filter {
                    service: Some(row.service.clone()),
                    ..filter.clone()
                };
                let own = store
                    .dora_metric_inputs(&narrowed, &params, anchor)
                    .expect("narrowed load");
                let r = dora::dora_report(&own, &params, &versions);
                let expected = keys_of(&r);
                assert_eq!(row.deployments, expected.deployments, "{}", row.service);
                assert_eq!(row.deploy_days_per_week, expected.deploy_days_per_week);
                assert_eq!(row.lead_time_p50, expected.lead_time_p50);
                assert_eq!(row.change_failure_rate, expected.change_failure_rate);
                assert_eq!(row.restore_p50, expected.restore_p50);
                assert_eq!(row.explain, expected.explain, "{}", row.service);
            }
        }
    }
}
