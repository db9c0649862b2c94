//! Parse the command line, run the command, turn the outcome into an exit code.

#![warn(clippy::too_many_lines)]

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command, DoctorArgs, OutputFormat};
use crate::commands::{RenderMode, RenderRequest};
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

const BIN: &str = "chatwoot-redis";

/// clap_complete's bash script tracks the command line as `chatwoot__redis__subcmd__render`
/// but names its case arms `chatwoot__subcmd__redis__subcmd__render` (it escapes the `-` of a
/// binary name once in the loop and twice in the arms), so no flag or value after a subcommand
/// would complete. The arms are renamed to what the loop tracks.
fn bash_arms_fixed(script: &str) -> String {
    script.replace(
        "chatwoot__subcmd__redis__subcmd__",
        "chatwoot__redis__subcmd__",
    )
}

fn run(cli: Cli) -> Result<u8, Error> {
    match cli.command {
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, BIN, &mut script);
            if shell == clap_complete::Shell::Bash {
                script = bash_arms_fixed(&String::from_utf8_lossy(&script)).into_bytes();
            }
            // A closed pipe (`completions bash | head`) is not an error.
            let _ = std::io::stdout().write_all(&script);
            Ok(0)
        }
        Command::Scenarios => {
            // A closed pipe (`scenarios | head`) is not an error.
            let _ = std::io::stdout().write_all(crate::scenario::describe_all().as_bytes());
            Ok(0)
        }
        Command::Render(args) => run_render(&args.to_request(), cli.quiet, cli.verbose),
        Command::Init(args) => crate::wizard::run(args.to_request(), cli.quiet, cli.verbose),
        Command::Doctor(args) => run_doctor(&args.0, cli.quiet, cli.verbose),
    }
}

fn run_render(args: &RenderRequest, quiet: bool, verbose: bool) -> Result<u8, Error> {
    let prepared = crate::commands::prepare(
        &args.out,
        args.answers_file.as_deref(),
        &args.answers,
        &args.passwords,
        args.mode.needs_secrets(),
    )?;
    let mut stderr = std::io::stderr();
    if verbose {
        explain_render(args, &prepared, &mut stderr);
    }
    let mode = match args.mode {
        RenderMode::Check => crate::plan::Mode::Check,
        RenderMode::Diff => crate::plan::Mode::Diff,
        RenderMode::DryRun => crate::plan::Mode::DryRun,
        RenderMode::Write { force } => crate::plan::Mode::Write { force },
        RenderMode::Stdout => return Ok(print_public_files(&prepared, quiet)),
    };
    let mut plan = crate::plan::plan(&prepared.set, &args.out)?;
    plan.set_render_command(render_command(args));
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

/// `render --stdout`: the public files on stdout; secret files are named, never printed.
fn print_public_files(prepared: &crate::commands::Prepared, quiet: bool) -> u8 {
    let mut stderr = std::io::stderr();
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
    0
}

/// `render -v`: the inputs this render used (never a secret's value).
fn explain_render(args: &RenderRequest, prepared: &crate::commands::Prepared, w: &mut dyn Write) {
    let path = crate::commands::answers_path(&args.out, args.answers_file.as_deref());
    let state = if path.is_file() {
        "read"
    } else {
        "not present"
    };
    let a = &prepared.answers;
    let outputs: Vec<&str> = a.outputs.iter().map(|o| o.id()).collect();
    let password = match &prepared.secrets.password {
        Some((_, origin)) => origin.describe(),
        None if a.auth == crate::answers::Auth::None => "none (--auth none)",
        None => "not needed in this mode",
    };
    let _ = writeln!(w, "answers file: {} ({state})", path.display());
    let _ = writeln!(
        w,
        "scenario: {}; outputs: {}; endpoint {}:{}{}",
        a.scenario,
        outputs.join(", "),
        a.host,
        a.port,
        if a.tls { " (TLS)" } else { "" }
    );
    let _ = writeln!(w, "password: {password}");
    let _ = writeln!(w, "comparing with {}", args.out.display());
}

/// The command that regenerates this directory, as printed in fixes.
fn render_command(args: &RenderRequest) -> String {
    crate::shell::render_command(&args.out, args.answers_file.as_deref())
}

/// Converts the flags into doctor's options, runs it and prints the report.
fn run_doctor(args: &DoctorArgs, quiet: bool, verbose: bool) -> Result<u8, Error> {
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
    if verbose {
        let env = match &args.env_file {
            Some(p) => format!("env file {}", p.display()),
            None if std::path::Path::new(".env").is_file() => "env file ./.env".to_string(),
            None => "the process environment".to_string(),
        };
        let live = if args.offline {
            "static checks only (--offline)".to_string()
        } else {
            format!("static and live checks, {} s per step", args.timeout)
        };
        let _ = writeln!(std::io::stderr(), "doctor: reading {env}; {live}");
    }
    let report = crate::doctor::run(&options)?;
    // --quiet: a report that found no problem is not printed; the exit code says it.
    if quiet && report.exit_code() == 0 {
        return Ok(0);
    }
    let text = match args.format {
        OutputFormat::Json => report.to_json(),
        OutputFormat::Text => {
            use std::io::IsTerminal;
            let no_color = crate::environment::ProcessEnv::get().no_color();
            report.to_text(std::io::stdout().is_terminal() && !no_color)
        }
    };
    // A closed pipe (doctor | head) is not an error worth reporting.
    let _ = std::io::stdout().write_all(text.as_bytes());
    Ok(report.exit_code())
}
