//! Chatwoot's Redis connection budget and pool sizes, as pure functions of the workload.
//!
//! Derived from Chatwoot's code (its $alfred and $velma pools, Sidekiq's pools, ActionCable);
//! pools are lazy, so these sums are capacity, an upper bound:
//! - each Puma worker process holds `REDIS_ALFRED_SIZE + REDIS_VELMA_SIZE + 10` (Sidekiq client
//!   pool) `+ 2` (ActionCable) connections;
//! - each Sidekiq process holds `SIDEKIQ_CONCURRENCY + 10` (internal) `+ 2` (sidekiq_alive)
//!   `+ min(REDIS_ALFRED_SIZE, SIDEKIQ_CONCURRENCY) + 1`.

#![warn(clippy::too_many_lines)]

use serde::Serialize;

/// Chatwoot's default `REDIS_ALFRED_SIZE`.
pub const DEFAULT_ALFRED: u32 = 5;
/// Chatwoot's default `REDIS_VELMA_SIZE`.
pub const DEFAULT_VELMA: u32 = 10;
/// Connections kept free for redis-cli, monitoring, replication and sentinels.
pub const ADMIN_HEADROOM: u32 = 32;

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
}

impl Default for Workload {
    /// Chatwoot's defaults: one Puma process with 5 threads, one Sidekiq with concurrency 10.
    fn default() -> Self {
        Workload {
            web_processes: 1,
            web_threads: 5,
            sidekiq_processes: 1,
            sidekiq_concurrency: 10,
        }
    }
}

/// The computed budget, with every intermediate value so it can be explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Budget {
    pub alfred: u32,
    pub velma: u32,
    pub per_web_process: u32,
    pub per_sidekiq_process: u32,
    /// Connections Chatwoot opens in steady state.
    pub total: u32,
    /// `maxclients` for the server: room for a rolling restart (old and new processes side by
    /// side, so twice the steady state) plus admin headroom.
    pub maxclients: u32,
}

/// `REDIS_ALFRED_SIZE`: at least one connection per web thread (Chatwoot PR #13395: fewer makes
/// requests queue for up to a second), never below Chatwoot's default.
pub fn alfred_pool_size(w: &Workload) -> u32 {
    w.web_threads.max(DEFAULT_ALFRED)
}

/// `REDIS_VELMA_SIZE`: Rack::Attack uses it on every request, so at least one per web thread.
pub fn velma_pool_size(w: &Workload) -> u32 {
    w.web_threads.max(DEFAULT_VELMA)
}

/// Connections held by one Puma worker process.
pub fn connections_per_web_process(alfred: u32, velma: u32) -> u32 {
    alfred.saturating_add(velma).saturating_add(12)
}

/// Connections held by one Sidekiq process.
pub fn connections_per_sidekiq_process(alfred: u32, concurrency: u32) -> u32 {
    concurrency
        .saturating_add(13)
        .saturating_add(alfred.min(concurrency))
}

/// Connections Chatwoot holds in steady state with the given pool sizes (the configured ones,
/// which `doctor` reads from the env, or the recommended ones of [`budget`]).
pub fn connections_total(w: &Workload, alfred: u32, velma: u32) -> u32 {
    w.web_processes
        .saturating_mul(connections_per_web_process(alfred, velma))
        .saturating_add(
            w.sidekiq_processes
                .saturating_mul(connections_per_sidekiq_process(
                    alfred,
                    w.sidekiq_concurrency,
                )),
        )
}

/// `maxclients` for a steady-state connection count: room for a rolling restart (old and new
/// processes side by side) plus admin headroom.
pub fn maxclients_for(total: u32) -> u32 {
    total.saturating_mul(2).saturating_add(ADMIN_HEADROOM)
}

/// The whole budget for a workload. Saturating arithmetic: absurd inputs are refused by the
/// validators before they get here, but the function stays total.
pub fn budget(w: &Workload) -> Budget {
    let alfred = alfred_pool_size(w);
    let velma = velma_pool_size(w);
    let per_web_process = connections_per_web_process(alfred, velma);
    let per_sidekiq_process = connections_per_sidekiq_process(alfred, w.sidekiq_concurrency);
    let total = connections_total(w, alfred, velma);
    Budget {
        alfred,
        velma,
        per_web_process,
        per_sidekiq_process,
        total,
        maxclients: maxclients_for(total),
    }
}

impl Budget {
    /// The formula with this workload's numbers, for file headers and the wizard.
    pub fn explain(&self, w: &Workload) -> Vec<String> {
        vec![
            format!(
                "workload: {} web process(es) x {} thread(s), {} Sidekiq process(es) x concurrency {}",
                w.web_processes, w.web_threads, w.sidekiq_processes, w.sidekiq_concurrency
            ),
            format!(
                "REDIS_ALFRED_SIZE = max(5, web threads) = {}; REDIS_VELMA_SIZE = max(10, web threads) = {}",
                self.alfred, self.velma
            ),
            format!(
                "per web process = alfred + velma + 10 (Sidekiq client) + 2 (ActionCable) = {}",
                self.per_web_process
            ),
            format!(
                "per Sidekiq process = concurrency + 10 + 2 (sidekiq_alive) + min(alfred, concurrency) + 1 = {}",
                self.per_sidekiq_process
            ),
            format!(
                "Chatwoot total = {} x {} + {} x {} = {} connections",
                w.web_processes,
                self.per_web_process,
                w.sidekiq_processes,
                self.per_sidekiq_process,
                self.total
            ),
            format!(
                "maxclients = 2 x total (rolling restarts) + {ADMIN_HEADROOM} (admin, monitoring) = {}",
                self.maxclients
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_chatwoot() {
        let w = Workload::default();
        let b = budget(&w);
        assert_eq!((b.alfred, b.velma), (5, 10));
        assert_eq!(b.per_web_process, 27);
        assert_eq!(b.per_sidekiq_process, 28);
        assert_eq!(b.total, 55);
        assert_eq!(b.maxclients, 142);
    }

    #[test]
    fn pools_grow_with_threads() {
        let w = Workload {
            web_processes: 2,
            web_threads: 16,
            sidekiq_processes: 3,
            sidekiq_concurrency: 4,
        };
        let b = budget(&w);
        assert_eq!((b.alfred, b.velma), (16, 16));
        assert_eq!(b.per_web_process, 16 + 16 + 12);
        // min(alfred, concurrency) = 4
        assert_eq!(b.per_sidekiq_process, 4 + 12 + 4 + 1);
        assert_eq!(b.total, 2 * 44 + 3 * 21);
    }

    #[test]
    fn heroku_mini_is_exceeded_by_one_web_and_one_worker() {
        assert!(budget(&Workload::default()).total > 20);
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let w = Workload {
            web_processes: u32::MAX,
            web_threads: u32::MAX,
            sidekiq_processes: u32::MAX,
            sidekiq_concurrency: u32::MAX,
        };
        assert_eq!(budget(&w).total, u32::MAX);
    }

    #[test]
    fn explanation_echoes_the_numbers() {
        let w = Workload::default();
        let text = budget(&w).explain(&w).join("\n");
        assert!(text.contains("= 55 connections"));
        assert!(text.contains("= 142"));
    }
}
