//! Our readers against the real programs Chatwoot uses: Psych (config/cable.yml), Ruby dotenv
//! 3.1.2, Docker Compose v2's env-file reader and redis-client's URL parsing. Each is checked
//! against the cases recorded from the real program (`../shared/reference/reader-cases/`)
//! and, where the program is installed, against the program itself.

use std::path::{Path, PathBuf};
use std::process::Command;

use chatwoot_redis::chatwoot::psych::{self, CableYaml};

use crate::common::*;

/// A reader-cases file, or a failure naming the file and where it is expected.
fn reader_cases(name: &str) -> serde_json::Value {
    let expected: PathBuf = reference(&format!("reader-cases/{name}"));
    let text = std::fs::read_to_string(&expected).unwrap_or_else(|e| {
        panic!(
            "reader cases {} missing ({e}): the tests read them from ../shared/reference/ \
             beside the checkout",
            expected.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", expected.display()))
}

/// Our verdict in the terms the reader cases and the Ruby script use.
fn psych_view(pw: &str) -> (String, bool, bool) {
    match psych::cable_yaml(pw) {
        CableYaml::Kept => ("String".into(), true, true),
        CableYaml::Changed {
            into, sends_same, ..
        } => (into.ruby_class().into(), false, sends_same),
        CableYaml::Error(_) => ("error".into(), false, false),
    }
}

#[test]
fn psych_agrees_with_every_recorded_psych_5_1_2_case() {
    let cases = reader_cases("psych-5.1.2.json");
    let cases = cases["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1396, "the recorded corpus changed size");
    let mut wrong = Vec::new();
    for case in cases {
        let input = case["input"].as_str().expect("input");
        let p = &case["psych"];
        let want = (
            p["loaded_class"].as_str().expect("class").to_string(),
            p["same"].as_bool().expect("same"),
            p["effective_same"].as_bool().expect("effective_same"),
        );
        let got = psych_view(input);
        if got != want {
            wrong.push(format!("{input:?}: Psych {want:?}, ours {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// Runs tests/ruby/cable_yaml.rb (ERB + YAML.unsafe_load of Chatwoot's cable.yml) on each
/// password with the installed Ruby.
fn ruby_cable_yaml(passwords: &[String]) -> Vec<(String, bool, bool)> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/cable_yaml.rb");
    let out = ruby_json(
        &[script, reference("chatwoot/cable.yml")],
        &serde_json::json!(passwords),
    );
    let v = out.as_array().expect("ruby JSON array");
    assert_eq!(v.len(), passwords.len());
    v.iter()
        .map(|r| {
            (
                r["class"].as_str().expect("class").to_string(),
                r["same"].as_bool().expect("same"),
                r["effective_same"].as_bool().expect("effective_same"),
            )
        })
        .collect()
}

/// A small deterministic generator (xorshift), so the corpus is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &'a [&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// Pieces of the property tests' hostile values (tests/integration/properties.rs) and of the
/// YAML 1.1 grammar.
const PIECES: &[&str] = &[
    "'",
    "\"",
    "$",
    "$(x)",
    "${HOME}",
    "#",
    " #",
    ":",
    ": ",
    "@",
    "/",
    "+",
    "%",
    "%41",
    " ",
    "\t",
    "yes",
    "no",
    "null",
    "~",
    "on",
    "off",
    "true",
    "0777",
    "0x1A",
    "a: b",
    "é",
    "漢",
    "\\",
    "`id`",
    "!",
    "&",
    "*",
    "-",
    "=",
    ",",
    "[",
    "]",
    "{",
    "}",
    " ~* ",
    "0",
    "1",
    "12",
    "_",
    ".",
    "e+",
    "2001-12-14",
    " 21:59:43",
    "T",
    "Z",
    "-05:00",
    ":30",
    "0b",
    "|",
    ">",
    "?",
    "abc",
    "K9",
    "nO",
    "tRUE",
    "nULL",
    ".inf",
    ".NaN",
    "1_000",
    "1,000",
];

/// The values of the property tests: the hand-picked traps and the fragments on their own.
pub(crate) const PROPERTY_PASSWORDS: &[&str] = &[
    "redis",
    "chatwoot",
    "abc ~* def ghijklmnop",
    "yes",
    "~",
    "null",
    "0777",
    "0x1A",
    "a: b",
    "a #b",
    "   ",
    " \t ",
    "é漢 $(x) #c'\"\\\t%41+",
    "Compose$HOME#x(y)&z",
    "a$(echo X)b",
    "p#1!&*^<>=%@/?;()",
    "Pa$$word$1",
    "u%41v#w@x/y=z",
    "Token$with#sym!&^<>-1",
    "Token0777#0x1A$(x)",
    "Helm$pw#x&y*z(1)",
    "p+w/=x y:z@é'\"",
    "AVNS_x'y\"z $(id)",
    "1e5",
    "on",
    "off",
    "true",
];

/// The edges random strings rarely reach: calendar dates (month lengths, leap years, the
/// one- and two-digit forms), timestamps with each separator, zone and out-of-range clock,
/// tags of every shape, and values continued on a second line.
fn date_time_tag_and_line_grid() -> Vec<String> {
    let mut out = Vec::new();
    let years = ["1900", "2000", "2023", "2024"];
    let months = [
        "0", "00", "1", "01", "2", "02", "4", "04", "6", "9", "11", "12", "13", "20",
    ];
    let days = [
        "0", "00", "1", "01", "9", "09", "28", "29", "30", "31", "32", "40",
    ];
    let clocks = [
        "",
        " 10:00:00",
        "T10:00:00Z",
        "t10:00:00.5 +01:00",
        " 24:00:00",
        " 23:59:60",
        " 25:00:00",
        " 10:60:00",
        "\t10:00:00",
        "  10:00:00 Z",
        " 1:02:03 -5",
        " 10:00:00 +24:00",
    ];
    for y in years {
        for m in months {
            for d in days {
                for (i, c) in clocks.iter().enumerate() {
                    // Every date alone; the clocks on the months and days that matter.
                    if i == 0
                        || (matches!(m, "2" | "02" | "04" | "13")
                            && matches!(d, "29" | "30" | "31"))
                    {
                        out.push(format!("{y}-{m}-{d}{c}"));
                    }
                }
            }
        }
    }
    // Zones the TIME pattern takes or refuses, on a valid date and clock.
    for zone in [
        "", "Z", " Z", "+1", "-01", "+01:00", "+0100", "+01:", "+1:0", "+a1", "+1a", "+", "-",
        "+123", "+01:00:", " +01:00", "\t-5", "z", "+24", "-23:59", "++1", "+01:0a",
    ] {
        out.push(format!("2024-01-15 10:00:00{zone}"));
        out.push(format!("2024-01-15T10:00:00.25{zone}"));
        out.push(format!("2024-01-15\t10:00:00{zone}"));
    }
    for tag in [
        "!",
        "!!",
        "!a",
        "!!str",
        "!a!",
        "!a!b",
        "!<x>",
        "!<>",
        "!<tag:yaml.org,2002:str>",
        "!%41",
        "!%4",
        "!a%zz",
        "!a%41",
        "!!%41",
        "!a!%41",
        "!<%41>",
        "!a,b",
        "![x]",
        "!a{b",
        "!\u{e9}",
        "!a#b",
        "!#",
        "!str",
        "!str:String",
        "!str:Foo",
        "!ruby/string",
        "!ruby/string:Foo",
        "!strange",
        "!!%73tr",
        "!<!str>",
    ] {
        out.push(tag.to_string());
        for rest in [
            " x", " ", "x", " 'q'", " [1]", " #c", "  x", " '1'", " \"yes\"", " '~'",
        ] {
            out.push(format!("{tag}{rest}"));
        }
    }
    out.extend(["!a {a: 1}", "! {a: 1}", "&a {a: 1}"].map(String::from));
    // `!!float`: Psych calls Ruby's Float() on the resolved scalar.
    for tag in [
        "!!float ",
        "!float ",
        "!<tag:yaml.org,2002:float> ",
        "!!%66loat ",
        "&a !!float ",
        "!!float &a ",
    ] {
        for text in [
            "1",
            "1.5",
            "1e5",
            "abc",
            "yes",
            "",
            "0x1A",
            "1_000",
            ":a",
            "0b1",
            ".inf",
            "-.inf",
            ".nan",
            "2024-01-01",
            "010",
            "1,000",
            " 1 ",
            "1__0",
            "0o7",
            "1.",
            ".5",
            "[1]",
            "{a: 1}",
            "\"1\"",
            "'1e5'",
            "'abc'",
            "12:30",
            "~",
            "null",
            "0777",
            "-0x1A",
            "1e",
            "_1",
            "1e_5",
            "1_0e5",
            "0x1.8p1",
            "0x",
            "0x_1",
            "1e+5",
            "1E5",
            "+1e5",
            "-.5",
            "Infinity",
            "NaN",
            "1_",
            "1e5_0",
            "0x1_A",
            "0x1p",
            "1 e5",
            "0x1.",
            "+0x1",
            "0e0",
            "1e5 #c",
            "|",
            "'1e5\n   '",
        ] {
            out.push(format!("{tag}{text}"));
        }
    }
    let firsts = [
        "a",
        "&a",
        "*a",
        "[a",
        "#a",
        "a #b",
        "!a",
        "-a",
        "- a",
        "?a",
        ":a",
        "'a",
        "a: b",
        "1",
        "yes",
        "~",
        "a:",
        "%a",
        "@a",
        "|",
        ">",
        " a",
        "\ta",
        "  &a",
        "\t#a",
        "   -a",
        " |",
        "no",
        "On",
        "n",
        "oFf",
        "",
        "!a &b",
        "&a 1",
        "!!str 1",
        "!a yes",
        "!!int 1",
        "&a !!float 1",
        "!ruby/sym a",
        "!!str 'a",
        "&a [1,",
        "!!str |",
    ];
    let rests = [
        "\n b",
        "\n       b",
        "\n       b: c",
        "\n",
        "\n\n       b",
        "\r\n       b",
        "\n       #b",
        "\n       yes",
        "\n\t      b",
        "\n        - b",
        "\n\n       no",
        "\n\n       on",
        "\n\n\n       n",
        // Lines as deep as `password:` and one deeper (its indentation is 2).
        "\n  b",
        "\n   b",
        "\n  - b",
        "\n   - b",
        "\n  b: c",
        "\n   b: c",
        "\n   b\n  c",
        // Properties alone on the last line, or on a line with a node below.
        "\n       !b",
        "\n       &b",
        "\n       !b\n       c",
        "\n       &b !c\n       1",
    ];
    for f in firsts {
        for r in rests {
            out.push(format!("{f}{r}"));
        }
    }
    // More keys of cable.yml's mapping after the password's first line: valid ones, broken
    // ones, a repeated `password:`, deeper lines that belong to them, and what follows.
    for rest in [
        "\n  password: x",
        "\n  password: 1",
        "\n  password: x\n   y",
        "\n  password:",
        "\n  password: &p\n   - q",
        "\n  b: c\n  password: yes",
        "\n  b: &x c\n  password: *x",
        "\n  b: [",
        "\n  b: c: d",
        "\n  b:",
        "\n  b:\n   - x",
        "\n  b:\n  - x",
        "\n  b:\n  - x\n  c: d",
        "\n  b:\n    c: d",
        "\n  b: c\n d",
        "\n  b: c\n   d",
        "\n  b c: d",
        "\n  b:c",
        "\n  b :c",
        "\n  b#x: c",
        "\n  b #x: c",
        "\n  b: |\n   x\n  c: d",
        "\n  b: c #d\n  e: f",
        "\n  -b: c",
        "\n  \tb: c",
        "\n   x\n  b: c",
        "\n\n  # c\n  b: c",
        "\n  # c\n   x",
        "\n  # c\n  # d",
        "\n   x\n  # c\n   y",
        "\n  b: &x\n  password: *x",
        "\n  b: &x 1\n  password: *x",
        "\n  b: &x [1]\n  password: *x",
        "\n  b: !!int &x 1\n  password: *x",
        "\n  b: &x !!str 1\n  password: *x",
        "\n  b: &x c\n  d: *x",
        "\n  password: *y",
        "\n  password: *a",
        "\n  password: *a #c",
    ] {
        for f in [
            "a", "", "&a", "'a", "[a", "|", "yes", "!a", "&a 1", "!!str &a",
        ] {
            out.push(format!("{f}{rest}"));
        }
    }
    out
}

/// Properties (tags, anchors) in front of each kind of node, double-quoted escapes, flow
/// collections with white space, and timestamps with fractions and zones.
fn property_quote_flow_time_grid() -> Vec<String> {
    let prefixes = [
        "",
        "!",
        "!!",
        "!a ",
        "!!str ",
        "!!int ",
        "!!seq ",
        "!!map ",
        "!foo ",
        "!ruby/object:Nope ",
        "!ruby/struct:Nope ",
        "!ruby/sym ",
        "!<tag:yaml.org,2002:str> ",
        "!a%41 ",
        "!a%4 ",
        "!e!x ",
        "&a ",
        "&a !b ",
        "!b &a ",
        "& ",
        "&a:b ",
        "*a ",
    ];
    let bodies = [
        "x",
        "[a]",
        "[ a ]",
        "[a, b]",
        "[\ta]",
        "{a: b}",
        "{ a: b }",
        "\"\\u00e9\"",
        "\"\\u00zz\"",
        "\"\\x41\"",
        "\"\\U0001F600\"",
        "\"\\N\"",
        "\"\\_\"",
        "\"a\" x",
        "'q'",
        "'a''b'",
        "0777",
        "2001-12-14",
        "2001-12-14 21:59:43.10 -5",
        "[a] #c",
        "[a]b",
        "",
    ];
    let mut out = Vec::new();
    for p in prefixes {
        for b in bodies {
            out.push(format!("{p}{b}"));
        }
    }
    // Two lines below a property (folded into one scalar), an empty anchor, two properties
    // of one kind, a tag that decides after an anchor.
    for v in [
        "&a\n       0777\n       1",
        "!a\n       1\n       2",
        "&\n       x",
        "& \n       x",
        "&a &b\n       x",
        "!a !b\n       x",
        "&a !ruby/sym\n       x",
        "&a !!str\n       0777",
        "&a !b,\n       x",
    ] {
        out.push(v.to_string());
    }
    // A property alone on the `password:` line, its node on the lines below.
    for p in [
        "!a",
        "!!str",
        "!str:Foo",
        "!ruby/sym",
        "!ruby/object:Nope",
        "&a",
        "!a &b",
        "&a !b",
        "!",
    ] {
        for below in [
            "\n       x",
            "\n       [a]",
            "\n       {a: b}",
            "\n       - b",
            "\n       b: c",
            "\n       0777",
            "\n",
            "\n\n       'q'",
            "\n #c\n       x",
        ] {
            out.push(format!("{p}{below}"));
        }
    }
    for t in [
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.123456789 +05:30",
        "2001-12-14T21:59:43Z",
        "2001-12-14 21:59:43.",
        "2001-12-14 21:59:43.5Z",
        "2001-12-14 1:1:1",
        "2001-12-14 01:01",
        "2001-12-14 21:59:43 +12:3",
        "2001-12-14 21:59:43 +123",
        "2001-12-14  21:59:43",
        "2001-1-1",
        "2001-01-1",
        "20011-01-01",
        "201-01-01",
        "2001-001-1",
        "2001-1-001",
        "2001-0001-1",
        "2001--1",
        "2001-1-",
        "2001-1a-01",
        "2001-01-a1",
        "2001-a-01",
        "2001-12-14 24:00:01",
        "2001-12-14 24:01:00",
        "2001-12-14 24:00:00.5",
        "2001-12-14t24:00:00Z",
        "2001-12-14 21:59:43Z",
        "2001-12-14 21:59:43 Z ",
        "2001-12-14 21:59:43 z",
        "2001-12-14 21:59:43 +01:00 ",
        // Flow collections: an indicator after blanks where a node is expected.
        "[ : ]",
        "[ :]",
        "[\t: ]",
        "[ ? a]",
        "[ ?]",
        "{ : }",
        "[a, : b]",
        "[ :a]",
        "[ 'a']",
        "{ ? a }",
        "[:a]",
        "[a, :b]",
        "{:a}",
        "[?a]",
        "[ ? ]",
        "[? ,a]",
        "['a']",
        "[\"a\"]",
        "['a'b]",
        "['it''s']",
        "[\"a\\\"b\"]",
        "['a' ]",
        "{ 'a': b}",
        "[ &a x]",
        "[ !b x]",
        "[ *a]",
        "[&a]",
        "[!a]",
        "[! ]",
        "[& ]",
        "[!a, b]",
        "[&a, b]",
        "['a\\']",
        "[\"a\\\\\"]",
        "['a]']",
        "[a!b]",
        "[\"ab\\\"c\"]",
        "[&a ,b]",
        "[??]",
        "[?? a]",
        "[ ?? ]",
        "{??}",
        "[&a , b]",
        "[! , b]",
        "{&a , b: c}",
        "{!a: b}",
        "{? a}",
        "{ ? }",
        "[a'b]",
        "[a#b]",
        "[a #b]",
        "[a|b]",
        "[|a]",
        "[@a]",
        // A quoted key before `:`, the quote ending the node.
        "['a':]",
        "[\"a\": ]",
        "{'a':b}",
        // An empty anchor, and a key alone.
        "[&]",
        "{&}",
        "{?}",
        "[?-]",
        // A non-specific tag on an empty quoted scalar; a colon alone on a continuation line.
        "! ''",
        "! \"\"",
        "!\t''",
        "\n  :",
        "\n :",
    ] {
        out.push(t.to_string());
    }
    // Every flow collection of up to three tokens: quoted and plain nodes, properties, keys,
    // separators and nested brackets.
    let tokens = [
        "'a'", "\"a\"", "''", ":", ": ", "a", ",", " ", "&a ", "&a", "!a ", "!", "? ", "*a", "[",
        "]", "{", "}", " #",
    ];
    // A simple key is given up 1024 characters after it starts.
    for n in [1020, 1023, 1024, 1025, 1030] {
        let key = "a".repeat(n);
        out.push(format!("[{key}: b]"));
        out.push(format!("{{\"{key}\": b}}"));
    }
    for (open, close) in [("[", "]"), ("{", "}")] {
        for a in tokens {
            out.push(format!("{open}{a}{close}"));
            for b in tokens {
                out.push(format!("{open}{a}{b}{close}"));
                for c in tokens {
                    out.push(format!("{open}{a}{b}{c}{close}"));
                }
            }
        }
    }
    out
}

/// Passwords over lines that end in more keys of cable.yml's mapping: a first line, up to two
/// continuation lines, up to two lines at `password:`'s indentation (a later `password:`, an
/// alias to an anchor of the first line, an empty key).
fn sibling_key_grid() -> Vec<String> {
    let first = ["1", "a", "'a'", "!!str 1", "&a 1", "[a]", "*a"];
    let middle = ["   2", "   b", "", "   #c"];
    let siblings = [
        "  k: v",
        "  password: x",
        "  k:",
        "  k: &b 1",
        "  password:",
        "  password: *a",
        "  password: *b",
        "  k: *a",
    ];
    let upto_two = |from: &[&'static str]| {
        let mut out: Vec<Vec<&'static str>> = vec![vec![]];
        for a in from {
            out.push(vec![a]);
            for b in from {
                out.push(vec![a, b]);
            }
        }
        out
    };
    let mut out = Vec::new();
    for f in first {
        for m in upto_two(&middle) {
            for s in upto_two(&siblings) {
                if m.is_empty() && s.is_empty() {
                    continue;
                }
                let mut lines = vec![f];
                lines.extend(&m);
                lines.extend(&s);
                out.push(lines.join("\n"));
            }
        }
    }
    out
}

#[test]
fn psych_agrees_with_the_installed_ruby_on_a_sweep_and_random_strings() {
    let printable: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
    let mut corpus: Vec<String> = Vec::new();
    for a in &printable {
        corpus.push(a.to_string());
        for b in &printable {
            corpus.push(format!("{a}{b}"));
        }
    }
    // Three characters over the characters YAML gives a meaning to, plus a letter and digits.
    let meaningful: Vec<char> = " -?:,[]{}#&*!|>'\"%@`.+_0159aeoTZx~".chars().collect();
    for a in &meaningful {
        for b in &meaningful {
            for c in &meaningful {
                corpus.push(format!("{a}{b}{c}"));
            }
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..6000 {
        let n = 1 + rng.next() % 5;
        corpus.push((0..n).map(|_| rng.pick(PIECES)).collect());
    }
    for _ in 0..3000 {
        let n = 1 + rng.next() % 12;
        corpus.push(
            (0..n)
                .map(|_| printable[(rng.next() % printable.len() as u64) as usize])
                .collect(),
        );
    }
    corpus.extend(PROPERTY_PASSWORDS.iter().map(|s| s.to_string()));
    corpus.extend(PIECES.iter().map(|s| s.to_string()));
    corpus.extend(date_time_tag_and_line_grid());
    corpus.extend(sibling_key_grid());
    corpus.extend(property_quote_flow_time_grid());
    // Where Ruby 3.1's Psych 4 differs from Psych 5.1.2 (dates before 1583, read with the
    // Julian calendar), the reader cases above are the reference instead.
    corpus.extend(
        [
            "1500-02-29",
            "1100-02-29",
            "1582-10-10",
            "1000-01-01",
            "1582-10-04",
            "1582-10-15",
            "1583-01-01",
            "1583-02-29",
        ]
        .map(String::from),
    );
    let (compared, skipped): (Vec<String>, Vec<String>) =
        corpus.into_iter().partition(|p| !psych::psych4_differs(p));
    assert!(skipped.len() < 50, "{} skipped", skipped.len());
    // The skip is needed: the installed Psych 4 reads a Julian leap day and a date the reform
    // dropped otherwise than the model (and Psych 5.1.2) does.
    let julian: Vec<&String> = skipped
        .iter()
        .zip(ruby_cable_yaml(&skipped))
        .filter(|(pw, want)| psych_view(pw) != *want)
        .map(|(pw, _)| pw)
        .collect();
    for date in ["1500-02-29", "1100-02-29", "1582-10-10"] {
        assert!(
            julian.iter().any(|pw| *pw == date),
            "{date}: Psych 4 was expected to read it otherwise (skipped and differing: {julian:?})"
        );
    }
    let real = ruby_cable_yaml(&compared);
    let mut wrong = Vec::new();
    let mut float_over_lines = 0;
    for (pw, want) in compared.iter().zip(&real) {
        let got = psych_view(pw);
        // The one known difference: a `!!float` tag on a scalar that goes over lines (a block
        // or quoted scalar) is an error in the model, where Ruby's Float() may read the text.
        // Both refuse the password; only the reason differs.
        if want.0 == "Float"
            && got.0 == "error"
            && (pw.contains("float") || pw.contains("%66loat"))
            && pw.contains('\n')
        {
            float_over_lines += 1;
            continue;
        }
        if &got != want {
            wrong.push(format!("{pw:?}: Ruby {want:?}, ours {got:?}"));
        }
    }
    assert!(
        float_over_lines <= 10,
        "{float_over_lines} `!!float` scalars over lines differ (the grid holds 6)"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} disagree with the installed Psych:\n{}",
        wrong.len(),
        compared.len(),
        wrong
            .iter()
            .take(80)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn dotenv_agrees_with_every_recorded_dotenv_3_1_2_case() {
    use chatwoot_redis::dotenv;
    let cases = reader_cases("dotenv-3.1.2.json");
    let cases = cases["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 71, "the recorded corpus changed size");
    let mut wrong = Vec::new();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let input = case["input"].as_str().expect("input");
        let options = dotenv::Options {
            linebreak_mode: case["env_preset"]["DOTENV_LINEBREAK_MODE"]
                .as_str()
                .map(str::to_string),
        };
        let actual = case["actual"].as_object().expect("actual");
        let parsed = dotenv::parse_with(input, &options);
        if actual.contains_key("__error__") {
            if parsed.is_ok() {
                wrong.push(format!("{id}: dotenv refuses the file, ours reads it"));
            }
            continue;
        }
        let entries = match parsed {
            Ok(e) => e,
            Err(e) => {
                wrong.push(format!("{id}: dotenv reads the file, ours refuses it: {e}"));
                continue;
            }
        };
        let mut ours = std::collections::BTreeMap::new();
        for e in &entries {
            ours.insert(e.key.clone(), e);
        }
        let keys: Vec<&String> = ours.keys().collect();
        let want: Vec<&String> = actual.keys().collect();
        if keys != want {
            wrong.push(format!("{id}: keys {want:?}, ours {keys:?}"));
            continue;
        }
        for (key, entry) in &ours {
            // A literal value is exactly what dotenv returns; one with substitutions is the
            // text dotenv substitutes in (its run without substitution, `\$` resolved).
            let want = if entry.is_literal() {
                actual[key.as_str()].as_str().map(str::to_string)
            } else {
                case["actual_nosubs"][key.as_str()]
                    .as_str()
                    .map(|v| v.replace("\\$", "$"))
            };
            if want.as_deref() != Some(entry.value.as_str()) {
                wrong.push(format!(
                    "{id} {key}: dotenv {want:?}, ours {:?} (substitutions {:?})",
                    entry.value, entry.substitutions
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements with dotenv 3.1.2:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn dotenv_reads_a_large_file_of_export_lines_in_linear_time() {
    // 2.3 MB: `export KEY_n` lines each naming a key assigned earlier. Quadratic work takes
    // hours on this input; the generous bound only catches that.
    let mut text = String::new();
    let mut n = 0;
    while text.len() < 2_300_000 {
        text.push_str(&format!("KEY_{n}=v\nexport KEY_{n}\n"));
        n += 1;
    }
    let started = std::time::Instant::now();
    let entries = chatwoot_redis::dotenv::parse(&text).expect("parses");
    assert_eq!(entries.len(), n);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    // Quotes that never close (each value backtracks over the escaped quotes after it).
    let hostile = "A='\\'\nB=\"\\\"\n".repeat(100_000);
    let started = std::time::Instant::now();
    let entries = chatwoot_redis::dotenv::parse(&hostile).expect("parses");
    assert_eq!(entries.len(), 200_000);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
}

/// Our reading of one recorded URL in the record's terms (`host`, `port`, `path`, `username`,
/// `password`, `db`, `ssl`, with redis-client's defaults applied), or `error`.
fn url_view(url: &str) -> serde_json::Value {
    use chatwoot_redis::chatwoot::redis_url;
    match redis_url::parse(url) {
        Err(_) => serde_json::json!("error"),
        Ok(u) => {
            let password = u.password.map(|b| match String::from_utf8(b.clone()) {
                Ok(s) => s,
                Err(_) => format!(
                    "<non-UTF-8 bytes: {}>",
                    b.iter()
                        .map(|x| format!("{x:02x}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            });
            serde_json::json!({
                "host": if u.unix { None } else { Some(u.host.unwrap_or_else(|| "localhost".into())) },
                "port": if u.unix { None } else { Some(u.port.unwrap_or(6379)) },
                "path": u.path,
                "username": u.username.unwrap_or_else(|| "default".into()),
                "password": password,
                "db": u.db.unwrap_or(0),
                "ssl": u.ssl,
            })
        }
    }
}

fn redis_client_view(result: &serde_json::Value) -> serde_json::Value {
    if result.get("error").is_some() {
        return serde_json::json!("error");
    }
    serde_json::json!({
        "host": result["host"], "port": result["port"], "path": result["path"],
        "username": result["username"], "password": result["password"], "db": result["db"],
        "ssl": result["ssl"],
    })
}

/// Every record of a redis-url file that is a URL alone (no keyword overrides, no Sentinel).
fn url_records(name: &str) -> Vec<(String, serde_json::Value)> {
    let cases = reader_cases(name);
    cases["records"]
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["url_only"] == true && r["class"] == "Config" && r["uri_object"] == false)
        .map(|r| {
            (
                r["url"].as_str().expect("url").to_string(),
                redis_client_view(&r["result"]),
            )
        })
        .collect()
}

#[test]
fn redis_url_agrees_with_every_recorded_redis_client_case() {
    for (name, expected) in [
        ("redis-url-0.22.2.json", 122),
        ("redis-url-0.30.0.json", 124),
    ] {
        let records = url_records(name);
        assert_eq!(
            records.len(),
            expected,
            "{name}: the recorded corpus changed"
        );
        let wrong: Vec<String> = records
            .iter()
            .filter(|(url, want)| &url_view(url) != want)
            .map(|(url, want)| format!("{url:?}: redis-client {want}, ours {}", url_view(url)))
            .collect();
        assert!(
            wrong.is_empty(),
            "{name}: {} disagree:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

#[test]
fn the_suites_ruby_model_of_redis_client_agrees_with_the_recorded_cases() {
    // tests/ruby/chatwoot_reads.rb models redis-client's URL reading over the installed
    // Ruby's URI; the consumer tests trust it, so it is held to the real redis-client here.
    // Both recorded versions (Chatwoot pins 0.26.4, between them).
    for name in ["redis-url-0.22.2.json", "redis-url-0.30.0.json"] {
        let records = url_records(name);
        assert!(records.len() > 100, "{name}: {} records", records.len());
        let urls: Vec<String> = records.iter().map(|(u, _)| u.clone()).collect();
        let got = ruby_url_views(&urls);
        let wrong: Vec<String> = records
            .iter()
            .zip(&got)
            .filter(|((_, want), got)| *got != want)
            .map(|((url, want), got)| format!("{url:?}: redis-client {want}, the model {got}"))
            .collect();
        assert!(
            wrong.is_empty(),
            "{name}: {} disagree:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }
}

/// redis-client's reading of each URL through the suite's model over the installed Ruby's
/// URI (tests/ruby/chatwoot_reads.rb --urls), as [`redis_client_view`]s.
fn ruby_url_views(urls: &[String]) -> Vec<serde_json::Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ruby/chatwoot_reads.rb");
    let out = ruby_json(
        &[script.as_os_str(), "--urls".as_ref()],
        &serde_json::json!(urls),
    );
    let got = out.as_array().expect("ruby JSON array");
    assert_eq!(got.len(), urls.len());
    got.iter().map(redis_client_view).collect()
}

#[test]
fn redis_url_agrees_with_the_installed_ruby_on_urls_built_from_hostile_parts() {
    // Each URL is one pick per part; the parts are the edges of RFC 3986 as Ruby's URI reads
    // it and of redis-client's reading (form-decoded password, user only with a password,
    // db from the path or the query).
    let schemes = [
        "redis://",
        "rediss://",
        "REDIS://",
        "Rediss://",
        "unix://",
        "http://",
        "",
    ];
    let userinfos = [
        "",
        "@",
        ":@",
        "u:p@",
        ":p@",
        "p@",
        "u:@",
        ":p%41@",
        ":p%zz@",
        ":p+q@",
        ":a@b@",
        "u%3A:p@",
        ":\u{e9}@",
        ":p q@",
        "a:b:c@",
        ":%FF@",
        "u+v:p@",
        "!$&'()*,;=:p@",
        ":~@",
        ":p%2@",
        "%41@",
    ];
    let hosts = [
        "host",
        "127.0.0.1",
        "[::1]",
        "[v1.x]",
        "[V1.x]",
        "[v.x]",
        "ho%41st",
        "ho%4st",
        "ho st",
        "",
        "a_b",
        "[fe80::1%25eth0]",
        "256.1.1.1",
        "[::1",
        "::1",
        "[]",
        "h\u{f4}st",
        "a.b-c~",
        "[1:2:3:4:5:6:7:8]",
        "[1::2::3]",
    ];
    let ports = [
        "", ":", ":6380", ":0", ":65535", ":65536", ":abc", ":0006379", ":-1", ": 1",
    ];
    let paths = [
        "", "/", "/2", "/02", "/0x1", "/ 1", "/1/2", "/-1", "/%31", "/15", "/1?", "//",
    ];
    let queries = [
        "",
        "?db=3",
        "?db=",
        "?x=1&db=4",
        "?db=a",
        "?db=1&db=2",
        "?db=%33",
        "?",
    ];
    let fragments = ["", "#x", "#", "#a#b"];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut urls: Vec<String> = Vec::new();
    for _ in 0..6000 {
        urls.push(format!(
            "{}{}{}{}{}{}{}",
            rng.pick(&schemes),
            rng.pick(&userinfos),
            rng.pick(&hosts),
            rng.pick(&ports),
            rng.pick(&paths),
            rng.pick(&queries),
            rng.pick(&fragments)
        ));
    }
    // Every part at least once in an otherwise plain URL.
    for u in userinfos {
        urls.push(format!("redis://{u}host:6379/1"));
    }
    for h in hosts {
        urls.push(format!("rediss://:p@{h}:6380"));
    }
    for p in ports {
        urls.push(format!("redis://host{p}/2"));
    }
    for p in paths {
        urls.push(format!("redis://host:1{p}"));
    }
    for q in queries {
        urls.push(format!("redis://host{q}"));
    }
    // Fragments and paths that end inside an escape or carry the characters only a fragment
    // takes, each in an otherwise plain URL.
    for f in ["#a/b?c", "#%41", "#%4", "#:@!", "#/", "#?"] {
        urls.push(format!("redis://host:6379/1{f}"));
    }
    for p in ["/%3", "/1%", "/%", "/a%4"] {
        urls.push(format!("redis://host{p}"));
    }
    // No scheme: a bare host, a host and a path, a leading colon.
    urls.extend(
        [
            "host",
            "host/2",
            "h:6379",
            ":6379",
            ":p@host",
            "host%4",
            "h.b-c/0%41",
        ]
        .map(String::from),
    );
    urls.sort();
    urls.dedup();
    let want = ruby_url_views(&urls);
    let wrong: Vec<String> = urls
        .iter()
        .zip(&want)
        .filter(|(url, want)| &url_view(url) != *want)
        .map(|(url, want)| format!("{url:?}: Ruby {want}, ours {}", url_view(url)))
        .collect();
    let errors = want.iter().filter(|w| *w == "error").count();
    assert!(
        wrong.is_empty(),
        "{} of {} disagree:\n{}",
        wrong.len(),
        urls.len(),
        wrong
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Both readings occur often, so neither side can pass by refusing everything.
    assert!(
        errors > urls.len() / 10 && errors < urls.len() * 9 / 10,
        "{errors} of {} are errors",
        urls.len()
    );
}

#[test]
fn compose_reader_agrees_with_every_recorded_compose_go_case() {
    use chatwoot_redis::chatwoot::compose_env;
    let cases = reader_cases("compose-go.json");
    let cases = cases["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 107, "the recorded corpus changed size");
    let mut wrong = Vec::new();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let input = case["input"].as_str().expect("input");
        let presets = case["presets"].as_object().cloned().unwrap_or_default();
        let lookup = |k: &str| presets.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let got = compose_env::parse(input, &lookup);
        match (case["expect_error"].as_str(), got) {
            (Some(want), Ok(m)) => {
                wrong.push(format!("{id}: Compose refuses ({want}), ours {m:?}"))
            }
            (Some(want), Err(e)) => {
                if want != "any" && !e.to_string().contains(want) {
                    wrong.push(format!("{id}: Compose says {want:?}, ours {:?}", e.message));
                }
            }
            (None, Err(e)) => wrong.push(format!("{id}: Compose reads it, ours refuses: {e}")),
            (None, Ok(m)) => {
                let ours: serde_json::Map<String, serde_json::Value> = m
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v.value)))
                    .collect();
                let want = case["expected"].as_object().cloned().unwrap_or_default();
                let ok = if case["partial"] == true {
                    want.iter().all(|(k, v)| ours.get(k) == Some(v))
                } else {
                    want == ours
                };
                if !ok {
                    wrong.push(format!("{id}: Compose {want:?}, ours {ours:?}"));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} disagreements with compose-go:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The environment Compose gives a service, or its refusal (the error it printed).
type ComposeEnv = Result<serde_json::Map<String, serde_json::Value>, String>;

/// The environment the real Compose v2 gives a service whose `env_file` is `text`, or its
/// refusal.
fn real_compose_env(compose: &Path, dir: &Path, text: &str) -> ComposeEnv {
    real_compose_project(compose, dir, &[text.to_string()], &[])
        .pop()
        .expect("one file, one result")
}

#[test]
fn compose_reader_agrees_with_the_real_compose_binary() {
    use chatwoot_redis::chatwoot::compose_env;
    let compose = require("docker-compose");
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = reader_cases("compose-go.json");
    // Every fourth recorded input without presets, and the values doctor cares about.
    let mut inputs: Vec<String> = cases["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .filter(|c| c["presets"].as_object().is_none_or(|p| p.is_empty()))
        .step_by(4)
        .map(|c| c["input"].as_str().expect("input").to_string())
        .collect();
    for v in [
        "REDIS_PASSWORD=a#b",
        "REDIS_PASSWORD=a\t#b",
        "REDIS_PASSWORD=x\\y\\",
        "REDIS_PASSWORD=\"a\\nb\\tc\\\\d\"",
        "REDIS_PASSWORD='x' tail",
        "REDIS_PASSWORD=\"x\"y",
        "REDIS_PASSWORD='abc\\'",
        "REDIS_PASSWORD=\"abc",
        "REDIS_PASSWORD='p$$w'",
        "REDIS_PASSWORD=p$$w",
        "\u{feff}REDIS_URL=redis://:pw@redis:6379/0",
        "export REDIS_URL='redis://:p%40ss@redis:6379'",
        "REDIS_SENTINELS=a:26379, b:26379 # note",
        "REDIS PASSWORD=x",
        "REDIS_PASSWORD=\"\\0101\\x41\\$x\"",
    ] {
        inputs.push(format!("{v}\n"));
    }
    let mut wrong = Vec::new();
    for input in &inputs {
        let ours = compose_env::parse(input, &|_| None);
        match (real_compose_env(&compose, dir.path(), input), ours) {
            (Err(_), Err(_)) => {}
            (Err(e), Ok(m)) => wrong.push(format!("{input:?}: Compose refuses ({e}), ours {m:?}")),
            (Ok(m), Err(e)) => wrong.push(format!("{input:?}: Compose reads {m:?}, ours: {e}")),
            (Ok(real), Ok(m)) => {
                let ours: serde_json::Map<String, serde_json::Value> = m
                    .into_iter()
                    .filter(|(k, _)| !k.is_empty())
                    .map(|(k, v)| (k, serde_json::Value::String(v.value)))
                    .collect();
                if real != ours {
                    wrong.push(format!("{input:?}: Compose {real:?}, ours {ours:?}"));
                }
            }
        }
    }
    assert!(inputs.len() > 30);
    assert!(
        wrong.is_empty(),
        "{} of {} disagree with Compose:\n{}",
        wrong.len(),
        inputs.len(),
        wrong.join("\n")
    );
}

/// `doctor --offline --format json` on `env` written as DIR/.env, with `beside` files.
fn doctor_json(env: &str, beside: &[(&str, &str)]) -> (i32, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".env"), env).expect(".env");
    for (name, text) in beside {
        std::fs::write(dir.path().join(name), text).expect("beside");
    }
    let (code, out, err) = run(bin()
        .args(["doctor", "--offline", "--format", "json", "--env-file"])
        .arg(dir.path().join(".env")));
    let json = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, json)
}

fn finding_ids(report: &serde_json::Value) -> Vec<String> {
    let text = report.to_string();
    let mut ids: Vec<String> = text
        .match_indices("\"id\":\"")
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn doctor_reports_what_compose_reads_differently_in_a_compose_deployment() {
    let compose_file = "services:\n  rails:\n    image: chatwoot/chatwoot\n    env_file: .env\n";
    let env = "REDIS_URL=redis://redis:6379\nREDIS_PASSWORD=Pw9\\tail\n";
    let (code, report) = doctor_json(env, &[("docker-compose.yaml", compose_file)]);
    let ids = finding_ids(&report);
    assert!(
        ids.contains(&"env-readers-disagree".to_string()),
        "{report:#}"
    );
    assert_eq!(code, 1, "an error finding exits 1: {report:#}");
    assert!(!report.to_string().contains("Pw9"), "{report:#}");
    // The real Compose reads the same file with the backslash, as the finding says.
    let compose = require("docker-compose");
    let dir = tempfile::tempdir().expect("tempdir");
    let real = real_compose_env(&compose, dir.path(), env).expect("Compose reads it");
    assert_eq!(real["REDIS_PASSWORD"], "Pw9\\tail");

    // The same .env without a Compose file beside it: no Compose comparison.
    let (code, report) = doctor_json(env, &[]);
    let ids = finding_ids(&report);
    assert!(
        !ids.contains(&"env-readers-disagree".to_string()),
        "{report:#}"
    );
    // It read the same password (short, so warned about) and found nothing worse.
    assert!(ids.contains(&"password-short".to_string()), "{report:#}");
    assert_eq!(code, 0, "{report:#}");

    // A file Compose refuses.
    let refused = "REDIS_URL=redis://redis:6379\nREDIS_PASSWORD='Pw9abc\\'\n";
    let (code, report) = doctor_json(refused, &[("docker-compose.yaml", compose_file)]);
    assert!(
        finding_ids(&report).contains(&"compose-refuses-env-file".to_string()),
        "{report:#}"
    );
    assert_eq!(code, 1);
    assert!(real_compose_env(&compose, dir.path(), refused).is_err());
}

/// Pieces of Compose env-file values: quotes, every escape compose-go knows (and some it does
/// not), substitutions of set, empty and unset variables, comments and white space.
const COMPOSE_PIECES: &[&str] = &[
    "'",
    "\"",
    "\\",
    "\\n",
    "\\t",
    "\\r",
    "\\\\",
    "\\\"",
    "\\'",
    "\\$",
    "\\c",
    "\\a",
    "\\b",
    "\\f",
    "\\v",
    "\\0101",
    "\\018",
    "\\x41",
    "\\xZ",
    "\\u0041",
    "\\u00e9",
    "\\U0001F600",
    "\\u12",
    "$",
    "$$",
    "$A",
    "$E",
    "$U",
    "${A}",
    "${E}",
    "${U}",
    "${A:-d}",
    "${E:-d}",
    "${U:-d}",
    "${A-d}",
    "${E-d}",
    "${U-d}",
    "${A:+x}",
    "${E:+x}",
    "${U:+x}",
    "${A+x}",
    "${U+x}",
    "${U:?gone}",
    "${A?gone}",
    "${",
    "}",
    "${}",
    "${:-x}",
    "${A",
    "${1}",
    "${A:-${A}}",
    "#",
    " #",
    "\t#",
    " ",
    "\t",
    "a",
    "b1",
    "é",
    "=",
    ":",
    "\n",
    "x y",
    "${K1}",
];

/// `n` generated env files: one or two statements, values glued from [`COMPOSE_PIECES`].
fn compose_corpus(n: usize) -> Vec<String> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let prefixes = ["K1=", "export K1=", "K1 = ", " K1="];
    (0..n)
        .map(|_| {
            let mut text = rng.pick(&prefixes).to_string();
            // Mostly a value in one kind of quotes (pieces with quotes of their own still make
            // some unbalanced), sometimes bare.
            let quote = ["\"", "\"", "'", ""][(rng.next() % 4) as usize];
            text.push_str(quote);
            for _ in 0..1 + rng.next() % 5 {
                text.push_str(rng.pick(COMPOSE_PIECES));
            }
            text.push_str(quote);
            if rng.next() % 3 == 0 {
                text.push_str("\nK2=${K1}+");
            }
            text.push('\n');
            text
        })
        .collect()
}

/// The environment the real Compose v2 gives each of `texts` as a service's `env_file`: many
/// files in one project (one run for many), a few projects at once; a file Compose refuses is
/// named in its error, taken out and reported as refused, and the rest run again.
fn real_compose_envs(
    compose: &Path,
    dir: &Path,
    texts: &[String],
    env: &[(&str, &str)],
) -> Vec<ComposeEnv> {
    const PROJECT: usize = 25;
    let chunks: Vec<(usize, &[String])> = texts
        .chunks(PROJECT)
        .enumerate()
        .map(|(k, c)| (k * PROJECT, c))
        .collect();
    let mut results = Vec::with_capacity(texts.len());
    for wave in chunks.chunks(4) {
        let judged: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = wave
                .iter()
                .map(|(first, chunk)| {
                    let project = dir.join(format!("p{first}"));
                    s.spawn(move || real_compose_project(compose, &project, chunk, env))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("compose thread"))
                .collect()
        });
        results.extend(judged.into_iter().flatten());
    }
    results
}

/// One Compose project with a service per text (see [`real_compose_envs`]).
fn real_compose_project(
    compose: &Path,
    dir: &Path,
    texts: &[String],
    env: &[(&str, &str)],
) -> Vec<ComposeEnv> {
    std::fs::create_dir_all(dir).expect("project dir");
    let mut results: Vec<Option<ComposeEnv>> = vec![None; texts.len()];
    for (i, text) in texts.iter().enumerate() {
        std::fs::write(dir.join(format!("e{i}.env")), text).expect("env file");
    }
    let mut left: Vec<usize> = (0..texts.len()).collect();
    while !left.is_empty() {
        let mut yaml = String::from("services:\n");
        for i in &left {
            yaml.push_str(&format!(
                "  s{i}:\n    image: busybox\n    env_file: e{i}.env\n"
            ));
        }
        std::fs::write(dir.join("compose.yaml"), yaml).expect("compose file");
        let mut cmd = Command::new(compose);
        cmd.current_dir(dir)
            .args(["-f", "compose.yaml", "config", "--format", "json"])
            .env_remove("A")
            .env_remove("E")
            .env_remove("U");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("docker-compose");
        // (This docker-compose exits 0 on a file it refuses; it prints nothing then.)
        if !out.status.success() || out.stdout.iter().all(u8::is_ascii_whitespace) {
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            // The refused file, by its name in the error (e12.env).
            let culprit = left.iter().position(|i| {
                let name = format!("e{i}.env");
                err.match_indices(&name)
                    .any(|(at, _)| !err[..at].ends_with(|c: char| c.is_ascii_alphanumeric()))
            });
            let Some(at) = culprit else {
                panic!("Compose refused the project without naming a file:\n{err}");
            };
            let i = left.remove(at);
            results[i] = Some(Err(err));
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("config JSON");
        for i in left.drain(..) {
            let env = v["services"][format!("s{i}")]["environment"]
                .as_object()
                .cloned()
                .unwrap_or_default();
            // `config` prints a literal `$` as `$$` (its own escape).
            results[i] = Some(Ok(env
                .into_iter()
                .map(|(k, v)| {
                    let v = v.as_str().map(|s| s.replace("$$", "$")).unwrap_or_default();
                    (k, serde_json::Value::String(v))
                })
                .collect()));
        }
    }
    results.into_iter().map(|r| r.expect("judged")).collect()
}

#[test]
fn compose_reader_agrees_with_the_real_compose_binary_on_generated_env_files() {
    use chatwoot_redis::chatwoot::compose_env;
    let compose = require("docker-compose");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut texts = compose_corpus(300);
    // Deeply nested defaults: Compose reads 200 levels.
    let mut nested = "x".to_string();
    for _ in 0..200 {
        nested = format!("${{U:-{nested}}}");
    }
    texts.push(format!("K1={nested}\n"));
    // Edges the generator does not reach: `export` and blanks at the end of the file, an
    // unbalanced `{` inside a default.
    for edge in [
        "export   ",
        "K1=1\nexport  ",
        "K1=${U:-{x}\n",
        "K1=\"${U:-{x}\"\n",
        "K1=${A:-{x}\n",
        "K1=${U:-{x}}\n",
        "export",
        "export\n",
        "export \t \n",
        "export  \nK1=1\n",
        "export =1\n",
        "export\t=1\n",
        "export  K1\n",
        "=1\n",
        " \n=x\n",
    ] {
        texts.push(edge.to_string());
    }
    let env = [("A", "va"), ("E", "")];
    let lookup = |k: &str| {
        env.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    };
    let real = real_compose_envs(&compose, dir.path(), &texts, &env);
    let mut wrong = Vec::new();
    let mut refused = 0;
    for (text, real) in texts.iter().zip(real) {
        let ours = compose_env::parse(text, &lookup);
        match (real, ours) {
            (Err(_), Err(_)) => refused += 1,
            (Err(e), Ok(m)) => wrong.push(format!("{text:?}: Compose refuses ({e}), ours {m:?}")),
            (Ok(m), Err(e)) => wrong.push(format!("{text:?}: Compose reads {m:?}, ours: {e}")),
            (Ok(real), Ok(m)) => {
                let ours: serde_json::Map<String, serde_json::Value> = m
                    .into_iter()
                    .map(|(k, v)| (k, serde_json::Value::String(v.value)))
                    .collect();
                if real != ours {
                    wrong.push(format!("{text:?}: Compose {real:?}, ours {ours:?}"));
                }
            }
        }
    }
    eprintln!("{} files, {refused} refused by both", texts.len());
    assert!(
        refused >= 20 && refused <= texts.len() - 100,
        "the corpus should hold files Compose reads and files it refuses ({refused} refused)"
    );
    assert!(
        wrong.is_empty(),
        "{} of {} disagree with Compose:\n{}",
        wrong.len(),
        texts.len(),
        wrong
            .iter()
            .take(60)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
