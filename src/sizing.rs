//! Chatwoot's Redis connection budget, pool sizes and host limits, as pure functions of the
//! workload.
//!
//! Derived from Chatwoot's code (its `$alfred` and `$velma` pools, Sidekiq's pools,
//! ActionCable, sidekiq_alive). Pools are lazy: connection_pool and Sidekiq open a connection
//! only when a thread needs one, so two figures are given:
//!
//! - **capacity**, what the pools may open (an upper bound), per Puma process with `T` threads:
//!   `alfred + velma + 10` (Sidekiq client pool) `+ 2` (ActionCable), plus up to `T`
//!   throw-away connections (one per in-flight `/api` request, closed only by Ruby's GC; the
//!   readiness probe makes one every 5 s). Per Sidekiq process with concurrency `C`:
//!   `C + 10` (Sidekiq's internal pool) `+ SIDEKIQ_ALIVE_CONCURRENCY + min(alfred, C) + 1`.
//! - **reachable**, what the threads can use at most: alfred `min(alfred, T + 4)` (request
//!   threads and ActionCable's 4 worker threads, whose channel callbacks use `$alfred`), velma
//!   `min(velma, T)` (Rack::Attack, one per request thread), Sidekiq client `min(10, T + 4)`
//!   (the same threads enqueue jobs), ActionCable 2 (its pub/sub listener and its broadcast
//!   connection), plus the `T` throw-away connections. Per Sidekiq process: `C` (one per
//!   processor thread, the capsule's pool) `+ 3` (the internal pool is used by three threads
//!   only: the heartbeat, the scheduled-job poller and the launcher's main thread at start and
//!   stop) `+ SIDEKIQ_ALIVE_CONCURRENCY + min(alfred, C)` (job threads share `$alfred`) `+ 1`.
//!
//! `ENABLE_RACK_ATTACK=false` leaves `$velma` unused; `DISABLE_SIDEKIQ_ALIVE=true` removes the
//! sidekiq_alive term. Worked by hand: at Chatwoot's defaults (T 5, C 10, alfred 10, velma 10)
//! the pools' capacity is 32 + 33 = 65 (70 with the 5 throw-away connections); reachable
//! 30 + 26 = 56. The smallest Chatwoot (T 1, C 1) reaches 14 + 8 = 22, or 20 without
//! sidekiq_alive.

#![warn(clippy::too_many_lines)]

use serde::Serialize;

/// Chatwoot's default `REDIS_ALFRED_SIZE`; also the rule's floor.
pub const DEFAULT_ALFRED: u32 = 5;
/// Chatwoot's default `REDIS_VELMA_SIZE`.
pub const DEFAULT_VELMA: u32 = 10;
/// Chatwoot's default `SIDEKIQ_ALIVE_CONCURRENCY`.
pub const DEFAULT_SIDEKIQ_ALIVE_CONCURRENCY: u32 = 2;
/// The Sidekiq client pool of each Puma process (fixed in Chatwoot's Sidekiq initializer).
pub const SIDEKIQ_CLIENT_POOL: u32 = 10;
/// ActionCable's own Redis connections per process (pub/sub listener, broadcasts).
pub const ACTIONCABLE_CONNECTIONS: u32 = 2;
/// ActionCable's worker pool: its channel callbacks draw from `$alfred`.
pub const ACTIONCABLE_WORKERS: u32 = 4;
/// Sidekiq's internal pool size (capacity).
pub const SIDEKIQ_INTERNAL_POOL: u32 = 10;
/// Threads that use Sidekiq's internal pool: heartbeat, scheduled-job poller, launcher.
pub const SIDEKIQ_INTERNAL_USERS: u32 = 3;
/// Connections kept free for redis-cli, monitoring, replication and sentinels.
pub const ADMIN_HEADROOM: u32 = 32;
/// Readiness-probe connections per web process waiting for Ruby's GC: one minute of probes
/// every 5 s (a major GC closes them; beyond that the floor covers the rest).
pub const PROBE_BACKLOG: u32 = 12;
/// `maxclients` never goes below this (README: "Why maxclients is at least 1,000").
pub const MAXCLIENTS_FLOOR: u32 = 1000;
/// Redis keeps 32 file descriptors for itself: it lowers maxclients to the fd limit − 32.
pub const REDIS_RESERVED_FDS: u32 = 32;
/// Debian's redis-server unit sets `LimitNOFILE=65535`: the drop-in never lowers it.
pub const DEBIAN_LIMIT_NOFILE: u32 = 65535;
/// Memory besides the data: client buffers, the AOF rewrite buffer, allocator overhead.
pub const MEMORY_OVERHEAD: u64 = 256 * 1024 * 1024;

