//! `docker-compose`: the redis service of Chatwoot's docker-compose.production.yaml.

use super::{EndpointRecord, Output, Rules, ScenarioSpec, StepContext};
use crate::answers::{Answers, Field, RedisVersion};
use crate::chatwoot::SentinelAddr;

pub struct DockerCompose;

static RULES: Rules = Rules {
    compose: true,
    // Upstream's compose file runs redis:alpine, the newest release (8.x since May 2025): an
    // older default could not read its data files. The image is pinned to that line.
    default_version: RedisVersion::NEWEST_REDIS,
    password_env_only: Some("the Compose redis service takes its password from REDIS_PASSWORD"),
    record: EndpointRecord::Nothing,
    ..Rules::SELF_HOSTED
};

impl ScenarioSpec for DockerCompose {
    fn id(&self) -> &'static str {
        "docker-compose"
    }

    fn description(&self) -> &'static str {
        "the redis service of Chatwoot's docker-compose.production.yaml"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::Compose, Output::RedisConf]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::RedisVersion,
            Field::Password,
            Field::Maxmemory,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
        ]
    }

    fn default_host(&self, _release: &str, _sentinels: &[SentinelAddr]) -> Option<String> {
        Some("redis".to_string())
    }

    fn username_refusal(&self) -> Option<String> {
        Some(format!("{} authenticates the default user only", self.id()))
    }

    fn endpoint_warnings(&self, a: &Answers) -> Vec<String> {
        let layout = &a.compose;
        if layout.found || !a.outputs.contains(&Output::Compose) {
            return Vec::new();
        }
        vec![format!(
            "{PRODUCTION_FILE} is not in {} or the two directories above it: the override's \
             paths assume the project directory is that one (Compose resolves relative paths \
             from the directory of the first -f file); render with --out inside Chatwoot's \
             project directory (e.g. --out deploy/ from it)",
            layout.project_dir.display()
        )]
    }

    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        let layout = &cx.answers.compose;
        let here = std::env::current_dir()
            .map(|d| normalize(&d))
            .unwrap_or_default();
        let cd = if layout.project_dir == here || layout.project_dir.as_os_str().is_empty() {
            String::new()
        } else {
            format!("cd {} && ", crate::shell::quote_path(&layout.project_dir))
        };
        let mut steps = Vec::new();
        if (cx.has)(crate::output::FileKind::Sysctl) {
            steps.push(format!(
                "# on the Docker host (vm.overcommit_memory is the host's, not the container's): sudo install -m 644 {} /etc/sysctl.d/60-chatwoot-redis.conf && sudo sysctl --system",
                (cx.path)("chatwoot-redis.sysctl.conf")
            ));
        } else {
            steps.push(
                "# on the Docker host: vm.overcommit_memory = 1 (a host setting; --emit +host-limits writes the sysctl file)"
                    .into(),
            );
        }
        steps.extend([
            format!(
                "{cd}docker compose -f {PRODUCTION_FILE} -f {} up -d",
                crate::shell::quote(
                    layout
                        .path_from_project("docker-compose.redis.yaml")
                        .trim_start_matches("./")
                )
            ),
            format!(
                "chatwoot-redis doctor --env-file {} --offline",
                (cx.path)(".env")
            ),
        ]);
        steps
    }
}

/// The file of Chatwoot's Compose project that the override extends.
pub const PRODUCTION_FILE: &str = "docker-compose.production.yaml";

/// Where the output directory sits in Chatwoot's Compose project. Compose resolves every
/// relative path of every `-f` file against the project directory (the first file's
/// directory), so the override's paths are written from there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComposeLayout {
    /// The project directory (the output directory when no project file was found).
    pub project_dir: std::path::PathBuf,
    /// The output directory seen from the project directory, `/`-separated, empty when they
    /// are the same directory.
    pub out_from_project: String,
    /// `docker-compose.production.yaml` is in `project_dir`.
    pub found: bool,
}

impl ComposeLayout {
    /// A generated file's path as the override writes it (`./redis.conf`, `./deploy/.env`).
    pub fn path_from_project(&self, name: &str) -> String {
        if self.out_from_project.is_empty() {
            format!("./{name}")
        } else {
            format!("./{}/{name}", self.out_from_project)
        }
    }

    /// The output directory is a subdirectory of the project.
    pub fn in_subdir(&self) -> bool {
        !self.out_from_project.is_empty()
    }
}

/// Looks for `docker-compose.production.yaml` in the output directory and the two directories
/// above it (`--out deploy/` or `--out deploy/redis/` inside the project).
pub fn find_layout(out: &std::path::Path) -> ComposeLayout {
    let absolute = normalize(&std::env::current_dir().unwrap_or_default().join(out));
    let mut dir = absolute.clone();
    let mut below: Vec<String> = Vec::new();
    for _ in 0..3 {
        if dir.join(PRODUCTION_FILE).is_file() {
            below.reverse();
            return ComposeLayout {
                project_dir: dir,
                out_from_project: below.join("/"),
                found: true,
            };
        }
        let Some(name) = dir.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            break;
        };
        below.push(name);
        if !dir.pop() {
            break;
        }
    }
    ComposeLayout {
        project_dir: absolute,
        out_from_project: String::new(),
        found: false,
    }
}

/// `a/./b/../c` → `a/c`, without touching the disk (the directory may not exist yet).
fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_is_found_above_a_subdirectory() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(PRODUCTION_FILE), "services: {}\n").expect("write");
        let same = find_layout(dir.path());
        assert!(same.found && !same.in_subdir());
        assert_eq!(same.path_from_project("redis.conf"), "./redis.conf");
        let sub = find_layout(&dir.path().join("deploy/redis/."));
        assert!(sub.found);
        assert_eq!(sub.out_from_project, "deploy/redis");
        assert_eq!(sub.path_from_project(".env"), "./deploy/redis/.env");
        assert_eq!(normalize(&sub.project_dir), normalize(dir.path()));
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let none = find_layout(&elsewhere.path().join("a"));
        assert!(!none.found && !none.in_subdir());
    }
}
