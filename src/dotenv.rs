//! A reader for `.env` files with the semantics of Ruby dotenv 3.1.2 (the version Chatwoot
//! pins; what a non-Docker Chatwoot loads at boot), without its side effects.
//!
//! Ruby dotenv scans the file with one regular expression, `LINE`
//! (`[export ]KEY=VALUE [# comment]`, key `[A-Za-z0-9_.]+`, separator `\s*=` or `:` and
//! whitespace). [`parse`] follows that expression step by step, backtracking included: its
//! `\s*` may cross line breaks, so a quoted value may start on the next line (`KEY=` then
//! `'value'`) and `KEY:` takes the next line as its value; the file's UTF-8 byte-order mark is
//! dropped (`File.open(…, "rb:bom|utf-8")`). Then, per value:
//! - single-quoted values are literal (they may span lines);
//! - double-quoted values (which may span lines) and unquoted values drop a backslash before
//!   any character but `$` (so `\n` stays the two characters `\` `n` in dotenv 3, unless
//!   `DOTENV_LINEBREAK_MODE=legacy` is set above in the file or in the process), then
//!   substitute `$VAR` / `${VAR}` and **run `$(command)`** (balanced parentheses only);
//! - in an unquoted value `#` starts a comment wherever it is (`a#b` is `a`), and surrounding
//!   whitespace is dropped;
//! - a line it cannot match is ignored, except an `export` line naming a word the file never
//!   assigns (anywhere in it; `export A # note` names `#` and `note`), which is a format error
//!   that stops Chatwoot's boot.
//!
//! This reader never substitutes and never runs anything: [`EnvEntry::value`] keeps each
//! `$VAR` and `$(command)` as written and [`EnvEntry::substitutions`] lists them, so a caller
//! knows when the value Chatwoot sees differs from the text in the file. Every step is linear
//! in the size of the file.

use std::fmt;

/// How a value was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Quoting {
    Unquoted,
    Single,
    Double,
}

/// Something Ruby dotenv would replace in a value when it loads the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Substitution {
    /// `$NAME` or `${NAME}`: replaced by the variable (empty when unset).
    Variable(String),
    /// `$(...)`: a shell command run at boot, replaced by its output.
    Command(String),
}

/// One assignment of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvEntry {
    pub key: String,
    /// The value after quote removal and unescaping; substitutions are left as written.
    pub value: String,
    /// The value exactly as written after the separator (quotes included, comment excluded).
    pub raw: String,
    pub quoting: Quoting,
    /// 1-based line where the assignment starts.
    pub line: usize,
    /// What Ruby dotenv would substitute; empty means `value` is what Chatwoot gets.
    pub substitutions: Vec<Substitution>,
    /// The line had the `export ` prefix.
    pub exported: bool,
    /// When Docker Compose v2 would read a different text for this unquoted value (it starts
    /// a comment only at ` #`, so `a#b` is `a#b` there and `a` here): that text.
    pub compose_text: Option<String>,
}

impl EnvEntry {
    /// True when `value` is exactly what Ruby dotenv hands to Chatwoot.
    pub fn is_literal(&self) -> bool {
        self.substitutions.is_empty()
    }
}

/// A file Ruby dotenv refuses to load (Chatwoot would not boot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for DotenvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DotenvError {}

/// Settings from outside the file that change how Ruby dotenv reads it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// `DOTENV_LINEBREAK_MODE` in the process environment.
    pub linebreak_mode: Option<String>,
}

/// Parses a whole env file. Later assignments of a key come after earlier ones in the result
/// (use [`last`] for the effective value).
pub fn parse(text: &str) -> Result<Vec<EnvEntry>, DotenvError> {
    parse_with(text, &Options::default())
}