/// What runs against Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Workload {
    /// Puma worker processes in total (WEB_CONCURRENCY × web hosts or pods; 1 in single mode).
    pub web_processes: u32,
    /// Threads per Puma process (`RAILS_MAX_THREADS`).
    pub web_threads: u32,
    /// Sidekiq processes in total.
    pub sidekiq_processes: u32,
    /// Threads per Sidekiq process (`SIDEKIQ_CONCURRENCY`).
    pub sidekiq_concurrency: u32,
    /// `SIDEKIQ_ALIVE_CONCURRENCY` (Chatwoot's default 2).
    pub sidekiq_alive_concurrency: u32,
    /// sidekiq_alive runs (`DISABLE_SIDEKIQ_ALIVE` unset or false).
    pub sidekiq_alive: bool,
    /// Rack::Attack runs (`ENABLE_RACK_ATTACK`, default true): it is `$velma`'s only user.
    pub rack_attack: bool,
    /// The most web processes at once (an autoscaler's maximum); `None`: `web_processes`.
    pub max_web_processes: Option<u32>,
    /// The most Sidekiq processes at once; `None`: `sidekiq_processes`.
    pub max_sidekiq_processes: Option<u32>,
}

impl Default for Workload {
    /// Chatwoot's defaults: one Puma process with 5 threads, one Sidekiq with concurrency 10.
    fn default() -> Self {
        Workload {
            web_processes: 1,
            web_threads: 5,
            sidekiq_processes: 1,
            sidekiq_concurrency: 10,
            sidekiq_alive_concurrency: DEFAULT_SIDEKIQ_ALIVE_CONCURRENCY,
            sidekiq_alive: true,
            rack_attack: true,
            max_web_processes: None,
            max_sidekiq_processes: None,
        }
    }
}

impl Workload {
    /// sidekiq_alive's connections per Sidekiq process.
    pub fn sidekiq_alive_connections(&self) -> u32 {
        if self.sidekiq_alive {
            self.sidekiq_alive_concurrency
        } else {
            0
        }
    }

    pub fn peak_web_processes(&self) -> u32 {
        self.max_web_processes
            .unwrap_or(self.web_processes)
            .max(self.web_processes)
    }

    pub fn peak_sidekiq_processes(&self) -> u32 {
        self.max_sidekiq_processes
            .unwrap_or(self.sidekiq_processes)
            .max(self.sidekiq_processes)
    }
}

/// The two pool sizes Chatwoot reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pools {
    pub alfred: u32,
    pub velma: u32,
}

/// `REDIS_ALFRED_SIZE ≥ max(5, RAILS_MAX_THREADS + 4, SIDEKIQ_CONCURRENCY)`: request threads
/// and ActionCable's 4 workers in Puma, every job thread in Sidekiq; a thread that finds the
/// pool empty waits 1 s, then fails with `ConnectionPool::TimeoutError`.
pub fn alfred_pool_size(w: &Workload) -> u32 {
    DEFAULT_ALFRED
        .max(w.web_threads.saturating_add(ACTIONCABLE_WORKERS))
        .max(w.sidekiq_concurrency)
}

/// `REDIS_VELMA_SIZE ≥ RAILS_MAX_THREADS` (Chatwoot PR #13395), never below the default.
pub fn velma_pool_size(w: &Workload) -> u32 {
    w.web_threads.max(DEFAULT_VELMA)
}

/// A pool size with its rule: `NAME = RULE = N` when the size in effect is the rule's, else
/// `NAME = N (the rule RULE gives M)` (a size set in the environment).
fn pool_line(name: &str, rule: &str, wanted: u32, actual: u32) -> String {
    if actual == wanted {
        format!("{name} = {rule} = {actual}")
    } else {
        format!("{name} = {actual} (the rule {rule} gives {wanted})")
    }
}

