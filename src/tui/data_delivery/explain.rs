//! "Explain this number" for Delivery: the deployments, changes and incidents behind one
//! number, with their provenance, each named as its tool names it, and the failed deployments
//! marked with what made them fail.

use super::DeliveryData;
use crate::metrics::dora::FailureCause;
use crate::metrics::{DefinitionRef, Explain};
use crate::model::{DeployKind, Filter, Origin, Provenance, Timestamp};
use crate::store::Store;
use crate::store::inputs::CHAIN_MARGIN;
use crate::tui::data::{DataRequest, Shared};
use color_eyre::eyre::Result;
use std::collections::{HashMap, HashSet};

impl DeliveryData {
    /// The query listing the rows of `explain`, with the failures of its deployments.
    pub fn explain_query(
        &self,
        title: String,
        definitions: Vec<DefinitionRef>,
        explain: &Explain,
    ) -> ExplainQuery {
        let mut failures: Vec<(i64, Vec<FailureCause>)> = explain
            .deployments
            .iter()
            .filter_map(|id| Some((*id, self.failures.get(id)?.clone())))
            .collect();
        failures.sort_unstable();
        ExplainQuery {
            title,
            definitions,
            explain: explain.clone(),
            failures,
        }
    }
}

/// The rows to list for one number.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainQuery {
    pub title: String,
    pub definitions: Vec<DefinitionRef>,
    pub explain: Explain,
    /// The failed deployments among `explain`'s, with why they failed (by deployment id).
    pub failures: Vec<(i64, Vec<FailureCause>)>,
}

