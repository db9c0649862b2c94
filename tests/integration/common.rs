//! Test harness: the binary, required tools and fixtures. Real servers are started by
//! `servers.rs`; its common helpers are re-exported here for tests that take the harness whole.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use crate::servers::{free_port, redis_cli, start_redis, start_redis_as, Guard};

/// The scenario ids users type (a stable contract: `--scenario`, the answers file).
pub const SCENARIOS: [&str; 8] = [
    "single-server",
    "docker-compose",
    "kubernetes-sentinel",
    "elasticache",
    "azure",
    "memorystore",
    "heroku",
    "digitalocean",
];

/// True for the variables that change what the binary does and must not leak in from the
/// test runner: every CHATWOOT_REDIS_* and REDIS_* variable, NO_COLOR, CI, and
/// DOTENV_LINEBREAK_MODE (doctor reads `.env` with it, as Ruby dotenv does).
pub fn is_behaviour_variable(key: &str) -> bool {
    key.starts_with("CHATWOOT_REDIS_")
        || key.starts_with("REDIS_")
        || key == "NO_COLOR"
        || key == "CI"
        || key == "DOTENV_LINEBREAK_MODE"
}

/// The one builder for running the binary: hermetic by default (see
/// [`is_behaviour_variable`]); a test sets what it needs with [`Cmd::env`].
///
/// ```ignore
/// let out = Cmd::new().args(["render", "--stdout", "--scenario", "docker-compose"])
///     .env("REDIS_PASSWORD", "…").run();
/// out.code(0);
/// ```
pub struct Cmd {
    command: Command,
    stdin: Option<Vec<u8>>,
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Asserts the exit code, showing both streams when it differs.
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.status, expected,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

impl Default for Cmd {
    fn default() -> Self {
        Cmd::new()
    }
}

impl Cmd {
    pub fn new() -> Cmd {
        Cmd::hermetic(Command::new(env!("CARGO_BIN_EXE_chatwoot-redis")))
    }

    /// The binary run by another program (e.g. `strace -o LOG`), hermetic like [`Cmd::new`].
    pub fn wrapped_in(program: &Path, program_args: &[&str]) -> Cmd {
        Cmd::wrapped_binary(
            program,
            program_args,
            Path::new(env!("CARGO_BIN_EXE_chatwoot-redis")),
        )
    }

    /// Like [`Cmd::wrapped_in`], for a copy of the binary at `binary` (e.g. one that another
    /// user can reach, wherever the checkout is).
    pub fn wrapped_binary(program: &Path, program_args: &[&str], binary: &Path) -> Cmd {
        let mut command = Command::new(program);
        command.args(program_args).arg(binary);
        Cmd::hermetic(command)
    }

