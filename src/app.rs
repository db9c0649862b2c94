//! Parse the command line, run the command, turn the outcome into an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::error::{Error, EXIT_USAGE};

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if !matches!(e, Error::Problems(ref m) if m.is_empty()) {
                let _ = writeln!(std::io::stderr(), "error: {e}");
            }
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "chatwoot-redis", &mut std::io::stdout());
            Ok(0)
        }
        Command::Scenarios => Err(Error::Usage("scenarios: not wired yet".into())),
        Command::Render(_) => Err(Error::Usage("render: not wired yet".into())),
        Command::Init(_) => Err(Error::Usage("init: not wired yet".into())),
        Command::Doctor(_) => Err(Error::Usage("doctor: not wired yet".into())),
    }
}