/// [`parse`] with the process settings that matter to Ruby dotenv.
pub fn parse_with(text: &str, options: &Options) -> Result<Vec<EnvEntry>, DotenvError> {
    let chars = normalized(text);
    let lines = LineIndex::new(&chars);
    let found = scan(&chars);
    let mut entries: Vec<EnvEntry> = Vec::with_capacity(found.len());
    let mut linebreak: Option<String> = None;
    for (_, m) in &found {
        let legacy = linebreak.as_deref().or(options.linebreak_mode.as_deref()) == Some("legacy");
        let entry = entry_of(&chars, m, lines.line_of(m.key_start), legacy);
        if entry.key == "DOTENV_LINEBREAK_MODE" {
            linebreak = Some(entry.value.clone());
        }
        entries.push(entry);
    }
    let matched: Vec<(usize, usize)> = found.iter().map(|(start, m)| (*start, m.end)).collect();
    check_export_lines(&chars, &matched, &entries, &lines)?;
    Ok(entries)
}

/// The text as dotenv scans it: without the byte-order mark, `\r\n` and `\r` read as `\n`
/// (`File.open(…, "rb:bom|utf-8")`, then `gsub(/\r\n?/, "\n")`).
fn normalized(text: &str) -> Vec<char> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    text.chars().collect()
}

/// Every match of `LINE`, in order, with the line start its search began at.
fn scan(chars: &[char]) -> Vec<(usize, Matched)> {
    let scanner = Scanner::new(chars);
    let mut found = Vec::new();
    let mut pos = 0;
    while pos <= chars.len() {
        // `(?:^|\A)`: a match starts at a line start.
        let start = if pos == 0 || chars[pos - 1] == '\n' {
            pos
        } else {
            match chars[pos..].iter().position(|c| *c == '\n') {
                Some(i) => pos + i + 1,
                None => break,
            }
        };
        match scanner.attempt(start) {
            Attempt::Match(m) => {
                // A match holds a key, so it ends after `start`: this always advances.
                debug_assert!(m.end > start);
                pos = m.end;
                found.push((start, m));
            }
            Attempt::Fail { resume } => {
                // Every line start up to `resume` fails the same way (the leading `\s*`
                // reaches the same place), so the search skips them.
                pos = resume.max(start + 1);
            }
        }
    }
    found
}

/// Where one assignment sits in the file as Ruby dotenv 3.1.2 reads it. Lines are 1-based
/// and count `\n`, `\r\n` and a lone `\r` as line breaks; columns count characters (the
/// byte-order mark of the first line not included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub key: String,
    pub exported: bool,
    /// Line of the key.
    pub key_line: usize,
    /// Line and column of the separator, `=` or `:` (which may follow the key on a later
    /// line: `\s*=` crosses line breaks).
    pub sep: (usize, usize),
    /// The separator is `:` (dotenv's `KEY: value`).
    pub colon: bool,
    /// Line of the value's last character (the separator's line when the value is empty):
    /// the assignment covers `key_line..=last_line`.
    pub last_line: usize,
}

/// The assignments of a file, where they are (see [`Span`]), whatever dotenv would then
/// refuse: the lines another writer must treat as one piece.
pub fn spans(text: &str) -> Vec<Span> {
    let chars = normalized(text);
    let lines = LineIndex::new(&chars);
    scan(&chars)
        .into_iter()
        .map(|(_, m)| {
            let sep_line = lines.line_of(m.sep);
            Span {
                key: chars[m.key_start..m.key_end].iter().collect(),
                exported: m.exported,
                key_line: lines.line_of(m.key_start),
                sep: (sep_line, m.sep - lines.start_of(sep_line)),
                colon: chars[m.sep] == ':',
                last_line: if m.value.1 > m.value.0 {
                    lines.line_of(m.value.1 - 1)
                } else {
                    sep_line
                },
            }
        })
        .collect()
}

/// The last assignment of `key` (the one that wins).
pub fn last<'a>(entries: &'a [EnvEntry], key: &str) -> Option<&'a EnvEntry> {
    entries.iter().rev().find(|e| e.key == key)
}

/// Line numbers of positions, in O(log n) each.
struct LineIndex {
    breaks: Vec<usize>,
}

