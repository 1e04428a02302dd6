//! The Delivery pane's per-service rows: each service's rows copied out of the scope's load
//! (the rows a load narrowed to the service returns) and their reports, computed on a few
//! threads.

use super::{ServiceRow, merged_explain};
use crate::metrics::dora::{self, DoraInputs, DoraParams, DoraReport};
use crate::metrics::id_map::IdMap;
use crate::metrics::{DefinitionRef, Explain, Versions};
use crate::model::{Change, Timestamp};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The result of a scoped thread, or its panic passed on.
pub(super) fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match h.join() {
        Ok(v) => v,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Threads computing per-service reports besides this one and the scope report's (which
/// joins in when done): past a few in all, they mostly wait on the allocator.
pub(super) fn extra_report_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(4)
        .saturating_sub(2)
}

/// Per-service inputs whose reports any number of threads take in turn, the largest
/// services first (so no thread is left with a large one at the end).
pub(super) struct ServiceQueue {
    split: Vec<DoraInputs>,
    order: Vec<usize>,
    next: AtomicUsize,
}

impl ServiceQueue {
    pub(super) fn new(split: Vec<DoraInputs>) -> Self {
        let mut order: Vec<usize> = (0..split.len()).collect();
        order.sort_by_key(|&k| {
            std::cmp::Reverse(split[k].deployments.len() + split[k].changes.len())
        });
        ServiceQueue {
            split,
            order,
            next: AtomicUsize::new(0),
        }
    }

    /// Computes reports until none is left: (service index, its keys).
    pub(super) fn work(
        &self,
        params: &DoraParams,
        versions: &Versions,
    ) -> Vec<(usize, ServiceKeys)> {
        let mut done = Vec::new();
        while let Some(&k) = self.order.get(self.next.fetch_add(1, Ordering::Relaxed)) {
            let r = dora::dora_report(&self.split[k], params, versions);
            done.push((k, keys_of(&r)));
        }
        done
    }
}

/// What a service's row keeps of its report.
pub(super) struct ServiceKeys {
    pub(super) deployments: usize,
    pub(super) deploy_days_per_week: Option<f64>,
    pub(super) lead_time_p50: Option<f64>,
    pub(super) change_failure_rate: Option<f64>,
    pub(super) restore_p50: Option<f64>,
    pub(super) definitions: Vec<DefinitionRef>,
    pub(super) explain: Explain,
}

pub(super) fn keys_of(r: &DoraReport) -> ServiceKeys {
    ServiceKeys {
        deployments: r.deployment_frequency.deployments,
        deploy_days_per_week: r.deployment_frequency.deploy_days_per_week,
        lead_time_p50: r.lead_time.median_seconds,
        change_failure_rate: r.change_failure_rate.rate,
        restore_p50: r.time_to_restore.median_seconds,
        definitions: vec![
            r.deployment_frequency.definition.clone(),
            r.lead_time.definition.clone(),
            r.change_failure_rate.definition.clone(),
            r.time_to_restore.definition.clone(),
        ],
        explain: merged_explain(r),
    }
}

impl ServiceKeys {
    pub(super) fn into_row(self, service: String) -> ServiceRow {
        ServiceRow {
            service,
            deployments: self.deployments,
            deploy_days_per_week: self.deploy_days_per_week,
            lead_time_p50: self.lead_time_p50,
            change_failure_rate: self.change_failure_rate,
            restore_p50: self.restore_p50,
            definitions: self.definitions,
            explain: self.explain,
        }
    }
}

/// Where each row of a scope's inputs goes when they are split per service: the rows that a
/// load narrowed to each of `services` returns are the service's deployments, their links
/// and the changes they shipped, the service's changes merged in `merged` (`[since, until)`,
/// as the store selects them), and the service's incidents.
pub(super) struct SplitPlan {
    services: usize,
    /// Per deployment, per link, per incident: the index of its service, if split out.
    deployments: Vec<Option<u32>>,
    links: Vec<Option<u32>>,
    incidents: Vec<Option<u32>>,
    /// Per change: its own service if it was merged in range, and the services whose
    /// deployments shipped it, as a range of `shipped_to`.
    changes: Vec<(Option<u32>, std::ops::Range<usize>)>,
    shipped_to: Vec<u32>,
}

impl SplitPlan {
    pub(super) fn new(
        inputs: &DoraInputs,
        services: &BTreeSet<String>,
        merged: (Option<Timestamp>, Timestamp),
    ) -> Self {
        let names: Vec<&str> = services.iter().map(String::as_str).collect();
        let index = |service: &str| {
            names
                .binary_search(&service)
                .ok()
                .and_then(|k| u32::try_from(k).ok())
        };
        let mut service_of: IdMap<u32> = IdMap::default();
        service_of.reserve(inputs.deployments.len());
        let deployments = inputs
            .deployments
            .iter()
            .map(|d| {
                let k = index(&d.service);
                if let Some(k) = k {
                    service_of.insert(d.id, k);
                }
                k
            })
            .collect();
        let links: Vec<Option<u32>> = inputs
            .links
            .iter()
            .map(|l| service_of.get(&l.deployment_id).copied())
            .collect();
        // (change, service) of every link kept, sorted: each change's services are one run.
        let mut shipped: Vec<(i64, u32)> = inputs
            .links
            .iter()
            .zip(&links)
            .filter_map(|(l, k)| Some((l.change_id, (*k)?)))
            .collect();
        shipped.sort_unstable();
        shipped.dedup();
        let (since, until) = merged;
        let changes = inputs
            .changes
            .iter()
            .map(|c| {
                let merged_in_range = c
                    .merged_at
                    .is_some_and(|m| since.is_none_or(|s| m >= s) && m < until);
                let own = c
                    .service
                    .as_deref()
                    .filter(|_| merged_in_range)
                    .and_then(index);
                let lo = shipped.partition_point(|(id, _)| *id < c.id);
                let hi = lo + shipped[lo..].partition_point(|(id, _)| *id == c.id);
                (own, lo..hi)
            })
            .collect();
        let incidents = inputs
            .incidents
            .iter()
            .map(|i| i.service.as_deref().and_then(index))
            .collect();
        SplitPlan {
            services: names.len(),
            deployments,
            links,
            incidents,
            changes,
            shipped_to: shipped.into_iter().map(|(_, k)| k).collect(),
        }
    }

