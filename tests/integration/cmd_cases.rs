//! `tests/cmd/*.toml`: the `--help` texts and refusal messages, byte for byte, in an empty
//! environment (`env.inherit = false`). After an intended change, regenerate with
//! `TRYCMD=overwrite cargo test --test integration cmd_cases` and review the diff.

#[test]
fn cmd_cases() {
    trycmd::TestCases::new()
        .register_bin(
            "chatwoot-redis",
            std::path::Path::new(env!("CARGO_BIN_EXE_chatwoot-redis")),
        )
        .case("tests/cmd/*.toml");
}
