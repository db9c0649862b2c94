//! How Docker Compose v2 reads an env file (compose-go v2.9.1's `dotenv` package, inside
//! Compose v2.40): what the containers of a Compose deployment of Chatwoot get.
//!
//! Its rules differ from Ruby dotenv's in ways that change values:
//! - an unquoted value runs to the end of the line; only ` #` (a space, not a tab) starts a
//!   comment, so `a#b` and `a\t#b` are kept whole; backslashes are kept;
//! - in double quotes, `\n`, `\t`, `\\`, `\$`, `\0ooo`, … are escape sequences;
//! - after a closing quote the rest of the line is read as a new statement, and a quote that
//!   does not close (also `'…\'`, where `\'` is an escaped quote) makes Compose refuse the
//!   file, as does a key with a space or another character outside letters, digits and
//!   `_ . - [ ]`;
//! - `$NAME`, `${NAME}`, `${NAME:-default}`, `${NAME?error}`, … are substituted (the process
//!   environment first, then the keys above), `$$` is a `$`, and a `${` that is not a valid
//!   substitution is an error;
//! - a line holding only `KEY` takes the variable from the process environment;
//! - a UTF-8 byte-order mark is dropped.

use std::collections::BTreeMap;

/// One variable as Compose reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeVar {
    pub value: String,
    /// 1-based line where the statement starts.
    pub line: usize,
    /// A `$NAME`/`${…}` substitution changed the text.
    pub substituted: bool,
    /// The statement started right after another value's closing quote on the same line.
    pub after_quote: bool,
}

/// A file Compose refuses (`docker compose` stops with this error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeError {
    pub line: usize,
    /// Compose's own wording, without the file's text (it may hold a secret).
    pub message: String,
}

impl std::fmt::Display for ComposeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Looks a name up in the process environment (`None`: unset).
pub type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// compose-go's `isSpace`: a space character but not a line break.
fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}')
}

/// Parses an env file as Compose does. The result maps each key to its last reading.
pub fn parse(text: &str, lookup: Lookup) -> Result<BTreeMap<String, ComposeVar>, ComposeError> {
    let src = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out: BTreeMap<String, ComposeVar> = BTreeMap::new();
    let line_at = |pos: usize| src[..pos].bytes().filter(|b| *b == b'\n').count() + 1;
    let mut pos = 0;
    let mut after_quote_at: Option<usize> = None;
    // getStatementStart: skip whitespace (line breaks too) and comment lines.
    while let Some(start) = statement_start(src, pos) {
        let after_quote = after_quote_at.is_some_and(|q| !src[q..start].contains('\n'));
        after_quote_at = None;
        let line = line_at(start);
        let (key, rest, inherited) = locate_key(src, start, line)?;
        if key.contains(' ') {
            return Err(ComposeError {
                line,
                message: "key cannot contain a space".into(),
            });
        }
        if inherited {
            if let Some(value) = lookup(&key) {
                out.insert(
                    key,
                    ComposeVar {
                        value,
                        line,
                        substituted: false,
                        after_quote,
                    },
                );
            }
            pos = rest;
            continue;
        }
        let (value, next, substituted, quoted) = extract_value(src, rest, line, &out, lookup)?;
        out.insert(
            key,
            ComposeVar {
                value,
                line,
                substituted,
                after_quote,
            },
        );
        if quoted {
            after_quote_at = Some(next);
        }
        pos = next;
    }
    Ok(out)
}

fn statement_start(src: &str, mut pos: usize) -> Option<usize> {
    loop {
        let off = src[pos..].find(|c: char| !c.is_whitespace())?;
        pos += off;
        if !src[pos..].starts_with('#') {
            return Some(pos);
        }
        pos += src[pos..].find('\n')?;
    }
}

