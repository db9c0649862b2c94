//! The wizard's question flow, driven by a scripted prompter.

use std::path::Path;

use super::*;

/// One scripted answer.
#[derive(Debug, Clone)]
enum Step {
    /// Accept the default.
    Enter,
    Type(&'static str),
    /// The first option that starts with this text.
    Pick(&'static str),
    Yes,
    No,
    /// Ctrl-C / Esc.
    Cancel,
}

/// Answers prompts whose message contains a key, in order; Enter for every other prompt.
struct Scripted {
    script: Vec<(&'static str, Step)>,
    /// Every prompt message, in order.
    asked: Vec<String>,
    /// (prompt, validator message) for every refused answer.
    refused: Vec<(String, String)>,
    /// Option lists shown by selects.
    options: Vec<Vec<String>>,
}

impl Scripted {
    fn new(script: &[(&'static str, Step)]) -> Self {
        Scripted {
            script: script.to_vec(),
            asked: Vec::new(),
            refused: Vec::new(),
            options: Vec::new(),
        }
    }

    fn next(&mut self, message: &str) -> Result<Step> {
        self.asked.push(message.to_string());
        if self.asked.len() > 200 {
            return Err(Error::Usage(format!("script loops at {message:?}")));
        }
        match self.script.iter().position(|(k, _)| message.contains(k)) {
            Some(i) => {
                let (_, step) = self.script.remove(i);
                if let Step::Cancel = step {
                    return Err(Error::Interrupted);
                }
                Ok(step)
            }
            None => Ok(Step::Enter),
        }
    }

    fn answer_text(
        &mut self,
        message: &str,
        default: Option<&str>,
        validate: Validator<'_>,
    ) -> Result<String> {
        loop {
            let value = match self.next(message)? {
                Step::Enter => default.unwrap_or("").to_string(),
                Step::Type(t) => t.to_string(),
                other => return Err(Error::Usage(format!("{message}: unexpected {other:?}"))),
            };
            match validate(&value) {
                Ok(()) => return Ok(value),
                Err(m) => self.refused.push((message.to_string(), m)),
            }
        }
    }
}

impl Prompter for Scripted {
    fn select(
        &mut self,
        message: &str,
        options: &[String],
        default: usize,
        _: &str,
    ) -> Result<usize> {
        self.options.push(options.to_vec());
        match self.next(message)? {
            Step::Enter => Ok(default),
            Step::Pick(p) => options
                .iter()
                .position(|o| o.starts_with(p))
                .ok_or_else(|| Error::Usage(format!("{message}: no option {p:?} in {options:?}"))),
            other => Err(Error::Usage(format!("{message}: unexpected {other:?}"))),
        }
    }

    fn text(&mut self, q: &TextQuestion<'_>) -> Result<String> {
        assert!(!q.help.is_empty(), "{} has no help line", q.message);
        self.answer_text(q.message, q.default, q.validate)
    }

    fn password(&mut self, message: &str, _: &str, validate: OwnedValidator) -> Result<String> {
        self.answer_text(message, None, &*validate)
    }

    fn confirm(&mut self, message: &str, default: bool, _: &str) -> Result<bool> {
        match self.next(message)? {
            Step::Enter => Ok(default),
            Step::Yes => Ok(true),
            Step::No => Ok(false),
            other => Err(Error::Usage(format!("{message}: unexpected {other:?}"))),
        }
    }
}

fn ctx<'a>(out: &'a Path, flags: &'a PasswordSource) -> Context<'a> {
    let defaults = load_defaults(out, &commands::answers_path(out, None)).unwrap_or_default();
    Context {
        out_dir: out,
        defaults,
        fixed: RawAnswers::new(),
        secret_flags: flags,
        env_password: false,
        quiet: false,
        verbose: false,
    }
}

fn run(out: &Path, script: &[(&'static str, Step)]) -> (Result<Prepared>, Scripted, String) {
    let flags = PasswordSource::default();
    let c = ctx(out, &flags);
    let mut p = Scripted::new(script);
    let mut w = Vec::new();
    let r = interview(&mut p, &mut w, &c);
    (r, p, String::from_utf8_lossy(&w).into_owned())
}

fn scenario(id: &str) -> Scenario {
    Scenario::parse(id).expect("a registered scenario")
}

/// The only answers without a default, per scenario.
fn needed(sc: Scenario) -> Vec<(&'static str, Step)> {
    let mut v = vec![("Where does", Step::Pick(sc.id()))];
    match sc.id() {
        "elasticache" => v.push((
            "Redis host",
            Step::Type("master.chatwoot.abc123.use1.cache.amazonaws.com"),
        )),
        "azure" => v.push((
            "Redis host",
            Step::Type("chatwoot.westeurope.redis.azure.net"),
        )),
        "memorystore" => v.push(("Redis host", Step::Type("10.0.0.3"))),
        "digitalocean" => v.push((
            "Redis host",
            Step::Type("db-valkey-fra1-1-do-user-1-0.b.db.ondigitalocean.com"),
        )),
        "heroku" => v.push((
            "REDIS_URL",
            Step::Type("rediss://:p4ssw0rdHeroku@ec2-1-2-3-4.compute-1.amazonaws.com:12345"),
        )),
        "throwaway-cloud" => v.push(("Redis host", Step::Type("cache.example.net"))),
        _ => {}
    }
    v
}

#[test]
fn every_scenario_gives_a_valid_render_with_defaults() {
    for sc in Scenario::all() {
        let dir = tempfile::tempdir().unwrap();
        let (r, p, out) = run(dir.path(), &needed(sc));
        let prepared = r.unwrap_or_else(|e| panic!("{sc}: {e}\nasked: {:?}", p.asked));
        assert_eq!(prepared.answers.scenario, sc);
        assert!(p.refused.is_empty(), "{sc}: {:?}", p.refused);
        // Only this scenario's questions (plus scenario, password choice, sizes, confirm).
        for q in &p.asked {
            assert!(
                !q.contains("sentinels") || sc == scenario("kubernetes-sentinel"),
                "{sc}: {q}"
            );
        }
        assert!(
            p.asked.iter().any(|q| q.contains("Use these sizes")),
            "{sc}"
        );
        assert!(
            p.asked.last().unwrap().contains("Write these files"),
            "{sc}"
        );
        assert!(
            out.contains("Chatwoot: capacity"),
            "{sc}: budget not shown:\n{out}"
        );
        // maxclients is ours to set only where we write redis.conf.
        assert_eq!(
            out.contains("maxclients ="),
            !sc.is_managed(),
            "{sc}:\n{out}"
        );
        assert!(out.contains("Plan for"), "{sc}");
        let answers_file = prepared
            .set
            .files
            .iter()
            .find(|f| f.kind == FileKind::Answers)
            .expect("answers file");
        let (password, origin) = prepared.secrets.password.clone().expect("a password");
        let expected = if sc == scenario("heroku") {
            Origin::Url
        } else {
            Origin::Generated
        };
        assert_eq!(origin, expected, "{sc}");
        assert!(
            !answers_file.contents.contains(&password),
            "{sc}: secret in answers"
        );
        assert!(
            !out.contains(&password),
            "{sc}: password shown before writing"
        );
        // The answers file reproduces the same answers.
        let mut back = RawAnswers::from_yaml(&answers_file.contents, "test").unwrap();
        if sc.rules().record == crate::scenario::EndpointRecord::Rotating {
            // Not recorded: it comes back from the .env the render writes.
            let env = prepared
                .set
                .files
                .iter()
                .find(|f| f.kind == FileKind::Env)
                .expect(".env");
            let url = crate::envfile::active_assignments(&env.contents)
                .into_iter()
                .find(|(k, _)| k == "REDIS_URL")
                .map(|(_, v)| v)
                .expect("REDIS_URL");
            back.set(Field::Url, url);
        }
        let mut back = answers::resolve(&back).unwrap();
        if sc.rules().record == crate::scenario::EndpointRecord::Rotating {
            back.url_password = prepared.answers.url_password.clone(); // the prompt's secret
        }
        back.compose = prepared.answers.compose.clone(); // found on disk, not an answer
        assert_eq!(back, prepared.answers, "{sc}");
    }
}

#[test]
fn a_bad_answer_is_asked_again_with_the_validator_message() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Redis port", Step::Type("70000")),
            ("Redis port", Step::Type("6380")),
            ("maxmemory", Step::Type("10mb")),
            ("maxmemory", Step::Type("2gb")),
        ],
    );
    let prepared = r.unwrap();
    assert_eq!(prepared.answers.port, 6380);
    assert_eq!(prepared.answers.maxmemory.text, "2gb");
    assert_eq!(p.refused.len(), 2, "{:?}", p.refused);
    assert!(p.refused[0].1.contains("not a TCP port"), "{:?}", p.refused);
    assert!(p.refused[1].1.contains("below 32mb"), "{:?}", p.refused);
}

#[test]
fn answers_given_as_flags_are_not_asked() {
    let dir = tempfile::tempdir().unwrap();
    let flags = PasswordSource::default();
    let mut c = ctx(dir.path(), &flags);
    c.fixed.set(Field::Scenario, "azure");
    c.fixed.set(Field::Port, "10000");
    let mut p = Scripted::new(&[(
        "Redis host",
        Step::Type("chatwoot.westeurope.redis.azure.net"),
    )]);
    let prepared = interview(&mut p, &mut Vec::new(), &c).unwrap();
    assert_eq!(prepared.answers.port, 10000);
    assert!(!p
        .asked
        .iter()
        .any(|q| q.contains("Where does") || q.contains("Redis port")));
}

#[test]
fn an_answer_the_render_refuses_is_asked_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut script = needed(scenario("elasticache"));
    script.push(("TLS", Step::No));
    script.push(("TLS", Step::Yes));
    let (r, p, out) = run(dir.path(), &script);
    let prepared = r.unwrap();
    assert!(prepared.answers.tls);
    assert!(out.contains("in-transit encryption"), "{out}");
    assert_eq!(p.asked.iter().filter(|q| q.contains("TLS")).count(), 2);
}

#[test]
fn an_entered_password_follows_the_core_rules() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("docker-compose")),
            ("Redis password", Step::Pick("enter")),
            ("Type the Redis password", Step::Type("0777")),
            (
                "Type the Redis password",
                Step::Type("Str0ngEnoughPassw0rd"),
            ),
        ],
    );
    let prepared = r.unwrap();
    assert_eq!(p.refused.len(), 1);
    assert!(p.refused[0].1.contains("cable.yml"), "{:?}", p.refused);
    let (pw, origin) = prepared.secrets.password.clone().unwrap();
    assert_eq!(
        (pw.as_str(), origin),
        ("Str0ngEnoughPassw0rd", Origin::Prompt)
    );
    let env = prepared
        .set
        .files
        .iter()
        .find(|f| f.kind == FileKind::Env)
        .unwrap();
    assert!(env.contents.contains("Str0ngEnoughPassw0rd"));
    for f in &prepared.set.files {
        if f.kind == FileKind::Answers {
            assert!(!f.contents.contains("Str0ngEnoughPassw0rd"));
        }
    }
}

