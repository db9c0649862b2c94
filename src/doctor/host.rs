//! The host a self-hosted Redis runs on, as INFO (and, on loopback, /proc) shows it: the
//! file-descriptor limit behind a lowered `maxclients`, `maxmemory` against the host's memory
//! with room for a fork, and memory overcommit. Each fix names the setting of the deployment
//! in use (systemd drop-in, Compose `ulimits`, the node's runtime).

use std::net::IpAddr;
use std::path::Path;

use super::finding::Finding;
use super::resp::Info;
use super::settings::Endpoint;
use crate::sizing::{fork_headroom, nofile_for, MEMORY_OVERHEAD, REDIS_RESERVED_FDS};

/// Where the server runs, guessed from the endpoint: it decides how a limit is raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    /// redis-server (or valkey-server) under systemd on this machine.
    Systemd { valkey: bool },
    /// The `redis` service of Chatwoot's Compose file.
    Compose,
    /// Anything else: a pod or another machine.
    Other,
}

impl Host {
    pub fn guess(ep: &Endpoint, info: &Info) -> Host {
        let valkey = info.contains_key("valkey_version")
            || info.get("server_name").is_some_and(|n| n == "valkey");
        if ep.host == "redis" {
            Host::Compose
        } else if is_loopback(&ep.host) || ep.unix_path.is_some() {
            Host::Systemd { valkey }
        } else {
            Host::Other
        }
    }