impl LineIndex {
    fn new(chars: &[char]) -> Self {
        LineIndex {
            breaks: chars
                .iter()
                .enumerate()
                .filter(|(_, c)| **c == '\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    /// 1-based line of position `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.breaks.partition_point(|b| *b < pos) + 1
    }

    /// Position of the first character of 1-based `line`.
    fn start_of(&self, line: usize) -> usize {
        match line.checked_sub(2) {
            Some(i) => self.breaks.get(i).map_or(0, |b| b + 1),
            None => 0,
        }
    }
}

/// Ruby's `\s`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// One successful match of `LINE`.
struct Matched {
    key_start: usize,
    key_end: usize,
    exported: bool,
    /// Position of the separator (`=` or `:`).
    sep: usize,
    /// The value group (leading whitespace of a quoted value included), empty when absent.
    value: (usize, usize),
    /// Where the whole match ends.
    end: usize,
}

enum Attempt {
    Match(Matched),
    Fail { resume: usize },
}

/// Quote positions that make every backtracking step of `LINE` a binary search (memory in
/// proportion to the quotes of the file, not to its size).
struct Scanner<'a> {
    chars: &'a [char],
    /// Per quote (`'`, `"`): the positions of that quote not preceded by a backslash.
    plain_quotes: [Vec<usize>; 2],
    /// Per quote: the positions of that quote preceded by a backslash after which the tail
    /// matches (where backtracking into `\\'` can close the value).
    escaped_ok: [Vec<usize>; 2],
}

impl<'a> Scanner<'a> {
    fn new(chars: &'a [char]) -> Self {
        let mut scanner = Scanner {
            chars,
            plain_quotes: [Vec::new(), Vec::new()],
            escaped_ok: [Vec::new(), Vec::new()],
        };
        for (i, c) in chars.iter().enumerate() {
            let qi = match c {
                '\'' => 0,
                '"' => 1,
                _ => continue,
            };
            if i > 0 && chars[i - 1] == '\\' {
                if scanner.tail(i + 1).is_some() {
                    scanner.escaped_ok[qi].push(i);
                }
            } else {
                scanner.plain_quotes[qi].push(i);
            }
        }
        scanner
    }

    /// Where `\s*(?:\#.*)?(?:$|\z)` starting at `r` ends its match, if it does.
    fn tail(&self, r: usize) -> Option<usize> {
        let c = self.chars;
        let w = self.skip_space(r);
        if w == c.len() {
            return Some(w);
        }
        if c[w] == '#' {
            return Some(
                c[w..]
                    .iter()
                    .position(|x| *x == '\n')
                    .map_or(c.len(), |p| w + p),
            );
        }
        // `$` before the last line break of the run (greedy `\s*` gives back).
        c[r..w].iter().rposition(|x| *x == '\n').map(|p| r + p)
    }

    fn skip_space(&self, mut i: usize) -> usize {
        while i < self.chars.len() && is_space(self.chars[i]) {
            i += 1;
        }
        i
    }

    /// `LINE` anchored at `start`.
    fn attempt(&self, start: usize) -> Attempt {
        let c = self.chars;
        let lead = self.skip_space(start);
        // `(?:export\s+)?`: tried with the prefix first, then without.
        let export = ['e', 'x', 'p', 'o', 'r', 't'];
        if c[lead..].starts_with(&export) && c.get(lead + 6).is_some_and(|x| is_space(*x)) {
            let key_start = self.skip_space(lead + 6);
            if let Some(m) = self.after_key(key_start, true) {
                return Attempt::Match(m);
            }
        }
        match self.after_key(lead, false) {
            Some(m) => Attempt::Match(m),
            None => Attempt::Fail { resume: lead },
        }
    }

    fn after_key(&self, key_start: usize, exported: bool) -> Option<Matched> {
        let c = self.chars;
        let mut k = key_start;
        while k < c.len() && is_key_char(c[k]) {
            k += 1;
        }
        if k == key_start {
            return None;
        }
        // `(?:\s*=\s*?|:\s+?)`: the lazy quantifiers never need to grow (the rest of `LINE`
        // always matches with the shortest separator).
        let m = self.skip_space(k);
        let (sep, value_start) = if c.get(m) == Some(&'=') {
            (m, m + 1)
        } else if c.get(k) == Some(&':') && c.get(k + 1).is_some_and(|x| is_space(*x)) {
            (k, k + 2)
        } else {
            return None;
        };
        let (value, end) = self.value_and_tail(value_start);
        Some(Matched {
            key_start,
            key_end: k,
            exported,
            sep,
            value,
            end,
        })
    }