/// The recommended pools for a workload.
pub fn recommended_pools(w: &Workload) -> Pools {
    Pools {
        alfred: alfred_pool_size(w),
        velma: velma_pool_size(w),
    }
}

/// One process's connections, term by term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub alfred: u32,
    pub velma: u32,
    /// Puma: the Sidekiq client pool; Sidekiq: the processor threads' pool (`C`).
    pub sidekiq: u32,
    /// Puma: ActionCable's 2; Sidekiq: the internal pool.
    pub fixed: u32,
    /// Puma: throw-away `/api` connections; Sidekiq: sidekiq_alive.
    pub extra: u32,
    /// Sidekiq: the `+ 1`.
    pub one: u32,
}

impl Terms {
    pub fn sum(&self) -> u32 {
        self.alfred
            .saturating_add(self.velma)
            .saturating_add(self.sidekiq)
            .saturating_add(self.fixed)
            .saturating_add(self.extra)
            .saturating_add(self.one)
    }
}

fn velma_or_zero(w: &Workload, velma: u32) -> u32 {
    if w.rack_attack {
        velma
    } else {
        0
    }
}

/// Capacity of one Puma process: what its pools may open, plus the throw-away connections.
pub fn web_capacity(w: &Workload, p: &Pools) -> Terms {
    Terms {
        alfred: p.alfred,
        velma: velma_or_zero(w, p.velma),
        sidekiq: SIDEKIQ_CLIENT_POOL,
        fixed: ACTIONCABLE_CONNECTIONS,
        extra: w.web_threads,
        one: 0,
    }
}

/// What one Puma process's threads can use at most.
pub fn web_reachable(w: &Workload, p: &Pools) -> Terms {
    let users = w.web_threads.saturating_add(ACTIONCABLE_WORKERS);
    Terms {
        alfred: p.alfred.min(users),
        velma: velma_or_zero(w, p.velma.min(w.web_threads)),
        sidekiq: SIDEKIQ_CLIENT_POOL.min(users),
        fixed: ACTIONCABLE_CONNECTIONS,
        extra: w.web_threads,
        one: 0,
    }
}

/// Capacity of one Sidekiq process.
pub fn sidekiq_capacity(w: &Workload, p: &Pools) -> Terms {
    Terms {
        alfred: p.alfred.min(w.sidekiq_concurrency),
        velma: 0,
        sidekiq: w.sidekiq_concurrency,
        fixed: SIDEKIQ_INTERNAL_POOL,
        extra: w.sidekiq_alive_connections(),
        one: 1,
    }
}

/// What one Sidekiq process's threads can use at most.
pub fn sidekiq_reachable(w: &Workload, p: &Pools) -> Terms {
    Terms {
        fixed: SIDEKIQ_INTERNAL_USERS,
        ..sidekiq_capacity(w, p)
    }
}

/// Connections of `web` and `sidekiq` processes with the given per-process figures.
fn total(web: u32, per_web: u32, sidekiq: u32, per_sidekiq: u32) -> u32 {
    web.saturating_mul(per_web)
        .saturating_add(sidekiq.saturating_mul(per_sidekiq))
}

/// The computed budget, with every intermediate value so it can be explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub alfred: u32,
    pub velma: u32,
    pub web_capacity: Terms,
    pub web_reachable: Terms,
    pub sidekiq_capacity: Terms,
    pub sidekiq_reachable: Terms,
    /// What the pools may open, all processes (at the usual process counts).
    pub capacity: u32,
    /// What the threads can use at most, all processes.
    pub reachable: u32,
    /// Capacity at the most processes an autoscaler may run.
    pub peak_capacity: u32,
    /// `maxclients` for a self-hosted server (see [`maxclients_for`]).
    pub maxclients: u32,
}

