//! DORA's five keys: deployment frequency, lead time for changes, change failure rate, failed
//! deployment recovery time and time to restore service, plus deployment rework rate.
//!
//! Sources: dora.dev (definitions), Apache DevLake's dora plugin (chaining, bands), Google's
//! fourkeys. A *deployment* here is a successful deployment to a production environment.
//! See `docs/metrics.md` for each definition with its edge cases.

mod bands;
mod cfr;
mod chaining;
mod frequency;
mod lead_time;
mod series;

pub use bands::{
    Band, BandYear, change_failure_band, frequency_band, lead_time_band, recovery_band,
};
pub use cfr::{
    AttributionRule, ChangeFailureRate, DeploymentOutcome, FailureCause, IncidentAttribution,
    RecoveryTime, ReworkRate, TimeToRestore, attribute_incidents,
};
pub(crate) use chaining::sha_key;
pub use chaining::{ChainLink, chain_deployments, ship_changes};
pub use frequency::DeploymentFrequency;
pub use lead_time::{LeadTime, LeadTimeStages};
pub use series::DoraWeek;

use super::definitions::{MetricDefinition, Versions, ids};
use super::id_map::IdMap;
use super::period::Period;
use crate::model::{Change, DeployStatus, Deployment, DeploymentChange, Incident, Ownership};
use chrono::Duration;
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};

/// Decides which environments are production, per team, with the same rule as
/// [`Ownership::is_production`] (a pattern per team, a default pattern, else `production`/`prod`).
#[derive(Debug, Clone, Default)]
pub struct ProductionMatcher(Ownership);

impl ProductionMatcher {
    /// Keeps only the production patterns of an ownership map.
    pub fn from_ownership(ownership: &Ownership) -> Self {
        ProductionMatcher(Ownership {
            production: ownership.production.clone(),
            default_production: ownership.default_production.clone(),
            ..Ownership::default()
        })
    }

    pub fn is_production(&self, team: Option<&str>, environment: &str) -> bool {
        self.0.is_production(team, environment)
    }

    /// The patterns as recorded in a metric definition's parameters.
    pub fn describe(&self) -> serde_json::Value {
        let per_team: std::collections::BTreeMap<&str, &str> = self
            .0
            .production
            .iter()
            .map(|(t, re)| (t.as_str(), re.as_str()))
            .collect();
        json!({
            "per_team": per_team,
            "default": self.0.default_production.as_ref().map(|r| r.as_str()).unwrap_or("^(?i)(production|prod)$"),
        })
    }
}

/// Parameters of the DORA definitions (mapped from config by the caller).
#[derive(Debug, Clone)]
pub struct DoraParams {
    /// How long after a deployment finished an incident on the same service is attributed to
    /// it (default 24 hours).
    pub incident_window: Duration,
    pub report_year: BandYear,
    /// Zone in which days and weeks are counted (the team's zone; UTC unless configured).
    pub timezone: Tz,
    pub production: ProductionMatcher,
}

impl Default for DoraParams {
    fn default() -> Self {
        DoraParams {
            incident_window: Duration::hours(24),
            report_year: BandYear::default(),
            timezone: Tz::UTC,
            production: ProductionMatcher::default(),
        }
    }
}

impl DoraParams {
    /// The definitions (id and parameters) of every DORA metric under these parameters, to
    /// record in `metric_definitions` (see `Store::record_definitions`).
    pub fn definitions(&self) -> Vec<MetricDefinition> {
        let tz = self.timezone.name();
        let year = self.report_year.as_str();
        let prod = self.production.describe();
        let window = self.incident_window.num_seconds();
        vec![
            MetricDefinition::new(
                ids::DEPLOYMENT_FREQUENCY,
                1,
                json!({"timezone": tz, "report_year": year, "production": prod}),
            ),
            MetricDefinition::new(
                ids::LEAD_TIME,
                1,
                json!({"report_year": year, "production": prod, "percentiles": "linear interpolation"}),
            ),
            MetricDefinition::new(
                ids::CHANGE_FAILURE_RATE,
                1,
                json!({"report_year": year, "production": prod, "incident_window_seconds": window}),
            ),
            MetricDefinition::new(
                ids::RECOVERY_TIME,
                1,
                json!({"report_year": year, "production": prod, "incident_window_seconds": window}),
            ),
            MetricDefinition::new(ids::TIME_TO_RESTORE, 1, json!({"report_year": year})),
            MetricDefinition::new(ids::REWORK_RATE, 1, json!({"production": prod})),
        ]
    }
}

