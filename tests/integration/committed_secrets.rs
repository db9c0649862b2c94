//! A secret that a hand edit or `CONFIG REWRITE` put into a file meant to be committed is
//! flagged by `--check` and `--diff`, and its value is never printed.

use crate::common::Cmd;

const PW: &str = "Committed0Secret0Password0";
const LEAK: &str = "Leaked0By0ConfigRewrite0";

#[test]
fn check_flags_a_requirepass_line_in_redis_conf_without_printing_it() {
    let dir = tempfile::tempdir().unwrap();
    Cmd::new()
        .args(["render", "--scenario", "single-server", "--out"])
        .arg(dir.path())
        .env("REDIS_PASSWORD", PW)
        .run()
        .code(0);
    let conf_path = dir.path().join("redis.conf");
    let conf = std::fs::read_to_string(&conf_path).unwrap();
    std::fs::write(
        &conf_path,
        format!("{conf}requirepass {LEAK}\nuser chatwoot on >{LEAK} ~* &* +@all\n"),
    )
    .unwrap();
    for mode in ["--check", "--diff"] {
        let out = Cmd::new()
            .args(["render", mode, "--out"])
            .arg(dir.path())
            .env("REDIS_PASSWORD", PW)
            .run();
        let all = format!("{}{}", out.stdout, out.stderr);
        assert!(!all.contains(LEAK), "{mode} printed the secret:\n{all}");
        assert!(!all.contains(PW), "{mode} printed the password:\n{all}");
        assert!(all.contains("requirepass <hidden>"), "{mode}:\n{all}");
        if mode == "--check" {
            out.code(1);
            assert!(all.contains("holds a Redis secret on line"), "{all}");
            assert!(all.contains("rotate the password"), "{all}");
        }
    }
}