/// One store row behind a number, with its provenance.
#[derive(Debug, Clone)]
pub struct ExplainRow {
    pub table: &'static str,
    pub id: i64,
    pub at: Option<Timestamp>,
    pub what: String,
    pub source: String,
    pub external_id: String,
    /// How the row's own tool names it: a pull request's `#42`, a deployment's or incident's
    /// id in its tool; the store id only for a row without provenance.
    pub reference: String,
    pub url: Option<String>,
    pub origin: Option<Origin>,
    /// A failed deployment (it counts in the change failure rate).
    pub failed: bool,
    /// Why it failed, or which failure it belongs to (the incident that made a deployment fail,
    /// the rollback that remediated it).
    pub note: Option<String>,
    /// The value the row contributed to the number (a lead time, a time to restore), so a
    /// median can be checked against its rows.
    pub seconds: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct ExplainData {
    pub title: String,
    pub definitions: Vec<DefinitionRef>,
    /// Newest first.
    pub rows: Vec<ExplainRow>,
    /// Rows looked at and left out by the definition (with a reason in `plumb report --explain`).
    pub excluded: usize,
}

impl Shared {
    /// The deployments, changes and incidents of `q`, with provenance, newest first; failed
    /// deployments, the incidents and remediations that made them fail, are marked.
    pub(in crate::tui) fn explain(
        &self,
        store: &Store,
        req: &DataRequest,
        q: &ExplainQuery,
    ) -> Result<ExplainData> {
        let (tz, _) = self.scope(req.team.as_deref());
        let window = self.config.dora_params(&self.ownership, tz).incident_window;
        let margin = CHAIN_MARGIN.max(window).num_seconds();
        let filter = req.filter();
        let failures = Failures::new(&q.failures);
        let mut rows = Vec::new();
        let wanted: HashSet<i64> = q.explain.deployments.iter().copied().collect();
        // Provenance of the rows listed and of those their notes name.
        let deployment_ids = union(&q.explain.deployments, failures.remediations.keys());
        let incident_ids = union(&q.explain.incidents, failures.by_incident.keys());
        let deployments_prov = store.provenance_many("deployments", &deployment_ids)?;
        let incidents_prov = store.provenance_many("incidents", &incident_ids)?;
        let names = Names {
            deployments: &deployments_prov,
            incidents: &incidents_prov,
        };
        if !wanted.is_empty() {
            for d in store.deployments(&filter, margin)? {
                if !wanted.contains(&d.id) {
                    continue;
                }
                let what = match d.kind {
                    DeployKind::Regular => format!("{} → {}", d.service, d.environment),
                    kind => format!("{} → {} ({})", d.service, d.environment, kind.as_str()),
                };
                let mut r = row(
                    "deployments",
                    d.id,
                    Some(d.finished_at),
                    what,
                    &deployments_prov,
                );
                r.reference = names.deployment(d.id);
                (r.failed, r.note) = failures.deployment_note(d.id, &names);
                rows.push(r);
            }
        }
        if !q.explain.changes.is_empty() {
            let prov = store.provenance_many("changes", &q.explain.changes)?;
            for c in store.changes_by_ids(&q.explain.changes)? {
                let what = format!("{}: {}", c.repo, c.title.as_deref().unwrap_or("(untitled)"));
                let mut r = row("changes", c.id, c.merged_at, what, &prov);
                r.reference = prov
                    .get(&c.id)
                    .map_or_else(|| store_id(c.id), change_reference);
                rows.push(r);
            }
        }
        let wanted: HashSet<i64> = q.explain.incidents.iter().copied().collect();
        if !wanted.is_empty() {
            let scope = Filter {
                until: Some(req.until + window),
                ..filter
            };
            for i in store.incidents(&scope, margin)? {
                if wanted.contains(&i.id) {
                    let what = format!("{} {}", i.severity.as_str(), i.title);
                    let mut r = row("incidents", i.id, Some(i.created_at), what, &incidents_prov);
                    r.reference = names.incident(i.id);
                    r.note = failures
                        .by_incident
                        .get(&i.id)
                        .map(|d| format!("made {} fail", names.deployment(*d)));
                    rows.push(r);
                }
            }
        }
        rows.sort_by(|a, b| b.at.cmp(&a.at).then(a.id.cmp(&b.id)));
        for r in &mut rows {
            r.seconds = q.explain.seconds_of(r.table, r.id);
        }
        Ok(ExplainData {
            title: q.title.clone(),
            definitions: q.definitions.clone(),
            rows,
            excluded: q.explain.excluded.len(),
        })
    }
}

/// `ids` and `more`, sorted and unique.
fn union<'a>(ids: &'a [i64], more: impl Iterator<Item = &'a i64>) -> Vec<i64> {
    let mut all: Vec<i64> = ids.iter().chain(more).copied().collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn store_id(id: i64) -> String {
    format!("store id {id}")
}

/// A change as its tool numbers it: `#42` for a GitHub pull request, `!42` for a GitLab merge
/// request (read from the link, since the external id is the API's internal id), else the
/// external id.
fn change_reference(p: &Provenance) -> String {
    let number = |marker: &str| {
        let url = p.url.as_deref()?;
        let rest = &url[url.rfind(marker)? + marker.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        (!digits.is_empty()).then_some(digits)
    };
    if let Some(n) = number("/pull/") {
        return format!("#{n}");
    }
    if let Some(n) = number("/merge_requests/") {
        return format!("!{n}");
    }
    p.external_id.clone()
}

/// Deployments and incidents as their tools name them.
struct Names<'a> {
    deployments: &'a HashMap<i64, Provenance>,
    incidents: &'a HashMap<i64, Provenance>,
}

impl Names<'_> {
    fn deployment(&self, id: i64) -> String {
        self.deployments
            .get(&id)
            .map_or_else(|| store_id(id), |p| p.external_id.clone())
    }

    fn incident(&self, id: i64) -> String {
        self.incidents
            .get(&id)
            .map_or_else(|| store_id(id), |p| p.external_id.clone())
    }
}

/// The failures of an explain list, looked up from either side.
struct Failures<'a> {
    by_deployment: HashMap<i64, &'a [FailureCause]>,
    /// Incident → the deployment it made fail.
    by_incident: HashMap<i64, i64>,
    /// Rollback or hotfix deployment → the deployment it remediated.
    remediations: HashMap<i64, i64>,
}

impl<'a> Failures<'a> {
    fn new(failures: &'a [(i64, Vec<FailureCause>)]) -> Self {
        let mut f = Failures {
            by_deployment: HashMap::with_capacity(failures.len()),
            by_incident: HashMap::new(),
            remediations: HashMap::new(),
        };
        for (deployment, causes) in failures {
            f.by_deployment.insert(*deployment, causes);
            for c in causes {
                match *c {
                    FailureCause::Incident { incident_id } => {
                        f.by_incident.insert(incident_id, *deployment);
                    }
                    FailureCause::RolledBack { by_deployment_id }
                    | FailureCause::Hotfixed { by_deployment_id } => {
                        f.remediations.insert(by_deployment_id, *deployment);
                    }
                }
            }
        }
        f
    }