    fn hermetic(mut command: Command) -> Cmd {
        for (k, _) in std::env::vars_os() {
            if k.to_str().is_some_and(is_behaviour_variable) {
                command.env_remove(k);
            }
        }
        Cmd {
            command,
            stdin: None,
        }
    }

    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.command.arg(arg);
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.command.args(args);
        self
    }

    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.command.env(key, value);
        self
    }

    pub fn current_dir(mut self, dir: &Path) -> Cmd {
        self.command.current_dir(dir);
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(input.into());
        self
    }

    /// The underlying command, for callers that need `std::process::Command` itself.
    pub fn into_command(self) -> Command {
        self.command
    }

    /// Runs to completion (standard input is empty unless [`Cmd::stdin`] gave some).
    pub fn run(mut self) -> Output {
        use std::io::Write;
        self.command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().expect("the binary did not start");
        if let Some(mut pipe) = child.stdin.take() {
            if let Some(input) = &self.stdin {
                // A program may stop reading before the end (a bounded read): not an error.
                if let Err(e) = pipe.write_all(input) {
                    assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
                }
            }
        }
        let out = child.wait_with_output().expect("wait for the binary");
        Output {
            status: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The binary as a `Command`, hermetic like [`Cmd`].
pub fn bin() -> Command {
    Cmd::new().into_command()
}

/// `chatwoot-redis render --out DIR ARGS`, hermetic; `password` goes in REDIS_PASSWORD.
pub fn render_cmd(dir: &Path, args: &[&str], password: Option<&str>) -> Command {
    let mut cmd = Cmd::new().arg("render").arg("--out").arg(dir).args(args);
    if let Some(p) = password {
        cmd = cmd.env("REDIS_PASSWORD", p);
    }
    cmd.into_command()
}

/// The answers file of `examples/<scenario>/`: a complete, current set of answers per scenario.
pub fn example_answers(scenario: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(scenario)
        .join("chatwoot-redis.yaml")
}

/// Every scenario that has an example, from the directory names of `examples/`.
pub fn example_scenarios() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("examples/")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("chatwoot-redis.yaml").is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

/// The shared reference files (upstream copies), at `../shared/reference/` beside the
/// checkout. A missing directory or file is explained once, in full, by the first test that
/// asks (where it is expected, what provides it); later tests fail with one short line.
pub fn reference(rel: &str) -> PathBuf {
    use std::sync::atomic::{AtomicBool, Ordering};
    static EXPLAINED: AtomicBool = AtomicBool::new(false);
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Beside the checkout only: a copy inside the repository is never read.
    let base = here.join("../shared/reference");
    let expected = base.join(rel);
    if expected.exists() {
        return expected;
    }
    if EXPLAINED.swap(true, Ordering::SeqCst) {
        panic!(
            "reference file {} missing (explained by the first failing test)",
            expected.display()
        );
    }
    let dir_state = if base.is_dir() {
        "the directory exists but lacks this file"
    } else {
        "the directory itself is missing"
    };
    panic!(
        "reference file `{rel}` not found: expected at {} ({dir_state}). The tests read \
         upstream files only from ../shared/reference/ beside the checkout (its README lists \
         them); put that directory back, then rerun. Other tests needing reference files fail \
         with a one-line note.",
        expected.display()
    );
}

/// Fails loudly when a required tool is missing: these tests never skip.
pub fn require(tool: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let p = dir.join(tool);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "required tool `{tool}` is not installed; run the README's test command \
         (scripts/test.sh), which installs it"
    );
}

/// Runs a command and returns (status code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out = cmd.output().expect("command failed to start");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Reads one key of an env file the way this tool writes it (bare or single-quoted).
pub fn env_value(text: &str, key: &str) -> Option<String> {
    text.lines().rev().find_map(|l| {
        let v = l.strip_prefix(&format!("{key}="))?;
        Some(
            v.strip_prefix('\'')
                .and_then(|r| r.strip_suffix('\''))
                .unwrap_or(v)
                .to_string(),
        )
    })
}

/// What Chatwoot reads from the `.env` of each directory (tests/ruby/chatwoot_reads.rb), in
/// order: dotenv's values, the redis client's password and user, cable.yml's view.
pub fn chatwoot_reads_dirs(dirs: &[&Path]) -> Vec<serde_json::Value> {
    if dirs.is_empty() {
        return Vec::new();
    }
    let mut cmd = Command::new(require("ruby"));
    cmd.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb"))
        .arg(reference("chatwoot/cable.yml"))
        .args(dirs);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(
        code, 0,
        "chatwoot_reads.rb failed (are ruby-dotenv and ruby-redis installed?):\n{err}"
    );
    let reads: Vec<serde_json::Value> = serde_json::from_str(&out).expect("ruby JSON");
    assert_eq!(reads.len(), dirs.len());
    // The Ruby side is Debian's dotenv 2.4, Chatwoot pins 3.1.2: its reading stands in for
    // 3.1.2's only where the two agree, so every Redis key must read the same under 3.1.2's
    // rules (chatwoot_redis::dotenv, itself held to the recorded 3.1.2 cases).
    for (dir, read) in dirs.iter().zip(&reads) {
        let path = dir.join(".env");
        let text = std::fs::read_to_string(&path).expect(".env");
        let entries = chatwoot_redis::dotenv::parse(&text)
            .unwrap_or_else(|e| panic!("{}: dotenv 3.1.2 refuses it: {e}", path.display()));
        let mut keys: Vec<String> = entries
            .iter()
            .map(|e| e.key.clone())
            .chain(
                read["env"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k.clone()),
            )
            .filter(|k| k.starts_with("REDIS_"))
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            let v312 = chatwoot_redis::dotenv::last(&entries, &key).map(|e| e.value.as_str());
            let v24 = read["env"][key.as_str()].as_str();
            assert_eq!(
                v24,
                v312,
                "{}: {key} reads differently in Debian's dotenv 2.4 and under dotenv 3.1.2's \
                 rules, so 2.4 cannot stand in for Chatwoot's reader on this file",
                path.display()
            );
        }
    }
    reads
}

/// `ruby ARGS` with `input` as JSON on its standard input (written from another thread, so a
/// large input cannot block on a full pipe); the JSON it prints.
pub fn ruby_json<S: AsRef<std::ffi::OsStr>>(
    args: &[S],
    input: &serde_json::Value,
) -> serde_json::Value {
    use std::io::Write;
    let mut child = Command::new(require("ruby"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ruby");
    let bytes = input.to_string().into_bytes();
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output().expect("ruby output");
    writer.join().expect("writer").expect("write to ruby");
    assert!(
        out.status.success(),
        "ruby {:?} failed:\n{}",
        args.iter()
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .take(1)
            .collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ruby JSON")
}

/// kubernetes-sentinel with two external sentinels that have their own password
/// (REDIS_SENTINEL_PASSWORD), and a `.env` beside the Helm values.
pub const SEPARATE_SENTINEL_AUTH: [&str; 10] = [
    "--scenario",
    "kubernetes-sentinel",
    "--sentinels",
    "sentinel-1.example:26379,sentinel-2.example",
    "--host",
    "redis-master.example",
    "--sentinel-auth",
    "separate",
    "--emit",
    "+env",
];
