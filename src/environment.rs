//! The process environment, read once: every reader of `REDIS_PASSWORD`, `NO_COLOR`, `CI`
//! and the rest asks this snapshot.

#![warn(clippy::too_many_lines)]

use std::sync::OnceLock;

/// The variables of the process (those with UTF-8 names and values), as at first use.
#[derive(Debug, Default)]
pub struct ProcessEnv {
    vars: Vec<(String, String)>,
}

static SNAPSHOT: OnceLock<ProcessEnv> = OnceLock::new();

impl ProcessEnv {
    /// The snapshot, taken on the first call. In the unit tests it is empty: what the
    /// developer's shell exports (DOTENV_LINEBREAK_MODE, REDIS_PASSWORD, NO_COLOR, …) must not
    /// change a result; a test that needs a variable builds its own with `from_pairs`.
    pub fn get() -> &'static ProcessEnv {
        SNAPSHOT.get_or_init(|| {
            if cfg!(test) {
                return ProcessEnv::default();
            }
            ProcessEnv::from_pairs(
                std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
            )
        })
    }

    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> ProcessEnv {
        ProcessEnv {
            vars: pairs.into_iter().collect(),
        }
    }

    /// A variable's value (set, possibly empty).
    pub fn var(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn is_set_non_empty(&self, key: &str) -> bool {
        self.var(key).is_some_and(|v| !v.is_empty())
    }

    /// `REDIS_PASSWORD`: the Redis password, as Chatwoot reads it.
    pub fn redis_password(&self) -> Option<&str> {
        self.var("REDIS_PASSWORD")
    }

    /// `REDIS_SENTINEL_PASSWORD`: the external sentinels' password.
    pub fn sentinel_password(&self) -> Option<&str> {
        self.var("REDIS_SENTINEL_PASSWORD")
    }

    /// `CHATWOOT_REDIS_URL`, the environment form of `--url`.
    pub fn answer_url(&self) -> Option<&str> {
        self.var("CHATWOOT_REDIS_URL")
    }

    /// `NO_COLOR` set and not empty (no-color.org).
    pub fn no_color(&self) -> bool {
        self.is_set_non_empty("NO_COLOR")
    }

    /// `CI` set and not empty: never prompt.
    pub fn ci(&self) -> bool {
        self.is_set_non_empty("CI")
    }

    /// Every variable, for `doctor` reading Chatwoot's settings from the environment.
    pub fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.vars.iter().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_need_a_non_empty_value() {
        let env = ProcessEnv::from_pairs([
            ("NO_COLOR".to_string(), String::new()),
            ("CI".to_string(), "true".to_string()),
            ("REDIS_PASSWORD".to_string(), "p".to_string()),
        ]);
        assert!(!env.no_color());
        assert!(env.ci());
        assert_eq!(env.redis_password(), Some("p"));
        assert_eq!(env.sentinel_password(), None);
    }

    #[test]
    fn the_unit_tests_see_none_of_the_shells_variables() {
        // PATH is set in every process that runs these tests.
        assert!(std::env::var_os("PATH").is_some());
        assert_eq!(ProcessEnv::get().var("PATH"), None);
        assert_eq!(ProcessEnv::get().pairs().count(), 0);
    }
}