    /// The optional value group, then the tail; returns the group's span and the match end.
    fn value_and_tail(&self, v: usize) -> ((usize, usize), usize) {
        let c = self.chars;
        let w = self.skip_space(v);
        for (qi, q) in ['\'', '"'].into_iter().enumerate() {
            if c.get(w) != Some(&q) {
                continue;
            }
            // Greedy `(?:\\'|[^'])*` stops at the first quote without a backslash before it;
            // backtracking then tries the escaped quotes before that one, last first.
            let plain = &self.plain_quotes[qi];
            let close = plain.get(plain.partition_point(|p| *p <= w)).copied();
            if let Some(close) = close {
                if let Some(end) = self.tail(close + 1) {
                    return ((v, close + 1), end);
                }
            }
            let limit = close.unwrap_or(c.len());
            let escaped = &self.escaped_ok[qi];
            let k = escaped.partition_point(|p| *p < limit);
            if let Some(close) = k.checked_sub(1).map(|k| escaped[k]).filter(|q| *q > w) {
                if let Some(end) = self.tail(close + 1) {
                    return ((v, close + 1), end);
                }
            }
        }
        // Unquoted `[^\#\r\n]+`, greedy; its tail always matches.
        if v < c.len() && c[v] != '#' && c[v] != '\n' {
            let u = c[v..]
                .iter()
                .position(|x| *x == '#' || *x == '\n')
                .map_or(c.len(), |p| v + p);
            let end = self.tail(u).unwrap_or(u);
            return ((v, u), end);
        }
        // No value.
        let end = self.tail(v).unwrap_or(v);
        ((v, v), end)
    }
}

/// Ruby's `String#strip`.
fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r' | '\0'))
}

/// `parse_value` of Ruby dotenv 3.1.2, with substitutions listed instead of performed.
fn entry_of(chars: &[char], m: &Matched, line: usize, legacy: bool) -> EnvEntry {
    let key: String = chars[m.key_start..m.key_end].iter().collect();
    let group: String = chars[m.value.0..m.value.1].iter().collect();
    let raw = ruby_strip(&group).to_string();
    // `sub(/\A(['"])(.*)\1\z/m, '\2')`
    let quote = raw
        .chars()
        .next()
        .filter(|q| (*q == '"' || *q == '\'') && raw.chars().count() >= 2 && raw.ends_with(*q));
    let (value, substitutions, quoting) = match quote {
        Some('\'') => (
            raw[1..raw.len() - 1].to_string(),
            Vec::new(),
            Quoting::Single,
        ),
        Some(_) => {
            let inner = &raw[1..raw.len() - 1];
            let inner = if legacy {
                inner.replace("\\n", "\n").replace("\\r", "\r")
            } else {
                inner.replace("\\n", "\\\\n").replace("\\r", "\\\\r")
            };
            let (v, s) = evaluate(&unescape(&inner));
            (v, s, Quoting::Double)
        }
        None => {
            let (v, s) = evaluate(&unescape(&raw));
            (v, s, Quoting::Unquoted)
        }
    };
    // Docker Compose v2 starts a comment only at a `#` after a blank: `a#b` stays `a#b` there.
    let compose_text = (quoting == Quoting::Unquoted && chars.get(m.value.1) == Some(&'#'))
        .then(|| {
            let line_end = chars[m.value.1..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| m.value.1 + p);
            let line: String = chars[m.value.0..line_end].iter().collect();
            let cut = line
                .char_indices()
                .find(|(i, c)| *c == '#' && (*i == 0 || line[..*i].ends_with(is_blank)))
                .map_or(line.len(), |(i, _)| i);
            line[..cut].trim().to_string()
        })
        .filter(|compose| *compose != raw);
    EnvEntry {
        key,
        value,
        raw,
        quoting,
        line,
        substitutions,
        exported: m.exported,
        compose_text,
    }
}

