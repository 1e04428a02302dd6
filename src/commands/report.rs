//! `plumb report <kind>`: load from the store, compute with `metrics`, format with `report`.
//!
//! Reports that measure a state (open incidents, SLO budgets, overdue follow-ups) measure it at
//! `--until` when given, else now. "Now" is the wall clock, except on a demo database, whose
//! data ends at its anchor: there, as in the dashboard, now is the anchor. Without `--since` a
//! report covers the dashboard's default range, the 90 days before `--until`.

use super::{Context, emit};
use crate::cli::{FilterArgs, ReportArgs, ReportFormat, ReportKind};
use crate::config::Config;
use crate::metrics::slo::{SloParams, samples_needed_from, slo_report};
use crate::metrics::{MetricDefinition, Period, actions, ci, dora, incidents};
use crate::model::{Filter, Incident, Team, Timestamp, parse_when};
use crate::report::{self, ExplainSection, Format, Provenances, definition_versions};
use crate::store::Store;
use chrono::Utc;
use chrono_tz::Tz;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use serde_json::Value;
use std::process::ExitCode;

/// What every report needs: the store, the config, the filter and the clock.
struct Job<'a> {
    store: &'a Store,
    config: &'a Config,
    filter: &'a Filter,
    format: Format,
    explain: bool,
    now: Timestamp,
}

impl Job<'_> {
    /// The moment states are measured at: `--until`, else now.
    fn at(&self) -> Timestamp {
        self.filter.until.unwrap_or(self.now)
    }

    /// `[--since, at)`; [`to_filter`] always sets `since`.
    fn period(&self) -> Period {
        let at = self.at();
        let since = self
            .filter
            .since
            .unwrap_or(at - chrono::Duration::days(DEFAULT_RANGE_DAYS));
        Period::new(since.min(at), at)
    }

    /// The filter's team's time zone: from config, else from the store, else UTC.
    fn timezone(&self, teams: &[Team], team: Option<&str>) -> Tz {
        let Some(team) = team else {
            return Tz::UTC;
        };
        self.config.team_timezone(team, teams)
    }

    /// Provenance of every row the sections name, when `--explain` asked for it.
    fn provenances(&self, sections: &[ExplainSection]) -> Result<Option<Provenances>> {
        if !self.explain {
            return Ok(None);
        }
        let mut rows = Provenances::new();
        for (table, ids) in report::explain_ids(sections) {
            for (id, p) in self.store.provenance_many(table, &ids)? {
                rows.insert((table, id), p);
            }
        }
        Ok(Some(rows))
    }
}

