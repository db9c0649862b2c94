//! Every branch and boundary of the ElastiCache password rules, the plan's connection cap and
//! the AWS region read from an endpoint name, pinned one value on each side.

use crate::common::*;

const EC_HOST: &str = "master.cw.abc123.use1.cache.amazonaws.com";

fn elasticache(password: &str, username: Option<&str>) -> Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = Cmd::new()
        .args([
            "render",
            "--scenario",
            "elasticache",
            "--tls",
            "--host",
            EC_HOST,
        ])
        .arg("--out")
        .arg(dir.path())
        .env("REDIS_PASSWORD", password);
    if let Some(u) = username {
        cmd = cmd.args(["--username", u]);
    }
    let out = cmd.run();
    if out.status != 0 {
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("dir").count(),
            0,
            "a refused render wrote files"
        );
    }
    out
}

fn refused_for(out: &Output, password: &str, why: &str) {
    out.code(2);
    assert!(out.stderr.contains("password"), "{}", out.stderr);
    assert!(
        out.stderr.contains(why),
        "expected {why:?}:\n{}",
        out.stderr
    );
    assert!(out.stderr.contains("fix:"), "{}", out.stderr);
    assert!(!out.stderr.contains(password), "the password was printed");
}

#[test]
fn elasticache_auth_token_is_16_to_128_characters() {
    let why = "16 to 128 characters";
    refused_for(&elasticache(&"a".repeat(15), None), &"a".repeat(15), why);
    elasticache(&"a".repeat(16), None).code(0);
    elasticache(&"a".repeat(128), None).code(0);
    refused_for(&elasticache(&"a".repeat(129), None), &"a".repeat(129), why);
}

#[test]
fn elasticache_auth_token_allows_only_its_eight_symbols() {
    elasticache("Token0With!&#$^<>-Symbols", None).code(0);
    for bad in ['*', '@', '/', '"', ',', ' ', '%', '~'] {
        let pw = format!("Token0Symbol0Is{bad}Here0x");
        let out = elasticache(&pw, None);
        refused_for(&out, &pw, "allow only letters, digits");
        assert!(
            out.stderr.contains("modify-replication-group"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn elasticache_rbac_password_is_16_to_128_characters_without_four_symbols() {
    let user = Some("chatwoot");
    let why = "RBAC user password is 16-128 characters";
    let short = "a".repeat(15);
    refused_for(&elasticache(&short, user), &short, why);
    elasticache(&"a".repeat(16), user).code(0);
    elasticache(&"a".repeat(128), user).code(0);
    let long = "a".repeat(129);
    let out = elasticache(&long, user);
    refused_for(&out, &long, why);
    assert!(out.stderr.contains("modify-user"), "{}", out.stderr);
    // Symbols an AUTH token may not hold are fine for an RBAC user…
    elasticache("Rbac0Password*With~Symbols", user).code(0);
    // …except these four.
    for bad in [',', '"', '/', '@'] {
        let pw = format!("Rbac0Password0{bad}0Here0x");
        refused_for(&elasticache(&pw, user), &pw, why);
    }
}

/// Chatwoot's connection budget at the default workload, as the tool reports it: what the
/// threads reach and what the pools may open.
fn default_budget() -> (u32, u32) {
    let out = Cmd::new()
        .args(["render", "--scenario", "heroku", "--stdout"])
        .args([
            "--host",
            "ec2-3-1-2-3.compute-1.amazonaws.com",
            "--port",
            "12345",
        ])
        .env("REDIS_PASSWORD", "Heroku0Password0123456")
        .run();
    out.code(0);
    let number_after = |marker: &str| -> u32 {
        out.stderr
            .split(marker)
            .nth(1)
            .unwrap_or_else(|| panic!("no {marker:?} in:\n{}", out.stderr))
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .expect("a number")
    };
    (
        number_after("Chatwoot reaches "),
        number_after("its pools may open "),
    )
}

fn with_cap(scenario: &str, cap: u32) -> Output {
    let mut cmd = Cmd::new()
        .args(["render", "--scenario", scenario, "--stdout"])
        .arg(format!("--max-connections={cap}"));
    cmd = match scenario {
        "heroku" => cmd.args([
            "--host",
            "ec2-3-1-2-3.compute-1.amazonaws.com",
            "--port",
            "12345",
        ]),
        _ => cmd.args(["--host", EC_HOST, "--tls"]),
    };
    cmd.env("REDIS_PASSWORD", "Cap0Password0123456789").run()
}

const TIGHT: &str = "may open";

/// One rule for every plan: a cap one short of what the threads reach is refused, from there
/// up to one short of the pools' capacity a warning, at the capacity nothing.
#[test]
fn a_plan_cap_is_refused_below_reachable_and_warned_below_capacity_in_every_scenario() {
    let (reachable, capacity) = default_budget();
    assert!(
        reachable > 20 && capacity > reachable,
        "{reachable} {capacity}"
    );
    for scenario in ["heroku", "elasticache"] {
        let short = with_cap(scenario, reachable - 1);
        short.code(2);
        assert!(
            short.stderr.contains("--max-connections"),
            "{}",
            short.stderr
        );
        assert!(
            short.stderr.contains(&(reachable - 1).to_string()),
            "{}",
            short.stderr
        );
        let exact = with_cap(scenario, reachable);
        exact.code(0);
        assert!(exact.stderr.contains(TIGHT), "{scenario}: {}", exact.stderr);
        let almost = with_cap(scenario, capacity - 1);
        almost.code(0);
        assert!(
            almost.stderr.contains(TIGHT),
            "{scenario}: {}",
            almost.stderr
        );
        let room = with_cap(scenario, capacity);
        room.code(0);
        assert!(
            !room.stderr.contains("the plan allows"),
            "{scenario}: {}",
            room.stderr
        );
    }
}

#[test]
fn elasticache_region_codes_become_aws_regions_in_the_provider_script() {
    for (code, region) in [
        ("aps1", Some("ap-south-1")),
        ("apse2", Some("ap-southeast-2")),
        ("apne1", Some("ap-northeast-1")),
        ("use1", Some("us-east-1")),
        ("usw2", Some("us-west-2")),
        ("euc1", Some("eu-central-1")),
        ("euw1", Some("eu-west-1")),
        ("sae1", Some("sa-east-1")),
        ("cac1", Some("ca-central-1")),
        ("xxz1", None),
        ("use", None),
    ] {
        let host = format!("master.cw.abc123.{code}.cache.amazonaws.com");
        let out = Cmd::new()
            .args(["render", "--scenario", "elasticache", "--tls", "--stdout"])
            .args(["--host", &host])
            .env("REDIS_PASSWORD", "Region0Password0123456")
            .run();
        out.code(0);
        match region {
            Some(r) => assert!(
                out.stdout
                    .contains(&format!("AWS_REGION=\"${{AWS_REGION:-{r}}}\"")),
                "{code}: no default region {r}:\n{}",
                out.stdout
            ),
            None => {
                assert!(
                    !out.stdout.contains("AWS_REGION:-"),
                    "{code}: {}",
                    out.stdout
                );
                assert!(
                    out.stdout.contains("set AWS_REGION to the region"),
                    "{code}: {}",
                    out.stdout
                );
            }
        }
    }
}
