//! A secret file is private from the moment its temporary file exists: the staged
//! temporary file of `.env`, `redis-secrets.conf` and `redis-secret.yaml` is never readable by
//! group or others, whatever the umask; public files are staged with their final mode.

use std::fs;
use std::path::Path;

use chatwoot_redis::header;
use chatwoot_redis::output::{EnvUpdate, FileKind, RenderSet, RenderedFile};
use chatwoot_redis::plan::{self, WriteStep};
use chatwoot_redis::write::is_temp_name;

const SECRET: &str = "Private0From0Creation0x";

fn stamped(kind: FileKind, body: &str) -> RenderedFile {
    RenderedFile {
        kind,
        contents: header::stamp(body),
        env_update: None,
    }
}

fn set() -> RenderSet {
    let mut env = header::plain_header();
    env.push_str(&format!("REDIS_PASSWORD={SECRET}\n"));
    RenderSet {
        files: vec![
            stamped(FileKind::RedisConf, "maxmemory 1gb\n"),
            stamped(
                FileKind::RedisSecretsConf,
                &format!("requirepass {SECRET}\n"),
            ),
            stamped(
                FileKind::HelmSecret,
                &format!("stringData:\n  redis-password: \"{SECRET}\"\n"),
            ),
            RenderedFile {
                kind: FileKind::Env,
                contents: env,
                env_update: Some(EnvUpdate {
                    set: vec![("REDIS_PASSWORD".into(), SECRET.into())],
                    remove: Vec::new(),
                }),
            },
        ],
        ..RenderSet::default()
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).expect("metadata").permissions().mode() & 0o7777
}

/// The temporary file staged for `target` (named after it).
fn temp_of(target: &Path) -> std::path::PathBuf {
    let dir = target.parent().expect("parent");
    let name = target
        .file_name()
        .expect("name")
        .to_string_lossy()
        .trim_start_matches('.')
        .to_string();
    let found: Vec<_> = fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| is_temp_name(n) && n.starts_with(&format!(".{name}.")))
        .collect();
    assert_eq!(found.len(), 1, "temporary files for {name}: {found:?}");
    dir.join(&found[0])
}

#[cfg(unix)]
#[test]
fn staged_temp_files_of_secret_files_are_never_group_or_world_readable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let set = set();
    let p = plan::plan(&set, dir.path()).expect("plan");
    let mut staged = Vec::new();
    plan::apply_with_hook(&p, false, &mut |step| {
        if let WriteStep::Staged(target) = step {
            let m = mode(&temp_of(target));
            let name = target
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            let secret = matches!(
                name.as_str(),
                ".env" | "redis-secrets.conf" | "redis-secret.yaml"
            );
            if secret {
                assert_eq!(m & 0o077, 0, "{name}: staged with mode {m:o}");
            } else {
                assert_eq!(m, 0o644, "{name}: staged with mode {m:o}");
            }
            staged.push((name, secret));
        }
        Ok(())
    })
    .expect("apply");
    let secrets = staged.iter().filter(|(_, s)| *s).count();
    assert_eq!(secrets, 3, "{staged:?}");
    assert_eq!(staged.len(), 4, "{staged:?}");
    for name in [".env", "redis-secrets.conf", "redis-secret.yaml"] {
        assert_eq!(mode(&dir.path().join(name)), 0o600, "{name}");
    }
    assert_eq!(mode(&dir.path().join("redis.conf")), 0o644);
}
