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
    // Links as (deployment, change), sorted: each deployment's changes are one sorted run,
    // found by binary search (no vector, nor hash entry, per deployment).
    let mut linked: Vec<(i64, i64)> = links
        .iter()
        .map(|l| (l.deployment_id, l.change_id))
        .collect();
    linked.sort_unstable();
    let links_of = |id: i64| {
        let lo = linked.partition_point(|(d, _)| *d < id);
        let hi = lo + linked[lo..].partition_point(|(d, _)| *d == id);
        &linked[lo..hi]
    };
    let by_id: IdMap<&Deployment> = deployments.iter().map(|d| (d.id, d)).collect();
    // Only the commits of deployments without links are looked up by merge commit: those
    // alone are hashed in full, the other changes are passed over on a cheap key of their SHA.
    let fallback: IdSet = chain
        .iter()
        .filter(|l| links_of(l.deployment_id).is_empty())
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
        let own = links_of(d.id);
        let mut added: Vec<i64> = if own.is_empty() {
            d.commit_sha
                .as_deref()
                .and_then(|sha| by_merge_sha.get(sha))
                .map(|&id| vec![id])
                .unwrap_or_default()
        } else {
            own.iter().map(|(_, c)| *c).collect()
        };
        // Sorted already: a run of `linked`, or one id.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::DeployKind;
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    /// [`ship_along`] as first written (one vector of links per deployment in a hash map),
    /// the reference for the sorted-links version.
    fn ship_along_by_map(
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
        let mut by_merge_sha: HashMap<&str, i64> = HashMap::new();
        for c in changes {
            if let Some(sha) = c.merge_sha.as_deref() {
                let id = by_merge_sha.entry(sha).or_insert(c.id);
                *id = (*id).min(c.id);
            }
        }
        let mut shipped: IdMap<Vec<i64>> = IdMap::default();
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

    proptest! {
        /// Random chains over two services and environments, with failed deployments,
        /// repeated and cumulative links, unlinked deployments falling back to merge commits
        /// (some shared by two changes) and links to unknown deployments.
        #[test]
        fn sorted_links_ship_what_the_map_of_links_shipped(
            deployments in prop::collection::vec((0..2usize, 0..2usize, any::<bool>(), 0..40i64, prop::option::of(0..6u8)), 0..30),
            links in prop::collection::vec((0..34i64, 0..25i64), 0..80),
            shas in prop::collection::vec(prop::option::of(0..6u8), 0..25),
        ) {
            let deployments: Vec<Deployment> = deployments
                .into_iter()
                .enumerate()
                .map(|(id, (service, env, ok, hour, sha))| Deployment {
                    id: id as i64,
                    service: ["api", "web"][service].into(),
                    team: None,
                    environment: ["production", "staging"][env].into(),
                    status: if ok { DeployStatus::Success } else { DeployStatus::Failure },
                    kind: DeployKind::Regular,
                    started_at: None,
                    finished_at: Utc.timestamp_opt(hour * 3600, 0).unwrap(),
                    commit_sha: sha.map(|s| format!("{s:040}")),
                })
                .collect();
            let changes: Vec<Change> = shas
                .into_iter()
                .enumerate()
                .map(|(id, sha)| Change {
                    id: id as i64,
                    repo: "r".into(),
                    service: None,
                    team: None,
                    title: None,
                    state: crate::model::ChangeState::Merged,
                    merge_sha: sha.map(|s| format!("{s:040}")),
                    first_commit_at: None,
                    opened_at: None,
                    first_review_at: None,
                    merged_at: None,
                    additions: None,
                    deletions: None,
                })
                .collect();
            let links: Vec<DeploymentChange> = links
                .into_iter()
                .map(|(deployment_id, change_id)| DeploymentChange { deployment_id, change_id })
                .collect();
            let chain = chain_deployments(&deployments);
            prop_assert_eq!(
                ship_along(&chain, &deployments, &changes, &links),
                ship_along_by_map(&chain, &deployments, &changes, &links)
            );
        }
    }
}