/// Rows a DORA report is computed from. `deployments` should reach back before
/// `period.start` (a margin) so the first deployment of the period has its previous one, and
/// `incidents` should reach `incident_window` past `period.end` so late incidents still mark
/// the period's deployments as failed. Order does not matter.
#[derive(Debug, Clone, Default)]
pub struct DoraInputs {
    pub period: Option<Period>,
    pub deployments: Vec<Deployment>,
    pub changes: Vec<Change>,
    pub links: Vec<DeploymentChange>,
    pub incidents: Vec<Incident>,
}

/// The DORA report for one filter and period.
#[derive(Debug, Clone, Serialize)]
pub struct DoraReport {
    pub period: Option<Period>,
    pub timezone: String,
    pub report_year: BandYear,
    pub deployment_frequency: DeploymentFrequency,
    pub lead_time: LeadTime,
    pub change_failure_rate: ChangeFailureRate,
    pub recovery_time: RecoveryTime,
    pub time_to_restore: TimeToRestore,
    pub rework_rate: ReworkRate,
    /// One point per week (Monday in `timezone`) overlapping the period.
    pub weekly: Vec<DoraWeek>,
    /// Per production deployment in the period: what it shipped and whether it failed.
    #[serde(skip)]
    pub outcomes: Vec<DeploymentOutcome>,
    /// Per incident considered: which deployment it was attributed to, and by which rule.
    #[serde(skip)]
    pub attributions: Vec<IncidentAttribution>,
}

/// State shared by the five keys: computed once per report.
pub(crate) struct Prepared<'a> {
    pub period: Period,
    pub params: &'a DoraParams,
    /// Successful production deployments (margin included), by finish time then id.
    pub prod: Vec<&'a Deployment>,
    /// Successful deployment id → previous successful deployment of its chain.
    pub previous: IdMap<i64>,
    pub shipped: IdMap<Vec<i64>>,
    /// Change id → its first successful production deployment.
    pub first_deploy: IdMap<&'a Deployment>,
}

impl<'a> Prepared<'a> {
    fn new(inputs: &'a DoraInputs, params: &'a DoraParams, period: Period) -> Self {
        let mut prod_cache: HashMap<(Option<&str>, &str), bool> = HashMap::new();
        let mut prod: Vec<&Deployment> = inputs
            .deployments
            .iter()
            .filter(|d| d.status == DeployStatus::Success)
            .filter(|d| {
                *prod_cache
                    .entry((d.team.as_deref(), d.environment.as_str()))
                    .or_insert_with(|| {
                        params
                            .production
                            .is_production(d.team.as_deref(), &d.environment)
                    })
            })
            .collect();
        prod.sort_by_key(|d| (d.finished_at, d.id));
        let chain = chain_deployments(&inputs.deployments);
        let previous = chain
            .iter()
            .filter_map(|l| l.previous_id.map(|p| (l.deployment_id, p)))
            .collect();
        let shipped =
            chaining::ship_along(&chain, &inputs.deployments, &inputs.changes, &inputs.links);
        let mut first_deploy: IdMap<&Deployment> = IdMap::default();
        for d in &prod {
            for c in shipped.get(&d.id).into_iter().flatten() {
                first_deploy.entry(*c).or_insert(d);
            }
        }
        Prepared {
            period,
            params,
            prod,
            previous,
            shipped,
            first_deploy,
        }
    }

    /// Successful production deployments that finished in the period.
    pub fn in_period(&self) -> &[&'a Deployment] {
        let lo = self
            .prod
            .partition_point(|d| d.finished_at < self.period.start);
        let hi = self
            .prod
            .partition_point(|d| d.finished_at < self.period.end);
        &self.prod[lo..hi]
    }
}