/// Ruby dotenv raises on an `export` line (where `LINE` does not match) naming a word that
/// no assignment of the file sets.
fn check_export_lines(
    chars: &[char],
    matched: &[(usize, usize)],
    entries: &[EnvEntry],
    lines: &LineIndex,
) -> Result<(), DotenvError> {
    let keys: std::collections::HashSet<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    let check = |from: usize, to: usize| -> Result<(), DotenvError> {
        let mut line_start = from;
        while line_start < to {
            let line_end = chars[line_start..to]
                .iter()
                .position(|c| *c == '\n')
                .map_or(to, |p| line_start + p);
            let text: String = chars[line_start..line_end].iter().collect();
            let mut words = text.split_ascii_whitespace();
            if words.next() == Some("export") {
                if let Some(word) = words.find(|w| !keys.contains(w)) {
                    return Err(DotenvError {
                        line: lines.line_of(line_start),
                        message: format!(
                            "an `export` line names {word:?}, which the file never sets; Ruby \
                             dotenv refuses the file (Chatwoot does not boot){}",
                            if word.starts_with('#') {
                                " — the words of a comment after `export KEY` count as names"
                            } else {
                                ""
                            }
                        ),
                    });
                }
            }
            line_start = line_end + 1;
        }
        Ok(())
    };
    let mut prev = 0;
    for (s, e) in matched {
        check(prev, *s)?;
        prev = *e;
    }
    check(prev, chars.len())
}