#[test]
fn auth_none_asks_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Require a password", Step::Pick("none")),
        ],
    );
    let prepared = r.unwrap();
    assert!(prepared.secrets.password.is_none());
    assert!(!p.asked.iter().any(|q| q.contains("Redis password")));
    assert!(!p.asked.iter().any(|q| q.contains("ACL user")) || prepared.answers.username.is_none());
}

#[test]
fn sizes_are_shown_and_can_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, out) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("docker-compose")),
            ("Threads per Puma", Step::Type("16")),
            ("Use these sizes", Step::No),
            ("Threads per Puma", Step::Type("8")),
            ("Use these sizes", Step::Yes),
        ],
    );
    let prepared = r.unwrap();
    assert_eq!(prepared.answers.workload.web_threads, 8);
    assert!(
        out.contains("REDIS_ALFRED_SIZE = max(5, threads + 4, concurrency) = 20"),
        "{out}"
    );
    assert!(
        out.contains("REDIS_ALFRED_SIZE = max(5, threads + 4, concurrency) = 12"),
        "{out}"
    );
    assert_eq!(
        p.asked
            .iter()
            .filter(|q| q.contains("memory limit"))
            .count(),
        2
    );
}

#[test]
fn heroku_connection_cap_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let mut script = needed(scenario("heroku"));
    script.push(("Connection cap", Step::Type("20")));
    script.push(("Connection cap", Step::Type("100")));
    let (r, p, out) = run(dir.path(), &script);
    let prepared = r.unwrap();
    assert_eq!(prepared.answers.max_connections, Some(100));
    assert!(out.contains("the plan allows 20"), "{out}");
    assert!(
        p.asked
            .iter()
            .filter(|q| q.contains("Connection cap"))
            .count()
            >= 2
    );
}

