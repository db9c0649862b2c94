//! A reader for `.env` files with the semantics of Ruby dotenv 3 (what a non-Docker Chatwoot
//! loads at boot), without its side effects.
//!
//! Ruby dotenv matches each assignment with one regular expression
//! (`[export ]KEY=VALUE [# comment]`, key `[A-Za-z0-9_.]+`, separator `=` or `: `), then:
//! - single-quoted values are literal (they may span lines);
//! - double-quoted values (which may span lines) and unquoted values drop a backslash before
//!   any character but `$` (so `\n` stays the two characters `\` `n` in dotenv 3), then
//!   substitute `$VAR` / `${VAR}` and **run `$(command)`**;
//! - in an unquoted value `#` starts a comment wherever it is (`a#b` is `a`), and surrounding
//!   whitespace is dropped;
//! - a line it cannot match is ignored, except `export KEY` for a key not set above, which is
//!   a format error that stops Chatwoot's boot.
//!
//! This reader never substitutes and never runs anything: [`EnvEntry::value`] keeps each
//! `$VAR` and `$(command)` as written and [`EnvEntry::substitutions`] lists them, so a caller
//! knows when the value Chatwoot sees differs from the text in the file.

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

/// Parses a whole env file. Later assignments of a key come after earlier ones in the result
/// (use [`last`] for the effective value).
pub fn parse(text: &str) -> Result<Vec<EnvEntry>, DotenvError> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let chars: Vec<char> = text.chars().collect();
    let mut entries: Vec<EnvEntry> = Vec::new();
    let mut pos = 0;
    let mut line = 1;
    while pos < chars.len() {
        let line_end = chars[pos..]
            .iter()
            .position(|c| *c == '\n')
            .map_or(chars.len(), |i| pos + i);
        let consumed = match parse_assignment(&chars, pos, line_end, line) {
            Some((entry, end)) => {
                entries.push(entry);
                end
            }
            None => {
                let text: String = chars[pos..line_end].iter().collect();
                check_bare_export(&text, line, &entries)?;
                line_end
            }
        };
        line += chars[pos..consumed].iter().filter(|c| **c == '\n').count();
        pos = consumed;
        if pos < chars.len() && chars[pos] == '\n' {
            pos += 1;
            line += 1;
        }
    }
    Ok(entries)
}

/// The last assignment of `key` (the one that wins).
pub fn last<'a>(entries: &'a [EnvEntry], key: &str) -> Option<&'a EnvEntry> {
    entries.iter().rev().find(|e| e.key == key)
}

