//! One function per command. Each resolves paths and config, calls into the library, and
//! prints; none of them holds domain logic.

mod config_cmd;
mod demo;
mod doctor;
mod import;
mod report;
mod sync;
mod sync_progress;

use crate::cli::{Cli, Command};
use crate::config::{self, Config, Paths};
use clap::CommandFactory;
use color_eyre::eyre::{Result, WrapErr};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where things live for this invocation: flags and env vars over the XDG defaults.
pub struct Context {
    pub paths: Paths,
    /// The config file named by `--config` / `PLUMB_CONFIG`, if any.
    pub explicit_config: Option<PathBuf>,
    pub db_path: PathBuf,
}

impl Context {
    fn new(cli: &Cli) -> Result<Self> {
        let paths = Paths::default_locations().wrap_err("cannot determine plumb's folders")?;
        let db_path = cli.db.clone().unwrap_or_else(|| paths.database.clone());
        Ok(Context {
            paths,
            explicit_config: cli.config.clone(),
            db_path,
        })
    }

    /// The config file this invocation reads.
    pub fn config_path(&self) -> PathBuf {
        self.explicit_config
            .clone()
            .unwrap_or_else(|| self.paths.config_file.clone())
    }

    /// Loads and validates the config (defaults when the default file does not exist).
    pub fn load_config(&self) -> Result<Config> {
        Ok(config::load(self.explicit_config.as_deref())?.config)
    }
}

pub fn run(cli: Cli) -> Result<ExitCode> {
    let ctx = Context::new(&cli)?;
    let _log_guard = crate::logging::init(&ctx.paths.log_dir);
    match cli.command {
        None => {
            crate::tui::run_blocking(&ctx.db_path, &ctx.load_config()?)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo(args)) => demo::run(&ctx, &args, cli.db.is_some()),
        Some(Command::Import(args)) => import::run(&ctx, &args),
        Some(Command::Config(cmd)) => config_cmd::run(&ctx, &cmd),
        Some(Command::Doctor { offline }) => doctor::run(&ctx, offline),
        Some(Command::Completions { shell }) => {
            let mut cmd = Cli::command();
            let mut out = std::io::stdout();
            clap_complete::generate(shell, &mut cmd, "plumb", &mut out);
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Report(args)) => report::run(&ctx, &args),
        Some(Command::Sync(args)) => sync::run(&ctx, &args),
    }
}

/// Writes to stdout; a closed pipe (`plumb report dora | head`) ends quietly.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(e).wrap_err("cannot write to standard output"),
    }
}

/// Prints an error as one message with its cause chain. `PLUMB_BACKTRACE=1` asks for the full
/// report with location and backtrace (a plumb-specific switch, because many shells export
/// RUST_BACKTRACE for every program).
pub fn print_error(err: &color_eyre::Report) {
    if std::env::var_os("PLUMB_BACKTRACE").is_some_and(|v| v != "0") {
        eprintln!("Error: {err:?}");
        return;
    }
    let mut msg = format!("error: {err}");
    for cause in err.chain().skip(1) {
        msg.push_str(&format!("\n  caused by: {cause}"));
    }
    eprintln!("{msg}");
}