#[test]
fn ctrl_c_and_declining_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Redis port", Step::Cancel),
        ],
    );
    assert!(matches!(r, Err(Error::Interrupted)));
    let (r, _, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Write these", Step::No),
        ],
    );
    assert!(matches!(r, Err(Error::Interrupted)));
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn rerun_with_enter_everywhere_reproduces_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Redis port", Step::Type("6390")),
            ("memory limit", Step::Type("768mb")),
        ],
    );
    let first = r.unwrap();
    plan::execute(
        &first.set,
        dir.path(),
        plan::Mode::Write { force: false },
        &mut Vec::new(),
    )
    .unwrap();
    let (r, p, _) = run(dir.path(), &[]);
    let second = r.unwrap();
    assert_eq!(
        second.secrets.password.as_ref().unwrap().1,
        Origin::ExistingEnvFile
    );
    assert!(p
        .options
        .iter()
        .any(|o| o[0].starts_with("keep the existing")));
    assert_eq!(first.set.files, second.set.files);
}

#[test]
fn another_scenario_on_rerun_starts_from_its_own_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("single-server")),
            ("Redis port", Step::Type("6390")),
        ],
    );
    plan::execute(
        &r.unwrap().set,
        dir.path(),
        plan::Mode::Write { force: false },
        &mut Vec::new(),
    )
    .unwrap();
    let (r, _, _) = run(dir.path(), &[("Where does", Step::Pick("docker-compose"))]);
    assert_eq!(r.unwrap().answers.port, 6379);
}