/// Ruby dotenv raises on `export KEY [KEY…]` when a key was not assigned above.
fn check_bare_export(
    line_text: &str,
    line: usize,
    entries: &[EnvEntry],
) -> Result<(), DotenvError> {
    let mut words = line_text.split_whitespace();
    if words.next() != Some("export") {
        return Ok(());
    }
    for word in words {
        if word.starts_with('#') {
            break;
        }
        if !entries.iter().any(|e| e.key == word) {
            return Err(DotenvError {
                line,
                message: format!(
                    "`export {word}` exports a variable the file never set; Ruby dotenv refuses \
                     the file (Chatwoot does not boot)"
                ),
            });
        }
    }
    Ok(())
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Tries to read one assignment starting at `start`; returns it and where it ended (the end
/// of its last line, before the newline).
fn parse_assignment(
    chars: &[char],
    start: usize,
    line_end: usize,
    line: usize,
) -> Option<(EnvEntry, usize)> {
    let mut i = start;
    while i < line_end && is_blank(chars[i]) {
        i += 1;
    }
    let mut exported = false;
    let export: Vec<char> = "export".chars().collect();
    if chars[i..line_end].starts_with(&export)
        && chars.get(i + export.len()).is_some_and(|c| is_blank(*c))
    {
        let mut j = i + export.len();
        while j < line_end && is_blank(chars[j]) {
            j += 1;
        }
        // `export` followed by a key; otherwise `export` itself may be the key (`export=1`).
        if j < line_end && is_key_char(chars[j]) {
            exported = true;
            i = j;
        }
    }
    let key_start = i;
    while i < line_end && is_key_char(chars[i]) {
        i += 1;
    }
    if i == key_start {
        return None;
    }
    let key: String = chars[key_start..i].iter().collect();
    // Separator: blanks then `=`, or `:` followed by at least one blank.
    let mut j = i;
    while j < line_end && is_blank(chars[j]) {
        j += 1;
    }
    if j < line_end && chars[j] == '=' {
        i = j + 1;
    } else if i < line_end && chars[i] == ':' && chars.get(i + 1).is_some_and(|c| is_blank(*c)) {
        i += 2;
    } else {
        return None;
    }
    let value_start = i;
    let mut k = i;
    while k < line_end && is_blank(chars[k]) {
        k += 1;
    }
    // Quoted values: the closing quote must be followed only by blanks and an optional comment.
    if k < chars.len() && (chars[k] == '\'' || chars[k] == '"') {
        let quote = chars[k];
        if let Some(close) = find_closing_quote(chars, k + 1, quote) {
            let after = close + 1;
            let rest_end = chars[after..]
                .iter()
                .position(|c| *c == '\n')
                .map_or(chars.len(), |p| after + p);
            let rest: String = chars[after..rest_end].iter().collect();
            let rest = rest.trim_start_matches(is_blank);
            if rest.is_empty() || rest.starts_with('#') {
                let inner: String = chars[k + 1..close].iter().collect();
                let raw: String = chars[k..=close].iter().collect();
                let entry = if quote == '\'' {
                    EnvEntry {
                        key,
                        value: inner,
                        raw,
                        quoting: Quoting::Single,
                        line,
                        substitutions: Vec::new(),
                        exported,
                        compose_text: None,
                    }
                } else {
                    // dotenv 3 keeps `\n` and `\r` as two characters (legacy mode aside).
                    let inner = inner.replace("\\n", "\\\\n").replace("\\r", "\\\\r");
                    let (value, substitutions) = evaluate(&unescape(&inner));
                    EnvEntry {
                        key,
                        value,
                        raw,
                        quoting: Quoting::Double,
                        line,
                        substitutions,
                        exported,
                        compose_text: None,
                    }
                };
                return Some((entry, rest_end));
            }
        }
    }
    // Unquoted: up to `#` or the end of the line, trimmed.
    let value_end = chars[value_start..line_end]
        .iter()
        .position(|c| *c == '#')
        .map_or(line_end, |p| value_start + p);
    let raw: String = chars[value_start..value_end].iter().collect();
    let raw = raw.trim().to_string();
    // Docker Compose v2 starts a comment only at a `#` after a blank: `a#b` stays `a#b` there.
    let compose: String = {
        let line: String = chars[value_start..line_end].iter().collect();
        let cut = line
            .char_indices()
            .find(|(i, c)| *c == '#' && (*i == 0 || line[..*i].ends_with(is_blank)))
            .map_or(line.len(), |(i, _)| i);
        line[..cut].trim().to_string()
    };
    // Like Ruby, strip quotes that enclose the whole text (`"a"b"` is `a"b`, double-quoted);
    // an unmatched quote stays part of the value.
    let enclosing = raw
        .chars()
        .next()
        .filter(|q| (*q == '"' || *q == '\'') && raw.len() >= 2 && raw.ends_with(*q));
    let (value, substitutions, quoting) = match enclosing {
        Some('\'') => (
            raw[1..raw.len() - 1].to_string(),
            Vec::new(),
            Quoting::Single,
        ),
        Some(_) => {
            let (v, s) = evaluate(&unescape(&raw[1..raw.len() - 1]));
            (v, s, Quoting::Double)
        }
        None => {
            let (v, s) = evaluate(&unescape(&raw));
            (v, s, Quoting::Unquoted)
        }
    };
    Some((
        EnvEntry {
            key,
            value,
            compose_text: (compose != raw).then_some(compose),
            raw,
            quoting,
            line,
            substitutions,
            exported,
        },
        line_end,
    ))
}

/// Finds the closing quote; inside it `\'` / `\"` does not close the value.
fn find_closing_quote(chars: &[char], from: usize, quote: char) -> Option<usize> {
    let mut i = from;
    while i < chars.len() {
        if chars[i] == '\\' && chars.get(i + 1) == Some(&quote) {
            i += 2;
            continue;
        }
        if chars[i] == quote {
            return Some(i);
        }
        i += 1;
    }
    None
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

/// Finds the substitutions Ruby dotenv would perform, and resolves `\$` to a literal `$`.
fn evaluate(value: &str) -> (String, Vec<Substitution>) {
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::with_capacity(value.len());
    let mut subs = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && chars.get(i + 1) == Some(&'$') {
            out.push('$');
            i += 2;
            continue;
        }
        if c != '$' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        match chars.get(i + 1) {
            Some('(') => {
                // Up to the balancing parenthesis (or the end: flagged all the same).
                let mut depth = 0usize;
                let mut j = i + 1;
                while j < chars.len() {
                    match chars[j] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    j += 1;
                }
                let end = (j + 1).min(chars.len());
                let text: String = chars[start..end].iter().collect();
                out.push_str(&text);
                subs.push(Substitution::Command(text));
                i = end;
            }
            _ => {
                let mut j = i + 1;
                let braced = chars.get(j) == Some(&'{');
                if braced {
                    j += 1;
                }
                let name_start = j;
                while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                    j += 1;
                }
                if j == name_start {
                    out.push('$');
                    i += 1;
                    continue;
                }
                let name: String = chars[name_start..j].iter().collect();
                if braced && chars.get(j) == Some(&'}') {
                    j += 1;
                }
                out.extend(&chars[start..j]);
                subs.push(Substitution::Variable(name));
                i = j;
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
        let err = parse("export B\n").unwrap_err();
        assert_eq!(err.line, 1);
    }
}
