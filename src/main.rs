//! The `plumb` binary: parse the command line, run, print errors as one clear message.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // color-eyre gives readable panic reports; errors are printed below as one message with
    // their causes (PLUMB_BACKTRACE=1 adds the backtrace).
    let _ = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install();
    let cli = plumb::cli::Cli::parse();
    match plumb::commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            plumb::commands::print_error(&err);
            ExitCode::from(2)
        }
    }
}