#[test]
fn unattended_lists_every_missing_answer() {
    let dir = tempfile::tempdir().unwrap();
    let flags = PasswordSource::default();
    let lines = missing_answers(&RawAnswers::new(), dir.path(), &flags).unwrap();
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].line.contains("--scenario") && lines[0].line.contains("CHATWOOT_REDIS_SCENARIO")
    );

    let mut raw = RawAnswers::new();
    raw.set(Field::Scenario, "elasticache");
    let lines = missing_answers(&raw, dir.path(), &flags).unwrap();
    assert!(
        lines[0].line.contains("--host") && lines[0].line.contains("CHATWOOT_REDIS_HOST"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.line.contains("REDIS_PASSWORD")),
        "{lines:?}"
    );

    raw.set(Field::Scenario, "heroku");
    let lines = missing_answers(&raw, dir.path(), &flags).unwrap();
    assert!(
        lines[0].line.contains("--url") && lines[0].line.contains("CHATWOOT_REDIS_URL"),
        "{lines:?}"
    );
}

#[test]
fn next_steps_are_commands_for_the_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            scenario("docker-compose"),
            "docker compose -f docker-compose.production.yaml -f",
        ),
        (scenario("single-server"), "redis-secrets.conf /etc/redis/"),
        (
            scenario("kubernetes-sentinel"),
            "helm upgrade --install chatwoot chatwoot/chatwoot",
        ),
        (scenario("elasticache"), "bash "),
    ];
    for (sc, expected) in cases {
        let (r, _, _) = run(dir.path(), &needed(sc));
        let prepared = r.unwrap();
        let steps = next_steps(&prepared.answers, &prepared.set, dir.path()).join("\n");
        assert!(steps.contains(expected), "{sc}: {steps}");
        if sc == scenario("single-server") {
            // AOF is turned on by the running server before the new redis.conf and restart.
            let aof = steps
                .find("redis-cli CONFIG SET appendonly yes")
                .expect("AOF step");
            let wait = steps.find("aof_rewrite_in_progress:0").expect("wait step");
            let install = steps.find("redis.conf").expect("install step");
            let restart = steps.find("systemctl restart").expect("restart step");
            assert!(aof < wait && wait < restart && aof < install, "{steps}");
        }
    }
}

#[test]
fn every_question_has_a_help_line() {
    for sc in Scenario::all() {
        for q in sc.questions() {
            assert!(!help(*q, sc).is_empty(), "{sc} {q}");
        }
    }
}

