//! The in-memory result of a render: every file of the set, before anything touches the disk.

#![warn(clippy::too_many_lines)]

use std::fmt;

/// What a generated file is; decides its name, its comment syntax and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    /// Chatwoot's `.env`: merged into an existing file key by key, never replaced.
    Env,
    RedisConf,
    RedisSecretsConf,
    Compose,
    Helm,
    HelmSecret,
    /// The HAProxy that gives ActionCable the current Sentinel master.
    MasterProxy,
    ProviderScript,
    /// single-server: the systemd drop-in with the file-descriptor limit.
    SystemdDropIn,
    /// The kernel settings Redis needs (sysctl.d).
    Sysctl,
    Answers,
}

impl FileKind {
    /// Every kind, in the order files are listed.
    pub const ALL: [FileKind; 11] = [
        FileKind::Env,
        FileKind::RedisConf,
        FileKind::RedisSecretsConf,
        FileKind::Compose,
        FileKind::Helm,
        FileKind::HelmSecret,
        FileKind::MasterProxy,
        FileKind::ProviderScript,
        FileKind::SystemdDropIn,
        FileKind::Sysctl,
        FileKind::Answers,
    ];

    /// The file's fixed name (users, docs and `--check` rely on it).
    pub fn file_name(self) -> &'static str {
        match self {
            FileKind::Env => ".env",
            FileKind::RedisConf => "redis.conf",
            FileKind::RedisSecretsConf => "redis-secrets.conf",
            FileKind::Compose => "docker-compose.redis.yaml",
            FileKind::Helm => "values.redis.yaml",
            FileKind::HelmSecret => "redis-secret.yaml",
            FileKind::MasterProxy => "redis-master-proxy.yaml",
            FileKind::ProviderScript => "redis-settings.sh",
            FileKind::SystemdDropIn => "chatwoot-redis.service.conf",
            FileKind::Sysctl => "chatwoot-redis.sysctl.conf",
            FileKind::Answers => "chatwoot-redis.yaml",
        }
    }

    /// Holds a secret: written 0600, never compared by `--check`, never printed in a diff.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            FileKind::Env | FileKind::RedisSecretsConf | FileKind::HelmSecret
        )
    }

    /// Carries the generated-file header with a checksum (hand edits are detectable).
    /// The answers file is meant to be edited; `.env` is Chatwoot's own file.
    pub fn has_checksum_header(self) -> bool {
        !matches!(self, FileKind::Env | FileKind::Answers)
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// The Redis keys a render sets in `.env`, and the Redis keys it must remove.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EnvUpdate {
    /// `(KEY, encoded value)` in the order to write them; the value is already quoted for
    /// env files (it is the exact text after `=`).
    pub set: Vec<(String, String)>,
    /// Redis keys Chatwoot reads that this scenario must not have (left over from another setup).
    pub remove: Vec<String>,
}

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub kind: FileKind,
    /// The whole file as it is written when no file exists yet.
    pub contents: String,
    /// For `.env` only: the key-level update to apply to an existing file.
    pub env_update: Option<EnvUpdate>,
}

impl RenderedFile {
    pub fn name(&self) -> &'static str {
        self.kind.file_name()
    }
}

/// A complete, validated render: warnings to show and the files, in a stable order.
#[derive(Debug, Clone, Default)]
pub struct RenderSet {
    pub files: Vec<RenderedFile>,
    pub warnings: Vec<String>,
    /// Secret values of this render, so any output path can prove none leaks into a
    /// non-secret file or onto the terminal.
    pub secrets: Vec<String>,
    /// Where `.env` goes when it is not the output directory's (`env-file`).
    pub env_path: Option<std::path::PathBuf>,
}
