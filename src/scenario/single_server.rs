//! `single-server`: redis-server on the Chatwoot host (systemd, e.g. a cwctl install).

use super::{Output, Rules, ScenarioSpec, StepContext};
use crate::answers::{Answers, Auth, Field, RedisVersion};
use crate::chatwoot::SentinelAddr;
use crate::error::{Error, Result};
use crate::output::FileKind;

pub struct SingleServer;

static RULES: Rules = Rules {
    auth_optional: true,
    // Debian 12's redis-server package (7.0.15).
    default_version: RedisVersion::Redis70,
    records_dirs: true,
    ..Rules::SELF_HOSTED
};

impl ScenarioSpec for SingleServer {
    fn id(&self) -> &'static str {
        "single-server"
    }

    fn description(&self) -> &'static str {
        "redis-server on the Chatwoot host (systemd, e.g. a cwctl install)"
    }

    fn rules(&self) -> &'static Rules {
        &RULES
    }

    fn default_outputs(&self) -> &'static [Output] {
        &[Output::Env, Output::RedisConf, Output::HostLimits]
    }

    fn questions(&self) -> &'static [Field] {
        &[
            Field::RedisVersion,
            Field::Port,
            Field::Db,
            Field::Auth,
            Field::Username,
            Field::Password,
            Field::Maxmemory,
            Field::WebProcesses,
            Field::WebThreads,
            Field::SidekiqProcesses,
            Field::SidekiqConcurrency,
        ]
    }

    fn default_host(&self, _release: &str, _sentinels: &[SentinelAddr]) -> Option<String> {
        Some("127.0.0.1".to_string())
    }

    fn check_host(&self, host: &str) -> Result<()> {
        if host != "localhost" && host.parse::<std::net::IpAddr>().is_err() {
            return Err(Error::invalid_answer(
                Field::Host,
                host,
                "single-server writes the addresses redis-server listens on (bind), which must be IP addresses",
                "use --host 127.0.0.1 (Redis on the Chatwoot host), or the server's IP address",
            ));
        }
        Ok(())
    }

    /// redis-secrets.conf defines Chatwoot's ACL user and then switches `default` off: a user
    /// named `default` would be declared twice, and redis-server refuses to start ("Duplicate
    /// user found"). Pods cannot reach a loopback Redis: `--emit +helm` needs the server's
    /// private address.
    fn check_answers(&self, a: &Answers) -> Result<()> {
        let writes_acl_user = a.auth == Auth::Password && a.outputs.contains(&Output::RedisConf);
        if let Some(user) = a.username.as_deref().filter(|_| writes_acl_user) {
            if user == "default" {
                return Err(Error::invalid_answer(
                    Field::Username,
                    user,
                    "redis-secrets.conf declares Chatwoot's ACL user and switches the default \
                     user off; redis-server refuses a second `user default` line \
                     (\"Duplicate user found\")",
                    "name Chatwoot's own user, e.g. --username chatwoot, or remove --username \
                     to authenticate the default user with the password",
                ));
            }
        }
        let loopback = a.host == "localhost"
            || a.host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if a.outputs.contains(&Output::Helm) && loopback {
            return Err(Error::invalid_answer(
                Field::Emit,
                a.emit_spec.clone().unwrap_or_default(),
                format!(
                    "values.redis.yaml would point Chatwoot's pods at {}, which inside a pod is \
                     the pod itself: no Redis listens there",
                    a.host
                ),
                "pass --host with this server's private address (redis.conf binds it), or use \
                 --scenario kubernetes-sentinel for Redis inside the cluster",
            ));
        }
        Ok(())
    }

    fn help(&self, field: Field) -> Option<&'static str> {
        match field {
            Field::Port => Some(
                "The port redis-server listens on (bound to loopback: Chatwoot runs on this host)",
            ),
            _ => None,
        }
    }

    fn next_steps(&self, cx: &StepContext<'_>) -> Vec<String> {
        let a: &Answers = cx.answers;
        // Debian's units read /etc/redis/redis.conf and /etc/valkey/valkey.conf.
        let (group, service, conf) = if a.redis_version.is_valkey() {
            ("valkey", "valkey-server", "valkey.conf")
        } else {
            ("redis", "redis-server", "redis.conf")
        };
        let env = (cx.path)(".env");
        let mut steps = Vec::new();
        if (cx.has)(FileKind::RedisConf) {
            // The new redis.conf turns AOF on: a server holding data without an AOF must
            // write one while it runs, or the restart below starts it empty.
            steps.extend(
                crate::doctor::live::AOF_SHELL_STEPS
                    .iter()
                    .map(|s| s.to_string()),
            );
            steps.push(format!(
                "sudo install -m 640 -o {group} -g {group} {} {}/{conf}",
                (cx.path)("redis.conf"),
                a.config_dir
            ));
        }
        if (cx.has)(FileKind::RedisSecretsConf) {
            steps.push(format!(
                "sudo install -m 600 -o {group} -g {group} {} {}/",
                (cx.path)("redis-secrets.conf"),
                a.config_dir
            ));
        }
        if (cx.has)(FileKind::SystemdDropIn) {
            steps.push(format!(
                "sudo install -D -m 644 {} /etc/systemd/system/{service}.service.d/chatwoot.conf",
                (cx.path)("chatwoot-redis.service.conf")
            ));
            steps.push("sudo systemctl daemon-reload".into());
        }
        if (cx.has)(FileKind::Sysctl) {
            steps.push(format!(
                "sudo install -m 644 {} /etc/sysctl.d/60-chatwoot-redis.conf && sudo sysctl --system",
                (cx.path)("chatwoot-redis.sysctl.conf")
            ));
            steps.push(format!(
                "# transparent huge pages: {service} turns them off for itself (disable-thp); if its log still warns, run `echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled` (and boot with transparent_hugepage=madvise)"
            ));
        }
        steps.push(format!("sudo systemctl restart {service}"));
        steps.push(format!(
            "# put the REDIS_* lines of {env} into Chatwoot's .env (or use --out on Chatwoot's directory), then:"
        ));
        steps.push("sudo systemctl restart chatwoot.target".into());
        steps.push(format!("chatwoot-redis doctor --env-file {env}"));
        steps
    }
}
