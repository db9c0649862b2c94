//! Renders racing into one directory: every run succeeds, no file is partial, the set on
//! disk is always one run's whole set, and no run deletes another's temporary files.

use std::fs;
use std::path::Path;
use std::process::{Child, Stdio};

use crate::common::render_cmd;

const PASSWORD: &str = "Race-test-password-81c2d7";
const ROUNDS: usize = 50;

fn spawn(dir: &Path, maxmemory: &str) -> Child {
    render_cmd(
        dir,
        &[
            "--scenario",
            "single-server",
            "--maxmemory",
            maxmemory,
            "-q",
        ],
        Some(PASSWORD),
    )
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("start chatwoot-redis")
}

#[test]
fn racing_renders_never_fail_and_leave_one_whole_set() {
    let base = tempfile::tempdir().unwrap();
    let out = base.path().join("deploy");
    let sizes = ["1gb", "2gb", "3gb", "4gb"];
    for round in 0..ROUNDS {
        // Two to four runs at once, each with its own answers.
        let racers = 2 + round % 3;
        let children: Vec<(usize, Child)> = (0..racers)
            .map(|i| (i, spawn(&out, sizes[(round + i) % sizes.len()])))
            .collect();
        for (i, child) in children {
            let result = child.wait_with_output().unwrap();
            assert!(
                result.status.success(),
                "round {round}, run {i}: exit {:?}\n{}{}",
                result.status.code(),
                String::from_utf8_lossy(&result.stdout),
                String::from_utf8_lossy(&result.stderr)
            );
        }
        // One whole set: the answers file and redis.conf say the same maxmemory, and the
        // check (which compares every file with what the answers produce) passes.
        let answers = fs::read_to_string(out.join("chatwoot-redis.yaml")).unwrap();
        let conf = fs::read_to_string(out.join("redis.conf")).unwrap();
        let size = sizes
            .iter()
            .find(|s| answers.contains(&format!("maxmemory: \"{s}\"")))
            .unwrap_or_else(|| {
                panic!("round {round}: answers file without a known size:\n{answers}")
            });
        assert!(
            conf.lines().any(|l| l == format!("maxmemory {size}")),
            "round {round}: redis.conf is not from the run that wrote the answers ({size})"
        );
        let (code, stdout, stderr) = crate::common::run(&mut render_cmd(&out, &["--check"], None));
        assert_eq!(
            code, 0,
            "round {round}: a mixed or corrupt set\n{stdout}{stderr}"
        );
        let env = fs::read_to_string(out.join(".env")).unwrap();
        assert_eq!(
            crate::common::env_value(&env, "REDIS_PASSWORD").as_deref(),
            Some(PASSWORD),
            "round {round}"
        );
        let temps: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| {
                chatwoot_redis::write::is_temp_name(n) || n == chatwoot_redis::write::JOURNAL
            })
            .collect();
        assert!(temps.is_empty(), "round {round}: left behind {temps:?}");
    }
}