/// `locateKeyName`: the key, where the value starts, and whether the line is a bare `KEY`.
fn locate_key(src: &str, start: usize, line: usize) -> Result<(String, usize, bool), ComposeError> {
    let mut s = start;
    // `^export\s+` (Go's \s: [\t\n\f\r ]), then trim compose's spaces.
    let rest = &src[s..];
    if rest.starts_with("export")
        && rest[6..]
            .chars()
            .next()
            .is_some_and(|c| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' '))
    {
        s += 6;
        s += src[s..]
            .find(|c: char| !is_space(c))
            .unwrap_or(src.len() - s);
    }
    let body = &src[s..];
    if body.is_empty() {
        // `export` and blanks, then the end of the file.
        return Err(ComposeError {
            line,
            message: "zero length string (`export` with no name after it)".into(),
        });
    }
    let mut key_end = None;
    for (i, c) in body.char_indices() {
        if is_space(c) {
            continue;
        }
        match c {
            '=' | ':' | '\n' => {
                key_end = Some((i, c));
                break;
            }
            '_' | '.' | '-' | '[' | ']' => {}
            c if c.is_alphabetic() || c.is_numeric() => {}
            _ => {
                return Err(ComposeError {
                    line,
                    message: "unexpected character in variable name (keys are letters, \
                              digits and _ . - [ ])"
                        .into(),
                })
            }
        }
    }
    let (key, offset, inherited) = match key_end {
        Some((i, c)) => (&body[..i], i + c.len_utf8(), c == '\n'),
        // No separator up to the end: an empty key whose value is the rest.
        None => ("", 0, false),
    };
    let key = key.trim_end_matches(char::is_whitespace).to_string();
    let mut v = s + offset;
    v += src[v..]
        .find(|c: char| !is_space(c))
        .unwrap_or(src.len() - v);
    Ok((key, v, inherited))
}

/// `extractVarValue`: the value, where the rest starts, whether a substitution happened and
/// whether the value was quoted.
fn extract_value(
    src: &str,
    at: usize,
    line: usize,
    vars: &BTreeMap<String, ComposeVar>,
    lookup: Lookup,
) -> Result<(String, usize, bool, bool), ComposeError> {
    let rest = &src[at..];
    let quote = rest
        .as_bytes()
        .first()
        .copied()
        .filter(|q| *q == b'"' || *q == b'\'');
    let mut substituted = false;
    let Some(quote) = quote else {
        let (value, next) = match rest.find('\n') {
            Some(n) => (&rest[..n], at + n + 1),
            None => (rest, src.len()),
        };
        let value = value.split(" #").next().unwrap_or("");
        let value = value.trim_end_matches(char::is_whitespace);
        let v = substitute(value, vars, lookup, &mut substituted, 0)
            .map_err(|message| ComposeError { line, message })?;
        return Ok((v, next, substituted, false));
    };
    let bytes = rest.as_bytes();
    let mut chars: Vec<u8> = Vec::new();
    let mut escape = false;
    for (i, &c) in bytes.iter().enumerate().skip(1) {
        if c != quote {
            if !escape && c == b'\\' {
                escape = true;
                continue;
            }
            if escape {
                escape = false;
                chars.push(b'\\');
            }
            chars.push(c);
            continue;
        }
        if escape {
            escape = false;
            chars.push(c);
            continue;
        }
        let mut value = String::from_utf8_lossy(&chars).into_owned();
        if quote == b'"' {
            value = substitute(&expand_escapes(&value), vars, lookup, &mut substituted, 0)
                .map_err(|message| ComposeError { line, message })?;
        }
        return Ok((value, at + i + 1, substituted, true));
    }
    Err(ComposeError {
        line,
        message: "unterminated quoted value (a quote that does not close; `\\'` or `\\\"` \
                  does not close it)"
            .into(),
    })
}

/// `expandEscapes`: `\a \b \c \f \n \r \t \v \$ \" \\` and `\0ooo` (an invalid `\0…` loses
/// its `0`).
fn expand_escapes(s: &str) -> String {
    let c: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < c.len() {
        if c[i] != '\\' || i + 1 >= c.len() {
            out.push(c[i]);
            i += 1;
            continue;
        }
        let e = c[i + 1];
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(ch) = simple {
            out.push(ch);
            i += 2;
            continue;
        }
        match e {
            '$' => {
                out.push_str("$$");
                i += 2;
            }
            // `\c` matches the pattern but is no Go escape: kept.
            'c' => {
                out.push_str("\\c");
                i += 2;
            }
            '0' => {
                let digits = c[i + 2..]
                    .iter()
                    .take(3)
                    .take_while(|d| d.is_ascii_digit())
                    .count();
                let octal = &c[i + 2..i + 2 + digits];
                let value = (digits == 3 && octal.iter().all(|d| ('0'..='7').contains(d)))
                    .then(|| {
                        octal
                            .iter()
                            .fold(0u32, |n, d| n * 8 + (*d as u32 - '0' as u32))
                    })
                    .filter(|v| *v <= 255)
                    .and_then(char::from_u32);
                match value {
                    Some(ch) => out.push(ch),
                    // compose-go rewrites `\0` to `\` before Go unquotes the escape, and
                    // keeps the rewritten text when that fails: `\018` becomes `\18`.
                    None => {
                        out.push('\\');
                        out.extend(octal);
                    }
                }
                i += 2 + digits;
            }
            _ => {
                out.push('\\');
                i += 1;
            }
        }
    }
    out
}

