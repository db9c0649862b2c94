//! The deployment scenarios: what each one is, emits and asks.

use std::fmt;

/// Where Redis runs for this Chatwoot deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scenario {
    SingleServer,
    DockerCompose,
    KubernetesSentinel,
    Elasticache,
    Azure,
    Memorystore,
    Heroku,
    Digitalocean,
}

/// An output kind that `--emit` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Output {
    Env,
    RedisConf,
    Compose,
    Helm,
    Provider,
}

impl Output {
    pub const ALL: [Output; 5] = [
        Output::Env,
        Output::RedisConf,
        Output::Compose,
        Output::Helm,
        Output::Provider,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Output::Env => "env",
            Output::RedisConf => "redis-conf",
            Output::Compose => "compose",
            Output::Helm => "helm",
            Output::Provider => "provider",
        }
    }

    pub fn parse(s: &str) -> Option<Output> {
        Output::ALL.into_iter().find(|o| o.id() == s)
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Scenario {
    pub const ALL: [Scenario; 8] = [
        Scenario::SingleServer,
        Scenario::DockerCompose,
        Scenario::KubernetesSentinel,
        Scenario::Elasticache,
        Scenario::Azure,
        Scenario::Memorystore,
        Scenario::Heroku,
        Scenario::Digitalocean,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Scenario::SingleServer => "single-server",
            Scenario::DockerCompose => "docker-compose",
            Scenario::KubernetesSentinel => "kubernetes-sentinel",
            Scenario::Elasticache => "elasticache",
            Scenario::Azure => "azure",
            Scenario::Memorystore => "memorystore",
            Scenario::Heroku => "heroku",
            Scenario::Digitalocean => "digitalocean",
        }
    }

    pub fn parse(s: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|sc| sc.id() == s)
    }

    /// One line for lists and the wizard's select.
    pub fn description(self) -> &'static str {
        match self {
            Scenario::SingleServer => {
                "redis-server on the Chatwoot host (systemd, e.g. a cwctl install)"
            }
            Scenario::DockerCompose => {
                "the redis service of Chatwoot's docker-compose.production.yaml"
            }
            Scenario::KubernetesSentinel => {
                "Chatwoot Helm chart with Bitnami Redis + Sentinel, or external sentinels"
            }
            Scenario::Elasticache => "AWS ElastiCache, Redis OSS or Valkey, cluster mode disabled",
            Scenario::Azure => {
                "Azure Managed Redis, non-clustered (Azure Cache for Redis runs 6.0: refused)"
            }
            Scenario::Memorystore => "Google Cloud Memorystore for Redis (not Memorystore Cluster)",
            Scenario::Heroku => "Heroku Key-Value Store (heroku-redis add-on)",
            Scenario::Digitalocean => "DigitalOcean Managed Valkey",
        }
    }

    /// A managed service: no redis.conf of ours, no Sentinel, CONFIG blocked.
    pub fn is_managed(self) -> bool {
        matches!(
            self,
            Scenario::Elasticache
                | Scenario::Azure
                | Scenario::Memorystore
                | Scenario::Heroku
                | Scenario::Digitalocean
        )
    }

    /// The outputs `render` writes when `--emit` is not given.
    pub fn default_outputs(self) -> &'static [Output] {
        match self {
            Scenario::SingleServer => &[Output::Env, Output::RedisConf],
            Scenario::DockerCompose => &[Output::Env, Output::Compose, Output::RedisConf],
            Scenario::KubernetesSentinel => &[Output::Helm],
            _ => &[Output::Env, Output::Provider],
        }
    }

    /// The answers this scenario asks for (flag names), in wizard order.
    pub fn questions(self) -> &'static [&'static str] {
        match self {
            Scenario::SingleServer => &[
                "redis-version",
                "port",
                "db",
                "auth",
                "username",
                "password",
                "maxmemory",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
            ],
            Scenario::DockerCompose => &[
                "redis-version",
                "password",
                "maxmemory",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
            ],
            Scenario::KubernetesSentinel => &[
                "release",
                "namespace",
                "sentinels",
                "host",
                "sentinel-master",
                "password",
                "maxmemory",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
            ],
            Scenario::Elasticache => &[
                "host",
                "port",
                "tls",
                "auth",
                "username",
                "password",
                "db",
                "redis-version",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
                "max-connections",
            ],
            Scenario::Azure => &[
                "host",
                "port",
                "password",
                "db",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
                "max-connections",
            ],
            Scenario::Memorystore => &[
                "host",
                "tls",
                "auth",
                "password",
                "db",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
                "max-connections",
            ],
            Scenario::Heroku => &[
                "url",
                "max-connections",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
            ],
            Scenario::Digitalocean => &[
                "host",
                "port",
                "password",
                "db",
                "web-processes",
                "web-threads",
                "sidekiq-processes",
                "sidekiq-concurrency",
                "max-connections",
            ],
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// `chatwoot-redis scenarios`: the table of scenarios, outputs and questions.
pub fn describe_all() -> String {
    let mut out = String::new();
    for sc in Scenario::ALL {
        let outputs: Vec<&str> = sc.default_outputs().iter().map(|o| o.id()).collect();
        out.push_str(&format!("{}\n  {}\n", sc.id(), sc.description()));
        out.push_str(&format!("  outputs:   {}\n", outputs.join(", ")));
        out.push_str(&format!("  questions: {}\n\n", sc.questions().join(", ")));
    }
    out.push_str(
        "Outputs: env = .env, redis-conf = redis.conf (+ redis-secrets.conf), compose = \
         docker-compose.redis.yaml,\n  helm = values.redis.yaml (+ redis-secret.yaml), provider = \
         redis-settings.sh. Add or remove with --emit (e.g. --emit +helm).\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip() {
        for sc in Scenario::ALL {
            assert_eq!(Scenario::parse(sc.id()), Some(sc));
        }
        for o in Output::ALL {
            assert_eq!(Output::parse(o.id()), Some(o));
        }
        assert_eq!(Scenario::parse("kubernetes"), None);
    }

    #[test]
    fn listing_names_every_scenario() {
        let text = describe_all();
        for sc in Scenario::ALL {
            assert!(text.contains(sc.id()));
        }
    }
}
