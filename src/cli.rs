//! The command line, defined once with clap derive: help, completions and parsing all come from
//! these types.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "plumb",
    version,
    about = "Keep product, engineering and operations in line: DORA, CI, SLOs, incidents and their follow-ups in your terminal",
    long_about = None,
    propagate_version = true
)]
pub struct Cli {
    /// Configuration file [default: the XDG config dir, e.g. ~/.config/plumb/config.toml]
    #[arg(long, global = true, env = "PLUMB_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Database file [default: the XDG data dir, e.g. ~/.local/share/plumb/plumb.db]
    #[arg(long, global = true, env = "PLUMB_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the TUI on a generated, realistic dataset (no tokens needed)
    Demo(DemoArgs),
    /// Load CSV or JSON Lines files into the store (one entity kind per file)
    Import(ImportArgs),
    /// Print a report: dora, ci, incidents, slo or actions
    Report(ReportArgs),
    /// Read new data from the configured sources (incremental; resumes where it stopped)
    Sync(SyncArgs),
    /// Write, locate or validate the configuration file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check the configuration, the database and each source: token, reachability,
    /// authentication, scopes and clock skew
    Doctor {
        /// Skip the network checks (token presence is still checked)
        #[arg(long)]
        offline: bool,
    },
    /// Print shell completions
    Completions {
        /// The shell to generate completions for
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed (and anchor) gives the same data, byte for byte
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Dataset size: small (4 teams, 18 months) or large (benchmark-sized, 3 years)
    #[arg(long, value_enum, default_value_t = ScaleArg::Small)]
    pub scale: ScaleArg,
    /// The "now" of the dataset (RFC 3339 date or date-time) [default: today, 00:00 UTC]
    #[arg(long, value_name = "DATE")]
    pub anchor: Option<String>,
    /// Write the dataset and exit without opening the TUI
    #[arg(long)]
    pub generate_only: bool,
    /// Replace an existing database file at --db
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScaleArg {
    Small,
    Large,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import; the kind comes from the file name (deployments.csv, changes.jsonl, ...)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// The entity kind of every file, when the file names do not say it
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Source name stored as the rows' provenance
    #[arg(long, default_value = "import")]
    pub source: String,
    /// Validate only; write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub action: Option<SyncAction>,
    /// Only this source (its `name` in the config)
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    /// Re-read everything from the lower bound, ignoring cursors and cached ETags
    #[arg(long)]
    pub full: bool,
    /// Read items from this date on: an RFC 3339 date or date-time, or a span such as 90d
    /// [default: where the last sync stopped, else the source's `history`]
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
}

#[derive(Debug, Clone, Copy, Subcommand)]
pub enum SyncAction {
    /// Per source and resource: last success, cursor age and last error
    Status,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which report
    #[arg(value_enum)]
    pub kind: ReportKind,
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// List the rows behind every number
    #[arg(long)]
    pub explain: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKind {
    /// DORA: deployment frequency, lead time, change failure rate, recovery, rework
    Dora,
    /// CI: build duration, queue time, success, test pass and flaky rates, worst workflows
    Ci,
    /// Incidents: counts by severity, MTTA, MTTR, SLA adherence, repeats, off-hours, open
    Incidents,
    /// SLOs: budget remaining, burn rates, alert state, time to exhaustion, adjustments
    Slo,
    /// Postmortem actions: open, overdue, completion, age, recurrences, incident debt
    Actions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

/// Narrow any metric by time range, team, service and environment.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Start of the range: an RFC 3339 date or date-time, or a span back from now such as 90d
    /// (default: the 90 days before --until)
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
    /// End of the range (exclusive): RFC 3339 date or date-time, or a span back from now
    #[arg(long, value_name = "WHEN")]
    pub until: Option<String>,
    /// Only this team
    #[arg(long)]
    pub team: Option<String>,
    /// Only this service
    #[arg(long)]
    pub service: Option<String>,
    /// Only this environment (deployments)
    #[arg(long)]
    pub environment: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write the documented example configuration
    Init {
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Print where the configuration, database and logs live
    Path,
    /// Validate the configuration: every problem with its line and column
    Check,
}
