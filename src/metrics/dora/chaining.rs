//! Deployment chaining: which changes each deployment shipped.
//!
//! Successful deployments of one service to one environment form a chain ordered by finish
//! time (ties by id). A deployment's commit set is what it added since the previous successful
//! deployment of the same chain, as Apache DevLake's `enrichPrevSuccessDeploymentCommits`
//! does; failed deployments ship nothing and are skipped when looking for the previous one.

use crate::model::{Change, DeployStatus, Deployment, DeploymentChange};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A successful deployment and the previous successful deployment of its service and
/// environment (`None` for the first of a chain: there is nothing to diff against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ChainLink {
    pub deployment_id: i64,
    pub previous_id: Option<i64>,
}

/// Chains the successful deployments per service and environment. Returns one link per
/// successful deployment, in chain order (service, environment, finish time, id).
pub fn chain_deployments(deployments: &[Deployment]) -> Vec<ChainLink> {
    let mut ok: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.status == DeployStatus::Success)
        .collect();
    ok.sort_by(|a, b| {
        (&a.service, &a.environment, a.finished_at, a.id).cmp(&(
            &b.service,
            &b.environment,
            b.finished_at,
            b.id,
        ))
    });
    let mut out = Vec::with_capacity(ok.len());
    let mut prev: Option<&Deployment> = None;
    for d in ok {
        let previous_id = prev
            .filter(|p| p.service == d.service && p.environment == d.environment)
            .map(|p| p.id);
        out.push(ChainLink {
            deployment_id: d.id,
            previous_id,
        });
        prev = Some(d);
    }
    out
}

/// The changes each successful deployment added to its chain.
///
/// Links come from `deployment_changes`; a source may record either the diff (what the
/// compare API returns between two SHAs) or everything up to the deployed SHA, and
/// subtracting what earlier deployments of the chain already shipped makes both read the
/// same. A successful deployment without any link falls back to the change whose merge
/// commit is the deployed commit.
pub fn ship_changes(
    deployments: &[Deployment],
    changes: &[Change],
    links: &[DeploymentChange],
) -> HashMap<i64, Vec<i64>> {
    let mut linked: HashMap<i64, Vec<i64>> = HashMap::new();
    for l in links {
        linked.entry(l.deployment_id).or_default().push(l.change_id);
    }
    let by_merge_sha: HashMap<&str, i64> = changes
        .iter()
        .filter_map(|c| c.merge_sha.as_deref().map(|s| (s, c.id)))
        .collect();
    let by_id: HashMap<i64, &Deployment> = deployments.iter().map(|d| (d.id, d)).collect();

    let mut shipped: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut seen_in_chain: HashSet<i64> = HashSet::new();
    for link in chain_deployments(deployments) {
        if link.previous_id.is_none() {
            seen_in_chain.clear();
        }
        let Some(d) = by_id.get(&link.deployment_id) else {
            continue;
        };
        let mut added: Vec<i64> = match linked.get(&d.id) {
            Some(ids) => ids.clone(),
            None => d
                .commit_sha
                .as_deref()
                .and_then(|sha| by_merge_sha.get(sha))
                .map(|&id| vec![id])
                .unwrap_or_default(),
        };
        added.sort_unstable();
        added.dedup();
        added.retain(|id| seen_in_chain.insert(*id));
        shipped.insert(d.id, added);
    }
    shipped
}
