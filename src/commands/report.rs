//! `plumb report <kind>`: compute with `metrics`, format with `report`.

use super::{Context, emit};
use crate::cli::{FilterArgs, ReportArgs, ReportFormat, ReportKind};
use crate::metrics::dora;
use crate::model::{Filter, parse_when};
use crate::report::{self, Format};
use crate::store::Store;
use chrono::Utc;
use color_eyre::eyre::{Result, WrapErr, bail, eyre};
use std::process::ExitCode;

pub fn run(ctx: &Context, args: &ReportArgs) -> Result<ExitCode> {
    let now = Utc::now();
    let filter = to_filter(&args.filter, now)?;
    let config = ctx.load_config()?;
    if !ctx.db_path.exists() {
        bail!(
            "no database at {}; import data first (`plumb import`) or try `plumb demo`",
            ctx.db_path.display()
        );
    }
    let store = Store::open(&ctx.db_path)?;
    let ownership = config.ownership()?;
    let format = match args.format {
        ReportFormat::Table => Format::Table,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
    };
    let text = match args.kind {
        ReportKind::Dora => {
            let tz = match &filter.team {
                Some(team) => {
                    let stored = store.teams()?.into_iter().find(|t| &t.name == team);
                    if config.team(team).is_some() {
                        config.timezone_for(team)
                    } else {
                        stored
                            .and_then(|t| t.timezone)
                            .and_then(|z| z.parse().ok())
                            .unwrap_or(chrono_tz::Tz::UTC)
                    }
                }
                None => chrono_tz::Tz::UTC,
            };
            let params = config.dora_params(&ownership, tz);
            let versions = store.record_definitions(&params.definitions())?;
            let inputs = store.dora_inputs(&filter, &params, now)?;
            let result = dora::dora_report(&inputs, &params, &versions);
            let explain = if args.explain {
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
            report::dora::render(&result, &inputs, &filter, format, explain.as_ref())
        }
    };
    emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Turns `--since/--until/--team/--service/--environment` into a [`Filter`].
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
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(eyre!(
            "--since ({}) must be before --until ({})",
            s.to_rfc3339(),
            u.to_rfc3339()
        ))
        .wrap_err("empty time range");
    }
    Ok(Filter {
        since,
        until,
        team: args.team.clone(),
        service: args.service.clone(),
        environment: args.environment.clone(),
    })
}
