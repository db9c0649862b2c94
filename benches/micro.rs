//! Micro-benchmarks of the in-memory steps of a render, so that a regression shows before
//! whole-process noise hides it (`cargo bench`; whole-process figures: scripts/bench.sh).
//!
//! - resolve: answers file text → validated answers, per scenario;
//! - render: validated answers → every output in memory, per scenario;
//! - env_merge: the Redis keys merged into Chatwoot's real `.env.example` (read from
//!   `../shared/reference/chatwoot/env.example`).

use std::path::{Path, PathBuf};

use chatwoot_redis::output::FileKind;
use chatwoot_redis::testing::{self as answers, RawAnswers};
use chatwoot_redis::testing::{Origin, Secrets};

const SCENARIOS: [(&str, &str); 4] = [
    ("single-server", ""),
    ("docker-compose", ""),
    ("kubernetes-sentinel", ""),
    (
        "elasticache",
        "host: master.cw.abc123.use1.cache.amazonaws.com\n",
    ),
];

fn main() {
    divan::main();
}

fn raw(scenario: &str, extra: &str) -> RawAnswers {
    RawAnswers::from_yaml(&format!("scenario: {scenario}\n{extra}"), "bench")
        .expect("bench answers parse")
}

fn secrets() -> Secrets {
    Secrets {
        password: Some((
            "BenchmarkPasswordOnly0000000000".into(),
            Origin::Environment,
        )),
        sentinel_password: None,
    }
}

#[divan::bench(args = SCENARIOS.map(|(s, _)| s))]
fn resolve(bencher: divan::Bencher, scenario: &str) {
    let extra = SCENARIOS
        .iter()
        .find(|(s, _)| *s == scenario)
        .map_or("", |(_, e)| e);
    let raw = raw(scenario, extra);
    bencher.bench(|| answers::resolve(divan::black_box(&raw)).expect("resolve"));
}

#[divan::bench(args = SCENARIOS.map(|(s, _)| s))]
fn render(bencher: divan::Bencher, scenario: &str) {
    let extra = SCENARIOS
        .iter()
        .find(|(s, _)| *s == scenario)
        .map_or("", |(_, e)| e);
    let answers = answers::resolve(&raw(scenario, extra)).expect("resolve");
    let secrets = secrets();
    bencher.bench(|| {
        chatwoot_redis::testing::render(divan::black_box(&answers), &secrets).expect("render")
    });
}

fn reference(rel: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference")
        .join(rel);
    assert!(
        p.exists(),
        "reference file {rel} not found: expected at {} (../shared/reference beside the \
         checkout)",
        p.display()
    );
    p
}

#[divan::bench]
fn env_merge(bencher: divan::Bencher) {
    let example = std::fs::read_to_string(reference("chatwoot/env.example")).expect("env.example");
    let answers = answers::resolve(&raw("docker-compose", "")).expect("resolve");
    let set = chatwoot_redis::testing::render(&answers, &secrets()).expect("render");
    let env = set
        .files
        .iter()
        .find(|f| f.kind == FileKind::Env)
        .expect("docker-compose renders .env");
    let update = env
        .env_update
        .clone()
        .unwrap_or_else(|| chatwoot_redis::envfile::update_from_fresh(&env.contents));
    bencher.bench(|| chatwoot_redis::envfile::merge(divan::black_box(&example), &update));
}