/// The budget with given pool sizes (the configured ones, which `doctor` reads from the env,
/// or the recommended ones of [`budget`]).
pub fn budget_with(w: &Workload, pools: Pools) -> Budget {
    let (wc, wr) = (web_capacity(w, &pools), web_reachable(w, &pools));
    let (sc, sr) = (sidekiq_capacity(w, &pools), sidekiq_reachable(w, &pools));
    let capacity = total(w.web_processes, wc.sum(), w.sidekiq_processes, sc.sum());
    let reachable = total(w.web_processes, wr.sum(), w.sidekiq_processes, sr.sum());
    let peak_capacity = total(
        w.peak_web_processes(),
        wc.sum(),
        w.peak_sidekiq_processes(),
        sc.sum(),
    );
    Budget {
        alfred: pools.alfred,
        velma: pools.velma,
        web_capacity: wc,
        web_reachable: wr,
        sidekiq_capacity: sc,
        sidekiq_reachable: sr,
        capacity,
        reachable,
        peak_capacity,
        maxclients: maxclients_for(w, peak_capacity),
    }
}

/// The whole budget for a workload with the recommended pools. Saturating arithmetic: absurd
/// inputs are refused by the validators before they get here, but the function stays total.
pub fn budget(w: &Workload) -> Budget {
    budget_with(w, recommended_pools(w))
}

/// `maxclients`: a cap near the estimate turns any estimate error into
/// `ERR max number of clients reached`, so: twice the capacity at the most replicas (a rolling
/// restart runs old and new side by side), the probe backlog of every web process, the admin
/// headroom, and never below [`MAXCLIENTS_FLOOR`].
pub fn maxclients_for(w: &Workload, peak_capacity: u32) -> u32 {
    peak_capacity
        .saturating_mul(2)
        .saturating_add(w.peak_web_processes().saturating_mul(PROBE_BACKLOG))
        .saturating_add(ADMIN_HEADROOM)
        .max(MAXCLIENTS_FLOOR)
}

/// `LimitNOFILE` / `ulimits.nofile` for a maxclients: Redis needs maxclients + 32 descriptors;
/// Debian's own 65535 is never lowered.
pub fn nofile_for(maxclients: u32) -> u32 {
    maxclients
        .saturating_add(REDIS_RESERVED_FDS)
        .max(DEBIAN_LIMIT_NOFILE)
}

/// A fork (RDB snapshot, AOF rewrite) copies pages as they are written: a busy server can need
/// up to its data size again while the child runs.
pub fn fork_headroom(maxmemory: u64) -> u64 {
    maxmemory
}

/// The memory limit of a Redis container or pod: the data, the fork's copies, the overhead.
/// A limit below this gets the server OOM-killed in the middle of a snapshot.
pub fn memory_limit_for(maxmemory: u64) -> u64 {
    maxmemory
        .saturating_add(fork_headroom(maxmemory))
        .saturating_add(MEMORY_OVERHEAD)
}

/// The memory a Redis pod requests (it is scheduled where the data fits).
pub fn memory_request_for(maxmemory: u64) -> u64 {
    maxmemory.saturating_add(MEMORY_OVERHEAD)
}

/// Bytes as a Kubernetes/Compose quantity in whole mebibytes, rounded up (`1280Mi`).
pub fn mebibytes(bytes: u64) -> String {
    format!("{}Mi", bytes.div_ceil(1024 * 1024))
}

/// A plan's connection cap against the budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapVerdict {
    /// Even the pools' capacity fits.
    Fits,
    /// The threads cannot exceed the cap, but the pools could if the estimate is off.
    Tight,
    /// The threads can open more than the cap.
    Over,
}

/// One rule for every scenario and the wizard: below the reachable figure is an error,
/// between reachable and capacity a warning.
pub fn judge_cap(b: &Budget, cap: u32) -> CapVerdict {
    if b.reachable > cap {
        CapVerdict::Over
    } else if b.capacity > cap {
        CapVerdict::Tight
    } else {
        CapVerdict::Fits
    }
}

impl Budget {
    /// The verdict on a cap as one sentence, and the knobs that bring the budget under it.
    pub fn cap_message(&self, w: &Workload, cap: u32) -> Option<(CapVerdict, String, String)> {
        let verdict = judge_cap(self, cap);
        let msg = match verdict {
            CapVerdict::Fits => return None,
            CapVerdict::Over => format!(
                "the plan allows {cap} connections, but Chatwoot's threads can use {} at this \
                 workload (capacity of its pools {})",
                self.reachable, self.capacity
            ),
            CapVerdict::Tight => format!(
                "the plan allows {cap} connections: Chatwoot's threads use at most {} at this \
                 workload, within the cap, but its pools may open {} (a deploy that runs old and \
                 new processes side by side, or an estimate error, hits the cap)",
                self.reachable, self.capacity
            ),
        };
        Some((verdict, msg, self.knobs(w)))
    }

