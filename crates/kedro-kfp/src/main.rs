//! `kedro-kfp`: parse the arguments, run the command, map the outcome to an exit code.

mod cli;
mod commands;
mod diagnostics;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::verbosity(cli.verbose);
    match commands::run(cli) {
        Ok(status) => status.into(),
        Err(failure) => {
            failure.print();
            failure.status().into()
        }
    }
}