    /// The inputs of each service, in the order of the plan's `services`, each change copied
    /// as [`for_metrics`].
    pub(super) fn copy(self, inputs: &DoraInputs) -> Vec<DoraInputs> {
        let mut out: Vec<DoraInputs> = (0..self.services)
            .map(|_| DoraInputs {
                period: inputs.period,
                ..DoraInputs::default()
            })
            .collect();
        for (d, k) in inputs.deployments.iter().zip(self.deployments) {
            if let Some(k) = k {
                out[k as usize].deployments.push(d.clone());
            }
        }
        for (l, k) in inputs.links.iter().zip(self.links) {
            if let Some(k) = k {
                out[k as usize].links.push(*l);
            }
        }
        for (c, (own, shipped)) in inputs.changes.iter().zip(self.changes) {
            let shipped = &self.shipped_to[shipped];
            let own = own.filter(|k| !shipped.contains(k));
            for k in shipped.iter().copied().chain(own) {
                out[k as usize].changes.push(for_metrics(c));
            }
        }
        for (i, k) in inputs.incidents.iter().zip(self.incidents) {
            if let Some(k) = k {
                out[k as usize].incidents.push(i.clone());
            }
        }
        out
    }
}

/// A copy of `c` holding what the DORA definitions read. They never read a change's
/// repository, service, team or title (the plan has used its service already), so the copy
/// leaves them out: three fewer strings per change and service.
fn for_metrics(c: &Change) -> Change {
    Change {
        id: c.id,
        repo: String::new(),
        service: None,
        team: None,
        title: None,
        state: c.state,
        merge_sha: c.merge_sha.clone(),
        first_commit_at: c.first_commit_at,
        opened_at: c.opened_at,
        first_review_at: c.first_review_at,
        merged_at: c.merged_at,
        additions: c.additions,
        deletions: c.deletions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{DemoOptions, Scale};
    use crate::model::Filter;
    use crate::store::Store;
    use chrono::{Duration, TimeZone, Utc};
    use std::collections::HashMap;

    /// The rows of `inputs` that a load narrowed to each of `services` returns, by service.
    fn split_by_service(
        inputs: DoraInputs,
        services: &BTreeSet<String>,
        merged: (Option<Timestamp>, Timestamp),
    ) -> HashMap<String, DoraInputs> {
        let plan = SplitPlan::new(&inputs, services, merged);
        services.iter().cloned().zip(plan.copy(&inputs)).collect()
    }

    /// The per-service rows come from one load split in memory; each must equal the report of
    /// a load narrowed to that service in SQL.
    #[test]
    fn the_split_gives_each_service_the_rows_of_its_own_query() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("demo.db")).expect("open");
        let anchor = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        let opts = DemoOptions {
            seed: 3,
            scale: Scale::Small,
            anchor,
        };
        crate::demo::generate(&mut store, &opts).expect("demo");
        let params = DoraParams::default();
        let versions = Versions::default();
        for team in [None, Some("payments".to_string())] {
            let filter = Filter {
                since: Some(anchor - Duration::days(60)),
                until: Some(anchor),
                team,
                ..Filter::default()
            };
            let inputs = store
                .dora_metric_inputs(&filter, &params, anchor)
                .expect("load");
            let report = dora::dora_report(&inputs, &params, &versions);
            let services: BTreeSet<String> =
                report.outcomes.iter().map(|o| o.service.clone()).collect();
            assert!(services.len() > 1, "{services:?}");
            let split = split_by_service(inputs, &services, (filter.since, anchor));
            for service in &services {
                let narrowed = Filter {
                    service: Some(service.clone()),
                    ..filter.clone()
                };
                let mut own = store
                    .dora_metric_inputs(&narrowed, &params, anchor)
                    .expect("narrowed load");
                let mut got = split[service].clone();
                for i in [&mut own, &mut got] {
                    i.deployments.sort_by_key(|d| d.id);
                    i.changes.sort_by_key(|c| c.id);
                    i.links.sort_by_key(|l| (l.deployment_id, l.change_id));
                    i.incidents.sort_by_key(|i| i.id);
                }
                let ids = |i: &DoraInputs| {
                    (
                        i.deployments.iter().map(|d| d.id).collect::<Vec<_>>(),
                        i.changes.iter().map(|c| c.id).collect::<Vec<_>>(),
                        i.links.clone(),
                        i.incidents.iter().map(|i| i.id).collect::<Vec<_>>(),
                    )
                };
                assert_eq!(ids(&got), ids(&own), "rows of {service}");
                let (a, b) = (
                    dora::dora_report(&got, &params, &versions),
                    dora::dora_report(&own, &params, &versions),
                );
                assert_eq!(a.lead_time.median_seconds, b.lead_time.median_seconds);
                assert_eq!(a.change_failure_rate.rate, b.change_failure_rate.rate);
            }
        }
    }
}
