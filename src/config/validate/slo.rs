//! Checks on `[[slos]]`: targets, budgeting methods, where samples come from, exclusions and
//! planned peaks.

use super::{Checker, Seg, unique_names};
use crate::config::schema::{Config, ExclusionRule, SloConfig, SourceKind};
use crate::model::BudgetingMethod;

pub(super) fn check_slos(c: &mut Checker<'_, '_>, config: &Config) {
    unique_names(c, "slos", config.slos.iter().map(|s| s.name.as_str()));
    for (i, slo) in config.slos.iter().enumerate() {
        check_slo(c, config, i, slo);
    }
}

fn fraction_problem(value: f64) -> Option<String> {
    if value > 0.0 && value < 1.0 {
        None
    } else if value > 1.0 && value < 100.0 {
        Some(format!(
            "{value} looks like a percentage; write {} for {value}%",
            // Rounded so 99.9 reads as 0.999, not 0.9990000000000001.
            (value / 100.0 * 1e9).round() / 1e9
        ))
    } else {
        Some(format!("{value} is not strictly between 0 and 1"))
    }
}

fn check_slo(c: &mut Checker<'_, '_>, config: &Config, i: usize, slo: &SloConfig) {
    let here = |k: &str| path!["slos", i, k];
    let who = format!("SLO `{}`", slo.name);
    if let Some(problem) = fraction_problem(slo.target) {
        c.at_value(
            &here("target"),
            format!("`target` of {who}: {problem}"),
            "a fraction between 0 and 1, e.g. 0.999",
        );
    }
    if let Some(team) = slo.team.as_ref().filter(|t| !c.declared.teams.contains(t)) {
        c.at_value(
            &here("team"),
            format!("{who} names team `{team}`, which [[teams]] does not define"),
            "the name of a [[teams]] entry",
        );
    }
    let sliced = slo.method != BudgetingMethod::Occurrences;
    if sliced && slo.timeslice.is_none_or(|t| t.is_zero()) {
        c.at_value(
            &here("method"),
            format!(
                "{who} uses {:?} budgeting without a `timeslice`",
                slo.method
            ),
            "timeslice = \"1m\" (a non-zero duration)",
        );
    }
    if slo.method == BudgetingMethod::Timeslices && slo.timeslice_target.is_none() {
        c.at_value(
            &here("method"),
            format!("{who} uses timeslices budgeting without a `timeslice_target`"),
            "timeslice_target = 0.95 (share of good events that makes a slice good)",
        );
    }
    if let Some(problem) = slo.timeslice_target.and_then(fraction_problem) {
        c.at_value(
            &here("timeslice_target"),
            format!("`timeslice_target` of {who}: {problem}"),
            "a fraction between 0 and 1",
        );
    }
    if !sliced {
        for k in ["timeslice", "timeslice_target"] {
            if c.doc
                .keys_at(&path!["slos", i])
                .iter()
                .any(|(name, _)| name == k)
            {
                c.at_key(
                    &here(k),
                    format!(
                        "`{k}` of {who} only applies to timeslices and ratio_timeslices budgeting"
                    ),
                    "method = \"timeslices\" or no timeslice keys",
                );
            }
        }
    }
    check_slo_source(c, config, i, slo);
    for (j, ex) in slo.exclusions.iter().enumerate() {
        let at = path!["slos", i, "exclusions", j];
        let place = format!("exclusion {} of {who}", j + 1);
        match ex.rule() {
            None => c.at_value(&at, format!("{place} is neither a complete one-off nor a recurring window"), "start and end (RFC 3339), or every = \"day\"|\"week\" with at and duration (and weekday for week)"),
            Some(ExclusionRule::Once { start, end }) if end <= start => {
                c.at_value(&path!["slos", i, "exclusions", j, "end"], format!("{place} ends before it starts"), "end after start");
            }
            Some(ExclusionRule::Daily { duration, .. } | ExclusionRule::Weekly { duration, .. }) if duration.is_zero() => {
                c.at_value(&path!["slos", i, "exclusions", j, "duration"], format!("{place} lasts zero time"), "a duration such as \"2h\"");
            }
            Some(_) => {}
        }
    }
    for (j, peak) in slo.peaks.iter().enumerate() {
        let place = format!("peak {} of {who}", j + 1);
        if peak.end <= peak.start {
            c.at_value(
                &path!["slos", i, "peaks", j, "end"],
                format!("{place} ends before it starts"),
                "end after start",
            );
        }
        if !(peak.factor > 0.0 && peak.factor.is_finite()) {
            c.at_value(
                &path!["slos", i, "peaks", j, "factor"],
                format!("`factor` of {place} is {}", peak.factor),
                "a positive number, e.g. 3.0 for three times normal traffic",
            );
        }
    }
}

fn check_slo_source(c: &mut Checker<'_, '_>, config: &Config, i: usize, slo: &SloConfig) {
    let here = |k: &str| path!["slos", i, k];
    let who = format!("SLO `{}`", slo.name);
    let Some(name) = &slo.source else {
        for k in ["query", "slo_id"] {
            if c.doc.keys_at(&path!["slos", i]).iter().any(|(n, _)| n == k) {
                c.at_key(
                    &here(k),
                    format!("`{k}` of {who} needs a `source`"),
                    "source = \"name of a datadog or prometheus source\"",
                );
            }
        }
        return;
    };
    let Some(source) = config.sources.iter().find(|s| &s.name == name) else {
        if c.declared.sources.contains(name) {
            return;
        }
        c.at_value(
            &here("source"),
            format!("{who} reads from source `{name}`, which [[sources]] does not define"),
            "the name of a datadog or prometheus source",
        );
        return;
    };
    match source.kind {
        SourceKind::Datadog => {
            if slo.slo_id.is_none() {
                c.at_value(
                    &path!["slos", i],
                    format!("{who} reads from Datadog source `{name}` without `slo_id`"),
                    "slo_id = \"the Datadog SLO id\"",
                );
            }
            if slo.query.is_some() {
                c.at_key(
                    &here("query"),
                    format!("`query` of {who} is for Prometheus sources; `{name}` is datadog"),
                    "slo_id only",
                );
            }
        }
        SourceKind::Prometheus => {
            if slo.slo_id.is_some() {
                c.at_key(
                    &here("slo_id"),
                    format!("`slo_id` of {who} is for Datadog sources; `{name}` is prometheus"),
                    "query (optional)",
                );
            }
            let wanted = slo.query.as_deref().unwrap_or(&slo.name);
            if !source.queries.iter().any(|q| q.slo == wanted) {
                let at = if slo.query.is_some() {
                    here("query").to_vec()
                } else {
                    path!["slos", i].to_vec()
                };
                c.at_value(&at, format!("{who} needs a [[sources.queries]] entry with slo = \"{wanted}\" in source `{name}`"), format!("a queries entry in `{name}` whose slo is \"{wanted}\""));
            }
        }
        other => c.at_value(
            &here("source"),
            format!("{who} reads from source `{name}` of kind {other}, which has no SLO data"),
            "a datadog or prometheus source",
        ),
    }
}
