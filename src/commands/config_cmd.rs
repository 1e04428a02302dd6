//! `plumb config init|path|check`.

use super::{Context, emit};
use crate::cli::ConfigCommand;
use crate::config;
use color_eyre::eyre::Result;
use std::process::ExitCode;

pub fn run(ctx: &Context, cmd: &ConfigCommand) -> Result<ExitCode> {
    match cmd {
        ConfigCommand::Init { force } => {
            let path = ctx.config_path();
            config::init(&path, *force)?;
            eprintln!(
                "wrote {}; edit it, then run `plumb config check`",
                path.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Path => {
            let config = ctx.config_path();
            let mark = |p: &std::path::Path| {
                if p.exists() {
                    ""
                } else {
                    "  (not created yet)"
                }
            };
            emit(&format!(
                "config    {}{}\ndatabase  {}{}\nlogs      {}{}\n",
                config.display(),
                mark(&config),
                ctx.db_path.display(),
                mark(&ctx.db_path),
                ctx.paths.log_dir.display(),
                mark(&ctx.paths.log_dir),
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        ConfigCommand::Check => {
            let path = ctx.config_path();
            if ctx.explicit_config.is_none() && !path.exists() {
                eprintln!(
                    "no config file at {}; plumb uses its defaults (run `plumb config init` to write one)",
                    path.display()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let problems = config::check(&path)?;
            if problems.is_empty() {
                eprintln!("{}: ok", path.display());
                return Ok(ExitCode::SUCCESS);
            }
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "{} problem{} in {}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" },
                path.display()
            );
            Ok(ExitCode::from(2))
        }
    }
}