const MAX_NESTING: usize = 256;

/// compose-go's `template.Substitute` with the lookup first, then the keys read above.
fn substitute(
    t: &str,
    vars: &BTreeMap<String, ComposeVar>,
    lookup: Lookup,
    used: &mut bool,
    depth: usize,
) -> Result<String, String> {
    if depth > MAX_NESTING {
        return Err("Invalid template: substitutions nested too deeply".into());
    }
    let map = |name: &str| lookup(name).or_else(|| vars.get(name).map(|v| v.value.clone()));
    let b = t.as_bytes();
    let mut out = String::with_capacity(t.len());
    let mut i = 0;
    let mut literal_from = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let name_start = |c: u8| c == b'_' || c.is_ascii_alphabetic();
        let name_len = |from: usize| {
            if b.get(from).copied().is_some_and(name_start) {
                1 + b[from + 1..]
                    .iter()
                    .take_while(|c| **c == b'_' || c.is_ascii_alphanumeric())
                    .count()
            } else {
                0
            }
        };
        match b.get(i + 1) {
            Some(b'$') => {
                out.push_str(&t[literal_from..i]);
                out.push('$');
                i += 2;
                literal_from = i;
            }
            Some(c) if name_start(*c) => {
                out.push_str(&t[literal_from..i]);
                let n = name_len(i + 1);
                *used = true;
                out.push_str(&map(&t[i + 1..i + 1 + n]).unwrap_or_default());
                i += 1 + n;
                literal_from = i;
            }
            Some(b'{') => {
                out.push_str(&t[literal_from..i]);
                let n = name_len(i + 2);
                let after = i + 2 + n;
                // `(?::?[-+?](.*))?}`: with a modifier, `.*` runs to the last `}` of the line.
                let modifier = n > 0 && {
                    let m = if b.get(after) == Some(&b':') {
                        after + 1
                    } else {
                        after
                    };
                    matches!(b.get(m), Some(b'-' | b'+' | b'?'))
                };
                let line_end = t[after..].find('\n').map_or(t.len(), |p| after + p);
                let end = if modifier {
                    t[after..line_end].rfind('}').map(|p| after + p)
                } else if n > 0 && b.get(after) == Some(&b'}') {
                    Some(after)
                } else {
                    None
                };
                let Some(end) = end else {
                    return Err("Invalid template".into());
                };
                let whole = &t[i..=end];
                *used = true;
                out.push_str(&braced(whole, vars, lookup, used, depth)?);
                i = end + 1;
                literal_from = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&t[literal_from..]);
    Ok(out)
}

/// `DefaultReplacementAppliedFunc` for a `${…}` match.
fn braced(
    whole: &str,
    vars: &BTreeMap<String, ComposeVar>,
    lookup: Lookup,
    used: &mut bool,
    depth: usize,
) -> Result<String, String> {
    let map = |name: &str| lookup(name).or_else(|| vars.get(name).map(|v| v.value.clone()));
    // The modifier that appears first in the match.
    let seps = [":?", "?", ":-", "-", ":+", "+"];
    let sep = seps
        .iter()
        .filter_map(|s| whole.find(s).map(|p| (p, *s)))
        .min_by_key(|(p, s)| (*p, std::cmp::Reverse(s.len())))
        .map(|(_, s)| s);
    // getFirstBraceClosingIndex
    let bytes = whole.as_bytes();
    let mut open = 0i32;
    let mut close = None;
    let mut k = 0;
    while k < bytes.len() {
        if bytes[k] == b'}' {
            open -= 1;
            if open == 0 {
                close = Some(k);
                break;
            }
        }
        if bytes[k] == b'{' {
            open += 1;
            k += 1;
        }
        k += 1;
    }
    let (sub, rest) = match close {
        Some(c) => (&whole[..=c], &whole[c + 1..]),
        None => (whole, ""),
    };
    let substitution = &sub[2..sub.len() - 1];
    if let Some(sep) = sep.filter(|s| substitution.contains(*s)) {
        let (name, arg) = substitution.split_once(sep).unwrap_or((substitution, ""));
        let arg = substitute(arg, vars, lookup, used, depth + 1)?;
        let value = map(name);
        let result = match sep {
            ":-" => match value {
                Some(v) if !v.is_empty() => v,
                _ => arg,
            },
            "-" => value.unwrap_or(arg),
            ":+" => match value {
                Some(v) if !v.is_empty() => arg,
                v => v.unwrap_or_default(),
            },
            "+" => match value {
                Some(_) => arg,
                None => String::new(),
            },
            _ => match value {
                Some(v) if sep == "?" || !v.is_empty() => v,
                _ => {
                    return Err(format!(
                        "required variable {name} is missing a value{}",
                        if arg.is_empty() {
                            String::new()
                        } else {
                            format!(": {arg}")
                        }
                    ))
                }
            },
        };
        let rest = substitute(rest, vars, lookup, used, depth + 1)?;
        return Ok(result + &rest);
    }
    Ok(map(substitution).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<BTreeMap<String, String>, ComposeError> {
        parse(text, &|_| None).map(|m| m.into_iter().map(|(k, v)| (k, v.value)).collect())
    }

    #[test]
    fn where_compose_differs_from_dotenv() {
        let m = read("A=a#b\nB=a\t#b\nC=x\\y\nD=\"a\\nb\"\nE=p #c\n").expect("reads");
        assert_eq!(m["A"], "a#b");
        assert_eq!(m["B"], "a\t#b");
        assert_eq!(m["C"], "x\\y");
        assert_eq!(m["D"], "a\nb");
        assert_eq!(m["E"], "p");
    }

    #[test]
    fn what_compose_refuses() {
        for bad in [
            "K='abc\\'",
            "K=\"abc",
            "A B=1",
            "K$=1",
            "K=${",
            "K=${X:?need}",
        ] {
            assert!(read(bad).is_err(), "{bad:?}");
        }
        let m = parse("K=\"x\" tail", &|_| None).expect("reads");
        assert!(m[""].after_quote);
    }

    #[test]
    fn substitutions_and_bom() {
        let m = read("\u{feff}A=1\nB=${A}_$A\nC=$$x\nD=${U:-d}\nE='$A'").expect("reads");
        assert_eq!((m["A"].as_str(), m["B"].as_str()), ("1", "1_1"));
        assert_eq!(
            (m["C"].as_str(), m["D"].as_str(), m["E"].as_str()),
            ("$x", "d", "$A")
        );
    }

    #[test]
    fn a_brace_left_open_in_a_default_and_export_at_the_end() {
        // Compose v2.40's readings (the readers tests ask the real binary the same).
        assert_eq!(read("K=${U:-{x}\n").unwrap()["K"], "{x");
        assert_eq!(read("K=\"${U:-{x}\"\n").unwrap()["K"], "{x");
        assert_eq!(read("K=${U:-{x}}\n").unwrap()["K"], "{x}");
        // A `{` in the default counts, and so hides the character after it: `{}` there
        // closes nothing.
        assert_eq!(read("K=${U:-{}}x}\n").unwrap()["K"], "{}}x");
        assert_eq!(read("K=${U:-{}x}y}\n").unwrap()["K"], "{}x}y");
        assert!(read("export   ").is_err());
        assert!(read("K=1\nexport  ").is_err());
    }

    #[test]
    fn substitutions_nest_as_deep_as_compose_reads_them_up_to_a_bound() {
        // Compose reads 200 nested defaults (checked with the real binary in the readers
        // tests); the model stops at 256, far past any real file, so a hostile one cannot
        // exhaust the stack.
        let nested = |n: usize| {
            let mut v = "x".to_string();
            for _ in 0..n {
                v = format!("${{U:-{v}}}");
            }
            format!("K={v}\n")
        };
        assert_eq!(read(&nested(200)).unwrap()["K"], "x");
        // The bound is exact: 256 levels read, the 257th is refused.
        assert_eq!(read(&nested(MAX_NESTING)).unwrap()["K"], "x");
        assert!(parse(&nested(MAX_NESTING + 1), &|_| None).is_err());
        assert!(parse(&nested(300), &|_| None)
            .unwrap_err()
            .message
            .contains("nested too deeply"));
    }

    #[test]
    fn double_quoted_escapes_are_expanded_as_compose_does() {
        assert_eq!(expand_escapes("a\\bz"), "a\u{8}z");
        assert_eq!(expand_escapes("\\a\\f\\n\\r"), "\u{7}\u{c}\n\r");
        assert_eq!(expand_escapes("end\\"), "end\\");
        assert_eq!(expand_escapes("a\\\"b\\tc\\vd\\\\e"), "a\"b\tc\u{b}d\\e");
        // `\0ooo` is octal; any other `\0…` loses its `0` (compose-go's rewrite before Go's
        // unquoting, kept when that fails).
        assert_eq!(expand_escapes("\\0101|\\0377"), "A|\u{ff}");
        assert_eq!(expand_escapes("\\018|\\0400|\\01|\\0"), "\\18|\\400|\\1|\\");
        assert_eq!(expand_escapes("\\01019"), "A9");
    }
}