/// The period a report covers: the inputs' own, or else from the earliest deployment or
/// incident to one second after the latest.
fn resolve_period(inputs: &DoraInputs) -> Option<Period> {
    if inputs.period.is_some() {
        return inputs.period;
    }
    let times = inputs
        .deployments
        .iter()
        .map(|d| d.finished_at)
        .chain(inputs.incidents.iter().map(|i| i.created_at));
    let (mut lo, mut hi) = (None, None);
    for t in times {
        lo = Some(lo.map_or(t, |l: crate::model::Timestamp| l.min(t)));
        hi = Some(hi.map_or(t, |h: crate::model::Timestamp| h.max(t)));
    }
    Some(Period::new(lo?, hi? + Duration::seconds(1)))
}

/// Computes the whole DORA report: the five keys, rework rate and the weekly series.
pub fn dora_report(inputs: &DoraInputs, params: &DoraParams, versions: &Versions) -> DoraReport {
    let period = resolve_period(inputs);
    let empty = Period::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH);
    let prepared = Prepared::new(inputs, params, period.unwrap_or(empty));
    let attributions =
        attribute_incidents(&prepared.prod, &inputs.incidents, params.incident_window);
    let outcomes = cfr::outcomes(&prepared, &inputs.incidents, &attributions);
    let weekly = series::weekly(&prepared, &inputs.changes, &inputs.incidents, &outcomes);
    DoraReport {
        period,
        timezone: params.timezone.name().to_string(),
        report_year: params.report_year,
        deployment_frequency: frequency::deployment_frequency(
            &prepared,
            !inputs.deployments.is_empty(),
            versions,
        ),
        lead_time: lead_time::lead_time(&prepared, &inputs.changes, versions),
        change_failure_rate: cfr::change_failure_rate(
            &prepared,
            &outcomes,
            &attributions,
            versions,
        ),
        recovery_time: cfr::recovery_time(&prepared, &outcomes, versions),
        time_to_restore: cfr::time_to_restore(&prepared, &inputs.incidents, versions),
        rework_rate: cfr::rework_rate(&prepared, versions),
        weekly,
        outcomes,
        attributions,
    }
}

/// The services of [`DoraReport::outcomes`] (those with a successful production deployment
/// that finished in the report's period), without computing the report.
pub fn services_deployed(inputs: &DoraInputs, params: &DoraParams) -> BTreeSet<String> {
    let Some(period) = resolve_period(inputs) else {
        return BTreeSet::new();
    };
    let mut services: BTreeSet<&str> = BTreeSet::new();
    for d in &inputs.deployments {
        if d.status == DeployStatus::Success
            && period.contains(d.finished_at)
            && !services.contains(d.service.as_str())
            && params
                .production
                .is_production(d.team.as_deref(), &d.environment)
        {
            services.insert(&d.service);
        }
    }
    services.into_iter().map(str::to_string).collect()
}

/// Which deployment each incident was attributed to, and what each production deployment of
/// the period shipped: [`DoraReport::attributions`] and the `shipped_change_ids` of
/// [`DoraReport::outcomes`], by the same definitions, without computing the keys.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentLinks {
    pub attributions: Vec<IncidentAttribution>,
    /// Per successful production deployment that finished in the period.
    pub shipped: IdMap<Vec<i64>>,
}

/// [`IncidentLinks`] of `inputs`. The changes are read only for deployments without links
/// (their merge commit is looked up), so inputs holding just those changes give the same links
/// as the full ones (see `Store::dora_link_inputs`).
pub fn incident_links(inputs: &DoraInputs, params: &DoraParams) -> IncidentLinks {
    let empty = Period::new(chrono::DateTime::UNIX_EPOCH, chrono::DateTime::UNIX_EPOCH);
    let prepared = Prepared::new(inputs, params, resolve_period(inputs).unwrap_or(empty));
    let attributions =
        attribute_incidents(&prepared.prod, &inputs.incidents, params.incident_window);
    let shipped = prepared
        .in_period()
        .iter()
        .map(|d| {
            (
                d.id,
                prepared.shipped.get(&d.id).cloned().unwrap_or_default(),
            )
        })
        .collect();
    IncidentLinks {
        attributions,
        shipped,
    }
}

#[cfg(test)]
mod tests;
