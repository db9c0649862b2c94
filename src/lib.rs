//! chatwoot-redis: generate, check and diagnose the Redis side of a Chatwoot deployment.
//!
//! Module map (ARCHITECTURE.md has the pipeline and the "how to add" checklists):
//! - `app`, `cli`: parse the command line and dispatch; clap types stay in `cli`.
//!   `error` gives every failure its exit code.
//! - `answers` (+ `answers::field`): `Field` and its `FieldSpec` table, `RawAnswers`, and
//!   `resolve`, the one place answers are validated and defaulted.
//! - `scenario` (+ `scenario/`): one module per scenario behind `ScenarioSpec`, registered in
//!   `SCENARIOS`; also the managed-provider table doctor uses.
//! - `commands`, `secrets`: the render pipeline (answers → secrets → render) and where the
//!   password comes from and goes.
//! - `render`, `sizing`, `output`: the in-memory files from templates, the connection budget,
//!   and the rendered set.
//! - `plan`, `write`, `header`, `envfile`: compare with disk, report, write all-or-nothing;
//!   checksum headers; `.env` merging.
//! - `git`, `lock`: whether git ignores or tracks an output (in-process); one writer per
//!   output directory.
//! - `chatwoot`, `dotenv`: how Chatwoot's readers read values (dotenv, URLs, cable.yml).
//! - `environment`: the process environment, read once (`REDIS_PASSWORD`, `NO_COLOR`, `CI`).
//! - `bounded`: reads of input files with a size cap, regular files only.
//! - `shell`, `redact`: the one shell quoter and fix-command builder; secret redaction.
//! - `wizard`: `init`, the interactive (or unattended) questions.
//! - `doctor`: environment → static checks → live checks → report.

// Public: `app` for the binary; the modules below it that the integration tests and
// benchmarks drive directly (`testing` re-exports the rest they need). Everything else is
// private to the crate.
mod answers;
pub mod app;
mod bounded;
pub mod chatwoot;
mod cli;
mod commands;
mod doctor;
pub mod dotenv;
pub mod envfile;
mod environment;
mod error;
mod git;
pub mod header;
mod lock;
pub mod output;
pub mod plan;
mod redact;
mod render;
mod scenario;
mod secrets;
mod shell;
mod sizing;
mod wizard;
pub mod write;

/// What benchmarks drive directly (resolve and render in memory); not a stable API.
#[doc(hidden)]
pub mod testing {
    pub use crate::answers::{resolve, Answers, RawAnswers};
    pub use crate::render::render;
    pub use crate::secrets::{Origin, Secrets};
}
