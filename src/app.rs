//! Parse the command line, run the command, turn the outcome into an exit code.

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, DoctorArgs, OutputFormat};
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
        Command::Scenarios => {
            // A closed pipe (`scenarios | head`) is not an error.
            let _ = std::io::stdout().write_all(crate::scenario::describe_all().as_bytes());
            Ok(0)
        }
        Command::Render(args) => run_render(args, cli.quiet),
        Command::Init(args) => crate::wizard::run(args, cli.quiet, cli.verbose),
        Command::Doctor(args) => run_doctor(&args),
    }
}

fn run_render(args: crate::cli::RenderArgs, quiet: bool) -> Result<u8, Error> {
    // Modes that never show or write secret files need no password.
    let writes = !(args.check || args.diff || args.dry_run || args.stdout);
    let prepared = crate::commands::prepare(
        &args.out,
        args.answers.as_deref(),
        &args.answer_flags,
        &args.secrets,
        writes,
    )?;
    let mut stderr = std::io::stderr();
    if args.stdout {
        if !quiet {
            for w in &prepared.set.warnings {
                let _ = writeln!(stderr, "warning: {w}");
            }
        }
        let mut out = std::io::stdout().lock();
        let mut withheld = Vec::new();
        for f in &prepared.set.files {
            if f.kind.is_secret() {
                withheld.push(f.name());
                continue;
            }
            let _ = writeln!(out, "==> {} <==", f.name());
            let _ = out.write_all(f.contents.as_bytes());
        }
        if !withheld.is_empty() && !quiet {
            let (them, they) = if withheld.len() == 1 {
                ("it", "it holds")
            } else {
                ("them", "they hold")
            };
            let _ = writeln!(
                stderr,
                "note: not printed, {they} secrets: {}; render without --stdout writes {them}",
                withheld.join(", ")
            );
        }
        return Ok(0);
    }
    let mode = if args.check {
        crate::plan::Mode::Check
    } else if args.diff {
        crate::plan::Mode::Diff
    } else if args.dry_run {
        crate::plan::Mode::DryRun
    } else {
        crate::plan::Mode::Write { force: args.force }
    };
    let mut plan = crate::plan::plan(&prepared.set, &args.out)?;
    plan.set_render_command(render_command(&args));
    let mut out = std::io::stdout().lock();
    if !quiet {
        return crate::plan::execute_plan(&plan, mode, &mut out);
    }
    // --quiet: the report is shown only when something needs attention (a refusal, a stale
    // --check) or was asked for (--diff, --dry-run).
    let mut buffer = Vec::new();
    let code = crate::plan::execute_plan(&plan, mode, &mut buffer)?;
    if code != 0 || matches!(mode, crate::plan::Mode::Diff | crate::plan::Mode::DryRun) {
        let _ = out.write_all(&buffer);
    }
    Ok(code)
}

/// The command that regenerates this directory, as printed in fixes.
fn render_command(args: &crate::cli::RenderArgs) -> String {
    let mut cmd = String::from("chatwoot-redis render");
    if args.out != std::path::Path::new(".") {
        cmd.push_str(&format!(" --out {}", args.out.display()));
    }
    if let Some(a) = &args.answers {
        cmd.push_str(&format!(" --answers {}", a.display()));
    }
    cmd
}

/// Converts the flags into doctor's options, runs it and prints the report.
fn run_doctor(args: &DoctorArgs) -> Result<u8, Error> {
    if !(args.timeout.is_finite() && args.timeout > 0.0 && args.timeout <= 3600.0) {
        return Err(Error::invalid(
            "--timeout",
            args.timeout.to_string(),
            "it must be a number of seconds above 0 (at most 3600)",
            "pass e.g. --timeout 3 or --timeout 0.5",
        ));
    }
    let options = crate::doctor::Options {
        env: match &args.env_file {
            Some(p) => crate::doctor::EnvSource::File(p.clone()),
            None => crate::doctor::EnvSource::Default,
        },
        offline: args.offline,
        timeout: std::time::Duration::from_secs_f64(args.timeout),
        strict: args.strict,
        max_connections: args.max_connections,
        answers: args.answers.clone(),
        url: args.url.clone(),
        host: args.host.clone(),
        port: args.port,
    };
    let report = crate::doctor::run(&options)?;
    let text = match args.format {
        OutputFormat::Json => report.to_json(),
        OutputFormat::Text => {
            use std::io::IsTerminal;
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            report.to_text(std::io::stdout().is_terminal() && !no_color)
        }
    };
    // A closed pipe (doctor | head) is not an error worth reporting.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(report.exit_code())
}