    /// The settings that lower the budget, with their values and what each saves.
    pub fn knobs(&self, w: &Workload) -> String {
        let mut parts = vec![
            format!(
                "--web-threads (RAILS_MAX_THREADS={}: each thread fewer saves up to 4 per web \
                 process)",
                w.web_threads
            ),
            format!(
                "--sidekiq-concurrency (SIDEKIQ_CONCURRENCY={}: each fewer saves 2 per Sidekiq \
                 process)",
                w.sidekiq_concurrency
            ),
            format!(
                "--web-processes {} / --sidekiq-processes {} ({} / {} reachable each)",
                w.web_processes,
                w.sidekiq_processes,
                self.web_reachable.sum(),
                self.sidekiq_reachable.sum()
            ),
            format!(
                "the pool sizes REDIS_ALFRED_SIZE={} / REDIS_VELMA_SIZE={} (derived from the \
                 threads)",
                self.alfred, self.velma
            ),
        ];
        if w.sidekiq_alive {
            parts.push(format!(
                "--disable-sidekiq-alive (SIDEKIQ_ALIVE_CONCURRENCY={}: saves {} per Sidekiq \
                 process; Kubernetes liveness probes then need another check)",
                w.sidekiq_alive_concurrency, w.sidekiq_alive_concurrency
            ));
        }
        if w.rack_attack {
            parts.push(format!(
                "--enable-rack-attack false (saves {} per web process; no request throttling)",
                self.web_reachable.velma
            ));
        }
        format!("lower {} or use a larger plan", parts.join(", "))
    }