    fn service(valkey: bool) -> &'static str {
        if valkey {
            "valkey-server"
        } else {
            "redis-server"
        }
    }

    /// How to give the server `nofile` descriptors.
    pub fn nofile_fix(self, nofile: u32) -> String {
        match self {
            Host::Systemd { valkey } => {
                let s = Host::service(valkey);
                format!(
                    "Raise the service's file-descriptor limit: install the drop-in of `chatwoot-redis render --emit +host-limits` as /etc/systemd/system/{s}.service.d/chatwoot.conf (LimitNOFILE={nofile}), then sudo systemctl daemon-reload && sudo systemctl restart {s}. Setting maxclients alone does not help."
                )
            }
            Host::Compose => format!(
                "Raise the container's file-descriptor limit: ulimits: nofile: {{soft: {nofile}, hard: {nofile}}} on the redis service (chatwoot-redis render --scenario docker-compose writes it), then docker compose up -d redis. Setting maxclients alone does not help."
            ),
            Host::Other => format!(
                "Raise the file-descriptor limit of the process that starts Redis to {nofile} (systemd LimitNOFILE, Compose ulimits.nofile, the container runtime's default on the node); setting maxclients alone does not help."
            ),
        }
    }

    fn overcommit_fix(self) -> String {
        match self {
            Host::Systemd { .. } => "Install the sysctl file of `chatwoot-redis render --emit +host-limits` as /etc/sysctl.d/60-chatwoot-redis.conf and run sudo sysctl --system (or: sudo sysctl -w vm.overcommit_memory=1).".into(),
            Host::Compose => "vm.overcommit_memory is a setting of the Docker host, not of the container: on the host, put vm.overcommit_memory = 1 in /etc/sysctl.d/60-chatwoot-redis.conf and run sudo sysctl --system.".into(),
            Host::Other => "Set vm.overcommit_memory = 1 on the machine Redis runs on (/etc/sysctl.d/, then sysctl --system).".into(),
        }
    }

    fn memory_fix(self, maxmemory: u64) -> String {
        let fits = human(maxmemory);
        match self {
            Host::Systemd { .. } | Host::Other => format!(
                "Lower maxmemory so that it plus the same again for a fork fits the memory (render with --maxmemory), or add memory; {fits} needs about {} free.",
                human(need(maxmemory))
            ),
            Host::Compose => format!(
                "Lower maxmemory (render with --maxmemory) or add memory; the container's mem_limit must hold {fits} plus a fork's copies: about {}.",
                human(need(maxmemory))
            ),
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn num(info: &Info, key: &str) -> Option<u64> {
    info.get(key).and_then(|v| v.trim().parse().ok())
}

fn human(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= 1024 * MIB {
        format!("{:.1} GiB", bytes as f64 / (1024 * MIB) as f64)
    } else {
        format!("{} MiB", bytes.div_ceil(MIB))
    }
}

/// Memory a server with this maxmemory needs: data, a fork's copies, buffers.
fn need(maxmemory: u64) -> u64 {
    maxmemory
        .saturating_add(fork_headroom(maxmemory))
        .saturating_add(MEMORY_OVERHEAD)
}

/// A config file's text, at most 1 MiB of it, from a regular file only: the path comes from
/// the server, which could name a device or something endless.
fn read_capped(path: &Path) -> Option<String> {
    use std::io::Read;
    if !std::fs::metadata(path).ok()?.is_file() {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(1024 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The last `maxclients` of a redis.conf text (the server takes the last one).
pub fn configured_maxclients(conf: &str) -> Option<u64> {
    conf.lines().rev().find_map(|l| {
        let mut words = l.split_whitespace();
        let key = words.next()?;
        key.eq_ignore_ascii_case("maxclients")
            .then(|| words.next()?.trim_matches('"').parse().ok())?
    })
}

/// Every host check for one server. `managed`: a provider's service (the host is theirs).
pub fn check(info: &Info, ep: &Endpoint, managed: bool, out: &mut Vec<Finding>) {
    if managed {
        return;
    }
    let host = Host::guess(ep, info);
    maxclients(info, host, out);
    memory(info, host, out);
    if matches!(host, Host::Systemd { .. }) {
        overcommit(
            std::fs::read_to_string("/proc/sys/vm/overcommit_memory").ok(),
            host,
            out,
        );
    }
}

/// Redis lowers maxclients to the fd limit − 32 when it cannot raise the limit: the configured
/// value (from the config file INFO names, readable on this host) against the effective one.
fn maxclients(info: &Info, host: Host, out: &mut Vec<Finding>) {
    let Some(effective) = num(info, "maxclients") else {
        return;
    };
    let config_file = info.get("config_file").filter(|p| !p.is_empty());
    let configured = match host {
        Host::Systemd { .. } => config_file
            .and_then(|p| read_capped(Path::new(p)))
            .and_then(|t| configured_maxclients(&t)),
        _ => None,
    };
    judge_maxclients(
        effective,
        configured,
        config_file.map(String::as_str),
        host,
        out,
    );
}

pub fn judge_maxclients(
    effective: u64,
    configured: Option<u64>,
    config_file: Option<&str>,
    host: Host,
    out: &mut Vec<Finding>,
) {
    let fds = effective.saturating_add(u64::from(REDIS_RESERVED_FDS));
    match configured {
        Some(c) if c > effective => {
            let want = nofile_for(u32::try_from(c).unwrap_or(u32::MAX));
            out.push(
                Finding::error("maxclients-lowered", format!("Redis runs with maxclients {effective}, not the configured {c}: its file-descriptor limit is {fds}"))
                    .observed(format!("maxclients {c} in {}; INFO maxclients:{effective}", config_file.unwrap_or("the config file")))
                    .why("Redis needs maxclients + 32 file descriptors; when the limit is lower it cuts maxclients to the limit − 32 at start, and beyond that Chatwoot gets ERR max number of clients reached.")
                    .fix(host.nofile_fix(want)),
            );
        }
        Some(_) => {}
        None => {
            // Without the file: a maxclients of a power of two − 32 is what a lowered limit
            // leaves (1024 → 992, 4096 → 4064), far below Redis's default of 10000.
            if effective < 10_000 && fds.is_power_of_two() {
                out.push(
                    Finding::warning("maxclients-lowered", format!("maxclients {effective} looks cut to a file-descriptor limit of {fds}"))
                        .observed(format!("INFO maxclients:{effective} = {fds} − 32; the config file is not readable here"))
                        .why("Redis cuts maxclients to the fd limit − 32 when the limit is lower than maxclients + 32.")
                        .fix(host.nofile_fix(nofile_for(1000))),
                );
            }
        }
    }
}

/// maxmemory against the host's memory (INFO total_system_memory): a fork for RDB or an AOF
/// rewrite may copy up to the data size again.
pub fn memory(info: &Info, host: Host, out: &mut Vec<Finding>) {
    let (Some(max), Some(total)) = (num(info, "maxmemory"), num(info, "total_system_memory"))
    else {
        return;
    };
    if max == 0 || total == 0 {
        return;
    }
    let observed = format!(
        "INFO maxmemory:{max} ({}), total_system_memory:{total} ({})",
        human(max),
        human(total)
    );
    if max > total {
        out.push(
            Finding::error("maxmemory-over-host", format!("maxmemory {} is more than the host's {}", human(max), human(total)))
                .observed(observed)
                .why("The limit can never be reached: the kernel kills Redis (OOM) first, and with it every queued job.")
                .fix(host.memory_fix(max)),
        );
    } else if need(max) > total {
        out.push(
            Finding::warning("maxmemory-no-fork-room", format!("maxmemory {} leaves no room for a fork on a {} host", human(max), human(total)))
                .observed(observed)
                .why("RDB snapshots and AOF rewrites fork: the child's copied pages need up to the data size again. A failed fork with stop-writes-on-bgsave-error yes makes Redis refuse all writes.")
                .fix(host.memory_fix(max)),
        );
    }
}

/// `/proc/sys/vm/overcommit_memory` (loopback only: it is this machine's).
pub fn overcommit(value: Option<String>, host: Host, out: &mut Vec<Finding>) {
    let Some(v) = value.map(|v| v.trim().to_string()) else {
        return;
    };
    if v != "1" {
        out.push(
            Finding::warning("overcommit-memory", format!("vm.overcommit_memory is {v}, not 1"))
                .observed(format!("/proc/sys/vm/overcommit_memory: {v}"))
                .why("Redis forks for snapshots and AOF rewrites; without overcommit the fork can fail under memory pressure, and with stop-writes-on-bgsave-error yes Redis then refuses all writes: Chatwoot goes down. Redis logs \"Memory overcommit must be enabled\" at start.")
                .fix(host.overcommit_fix()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.id).collect()
    }

    #[test]
    fn config_files_are_read_capped_and_regular_only() {
        assert_eq!(read_capped(Path::new("/dev/zero")), None);
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("big.conf");
        std::fs::write(&p, "maxclients 7\n".repeat(200_000)).expect("write");
        let text = read_capped(&p).expect("read");
        assert_eq!(text.len(), 1024 * 1024);
        assert_eq!(configured_maxclients(&text), Some(7));
    }

    #[test]
    fn reads_the_last_maxclients() {
        assert_eq!(
            configured_maxclients("port 1\nmaxclients 10\n# maxclients 5\nMAXCLIENTS 1000\n"),
            Some(1000)
        );
        assert_eq!(configured_maxclients("port 1\n"), None);
    }

    #[test]
    fn a_lowered_maxclients_gets_the_fd_fix_of_the_deployment() {
        let mut out = Vec::new();
        let systemd = Host::Systemd { valkey: false };
        judge_maxclients(
            224,
            Some(1000),
            Some("/etc/redis/redis.conf"),
            systemd,
            &mut out,
        );
        assert_eq!(ids(&out), ["maxclients-lowered"]);
        assert!(out[0].title.contains("limit is 256"), "{}", out[0].title);
        assert!(out[0]
            .fix
            .contains("redis-server.service.d/chatwoot.conf (LimitNOFILE=65535)"));
        let mut out = Vec::new();
        judge_maxclients(992, None, None, Host::Compose, &mut out);
        assert!(out[0].fix.contains("ulimits: nofile"), "{}", out[0].fix);
        let mut out = Vec::new();
        judge_maxclients(
            1000,
            Some(1000),
            None,
            Host::Systemd { valkey: true },
            &mut out,
        );
        judge_maxclients(10_000, None, None, Host::Other, &mut out);
        assert!(out.is_empty());
        let mut out = Vec::new();
        judge_maxclients(
            4064,
            Some(5000),
            None,
            Host::Systemd { valkey: true },
            &mut out,
        );
        assert!(out[0].fix.contains("valkey-server"), "{}", out[0].fix);
    }

    #[test]
    fn memory_against_the_host() {
        let gib: u64 = 1024 * 1024 * 1024;
        let info = |max: u64, total: u64| {
            let mut i = Info::new();
            i.insert("maxmemory".into(), max.to_string());
            i.insert("total_system_memory".into(), total.to_string());
            i
        };
        let mut out = Vec::new();
        memory(
            &info(500 * gib, 23 * gib),
            Host::Systemd { valkey: false },
            &mut out,
        );
        assert_eq!(ids(&out), ["maxmemory-over-host"]);
        let mut out = Vec::new();
        memory(&info(12 * gib, 23 * gib), Host::Compose, &mut out);
        assert_eq!(ids(&out), ["maxmemory-no-fork-room"]);
        assert!(out[0].fix.contains("mem_limit"));
        let mut out = Vec::new();
        memory(&info(gib, 23 * gib), Host::Other, &mut out);
        memory(&info(0, 23 * gib), Host::Other, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn overcommit_fix_follows_the_host() {
        let mut out = Vec::new();
        overcommit(
            Some("0\n".into()),
            Host::Systemd { valkey: false },
            &mut out,
        );
        overcommit(
            Some("1\n".into()),
            Host::Systemd { valkey: false },
            &mut out,
        );
        overcommit(Some("2".into()), Host::Compose, &mut out);
        assert_eq!(ids(&out), ["overcommit-memory", "overcommit-memory"]);
        assert!(out[0].fix.contains("sysctl --system"));
        assert!(out[1].fix.contains("Docker host"));
    }
}