#[test]
fn a_new_heroku_url_replaces_the_old_endpoint_on_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _, _) = run(dir.path(), &needed(scenario("heroku")));
    let first = r.unwrap();
    plan::execute(
        &first.set,
        dir.path(),
        plan::Mode::Write { force: false },
        &mut Vec::new(),
    )
    .unwrap();
    // Enter keeps the endpoint and the password (from the existing .env).
    let (r, p, _) = run(dir.path(), &[]);
    let same = r.unwrap();
    assert_eq!(same.answers, first.answers);
    assert_eq!(same.set.files, first.set.files);
    assert!(!p
        .asked
        .iter()
        .any(|q| q.contains("Type the Redis password")));
    // Heroku rotated host and port.
    let (r, _, _) = run(
        dir.path(),
        &[(
            "REDIS_URL",
            Step::Type("rediss://:n3wPassw0rd@ec2-9-9-9-9.compute-1.amazonaws.com:23456"),
        )],
    );
    let moved = r.unwrap();
    assert_eq!(moved.answers.host, "ec2-9-9-9-9.compute-1.amazonaws.com");
    assert_eq!(moved.answers.port, 23456);
    assert_eq!(
        moved.secrets.password.unwrap(),
        ("n3wPassw0rd".to_string(), Origin::Url)
    );
}

#[test]
fn kubernetes_rerun_keeps_the_password_of_redis_secret_yaml() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _, _) = run(dir.path(), &needed(scenario("kubernetes-sentinel")));
    let first = r.unwrap();
    assert!(first
        .set
        .files
        .iter()
        .any(|f| f.kind == FileKind::HelmSecret));
    plan::execute(
        &first.set,
        dir.path(),
        plan::Mode::Write { force: false },
        &mut Vec::new(),
    )
    .unwrap();
    let (r, p, _) = run(dir.path(), &[]);
    let second = r.unwrap();
    assert!(
        p.options
            .iter()
            .any(|o| o[0] == "keep the existing password (from redis-secret.yaml)"),
        "{:?}",
        p.options
    );
    assert_eq!(first.set.files, second.set.files);
}

#[test]
fn quiet_keeps_only_the_questions_and_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let flags = PasswordSource::default();
    let mut c = ctx(dir.path(), &flags);
    c.quiet = true;
    let mut p = Scripted::new(&[
        ("Where does", Step::Pick("docker-compose")),
        ("memory limit", Step::Type("1")),
    ]);
    let mut w = Vec::new();
    interview(&mut p, &mut w, &c).unwrap();
    let out = String::from_utf8_lossy(&w);
    assert!(
        !out.contains("maxclients") && !out.contains("Answers ("),
        "{out}"
    );
    assert_eq!(p.refused.len(), 1, "refusals are shown at the prompt");
}

/// A value for every answer the table marks as surviving a scenario change, none of them
/// the default.
fn portable_values() -> Vec<(Field, &'static str)> {
    let values: Vec<(Field, &'static str)> = Field::answers()
        .filter(|f| f.spec().portable)
        .map(|f| {
            let v = match f {
                Field::WebProcesses => "3",
                Field::WebThreads => "7",
                Field::SidekiqProcesses => "2",
                Field::SidekiqConcurrency => "12",
                Field::SidekiqAliveConcurrency => "3",
                Field::DisableSidekiqAlive => "true",
                Field::EnableRackAttack => "false",
                Field::EnvFile => "chatwoot.env",
                other => panic!("{other}: portable now; give it a test value"),
            };
            (f, v)
        })
        .collect();
    assert!(values.len() >= 4, "{values:?}");
    values
}

#[test]
fn a_scenario_switch_keeps_every_portable_answer_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = "scenario: docker-compose\nmaxmemory: \"3gb\"\nport: 6390\n".to_string();
    for (f, v) in portable_values() {
        yaml.push_str(&format!("{f}: {v}\n"));
    }
    std::fs::write(dir.path().join("chatwoot-redis.yaml"), &yaml).unwrap();
    let (r, _, out) = run(dir.path(), &[("Where does", Step::Pick("single-server"))]);
    let prepared = r.unwrap();
    let saved = answers::to_answers_yaml(&prepared.answers);
    for (f, v) in portable_values() {
        assert!(saved.contains(&format!("{f}: {v}")), "{f} lost:\n{saved}");
        assert!(out.contains(&format!("{f} {v}")), "{out}");
    }
    // Answers that mean something else in another scenario start from its defaults.
    assert_eq!(prepared.answers.port, 6379);
    assert!(!saved.contains("3gb"), "{saved}");
    assert!(out.starts_with("loaded answers from "), "{out}");
    assert!(
        out.contains("Kept from the docker-compose answers: "),
        "{out}"
    );
}

