//! Deployment chaining: which changes each deployment shipped.
//!
//! Successful deployments of one service to one environment form a chain ordered by finish
//! time (ties by id). A deployment's commit set is what it added since the previous successful
//! deployment of the same chain, as Apache DevLake's `enrichPrevSuccessDeploymentCommits`
//! does; failed deployments ship nothing and are skipped when looking for the previous one.

use crate::metrics::id_map::{IdMap, IdSet};
use crate::model::{Change, DeployStatus, Deployment, DeploymentChange};
use serde::Serialize;
use std::collections::HashMap;

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
    let mut chains: HashMap<(&str, &str), Vec<&Deployment>> = HashMap::new();
    for d in deployments
        .iter()
        .filter(|d| d.status == DeployStatus::Success)
    {
        chains
            .entry((d.service.as_str(), d.environment.as_str()))
            .or_default()
            .push(d);
    }
    let mut keys: Vec<(&str, &str)> = chains.keys().copied().collect();
    keys.sort_unstable();
    let mut out = Vec::with_capacity(deployments.len());
    for key in keys {
        let Some(chain) = chains.get_mut(&key) else {
            continue;
        };
        chain.sort_unstable_by_key(|d| (d.finished_at, d.id));
        let mut previous_id = None;
        for d in chain.iter() {
            out.push(ChainLink {
                deployment_id: d.id,
                previous_id,
            });
            previous_id = Some(d.id);
        }
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
) -> IdMap<Vec<i64>> {
    ship_along(&chain_deployments(deployments), deployments, changes, links)
}

/// [`ship_changes`] for an already computed chain.
pub(crate) fn ship_along(
    chain: &[ChainLink],
    deployments: &[Deployment],
    changes: &[Change],
    links: &[DeploymentChange],
) -> IdMap<Vec<i64>> {
    let mut linked: IdMap<Vec<i64>> = IdMap::default();
    for l in links {
        linked.entry(l.deployment_id).or_default().push(l.change_id);
    }
    let by_id: IdMap<&Deployment> = deployments.iter().map(|d| (d.id, d)).collect();
    // Only the commits of deployments without links are looked up by merge commit: those
    // alone are hashed in full, the other changes are passed over on a cheap key of their SHA.
    let fallback: IdSet = chain
        .iter()
        .filter(|l| !linked.contains_key(&l.deployment_id))
        .filter_map(|l| by_id.get(&l.deployment_id)?.commit_sha.as_deref())
        .map(sha_key)
        .collect();
    // Two changes with one merge commit (a re-imported row) resolve to the lower id, so the
    // result does not depend on input order.
    let mut by_merge_sha: HashMap<&str, i64> = HashMap::new();
    for c in changes {
        if let Some(sha) = c.merge_sha.as_deref()
            && fallback.contains(&sha_key(sha))
        {
            let id = by_merge_sha.entry(sha).or_insert(c.id);
            *id = (*id).min(c.id);
        }
    }
    let mut shipped: IdMap<Vec<i64>> = IdMap::default();
    shipped.reserve(chain.len());
    let mut seen_in_chain = IdSet::default();
    for link in chain {
        if link.previous_id.is_none() {
            seen_in_chain = IdSet::default();
        }
        let Some(d) = by_id.get(&link.deployment_id) else {
            continue;
        };
        let mut added: Vec<i64> = match linked.remove(&d.id) {
            Some(ids) => ids,
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

/// The first eight bytes of a commit SHA as a number: a cheap hash key for SHAs, which are
/// already uniformly distributed. SHAs sharing a key are told apart by comparing them in full.
pub(crate) fn sha_key(sha: &str) -> i64 {
    match sha.as_bytes().first_chunk::<8>() {
        Some(head) => i64::from_le_bytes(*head),
        None => sha.bytes().fold(0xff, |w, b| (w << 8) | i64::from(b)),
    }
}