    /// Whether deployment `id` failed, and its note: why it failed, or what it remediated.
    fn deployment_note(&self, id: i64, names: &Names) -> (bool, Option<String>) {
        if let Some(causes) = self.by_deployment.get(&id) {
            let why: Vec<String> = causes
                .iter()
                .map(|c| match *c {
                    FailureCause::Incident { incident_id } => {
                        format!("incident {}", names.incident(incident_id))
                    }
                    FailureCause::RolledBack { by_deployment_id } => {
                        format!("rollback {}", names.deployment(by_deployment_id))
                    }
                    FailureCause::Hotfixed { by_deployment_id } => {
                        format!("hotfix {}", names.deployment(by_deployment_id))
                    }
                })
                .collect();
            return (true, Some(why.join(", ")));
        }
        let remediated = self
            .remediations
            .get(&id)
            .map(|failed| format!("remediates {}", names.deployment(*failed)));
        (false, remediated)
    }
}

fn row(
    table: &'static str,
    id: i64,
    at: Option<Timestamp>,
    what: String,
    prov: &HashMap<i64, Provenance>,
) -> ExplainRow {
    let p = prov.get(&id);
    ExplainRow {
        table,
        id,
        at,
        what,
        source: p.map_or_else(|| "–".into(), |p| p.source.clone()),
        external_id: p.map_or_else(|| "–".into(), |p| p.external_id.clone()),
        reference: p.map_or_else(|| store_id(id), |p| p.external_id.clone()),
        url: p.and_then(|p| p.url.clone()),
        origin: p.map(|p| p.origin),
        failed: false,
        note: None,
        seconds: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_by_their_pull_or_merge_request_number() {
        let change = |url: Option<&str>| Provenance {
            source: "gh".into(),
            source_kind: "github".into(),
            external_id: "1000000042".into(),
            url: url.map(str::to_string),
            synced_at: Timestamp::default(),
            origin: Origin::Api,
        };
        let github = change(Some("https://github.example/acme/api/pull/42"));
        assert_eq!(change_reference(&github), "#42");
        let gitlab = change(Some(
            "https://gitlab.example/acme/api/-/merge_requests/7#note_1",
        ));
        assert_eq!(change_reference(&gitlab), "!7");
        assert_eq!(change_reference(&change(None)), "1000000042");
        let other = change(Some("https://jira.example/browse/PAY-12"));
        assert_eq!(change_reference(&other), "1000000042");
    }

    #[test]
    fn notes_say_why_a_deployment_failed_and_what_remediated_it() {
        let failures = vec![(
            1,
            vec![
                FailureCause::Incident { incident_id: 7 },
                FailureCause::RolledBack {
                    by_deployment_id: 2,
                },
            ],
        )];
        let f = Failures::new(&failures);
        let prov = |id: &str| Provenance {
            source: "s".into(),
            source_kind: "k".into(),
            external_id: id.into(),
            url: None,
            synced_at: Timestamp::default(),
            origin: Origin::Api,
        };
        let deployments = HashMap::from([(1, prov("D-1")), (2, prov("D-2"))]);
        let incidents = HashMap::from([(7, prov("INC-7"))]);
        let names = Names {
            deployments: &deployments,
            incidents: &incidents,
        };
        assert_eq!(
            f.deployment_note(1, &names),
            (true, Some("incident INC-7, rollback D-2".into()))
        );
        assert_eq!(
            f.deployment_note(2, &names),
            (false, Some("remediates D-1".into()))
        );
        assert_eq!(f.deployment_note(3, &names), (false, None));
        assert_eq!(f.by_incident.get(&7), Some(&1));
        let none = HashMap::new();
        let unnamed = Names {
            deployments: &none,
            incidents: &none,
        };
        assert_eq!(
            unnamed.deployment(9),
            "store id 9",
            "no provenance: the store id"
        );
    }
}