#[test]
fn a_url_pasted_at_the_host_prompt_is_split_and_its_password_is_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, out) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("elasticache")),
            (
                "Redis host",
                Step::Type(
                    "rediss://chatwoot:Pasted0nlyHere4242xyz@master.chatwoot.abc123.use1.cache.amazonaws.com:6380/3",
                ),
            ),
        ],
    );
    let prepared = r.unwrap();
    let a = &prepared.answers;
    assert_eq!(a.host, "master.chatwoot.abc123.use1.cache.amazonaws.com");
    assert_eq!((a.port, a.db, a.tls), (6380, 3, true));
    assert_eq!(a.username.as_deref(), Some("chatwoot"));
    assert_eq!(
        prepared.secrets.password,
        Some(("Pasted0nlyHere4242xyz".to_string(), Origin::Url))
    );
    for q in [
        "Redis port",
        "Connect with TLS",
        "Database number",
        "ACL user",
        "Require a password",
    ] {
        assert!(
            !p.asked.iter().any(|a| a.contains(q)),
            "{q} asked: {:?}",
            p.asked
        );
    }
    assert!(p.refused.is_empty(), "{:?}", p.refused);
    let saved = answers::to_answers_yaml(a);
    assert!(
        !saved.contains("Pasted0nly") && !saved.contains("url"),
        "{saved}"
    );
    assert!(!out.contains("Pasted0nly"), "{out}");
}

#[test]
fn a_broken_url_at_the_host_prompt_is_refused_in_the_prompts_words() {
    let dir = tempfile::tempdir().unwrap();
    let (r, p, _) = run(
        dir.path(),
        &[
            ("Where does", Step::Pick("elasticache")),
            ("Redis host", Step::Type("redis://:Broken0nlyHere4242xyz@")),
            (
                "Redis host",
                Step::Type("master.chatwoot.abc123.use1.cache.amazonaws.com"),
            ),
        ],
    );
    r.unwrap();
    let (prompt, msg) = &p.refused[0];
    assert!(prompt.starts_with("Redis host"), "{prompt}");
    assert!(msg.starts_with("Redis host: "), "{msg}");
    assert!(!msg.contains("Broken0nly"), "{msg}");
}

#[test]
fn refusals_name_the_prompt_not_the_flag() {
    let e = Error::invalid_answer(Field::Port, "70000", "not a TCP port", "use 1 to 65535");
    assert_eq!(
        prompt_error(&e).unwrap(),
        "Redis port: \"70000\": not a TCP port (fix: use 1 to 65535)"
    );
    let e = Error::invalid_secret(Field::Password, "too short", "use 16 characters or more");
    assert_eq!(
        prompt_error(&e).unwrap(),
        "Redis password: too short (fix: use 16 characters or more)"
    );
    let e = Error::Missing(vec![Missing::new(Field::Host, "host: --host HOST")]);
    let msg = prompt_error(&e).unwrap();
    assert!(
        msg.starts_with("Redis host: ") && !msg.contains("--host"),
        "{msg}"
    );
    assert_eq!(prompt_error(&Error::Usage("x".into())), None);
    // Every question of every scenario has a prompt name of its own.
    for sc in Scenario::all() {
        for q in sc.questions() {
            let name = prompt_name(*q);
            assert!(
                !name.is_empty() && !name.starts_with('-') && !name.ends_with(':'),
                "{q}: {name:?}"
            );
            assert_ne!(name, q.name(), "{q} has no label");
        }
    }
}

#[test]
fn gitignore_lines_are_appended_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".gitignore");
    std::fs::write(&path, "node_modules\n/redis-secret.yaml").unwrap();
    let added = add_to_gitignore(
        dir.path(),
        &[".env", "redis-secret.yaml", "redis-secrets.conf"],
    )
    .unwrap();
    assert_eq!(added, [".env", "redis-secrets.conf"]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "node_modules\n/redis-secret.yaml\n.env\nredis-secrets.conf\n"
    );
    let again = add_to_gitignore(dir.path(), &[".env", "redis-secrets.conf"]).unwrap();
    assert!(again.is_empty());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // A new file says why it is there.
    let fresh = tempfile::tempdir().unwrap();
    add_to_gitignore(fresh.path(), &[".env"]).unwrap();
    let text = std::fs::read_to_string(fresh.path().join(".gitignore")).unwrap();
    assert!(
        text.starts_with('#') && text.ends_with("\n.env\n"),
        "{text}"
    );
}