/// The range a report covers when `--since` is not given: the dashboard's default range, so the
/// two show the same numbers for the same scope.
pub const DEFAULT_RANGE_DAYS: i64 = 90;

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<ExitCode> {
    // Bad arguments are reported first, whatever the database; the range is computed again
    // below, from the database's "now".
    to_filter(&args.filter, Utc::now())?;
    let mut config = ctx.load_config()?;
    if !ctx.db_path.exists() {
        bail!(
            "no database at {}; import data first (`plumb import`) or try `plumb demo`",
            ctx.db_path.display()
        );
    }
    let store = Store::open(&ctx.db_path)?;
    // A demo dataset ends at its anchor: count from there, with the demo's config fallbacks, as
    // the dashboard does, so both show (and record) the same numbers and definitions.
    let now = match crate::demo::recorded_anchor(&store)? {
        Some(anchor) => {
            crate::config::with_demo_fallbacks(&mut config)?;
            anchor
        }
        None => Utc::now(),
    };
    let filter = to_filter(&args.filter, now)?;
    check_scope(&store, &filter)?;
    let job = Job {
        store: &store,
        config: &config,
        filter: &filter,
        format: match args.format {
            ReportFormat::Table => Format::Table,
            ReportFormat::Json => Format::Json,
            ReportFormat::Csv => Format::Csv,
        },
        explain: args.explain,
        now,
    };
    let text = match args.kind {
        ReportKind::Dora => dora_report(&job)?,
        ReportKind::Ci => ci_report(&job)?,
        ReportKind::Incidents => incident_report(&job)?,
        ReportKind::Slo => slo_report_text(&job)?,
        ReportKind::Actions => action_report(&job)?,
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

fn dora_report(job: &Job) -> Result<String> {
    let (store, filter) = (job.store, job.filter);
    let tz = job.timezone(&store.teams()?, filter.team.as_deref());
    let params = job.config.dora_params(&job.config.ownership()?, tz);
    let versions = store.record_definitions(&params.definitions())?;
    let inputs = store.dora_inputs(filter, &params, job.now)?;
    let result = dora::dora_report(&inputs, &params, &versions);
    let explain = if job.explain {
        let mut rows = report::dora::ExplainRows::new();
        for (table, pick) in [("deployments", 0usize), ("changes", 1), ("incidents", 2)] {
            let mut ids: Vec<i64> = report::dora::explained(&result)
                .iter()
                .flat_map(|(_, e)| {
                    let list = match pick {
                        0 => &e.deployments,
                        1 => &e.changes,
                        _ => &e.incidents,
                    };
                    list.iter().copied()
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            for (id, p) in store.provenance_many(table, &ids)? {
                rows.insert((table, id), p);
            }
        }
        Some(rows)
    } else {
        None
    };
    Ok(report::dora::render(
        &result,
        &inputs,
        filter,
        job.format,
        explain.as_ref(),
    ))
}

fn ci_report(job: &Job) -> Result<String> {
    let params = job.config.ci_params();
    let definitions = params.definitions();
    let versions = job.store.record_definitions(&definitions)?;
    let runs = job.store.pipeline_runs(job.filter)?;
    let period = job.period();
    let result = ci::ci_report(&runs, period, &params, &versions);
    let provenances = job.provenances(&report::ci::explain_sections(&result))?;
    let view = report::ci::CiView {
        report: &result,
        runs: &runs,
        period: Some(period),
        filter: job.filter,
        definition_version: definition_versions(&definitions, &versions),
    };
    Ok(report::ci::render(&view, job.format, provenances.as_ref()))
}

/// Incidents of the scope (environment does not apply), from `repeat_window` before `--since`
/// so repeats of earlier incidents are found, with their log entries.
struct IncidentInputs {
    incidents: Vec<Incident>,
    events: Vec<crate::model::IncidentEvent>,
    period: Period,
}

fn incident_inputs(job: &Job, params: &incidents::IncidentParams) -> Result<IncidentInputs> {
    let scope = Filter {
        environment: None,
        until: Some(job.at()),
        ..job.filter.clone()
    };
    let incidents = job
        .store
        .incidents(&scope, params.repeat_window.num_seconds())?;
    let period = job.period();
    let ids: Vec<i64> = incidents.iter().map(|i| i.id).collect();
    let events = job.store.incident_events_for(&ids)?;
    Ok(IncidentInputs {
        incidents,
        events,
        period,
    })
}

fn incident_report(job: &Job) -> Result<String> {
    let tz = job.timezone(&job.store.teams()?, job.filter.team.as_deref());
    let params = job.config.incident_params(tz);
    let definitions = params.definitions();
    let versions = job.store.record_definitions(&definitions)?;
    let inputs = incident_inputs(job, &params)?;
    let at = job.at();
    let result = incidents::incident_report(
        &inputs.incidents,
        &inputs.events,
        inputs.period,
        at,
        &params,
        &versions,
    );
    // Open at `at`: created before it and not resolved by then, whatever the age.
    let scope = Filter {
        team: job.filter.team.clone(),
        service: job.filter.service.clone(),
        until: Some(at),
        ..Filter::default()
    };
    let open: Vec<Incident> = job
        .store
        .incidents(&scope, 0)?
        .into_iter()
        .filter(|i| i.resolved_at.is_none_or(|r| r > at))
        .collect();
    let view = report::incidents::IncidentView {
        report: &result,
        incidents: &inputs.incidents,
        open: &open,
        period: Some(inputs.period),
        now: at,
        params: &params,
        filter: job.filter,
        definition_version: definition_versions(&definitions, &versions),
    };
    let provenances = job.provenances(&report::incidents::explain_sections(&view))?;
    Ok(report::incidents::render(
        &view,
        job.format,
        provenances.as_ref(),
    ))
}

/// Every SLO of the scope at `at`, each with its own parameters (its team's time zone, its
/// configured exclusions and peaks) and so its own definition versions.
fn slo_entries(job: &Job) -> Result<Vec<report::slo::SloEntry>> {
    let teams = job.store.teams()?;
    let at = job.at();
    let mut out = Vec::new();
    for slo in job.store.slos(job.filter)? {
        let tz = job.timezone(&teams, slo.team.as_deref());
        let params = job.config.slo_params(&slo.name, tz);
        let definitions = params.definitions();
        let versions = job.store.record_definitions(&definitions)?;
        let samples = job
            .store
            .slo_samples(slo.id, samples_needed_from(&slo, &params, at), at)?;
        let report = slo_report(&slo, &samples, &params, at, &versions);
        out.push(report::slo::SloEntry {
            slo,
            samples,
            report,
            timezone: tz,
            definition_version: definition_versions(&definitions, &versions),
        });
    }
    Ok(out)
}

/// The versions every SLO agrees on (all of them without SLOs: the default parameters').
fn common_versions(job: &Job, entries: &[report::slo::SloEntry]) -> Result<Value> {
    let Some(first) = entries.first() else {
        let definitions: Vec<MetricDefinition> = SloParams::default().definitions();
        let versions = job.store.record_definitions(&definitions)?;
        return Ok(definition_versions(&definitions, &versions));
    };
    let mut common = first
        .definition_version
        .as_object()
        .cloned()
        .unwrap_or_default();
    for e in &entries[1..] {
        common.retain(|k, v| e.definition_version.get(k) == Some(v));
    }
    Ok(Value::Object(common))
}

fn slo_report_text(job: &Job) -> Result<String> {
    let entries = slo_entries(job)?;
    let sections: Vec<ExplainSection> = entries
        .iter()
        .map(|e| ExplainSection::of(&e.slo.name, "slos", [e.slo.id]))
        .collect();
    let provenances = job.provenances(&sections)?;
    let view = report::slo::SloView {
        entries: &entries,
        now: job.at(),
        filter: job.filter,
        definition_version: common_versions(job, &entries)?,
    };
    Ok(report::slo::render(&view, job.format, provenances.as_ref()))
}

fn action_report(job: &Job) -> Result<String> {
    let tz = job.timezone(&job.store.teams()?, job.filter.team.as_deref());
    let incident_params = job.config.incident_params(tz);
    let params = job.config.action_params();
    let definitions: Vec<MetricDefinition> = params
        .definitions()
        .into_iter()
        .chain(incident_params.definitions())
        .collect();
    let versions = job.store.record_definitions(&definitions)?;
    let overspent_slos: Vec<(String, f64)> = slo_entries(job)?
        .into_iter()
        .filter_map(|e| {
            e.report
                .budget_remaining
                .filter(|r| *r < 0.0)
                .map(|r| (e.slo.name, r))
        })
        .collect();
    let at = job.at();
    let period = job.period();
    let budgets: Vec<f64> = overspent_slos.iter().map(|(_, r)| *r).collect();
    let inputs = job
        .store
        .action_inputs(job.filter, period, incident_params.repeat_window)?;
    let result = actions::scope_report(&inputs, &budgets, &incident_params, &params, &versions);
    let provenances = job.provenances(&report::actions::explain_sections(&result))?;
    let incidents: Vec<Incident> = inputs
        .incidents
        .iter()
        .chain(&inputs.other_incidents)
        .cloned()
        .collect();
    let view = report::actions::ActionView {
        report: &result,
        actions: &inputs.items,
        incidents: &incidents,
        overspent_slos: &overspent_slos,
        period: Some(period),
        now: at,
        params: &params,
        filter: job.filter,
        definition_version: definition_versions(&definitions, &versions),
    };
    Ok(report::actions::render(
        &view,
        job.format,
        provenances.as_ref(),
    ))
}

/// Fails when `--team`, `--service` or `--environment` names nothing in the store (a typo would
/// otherwise print an empty report), listing the names there are.
fn check_scope(store: &Store, filter: &Filter) -> Result<()> {
    let known = |what: &str, given: &str, mut names: Vec<String>| -> Result<()> {
        if names.iter().any(|n| n == given) {
            return Ok(());
        }
        names.sort();
        names.dedup();
        let list = if names.is_empty() {
            "none yet (import or sync data first)".to_string()
        } else {
            names.join(", ")
        };
        bail!("no {what} named {given:?} in the database; known {what}s: {list}")
    };
    if let Some(team) = &filter.team {
        known("team", team, store.team_names()?)?;
    }
    if let Some(service) = &filter.service {
        let names = store.services()?.into_iter().map(|s| s.name).collect();
        known("service", service, names)?;
    }
    if let Some(environment) = &filter.environment {
        known("environment", environment, store.environments()?)?;
    }
    Ok(())
}

/// Turns `--since/--until/--team/--service/--environment` into a [`Filter`]. Without
/// `--since` the range is the [`DEFAULT_RANGE_DAYS`] before `--until` (or now).
pub fn to_filter(args: &FilterArgs, now: chrono::DateTime<Utc>) -> Result<Filter> {
    let since = args
        .since
        .as_deref()
        .map(|s| parse_when(s, now).map_err(|e| eyre!("--since: {e}")))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_when(s, now).map_err(|e| eyre!("--until: {e}")))
        .transpose()?;
    let end = until.unwrap_or(now);
    let since = since.unwrap_or(end - chrono::Duration::days(DEFAULT_RANGE_DAYS));
    let until = Some(end);
    if let Some(u) = until
        && since >= u
    {
        return Err(eyre!(
            "--since ({}) must be before --until ({})",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            u.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ))
        .wrap_err("empty time range");
    }
    Ok(Filter {
        since: Some(since),
        until,
        team: args.team.clone(),
        service: args.service.clone(),
        environment: args.environment.clone(),
    })
}