    /// The formula with this workload's numbers, for file headers, the wizard and doctor.
    pub fn explain(&self, w: &Workload) -> Vec<String> {
        let (wc, wr, sc, sr) = (
            self.web_capacity,
            self.web_reachable,
            self.sidekiq_capacity,
            self.sidekiq_reachable,
        );
        let mut lines = vec![
            format!(
                "workload: {} web process(es) x {} thread(s), {} Sidekiq process(es) x concurrency {}",
                w.web_processes, w.web_threads, w.sidekiq_processes, w.sidekiq_concurrency
            ),
            format!(
                "{}; {}",
                pool_line(
                    "REDIS_ALFRED_SIZE",
                    "max(5, threads + 4, concurrency)",
                    alfred_pool_size(w),
                    self.alfred
                ),
                pool_line(
                    "REDIS_VELMA_SIZE",
                    "max(10, threads)",
                    velma_pool_size(w),
                    self.velma
                ),
            ),
            format!(
                "per web process: capacity alfred {} + velma {} + Sidekiq client {} + ActionCable {} + /api throw-away {} = {}",
                wc.alfred, wc.velma, wc.sidekiq, wc.fixed, wc.extra, wc.sum()
            ),
            format!(
                "                 reachable alfred {} + velma {} + Sidekiq client {} + ActionCable {} + /api throw-away {} = {}",
                wr.alfred, wr.velma, wr.sidekiq, wr.fixed, wr.extra, wr.sum()
            ),
            format!(
                "per Sidekiq process: capacity {} + internal {} + sidekiq_alive {} + alfred {} + 1 = {}; reachable {} + internal {} + {} + {} + 1 = {}",
                sc.sidekiq, sc.fixed, sc.extra, sc.alfred, sc.sum(),
                sr.sidekiq, sr.fixed, sr.extra, sr.alfred, sr.sum()
            ),
            format!(
                "Chatwoot: capacity {} connections, reachable {}",
                self.capacity, self.reachable
            ),
        ];
        if self.peak_capacity != self.capacity {
            lines.push(format!(
                "at the most replicas ({} web, {} Sidekiq): capacity {}",
                w.peak_web_processes(),
                w.peak_sidekiq_processes(),
                self.peak_capacity
            ));
        }
        lines.push(format!(
            "maxclients = max({MAXCLIENTS_FLOOR}, 2 x {} (rolling restarts) + {PROBE_BACKLOG} x {} (probes awaiting GC) + {ADMIN_HEADROOM} (admin)) = {}",
            self.peak_capacity,
            w.peak_web_processes(),
            self.maxclients
        ));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(web: u32, t: u32, sk: u32, c: u32) -> Workload {
        Workload {
            web_processes: web,
            web_threads: t,
            sidekiq_processes: sk,
            sidekiq_concurrency: c,
            ..Workload::default()
        }
    }

    /// Chatwoot's defaults, by hand from facts §6: alfred max(5, 9, 10) = 10, velma 10; web
    /// capacity 10 + 10 + 10 + 2 = 32 (+5 throw-away), reachable 9 + 5 + 9 + 2 + 5 = 30;
    /// Sidekiq capacity 10 + 10 + 2 + 10 + 1 = 33, reachable 10 + 3 + 2 + 10 + 1 = 26.
    #[test]
    fn defaults() {
        let wl = Workload::default();
        let b = budget(&wl);
        assert_eq!((b.alfred, b.velma), (10, 10));
        assert_eq!(b.web_capacity.sum() - b.web_capacity.extra, 32);
        assert_eq!(b.web_capacity.sum(), 37);
        assert_eq!(b.web_reachable.sum(), 30);
        assert_eq!(b.sidekiq_capacity.sum(), 33);
        assert_eq!(b.sidekiq_reachable.sum(), 26);
        assert_eq!(b.capacity, 70);
        assert_eq!(b.reachable, 56);
        // 2 x 70 + 12 + 32 = 184: the floor.
        assert_eq!(b.maxclients, 1000);
        assert_eq!(nofile_for(b.maxclients), 65535);
    }

    /// The smallest Chatwoot (1 thread, concurrency 1): alfred max(5, 5, 1) = 5, velma 10.
    /// Web reachable 5 + 1 + 5 + 2 + 1 = 14; Sidekiq 1 + 3 + 2 + 1 + 1 = 8: 22, 20 without
    /// sidekiq_alive. Capacity: 5 + 10 + 10 + 2 + 1 = 28 and 1 + 10 + 2 + 1 + 1 = 15: 43.
    #[test]
    fn smallest() {
        let wl = w(1, 1, 1, 1);
        let b = budget(&wl);
        assert_eq!((b.alfred, b.velma), (5, 10));
        assert_eq!(b.web_reachable.sum(), 14);
        assert_eq!(b.sidekiq_reachable.sum(), 8);
        assert_eq!(b.reachable, 22);
        assert_eq!(b.capacity, 43);
        let no_alive = budget(&Workload {
            sidekiq_alive: false,
            ..wl
        });
        assert_eq!(no_alive.reachable, 20);
        assert_eq!(no_alive.capacity, 41);
        // Rack::Attack off: velma unused, 1 fewer reachable, 10 fewer capacity.
        let no_rack = budget(&Workload {
            sidekiq_alive: false,
            rack_attack: false,
            ..wl
        });
        assert_eq!((no_rack.reachable, no_rack.capacity), (19, 31));
    }

    /// Heroku mini caps at 20: the smallest Chatwoot with sidekiq_alive is over it (22),
    /// without it exactly at its reachable figure (tight: a warning, not a refusal).
    #[test]
    fn heroku_mini_cap() {
        let wl = w(1, 1, 1, 1);
        assert_eq!(judge_cap(&budget(&wl), 20), CapVerdict::Over);
        let off = Workload {
            sidekiq_alive: false,
            ..wl
        };
        assert_eq!(judge_cap(&budget(&off), 20), CapVerdict::Tight);
        assert_eq!(judge_cap(&budget(&off), 41), CapVerdict::Fits);
        assert_eq!(judge_cap(&budget(&off), 40), CapVerdict::Tight);
        // The defaults are far over a mini plan.
        assert_eq!(
            judge_cap(&budget(&Workload::default()), 20),
            CapVerdict::Over
        );
        let (_, msg, fix) = budget(&wl).cap_message(&wl, 20).expect("over");
        assert!(msg.contains("can use 22"), "{msg}");
        assert!(
            fix.contains("--disable-sidekiq-alive (SIDEKIQ_ALIVE_CONCURRENCY=2"),
            "{fix}"
        );
        assert!(fix.contains("RAILS_MAX_THREADS=1"), "{fix}");
    }

    /// The chart's HPAs at their maximum, 10 web pods and 10 Sidekiq pods at defaults:
    /// peak capacity 10 x 37 + 10 x 33 = 700; maxclients 2 x 700 + 12 x 10 + 32 = 1552.
    #[test]
    fn hpa_at_maximum() {
        let wl = Workload {
            max_web_processes: Some(10),
            max_sidekiq_processes: Some(10),
            ..Workload::default()
        };
        let b = budget(&wl);
        assert_eq!(b.capacity, 70);
        assert_eq!(b.peak_capacity, 700);
        assert_eq!(b.maxclients, 1552);
        assert_eq!(nofile_for(b.maxclients), 65535);
        assert!(b.explain(&wl).join("\n").contains("capacity 700"));
    }

    /// Many threads: T 16, C 4 on 2 web and 3 Sidekiq processes. alfred max(5, 20, 4) = 20,
    /// velma 16. Web capacity 20 + 16 + 10 + 2 + 16 = 64, reachable min(20, 20) + min(16, 16) +
    /// min(10, 20) + 2 + 16 = 64. Sidekiq capacity 4 + 10 + 2 + 4 + 1 = 21, reachable
    /// 4 + 3 + 2 + 4 + 1 = 14. Totals: capacity 2 x 64 + 3 x 21 = 191, reachable 128 + 42 = 170.
    #[test]
    fn many_threads() {
        let wl = w(2, 16, 3, 4);
        let b = budget(&wl);
        assert_eq!((b.alfred, b.velma), (20, 16));
        assert_eq!(b.web_capacity.sum(), 64);
        assert_eq!(b.web_reachable.sum(), 64);
        assert_eq!(b.sidekiq_capacity.sum(), 21);
        assert_eq!(b.sidekiq_reachable.sum(), 14);
        assert_eq!((b.capacity, b.reachable), (191, 170));
        assert_eq!(judge_cap(&b, 169), CapVerdict::Over);
        assert_eq!(judge_cap(&b, 170), CapVerdict::Tight);
        assert_eq!(judge_cap(&b, 191), CapVerdict::Fits);
    }

    /// High Sidekiq concurrency: T 5, C 25, 1 + 2 processes, sidekiq_alive 4. alfred
    /// max(5, 9, 25) = 25. Web capacity 25 + 10 + 10 + 2 + 5 = 52, reachable 9 + 5 + 9 + 2 + 5
    /// = 30. Sidekiq capacity 25 + 10 + 4 + 25 + 1 = 65, reachable 25 + 3 + 4 + 25 + 1 = 58.
    /// Capacity 52 + 130 = 182, reachable 30 + 116 = 146; maxclients the floor (2 x 182 + 12 +
    /// 32 = 408).
    #[test]
    fn busy_sidekiq() {
        let wl = Workload {
            sidekiq_alive_concurrency: 4,
            ..w(1, 5, 2, 25)
        };
        let b = budget(&wl);
        assert_eq!(b.alfred, 25);
        assert_eq!((b.web_capacity.sum(), b.web_reachable.sum()), (52, 30));
        assert_eq!(
            (b.sidekiq_capacity.sum(), b.sidekiq_reachable.sum()),
            (65, 58)
        );
        assert_eq!((b.capacity, b.reachable), (182, 146));
        assert_eq!(b.maxclients, 1000);
    }

    /// Large: 20 web processes x 8 threads, 10 Sidekiq x 20, Rack::Attack off. alfred
    /// max(5, 12, 20) = 20, velma 10 (unused). Web capacity 20 + 0 + 10 + 2 + 8 = 40,
    /// reachable 12 + 0 + 10 + 2 + 8 = 32. Sidekiq capacity 20 + 10 + 2 + 20 + 1 = 53,
    /// reachable 46. Capacity 800 + 530 = 1330, reachable 640 + 460 = 1100; maxclients
    /// 2 x 1330 + 12 x 20 + 32 = 2932, LimitNOFILE stays 65535.
    #[test]
    fn large_without_rack_attack() {
        let wl = Workload {
            rack_attack: false,
            ..w(20, 8, 10, 20)
        };
        let b = budget(&wl);
        assert_eq!((b.alfred, b.velma), (20, 10));
        assert_eq!((b.web_capacity.sum(), b.web_reachable.sum()), (40, 32));
        assert_eq!(
            (b.sidekiq_capacity.sum(), b.sidekiq_reachable.sum()),
            (53, 46)
        );
        assert_eq!((b.capacity, b.reachable), (1330, 1100));
        assert_eq!(b.maxclients, 2932);
        assert_eq!(nofile_for(70_000), 70_032);
    }

    /// Configured pools smaller than the rule: reachable is bounded by the pools.
    #[test]
    fn configured_small_pools_bound_reachable() {
        let wl = Workload::default();
        let b = budget_with(
            &wl,
            Pools {
                alfred: 5,
                velma: 10,
            },
        );
        // Web: min(5, 9) + min(10, 5) + min(10, 9) + 2 + 5 = 26; Sidekiq 10 + 3 + 2 + 5 + 1 = 21.
        assert_eq!(b.reachable, 47);
        // Web 5 + 10 + 10 + 2 + 5 = 32; Sidekiq 10 + 10 + 2 + 5 + 1 = 28.
        assert_eq!(b.capacity, 60);
    }

    #[test]
    fn memory_limits() {
        let gb = 1024 * 1024 * 1024;
        assert_eq!(memory_limit_for(gb), 2 * gb + MEMORY_OVERHEAD);
        assert_eq!(mebibytes(memory_limit_for(gb)), "2304Mi");
        assert_eq!(mebibytes(memory_request_for(gb)), "1280Mi");
        assert_eq!(mebibytes(1), "1Mi");
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let m = u32::MAX;
        let wl = Workload {
            max_web_processes: Some(m),
            ..w(m, m, m, m)
        };
        let b = budget(&wl);
        assert_eq!(b.capacity, u32::MAX);
        assert_eq!(b.maxclients, u32::MAX);
        assert_eq!(memory_limit_for(u64::MAX), u64::MAX);
    }

    #[test]
    fn explanation_echoes_the_numbers() {
        let wl = Workload::default();
        let text = budget(&wl).explain(&wl).join("\n");
        assert!(
            text.contains("capacity 70 connections, reachable 56"),
            "{text}"
        );
        assert!(text.contains("= 1000"), "{text}");
        assert!(
            text.contains("REDIS_ALFRED_SIZE = max(5, threads + 4, concurrency) = 10;"),
            "{text}"
        );
        // Pools set below the rule are shown as set, with what the rule gives.
        let set = budget_with(
            &wl,
            Pools {
                alfred: 5,
                velma: 10,
            },
        )
        .explain(&wl)
        .join("\n");
        assert!(
            set.contains(
                "REDIS_ALFRED_SIZE = 5 (the rule max(5, threads + 4, concurrency) gives 10); \
                 REDIS_VELMA_SIZE = max(10, threads) = 10"
            ),
            "{set}"
        );
    }

    #[test]
    fn plan_caps_are_judged_at_their_exact_boundaries() {
        let wl = Workload::default();
        let b = budget(&wl);
        // Defaults: reachable 56, capacity 70.
        assert_eq!(judge_cap(&b, 55), CapVerdict::Over);
        assert_eq!(judge_cap(&b, 56), CapVerdict::Tight);
        assert_eq!(judge_cap(&b, 69), CapVerdict::Tight);
        assert_eq!(judge_cap(&b, 70), CapVerdict::Fits);
        assert_eq!(judge_cap(&b, 71), CapVerdict::Fits);
        assert_eq!(b.cap_message(&wl, 70), None);
        let (v, msg, knobs) = b.cap_message(&wl, 55).expect("over");
        assert_eq!(v, CapVerdict::Over);
        assert!(
            msg.contains("allows 55") && msg.contains("use 56") && msg.contains("70"),
            "{msg}"
        );
        assert!(knobs.contains("--web-threads"), "{knobs}");
        let (v, msg, _) = b.cap_message(&wl, 60).expect("tight");
        assert_eq!(v, CapVerdict::Tight);
        assert!(
            msg.contains("allows 60") && msg.contains("at most 56") && msg.contains("open 70"),
            "{msg}"
        );
    }
}