/// Ruby dotenv's `unescape_characters`: drop a backslash before any character but `$`.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut it = value.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.peek() {
                Some('$') | None => out.push('\\'),
                Some(_) => {
                    if let Some(next) = it.next() {
                        out.push(next);
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// For each `(` of `chars`, the index after its closing `)` when Ruby dotenv's command regex
/// `\((?:[^()]|\g<cmd>)+\)` matches there (balanced, no empty group inside).
fn command_groups(chars: &[char]) -> Vec<Option<usize>> {
    let mut out = vec![None; chars.len()];
    // (open index, a nested group failed)
    let mut stack: Vec<(usize, bool)> = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        match c {
            '(' => stack.push((i, false)),
            ')' => {
                if let Some((open, bad)) = stack.pop() {
                    if !bad && i > open + 1 {
                        out[open] = Some(i + 1);
                    } else if let Some(parent) = stack.last_mut() {
                        parent.1 = true;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// Finds the substitutions Ruby dotenv would perform (its Variable pass, then its Command
/// pass) and resolves the escapes they honour (`\$`, `\$(…)`), keeping substituted text as
/// written.
fn evaluate(value: &str) -> (String, Vec<Substitution>) {
    // Variable: /(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?/i
    let chars: Vec<char> = value.chars().collect();
    let mut pass1: Vec<char> = Vec::with_capacity(chars.len());
    let mut subs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let escaped = chars[i] == '\\' && chars.get(i + 1) == Some(&'$');
        let dollar = if escaped { i + 1 } else { i };
        if chars[dollar] != '$' || chars.get(dollar + 1) == Some(&'(') {
            pass1.push(chars[i]);
            i += 1;
            continue;
        }
        let mut j = dollar + 1;
        if chars.get(j) == Some(&'{') {
            j += 1;
        }
        let name_start = j;
        while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
            j += 1;
        }
        let name: String = chars[name_start..j].iter().collect();
        // (The optional `}` needs no step of its own: the text is kept as written either way.)
        if !escaped && !name.is_empty() {
            subs.push(Substitution::Variable(name));
        }
        pass1.extend_from_slice(&chars[dollar..j]);
        i = j;
    }
    // Command: /(\\)?\$(\((?:[^()]|\g<cmd>)+\))/
    let groups = command_groups(&pass1);
    let mut out = String::with_capacity(pass1.len());
    let mut i = 0;
    while i < pass1.len() {
        let escaped = pass1[i] == '\\' && pass1.get(i + 1) == Some(&'$');
        let dollar = if escaped { i + 1 } else { i };
        let group = (pass1.get(dollar) == Some(&'$') && pass1.get(dollar + 1) == Some(&'('))
            .then(|| groups[dollar + 1])
            .flatten();
        match group {
            Some(end) => {
                let text: String = pass1[dollar..end].iter().collect();
                if !escaped {
                    subs.push(Substitution::Command(text.clone()));
                }
                out.push_str(&text);
                i = end;
            }
            None => {
                out.push(pass1[i]);
                i += 1;
            }
        }
    }
    (out, subs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> EnvEntry {
        let entries = parse(text).expect("parses");
        assert_eq!(entries.len(), 1, "{text:?} → {entries:?}");
        entries.into_iter().next().expect("one entry")
    }

    #[test]
    fn quoting_styles() {
        let e = one("P='a$b #c'\n");
        assert_eq!((e.value.as_str(), e.quoting), ("a$b #c", Quoting::Single));
        assert!(e.is_literal());
        assert_eq!(e.raw, "'a$b #c'");

        let e = one("P=\"a\\\"b\"");
        assert_eq!((e.value.as_str(), e.quoting), ("a\"b", Quoting::Double));

        let e = one("  export   P =  plain value   # comment");
        assert_eq!(e.value, "plain value");
        assert!(e.exported);
        assert_eq!(e.quoting, Quoting::Unquoted);
    }

    #[test]
    fn hash_in_unquoted_value_starts_a_comment_anywhere() {
        let e = one("P=a#b");
        assert_eq!(e.value, "a");
        assert_eq!(e.compose_text.as_deref(), Some("a#b"));
        assert_eq!(one("P=a #b").compose_text, None);
        assert_eq!(one("P=a #b").value, "a");
        assert_eq!(one("P=\"a#b\"").value, "a#b");
        assert_eq!(one("P='a #b' # c").value, "a #b");
    }

    #[test]
    fn substitutions_are_listed_not_performed() {
        let e = one("P=a$(echo X)b");
        assert_eq!(e.value, "a$(echo X)b");
        assert_eq!(
            e.substitutions,
            vec![Substitution::Command("$(echo X)".into())]
        );
        let e = one("P=\"x${HOME}y$Z\"");
        assert_eq!(e.value, "x${HOME}y$Z");
        assert_eq!(
            e.substitutions,
            vec![
                Substitution::Variable("HOME".into()),
                Substitution::Variable("Z".into())
            ]
        );
        let e = one("P=a\\$b");
        assert_eq!(e.value, "a$b");
        assert!(e.is_literal());
        let e = one("P=cost$");
        assert_eq!(e.value, "cost$");
        assert!(e.is_literal());
        assert!(one("P='$(x)'").is_literal());
    }

    #[test]
    fn escapes_follow_dotenv_3() {
        assert_eq!(one("P=\"a\\nb\"").value, "a\\nb");
        assert_eq!(one("P=a\\nb").value, "anb");
        assert_eq!(one("P='a\\nb'").value, "a\\nb");
    }

    #[test]
    fn multi_line_quoted_values_and_line_numbers() {
        let entries = parse("# top\nA=1\nB=\"x\ny\"\n\nC='z'\r\n").expect("parses");
        let got: Vec<(&str, &str, usize)> = entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str(), e.line))
            .collect();
        assert_eq!(got, vec![("A", "1", 2), ("B", "x\ny", 3), ("C", "z", 6)]);
    }

    #[test]
    fn empty_unmatched_and_yaml_style() {
        assert_eq!(one("P=").value, "");
        assert_eq!(one("P=   # nothing").value, "");
        assert_eq!(one("P: v").value, "v");
        let e = one("P=\"abc");
        assert_eq!((e.value.as_str(), e.quoting), ("\"abc", Quoting::Unquoted));
        let e = one("P=\"a\"b\"");
        assert_eq!((e.value.as_str(), e.quoting), ("a\"b", Quoting::Double));
        let e = one("P='a'b' # c");
        assert_eq!((e.value.as_str(), e.quoting), ("a'b", Quoting::Single));
        assert!(parse("just words\n").expect("ignored").is_empty());
        let entries = parse("A=1\nA=2\n").expect("parses");
        assert_eq!(last(&entries, "A").map(|e| e.value.as_str()), Some("2"));
    }

    #[test]
    fn bare_export_of_unset_key_is_an_error() {
        assert!(parse("A=1\nexport A\n").is_ok());
        // Every assignment of the file counts, also one below the export line.
        assert!(parse("export A\nA=1\n").is_ok());
        let err = parse("X=1\nexport B\n").unwrap_err();
        assert_eq!(err.line, 2);
        // dotenv 3.1.2 reads the comment's words as names too.
        assert!(parse("A=1\nexport A # note\n").is_err());
    }

    #[test]
    fn an_error_names_its_line_and_the_reason() {
        let err = parse("X=1\n\nexport B\n").unwrap_err();
        let shown = err.to_string();
        assert!(shown.starts_with("line 3: "), "{shown}");
        assert!(
            shown.contains("\"B\"") && shown.contains("never sets"),
            "{shown}"
        );
    }

    /// `(?:\\"|[^"])*` gives back an escaped quote when the text after the first plain quote
    /// is neither a comment nor the line's end: the value then closes at the last escaped
    /// quote before it whose own tail matches. (The values are those Debian's dotenv 2.4
    /// reads: on one line it matches quotes with the same expression.)
    #[test]
    fn a_quoted_value_closes_at_the_last_escaped_quote_whose_tail_matches() {
        // No plain quote after the opening one.
        let e = one("A=\"x\\\" y\\\" # c");
        assert_eq!((e.value.as_str(), e.quoting), ("x\" y\\", Quoting::Double));
        let e = one("A=\"a\\\"  # c");
        assert_eq!((e.value.as_str(), e.quoting), ("a\\", Quoting::Double));
        let e = one("A='a\\'   ");
        assert_eq!((e.value.as_str(), e.quoting), ("a\\", Quoting::Single));
        // Across a line break (dotenv 3 reads multi-line values), where reading the value
        // unquoted would stop at the break.
        let entries = parse("A=\"first\nsecond\\\"\nB=2\n").expect("parses");
        let a = last(&entries, "A").expect("A");
        assert_eq!(
            (a.value.as_str(), a.quoting),
            ("first\nsecond\\", Quoting::Double)
        );
        assert_eq!(last(&entries, "B").map(|e| e.value.as_str()), Some("2"));
        // A plain quote followed by text: the escaped quote before it closes the value.
        let e = one("A=\"a\\\" # x\" y");
        assert_eq!((e.value.as_str(), e.raw.as_str()), ("a\\", "\"a\\\""));
        // An escaped quote after that plain quote cannot close it: the unquoted reading.
        let e = one("A=\"x\\\"y\" z\\\"");
        assert_eq!(e.value, "x\"y\" z\\");
        // Nor can one before the opening quote, on an earlier line.
        let entries = parse("B=x\\\" # y\nA=\"abc\n").expect("parses");
        let a = last(&entries, "A").expect("A");
        assert_eq!((a.value.as_str(), a.quoting), ("\"abc", Quoting::Unquoted));
        // And the match ends where the value's tail does: the next line is an assignment.
        let entries = parse("A=\"a\\\" # x\" y\nB=2\n").expect("parses");
        assert_eq!(last(&entries, "B").map(|e| e.value.as_str()), Some("2"));
    }

    /// Compose v2 reads a quoted value as dotenv does, also with a `#` right after the
    /// closing quote (checked with `docker-compose config`); only an unquoted `a#b` differs.
    #[test]
    fn only_an_unquoted_value_cut_at_a_hash_reads_differently_in_compose() {
        for (text, value) in [
            ("A=\"a b\"#x", "a b"),
            ("A='a b'#x", "a b"),
            ("A=\"ab\" #x", "ab"),
        ] {
            let e = one(text);
            assert_eq!(
                (e.value.as_str(), e.compose_text),
                (value, None),
                "{text:?}"
            );
        }
        assert_eq!(one("A=a#b").compose_text.as_deref(), Some("a#b"));
    }

    /// The match of an assignment ends at the last line break of the blank run after it, so
    /// no part of the assignment is read again as a line of its own, however many blank lines
    /// follow (an `export` line there would otherwise name `A=1` or `Z`, and fail).
    #[test]
    fn blank_lines_after_an_assignment_leave_it_one_assignment() {
        for blanks in 0..=16 {
            let gap = "\n".repeat(blanks + 1);
            for text in [
                format!("export A=1{gap}B=2\n"),
                format!("A=x export Z{gap}B=2\n"),
                format!("export A=1  {gap}  export B=2 # c\n"),
            ] {
                let entries = parse(&text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
                let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
                assert_eq!(keys, ["A", "B"], "{text:?}");
            }
        }
    }

    #[test]
    fn values_on_the_next_line_bom_and_legacy_linebreaks() {
        let e = parse("A=\n'x y'\nB=2").expect("parses");
        assert_eq!(last(&e, "A").map(|e| e.value.as_str()), Some("x y"));
        let e = parse("A:\nnext\n").expect("parses");
        assert_eq!(last(&e, "A").map(|e| e.value.as_str()), Some("next"));
        let e = parse("\u{feff}BOM=UTF-8").expect("parses");
        assert_eq!(last(&e, "BOM").map(|e| e.value.as_str()), Some("UTF-8"));
        let e = parse("DOTENV_LINEBREAK_MODE=legacy\nF=\"a\\nb\"").expect("parses");
        assert_eq!(last(&e, "F").map(|e| e.value.as_str()), Some("a\nb"));
        let legacy = Options {
            linebreak_mode: Some("legacy".into()),
        };
        let e = parse_with("F=\"a\\rb\"", &legacy).expect("parses");
        assert_eq!(last(&e, "F").map(|e| e.value.as_str()), Some("a\rb"));
    }

    #[test]
    fn commands_need_balanced_non_empty_parentheses() {
        assert!(one("P=$(a").is_literal());
        assert!(one("P=$()").is_literal());
        assert!(one("P=$(a())").is_literal());
        assert_eq!(
            one("P=$($(echo x)").substitutions,
            vec![Substitution::Command("$(echo x)".into())]
        );
        assert_eq!(one("P=\\$(x)").value, "$(x)");
        assert!(one("P=\\$(x)").is_literal());
    }

    #[test]
    fn trailing_blanks_after_a_key_and_hostile_tails_do_not_panic() {
        for text in [
            "KEY   ",
            "KEY",
            "export KEY   ",
            "A=$(",
            "A=\"$(",
            "A='\\",
            "A=\\",
            ":",
            "=",
            "export",
            "export ",
            "A:",
            "A: ",
            "\u{feff}",
            "A=\"\\\"",
            "A='x''",
            "A=\"",
            "A='",
        ] {
            let _ = parse(text);
        }
    }

    mod never_panics {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig {
                cases: 400,
                rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
                ..ProptestConfig::default()
            })]

            #[test]
            fn on_arbitrary_text(text in "\\PC*") {
                let _ = parse(&text);
            }

            #[test]
            fn on_env_like_text(
                text in "([ \t]*(export[ \t]+)?[A-Za-z_.]{0,3}[ \t]*[=:]?[ \t]*['\"\\\\$(){}#a \t]{0,8}\r?\n?){0,8}"
            ) {
                let entries = parse(&text);
                if let Ok(entries) = entries {
                    for e in entries {
                        prop_assert!(!e.key.is_empty());
                    }
                }
            }
        }
    }

    #[test]
    fn values_with_substitutions_are_not_literal() {
        assert!(one("REDIS_PASSWORD=plain0pw\n").is_literal());
        assert!(one("REDIS_PASSWORD='$(vault kv get x)'\n").is_literal());
        for text in [
            "REDIS_PASSWORD=$(vault kv get -field=pw secret/redis)\n",
            "REDIS_PASSWORD=\"pre${HOME}post\"\n",
            "REDIS_PASSWORD=a$HOME\n",
        ] {
            let e = one(text);
            assert!(!e.is_literal(), "{text:?}: {e:?}");
            assert!(!e.substitutions.is_empty());
        }
    }
}

#[cfg(test)]
mod span_tests {
    use super::*;

    #[test]
    fn a_value_ending_in_a_line_break_ends_on_the_line_of_its_closing_quote() {
        for (text, lines) in [
            ("A=\"x\n\"\nB=1\n", [(1, 2), (3, 3)]),
            ("A='x\n\n'\nB=1\n", [(1, 3), (4, 4)]),
            ("A=\"\n\"\nB=\"y\"\n", [(1, 2), (3, 3)]),
        ] {
            let got: Vec<(usize, usize)> = spans(text)
                .iter()
                .map(|s| (s.key_line, s.last_line))
                .collect();
            assert_eq!(got, lines, "{text:?}");
        }
    }
}
