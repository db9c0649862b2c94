//! Merging the Redis keys of a render into an existing `.env` (Chatwoot's own file, with every
//! other setting in it).
//!
//! The merge works on lines and touches only the lines of the Redis keys it sets or removes;
//! every other byte (lines, comments, blank lines, their order, CRLF or LF endings, a missing
//! final newline) is kept as it was. Running it twice gives the same bytes as running it once.
//!
//! Decisions, in the order the merge applies them:
//! - Which lines are assignments, and which lines each one covers, is decided by Ruby dotenv
//!   3.1.2's own rules ([`crate::dotenv::spans`]): `KEY=…`, `export KEY=…` and `KEY: …`, a
//!   multi-line quoted value (where `\'` does not close a single-quoted one), a value on the
//!   line after `KEY:`; a byte-order mark only at the start of the file. So an update never
//!   lands inside another value, and a `KEY: …` line cannot shadow the line updated.
//! - A key with an active line is updated in place: the text up to and including the
//!   separator is kept, the value after it is replaced (a trailing comment on that line goes
//!   with the old value).
//! - The same key active more than once: every dotenv reader lets the last one win, so the last
//!   one is updated and the earlier ones are removed (reported), leaving one unambiguous line.
//! - A key without an active line but with a commented example (`# KEY=…`, as Chatwoot's
//!   `.env.example` ships `# REDIS_SENTINEL_PASSWORD=`) becomes active on that line, in place,
//!   so the example is not left next to a duplicate.
//! - Any other key is appended after the last active Redis line; without one, at the end of the
//!   file under a short comment.
//! - A key the render must not have (`EnvUpdate::remove`) loses all its active lines; commented
//!   examples are comments and stay.
//! - A quote that never closes is, as dotenv reads it, an unquoted value on one line, so
//!   replacing it cannot delete the rest of the file.
//!
//! Values are written by [`encode_value`], in a form Ruby dotenv and Docker Compose v2 both
//! read as the same bytes, or refused.

use std::fmt;

use crate::chatwoot::REDIS_ENV_KEYS;
use crate::output::EnvUpdate;

/// The comment put above Redis keys appended to a file that had none.
pub const APPENDED_COMMENT: &str = "# Redis (set by chatwoot-redis render)";

/// What the merge did to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvChange {
    /// The active line got a new value.
    Updated(String),
    /// A commented example line (`# KEY=…`) was made active in place.
    Uncommented(String),
    /// The key had no line: a new one was appended.
    Added(String),
    /// The key is not part of this scenario: its active line was removed.
    Removed(String),
    /// Earlier active duplicates of a key were removed (the last one is the one kept).
    DuplicateRemoved(String),
}

impl EnvChange {
    pub fn key(&self) -> &str {
        match self {
            EnvChange::Updated(k)
            | EnvChange::Uncommented(k)
            | EnvChange::Added(k)
            | EnvChange::Removed(k)
            | EnvChange::DuplicateRemoved(k) => k,
        }
    }
}

impl fmt::Display for EnvChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvChange::Updated(k) => write!(f, "{k} updated"),
            EnvChange::Uncommented(k) => write!(f, "{k} set (was a commented example)"),
            EnvChange::Added(k) => write!(f, "{k} added"),
            EnvChange::Removed(k) => write!(f, "{k} removed (this render does not set it)"),
            EnvChange::DuplicateRemoved(k) => {
                write!(f, "{k} duplicate removed (the last one is kept)")
            }
        }
    }
}

/// The merged file and what changed in it (only key names: values may be secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub contents: String,
    pub changes: Vec<EnvChange>,
}

/// One physical line: its text and its own line ending (`"\r\n"`, `"\n"`, or `""` at the end
/// of a file without a final newline).
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    text: &'a str,
    ending: &'a str,
}

/// What a logical entry (one line, or several for a multi-line quoted value) is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryKind {
    /// An assignment as Ruby dotenv reads it; `prefix` is the entry's text that an update
    /// keeps (up to and including the separator, and the blank `KEY:` needs after it).
    Active {
        key: String,
        export: bool,
        prefix: String,
    },
    /// `# KEY=value`, a commented example.
    Commented { key: String },
    /// Anything else: comments, blank lines, lines we do not understand.
    Other,
}

#[derive(Debug, Clone)]
struct Entry {
    first: usize,
    /// One past the last physical line of this entry.
    end: usize,
    kind: EntryKind,
}

/// Physical lines, with the line breaks Ruby dotenv knows: `\n`, `\r\n` and a lone `\r`.
fn split_lines(text: &str) -> Vec<Line<'_>> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let ending_len = match bytes[i] {
            b'\n' => 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
            b'\r' => 1,
            _ => {
                i += 1;
                continue;
            }
        };
        lines.push(Line {
            text: &text[start..i],
            ending: &text[i..i + ending_len],
        });
        i += ending_len;
        start = i;
    }
    if start < text.len() {
        lines.push(Line {
            text: &text[start..],
            ending: "",
        });
    }
    lines
}

fn is_key_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Recognises `[blanks][export blanks]KEY[blanks]=` (the text of a commented example after
/// its `#`): returns the key.
fn assignment_key(line: &str) -> Option<&str> {
    let mut rest = line.trim_start_matches([' ', '\t']);
    if let Some(after) = rest.strip_prefix("export") {
        let trimmed = after.trim_start_matches([' ', '\t']);
        if trimmed.len() < after.len() {
            rest = trimmed;
        }
    }
    let mut chars = rest.char_indices();
    match chars.next() {
        Some((_, c)) if is_key_start(c) => {}
        _ => return None,
    }
    let key_len = chars
        .find(|&(_, c)| !is_key_char(c))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    let (key, after_key) = rest.split_at(key_len);
    after_key
        .trim_start_matches([' ', '\t'])
        .starts_with('=')
        .then_some(key)
}

/// A commented example `#[#…][blanks][export ]KEY=…`: returns the key.
fn parse_commented(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t']).strip_prefix('#')?;
    let rest = rest.trim_start_matches('#');
    assignment_key(rest)
}

/// The entries of a file: its assignments exactly where Ruby dotenv 3.1.2 finds them
/// ([`crate::dotenv::spans`]: a value on the line after `KEY:` or `KEY=`, a multi-line quoted
/// value, `\'` inside single quotes), each line of them one piece; every other line is a
/// commented example or something else.
fn parse_entries(lines: &[Line<'_>]) -> Vec<Entry> {
    let text: String = lines.iter().flat_map(|l| [l.text, l.ending]).collect();
    // dotenv drops the byte-order mark of the file (only there) before reading it.
    let bom = if text.starts_with('\u{feff}') {
        '\u{feff}'.len_utf8()
    } else {
        0
    };
    let mut entries = Vec::new();
    let mut next = 0;
    let other = |entries: &mut Vec<Entry>, n: usize| {
        let line = if n == 0 {
            &lines[0].text[bom..]
        } else {
            lines[n].text
        };
        let kind = match parse_commented(line) {
            Some(key) => EntryKind::Commented {
                key: key.to_string(),
            },
            None => EntryKind::Other,
        };
        entries.push(Entry {
            first: n,
            end: n + 1,
            kind,
        });
    };
    for span in crate::dotenv::spans(&text) {
        let first = span.key_line - 1;
        let end = span.last_line.min(lines.len());
        if first < next || first >= end {
            continue;
        }
        while next < first {
            other(&mut entries, next);
            next += 1;
        }
        // The kept text: the lines up to the separator's, then that line up to and
        // including the separator.
        let mut prefix = String::new();
        for line in &lines[first..span.sep.0 - 1] {
            prefix.push_str(line.text);
            prefix.push_str(line.ending);
        }
        let sep_line = lines[span.sep.0 - 1].text;
        let skip = if span.sep.0 == 1 { bom } else { 0 };
        let sep_text = &sep_line[skip..];
        let cut = sep_text
            .char_indices()
            .nth(span.sep.1)
            .map_or(sep_text.len(), |(i, c)| i + c.len_utf8());
        prefix.push_str(&sep_line[..skip + cut]);
        if span.colon {
            // `KEY:` needs a blank before its value.
            match sep_text[cut..].chars().next() {
                Some(c @ (' ' | '\t')) => prefix.push(c),
                _ => prefix.push(' '),
            }
        }
        entries.push(Entry {
            first,
            end,
            kind: EntryKind::Active {
                key: span.key,
                export: span.exported,
                prefix,
            },
        });
        next = end;
    }
    while next < lines.len() {
        other(&mut entries, next);
        next += 1;
    }
    entries
}

/// The text of an entry without its final line ending, and that ending.
fn entry_text<'a>(lines: &[Line<'a>], entry: &Entry) -> (String, &'a str) {
    let mut text = String::new();
    for (n, line) in lines[entry.first..entry.end].iter().enumerate() {
        text.push_str(line.text);
        if n + 1 < entry.end - entry.first {
            text.push_str(line.ending);
        }
    }
    (text, lines[entry.end - 1].ending)
}

/// `value` with its inner line breaks written in the file's own line ending.
fn with_ending(value: &str, eol: &str) -> String {
    let lf = value.replace("\r\n", "\n");
    if eol == "\r\n" {
        lf.replace('\n', "\r\n")
    } else {
        lf
    }
}

/// The active `(KEY, value text after '=')` pairs of an env file, in file order (multi-line
/// values joined with their line breaks). Values are the raw text, quotes included.
pub fn active_assignments(contents: &str) -> Vec<(String, String)> {
    let lines = split_lines(contents);
    parse_entries(&lines)
        .iter()
        .filter_map(|entry| match &entry.kind {
            EntryKind::Active { key, prefix, .. } => {
                let (text, _) = entry_text(&lines, entry);
                let value = text.get(prefix.len()..).unwrap_or("");
                Some((key.clone(), value.to_string()))
            }
            _ => None,
        })
        .collect()
}

/// The update a fresh `.env` stands for: its active Redis lines, in order (used when a render
/// gives no explicit [`EnvUpdate`]).
pub fn update_from_fresh(contents: &str) -> EnvUpdate {
    EnvUpdate {
        set: active_assignments(contents)
            .into_iter()
            .filter(|(k, _)| REDIS_ENV_KEYS.contains(&k.as_str()))
            .collect(),
        remove: Vec::new(),
    }
}

/// The characters a value may hold unquoted: inert to Ruby dotenv and Docker Compose alike.
fn is_inert(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:@%,+=-".contains(c)
}

/// Lines after a written value that a value ending in `\'` or `\"` would run into: Ruby
/// dotenv reads a backslash before a quote as an escaped quote and closes the value at the
/// next quote whose line ends right, however many lines later.
const LATER_LINES: &str = "Z1='#'\nZ2=\"#\"\n";

/// Does `text` (what follows `KEY=`) read back as exactly `value`, with nothing substituted
/// and the lines after it untouched, in Ruby dotenv 3.1.2 (both line-break modes) and in
/// Docker Compose v2?
fn reads_back(text: &str, value: &str) -> bool {
    let file = format!("K={text}\n{LATER_LINES}");
    let dotenv_ok = [None, Some("legacy".to_string())].into_iter().all(|mode| {
        let options = crate::dotenv::Options {
            linebreak_mode: mode,
        };
        matches!(
            crate::dotenv::parse_with(&file, &options).as_deref(),
            Ok([k, z1, z2]) if k.key == "K" && k.is_literal() && k.value == value
                && z1.key == "Z1" && z1.value == "#" && z2.key == "Z2" && z2.value == "#"
        )
    });
    // Every variable set to a marker: a value that still reads back substituted nothing.
    let marker = |_: &str| Some("\u{1}".to_string());
    // Compose reads the same three values (a value running into the lines after it would
    // change or swallow them).
    let compose_ok = crate::chatwoot::compose_env::parse(&file, &marker).is_ok_and(|m| {
        let read: Vec<(&str, &str)> = m
            .iter()
            .map(|(k, v)| (k.as_str(), v.value.as_str()))
            .collect();
        read == [("K", value), ("Z1", "#"), ("Z2", "#")]
    });
    dotenv_ok && compose_ok
}

/// Why [`encode_value`] refused a value (worded to follow "it …").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unencodable(pub String);

impl fmt::Display for Unencodable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value written for an env file that Ruby dotenv 3.1.2 (what Chatwoot loads) and Docker
/// Compose v2 (what a Compose deployment's containers get) both read as exactly `value`:
/// bare when it holds only inert characters (and at most one final backslash), else
/// single-quoted (literal in both), else double-quoted with `\\`, `\"` and `\$` escapes. A
/// backslash before a closing quote is never written: Compose reads `\'` as an escaped quote
/// and refuses the file, and dotenv runs the value on into the next quoted line. Each form is
/// checked with both readers' rules, followed by other quoted lines, before it is used; a
/// value no form carries is refused.
pub fn encode_value(value: &str) -> Result<String, Unencodable> {
    if value.contains(['\n', '\r']) {
        return Err(Unencodable(
            "contains a line break, which an env file line cannot carry".into(),
        ));
    }
    if !value.is_empty() && value.chars().all(is_inert) {
        return Ok(value.to_string());
    }
    // One final backslash stays itself unquoted in both readers (dotenv drops a backslash only
    // before another character); in quotes it would escape the closing quote.
    if let Some(stem) = value.strip_suffix('\\') {
        if !stem.is_empty() && stem.chars().all(is_inert) {
            return Ok(value.to_string());
        }
    }
    let single = format!("'{value}'");
    let mut double = String::with_capacity(value.len() + 2);
    double.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$') {
            double.push('\\');
        }
        double.push(c);
    }
    double.push('"');
    for text in [single, double] {
        if reads_back(&text, value) {
            return Ok(text);
        }
    }
    let why = if value.ends_with('\\') {
        "ends with a backslash, which in quotes escapes the closing quote: Ruby dotenv then runs \
         the value on into the next quoted line, Docker Compose refuses `'…\\'`, and unquoted \
         only one final backslash after letters, digits and `_./:@%,+=-` reads the same"
    } else if value.contains("$(") {
        "holds `$(`: Ruby dotenv runs `$(…)` as a command unless it is single-quoted or \
         escaped, and Docker Compose reads the escape `\\$(` differently"
    } else if value.contains("\\n") || value.contains("\\r") {
        "holds `\\n` or `\\r` together with a single quote or a final backslash: in double \
         quotes Ruby dotenv (DOTENV_LINEBREAK_MODE=legacy) and Docker Compose turn them into \
         line breaks"
    } else {
        "cannot be quoted so that Ruby dotenv and Docker Compose read the same text"
    };
    Err(Unencodable(why.into()))
}

/// What happens to one entry of the existing file.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fate {
    Keep,
    Replace(String),
    Drop,
}

/// Applies `update` to the text of an existing env file. See the module documentation.
pub fn merge(existing: &str, update: &EnvUpdate) -> Merged {
    let lines = split_lines(existing);
    let entries = parse_entries(&lines);
    let eol = lines
        .iter()
        .map(|l| l.ending)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let active_count = entries
        .iter()
        .filter(|e| matches!(e.kind, EntryKind::Active { .. }))
        .count();
    // New lines follow the file's style: `export KEY=` when every active line uses it.
    let all_export = active_count > 0
        && entries
            .iter()
            .all(|e| !matches!(e.kind, EntryKind::Active { export: false, .. }));
    let new_prefix = if all_export { "export " } else { "" };

    let mut fates = vec![Fate::Keep; entries.len()];
    let mut changes = Vec::new();
    let mut appended: Vec<String> = Vec::new();

    for (key, value) in &update.set {
        let value = with_ending(value, eol);
        let active: Vec<usize> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(&e.kind, EntryKind::Active { key: k, .. } if k == key))
            .map(|(i, _)| i)
            .collect();
        if let Some((&last, earlier)) = active.split_last() {
            if !earlier.is_empty() {
                for &i in earlier {
                    fates[i] = Fate::Drop;
                }
                changes.push(EnvChange::DuplicateRemoved(key.clone()));
            }
            let entry = &entries[last];
            let EntryKind::Active { prefix, .. } = &entry.kind else {
                continue;
            };
            let (old, ending) = entry_text(&lines, entry);
            let new = format!("{prefix}{value}");
            if new != old {
                fates[last] = Fate::Replace(format!("{new}{ending}"));
                changes.push(EnvChange::Updated(key.clone()));
            }
            continue;
        }
        let commented = entries
            .iter()
            .position(|e| matches!(&e.kind, EntryKind::Commented { key: k } if k == key));
        if let Some(i) = commented {
            let ending = lines[entries[i].end - 1].ending;
            // The file's byte-order mark stays in front.
            let bom = if entries[i].first == 0 && lines[0].text.starts_with('\u{feff}') {
                "\u{feff}"
            } else {
                ""
            };
            fates[i] = Fate::Replace(format!("{bom}{new_prefix}{key}={value}{ending}"));
            changes.push(EnvChange::Uncommented(key.clone()));
        } else {
            appended.push(format!("{new_prefix}{key}={value}"));
            changes.push(EnvChange::Added(key.clone()));
        }
    }

    for key in &update.remove {
        if update.set.iter().any(|(k, _)| k == key) {
            continue;
        }
        let mut removed = false;
        for (i, entry) in entries.iter().enumerate() {
            if matches!(&entry.kind, EntryKind::Active { key: k, .. } if k == key) {
                fates[i] = Fate::Drop;
                removed = true;
            }
        }
        if removed {
            changes.push(EnvChange::Removed(key.clone()));
        }
    }

    // New keys go after the last Redis line that stays active (an uncommented example counts).
    let anchor = entries.iter().enumerate().rposition(|(i, e)| {
        let redis_key = match &e.kind {
            EntryKind::Active { key, .. } => REDIS_ENV_KEYS.contains(&key.as_str()),
            EntryKind::Commented { key } => {
                matches!(fates[i], Fate::Replace(_)) && REDIS_ENV_KEYS.contains(&key.as_str())
            }
            EntryKind::Other => false,
        };
        redis_key && fates[i] != Fate::Drop
    });

    let mut out = String::with_capacity(existing.len() + 256);
    let push_block = |out: &mut String, block: &[String]| {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        for line in block {
            out.push_str(line);
            out.push_str(eol);
        }
    };
    for (i, entry) in entries.iter().enumerate() {
        match &fates[i] {
            Fate::Keep => {
                for line in &lines[entry.first..entry.end] {
                    out.push_str(line.text);
                    out.push_str(line.ending);
                }
            }
            Fate::Replace(text) => out.push_str(text),
            Fate::Drop => {}
        }
        if Some(i) == anchor && !appended.is_empty() {
            push_block(&mut out, &appended);
        }
    }
    if anchor.is_none() && !appended.is_empty() {
        let mut block = Vec::with_capacity(appended.len() + 2);
        let ends_blank = out.is_empty() || out.ends_with("\n\n") || out.ends_with("\r\n\r\n");
        if !ends_blank {
            // Close the last line first, then one blank line before our comment.
            if !out.ends_with('\n') {
                out.push_str(eol);
            }
            block.push(String::new());
        }
        block.push(APPENDED_COMMENT.to_string());
        block.extend(appended);
        push_block(&mut out, &block);
    }
    Merged {
        contents: out,
        changes,
    }
}

/// The comment line that records the Redis keys as the last render wrote them; a hand edit of
/// one of them is then told apart from a value the tool wrote (as the checksum header of the
/// other generated files does).
pub const KEYS_MARK: &str =
    "# Redis keys as chatwoot-redis last wrote them (edit chatwoot-redis.yaml instead)";
const SUM_OPEN: &str = " [checksum ";

/// The checksum of the active Redis lines of an env file (keys and values as written, in
/// order, line endings normalised).
pub fn redis_keys_checksum(contents: &str) -> String {
    let mut text = String::new();
    for (key, value) in active_assignments(contents) {
        if REDIS_ENV_KEYS.contains(&key.as_str()) {
            text.push_str(&key);
            text.push('=');
            text.push_str(&value.replace("\r\n", "\n"));
            text.push('\n');
        }
    }
    crate::header::checksum(&text)
}

/// The checksum of the mark line, when the file has one.
fn recorded_checksum(line: &str) -> Option<&str> {
    line.strip_prefix(KEYS_MARK)?
        .strip_prefix(SUM_OPEN)?
        .strip_suffix(']')
}

/// How the Redis keys of an env file stand against the mark of the last render.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeysState {
    /// No mark: never written by this tool, or by a version without marks.
    Unmarked,
    /// As the last render wrote them.
    Intact,
    /// A Redis key was changed, added or removed by hand since.
    HandEdited,
}

/// Judges the Redis keys of `contents` by its mark.
pub fn keys_state(contents: &str) -> KeysState {
    let recorded = split_lines(contents)
        .iter()
        .find_map(|l| recorded_checksum(l.text.trim_start_matches('\u{feff}')));
    match recorded {
        None => KeysState::Unmarked,
        Some(sum) if sum == redis_keys_checksum(contents) => KeysState::Intact,
        Some(_) => KeysState::HandEdited,
    }
}

/// `contents` with its mark recording the current Redis keys: the mark line is updated in
/// place, or put right above the first Redis line (a file without Redis lines gets none).
pub fn stamp_keys(contents: &str) -> String {
    let lines = split_lines(contents);
    let mark = format!("{KEYS_MARK}{SUM_OPEN}{}]", redis_keys_checksum(contents));
    let eol = lines
        .iter()
        .map(|l| l.ending)
        .find(|e| !e.is_empty())
        .unwrap_or("\n");
    let existing = lines
        .iter()
        .position(|l| recorded_checksum(l.text.trim_start_matches('\u{feff}')).is_some());
    let first_redis = || {
        parse_entries(&lines)
            .into_iter()
            .find_map(|e| match &e.kind {
                EntryKind::Active { key, .. } if REDIS_ENV_KEYS.contains(&key.as_str()) => {
                    Some(e.first)
                }
                _ => None,
            })
    };
    let (at, replace) = match existing {
        Some(i) => (i, true),
        None => match first_redis() {
            Some(i) => (i, false),
            None => return contents.to_string(),
        },
    };
    let mut out = String::with_capacity(contents.len() + mark.len() + 2);
    for (i, line) in lines.iter().enumerate() {
        if i == at {
            // The file's byte-order mark stays in front.
            let bom = if i == 0 && line.text.starts_with('\u{feff}') {
                "\u{feff}"
            } else {
                ""
            };
            out.push_str(bom);
            out.push_str(&mark);
            if replace {
                out.push_str(line.ending);
                continue;
            }
            out.push_str(eol);
            out.push_str(&line.text[bom.len()..]);
            out.push_str(line.ending);
            continue;
        }
        out.push_str(line.text);
        out.push_str(line.ending);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(set: &[(&str, &str)], remove: &[&str]) -> EnvUpdate {
        EnvUpdate {
            set: set
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            remove: remove.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn updates_in_place_and_keeps_everything_else() {
        let before = "# top\nSECRET_KEY_BASE=abc\nREDIS_URL=redis://old:6379\n\n# end\n";
        let m = merge(before, &update(&[("REDIS_URL", "redis://new:6379")], &[]));
        assert_eq!(
            m.contents,
            "# top\nSECRET_KEY_BASE=abc\nREDIS_URL=redis://new:6379\n\n# end\n"
        );
        assert_eq!(m.changes, vec![EnvChange::Updated("REDIS_URL".into())]);
    }

    #[test]
    fn unchanged_value_is_no_change() {
        let before = "REDIS_URL=redis://x:1\n";
        let m = merge(before, &update(&[("REDIS_URL", "redis://x:1")], &[]));
        assert_eq!(m.contents, before);
        assert!(m.changes.is_empty());
    }

    #[test]
    fn export_prefix_and_indentation_are_kept() {
        let before = "  export REDIS_URL=redis://old\nexport A=1\n";
        let m = merge(before, &update(&[("REDIS_URL", "redis://new")], &[]));
        assert_eq!(m.contents, "  export REDIS_URL=redis://new\nexport A=1\n");
        // New keys follow the all-export style.
        let m = merge(before, &update(&[("REDIS_VELMA_SIZE", "12")], &[]));
        assert_eq!(
            m.contents,
            "  export REDIS_URL=redis://old\nexport REDIS_VELMA_SIZE=12\nexport A=1\n"
        );
    }

    #[test]
    fn commented_example_is_replaced_in_place_not_duplicated() {
        let before = "REDIS_URL=redis://r\n# heroku fix\n# REDIS_OPENSSL_VERIFY_MODE=none\nX=1\n";
        let m = merge(
            before,
            &update(&[("REDIS_OPENSSL_VERIFY_MODE", "none")], &[]),
        );
        assert_eq!(
            m.contents,
            "REDIS_URL=redis://r\n# heroku fix\nREDIS_OPENSSL_VERIFY_MODE=none\nX=1\n"
        );
        assert_eq!(
            m.changes,
            vec![EnvChange::Uncommented("REDIS_OPENSSL_VERIFY_MODE".into())]
        );
        // Removing a key never touches its commented example.
        let m = merge(before, &update(&[], &["REDIS_OPENSSL_VERIFY_MODE"]));
        assert_eq!(m.contents, before);
        assert!(m.changes.is_empty());
    }

    #[test]
    fn new_keys_go_after_the_last_redis_line() {
        let before = "A=1\nREDIS_URL=redis://r\nREDIS_PASSWORD=p\n\nB=2\n";
        let m = merge(
            before,
            &update(
                &[
                    ("REDIS_DISABLE_CLIENT_COMMAND", "true"),
                    ("REDIS_VELMA_SIZE", "3"),
                ],
                &[],
            ),
        );
        assert_eq!(
            m.contents,
            "A=1\nREDIS_URL=redis://r\nREDIS_PASSWORD=p\nREDIS_DISABLE_CLIENT_COMMAND=true\nREDIS_VELMA_SIZE=3\n\nB=2\n"
        );
        // A commented Redis example that stays commented is no anchor.
        let m = merge(
            "A=1\nREDIS_URL=redis://r\nB=2\n# REDIS_SENTINELS=a:26379\nC=3\n",
            &update(&[("REDIS_PASSWORD", "p")], &[]),
        );
        assert_eq!(
            m.contents,
            "A=1\nREDIS_URL=redis://r\nREDIS_PASSWORD=p\nB=2\n# REDIS_SENTINELS=a:26379\nC=3\n"
        );
    }

    #[test]
    fn without_redis_lines_keys_are_appended_under_a_comment() {
        let m = merge("A=1", &update(&[("REDIS_URL", "redis://r")], &[]));
        assert_eq!(
            m.contents,
            format!("A=1\n\n{APPENDED_COMMENT}\nREDIS_URL=redis://r\n")
        );
        let m = merge("", &update(&[("REDIS_URL", "redis://r")], &[]));
        assert_eq!(
            m.contents,
            format!("{APPENDED_COMMENT}\nREDIS_URL=redis://r\n")
        );
        let m = merge("A=1\n\n", &update(&[("REDIS_URL", "redis://r")], &[]));
        assert_eq!(
            m.contents,
            format!("A=1\n\n{APPENDED_COMMENT}\nREDIS_URL=redis://r\n")
        );
    }

    #[test]
    fn removes_keys_the_scenario_must_not_have() {
        let before = "REDIS_URL=redis://r\nREDIS_SENTINELS=a:1\nREDIS_SENTINEL_MASTER_NAME=\nX=1\n";
        let m = merge(
            before,
            &update(
                &[("REDIS_URL", "redis://r")],
                &[
                    "REDIS_SENTINELS",
                    "REDIS_SENTINEL_MASTER_NAME",
                    "REDIS_ALFRED_SIZE",
                ],
            ),
        );
        assert_eq!(m.contents, "REDIS_URL=redis://r\nX=1\n");
        assert_eq!(
            m.changes,
            vec![
                EnvChange::Removed("REDIS_SENTINELS".into()),
                EnvChange::Removed("REDIS_SENTINEL_MASTER_NAME".into())
            ]
        );
    }

    #[test]
    fn duplicates_keep_the_last_position_and_lose_the_others() {
        let before = "REDIS_URL=a\nX=1\nREDIS_URL=b\nY=2\n";
        let m = merge(before, &update(&[("REDIS_URL", "c")], &[]));
        assert_eq!(m.contents, "X=1\nREDIS_URL=c\nY=2\n");
        assert_eq!(
            m.changes,
            vec![
                EnvChange::DuplicateRemoved("REDIS_URL".into()),
                EnvChange::Updated("REDIS_URL".into())
            ]
        );
        let again = merge(&m.contents, &update(&[("REDIS_URL", "c")], &[]));
        assert_eq!(again.contents, m.contents);
        assert!(again.changes.is_empty());
    }

    #[test]
    fn crlf_and_missing_final_newline_are_kept() {
        let before = "A=1\r\nREDIS_URL=old\r\nB=2";
        let m = merge(before, &update(&[("REDIS_URL", "new")], &[]));
        assert_eq!(m.contents, "A=1\r\nREDIS_URL=new\r\nB=2");
        let m = merge(before, &update(&[("REDIS_VELMA_SIZE", "4")], &[]));
        assert_eq!(
            m.contents,
            "A=1\r\nREDIS_URL=old\r\nREDIS_VELMA_SIZE=4\r\nB=2"
        );
        // The last line without a newline can itself be updated, and stays without one.
        let m = merge("A=1\nREDIS_URL=old", &update(&[("REDIS_URL", "new")], &[]));
        assert_eq!(m.contents, "A=1\nREDIS_URL=new");
        let m = merge(
            "A=1\nREDIS_URL=old",
            &update(&[("REDIS_URL", "new"), ("REDIS_VELMA_SIZE", "4")], &[]),
        );
        assert_eq!(m.contents, "A=1\nREDIS_URL=new\nREDIS_VELMA_SIZE=4\n");
    }

    /// A lone `\r` is a line break to Ruby dotenv (old Mac files): the merge updates the
    /// key on such a line and keeps the file's breaks.
    #[test]
    fn lone_carriage_returns_end_lines_as_dotenv_reads_them() {
        let before = "A=1\rREDIS_URL=old\rB=2\r";
        let m = merge(before, &update(&[("REDIS_URL", "new")], &[]));
        assert_eq!(m.contents, "A=1\rREDIS_URL=new\rB=2\r");
        assert_eq!(m.changes, vec![EnvChange::Updated("REDIS_URL".into())]);
        let m = merge("A=1\rREDIS_URL=old\r\nB=2", &update(&[], &["REDIS_URL"]));
        assert_eq!(m.contents, "A=1\rB=2");
    }

    #[test]
    fn multi_line_values_are_one_piece() {
        let before = "CERT=\"-----BEGIN\nREDIS_URL=not-a-key\n-----END\"\nREDIS_URL=\"a\nb\"\nZ=\"q \\\" still\nend\"\n";
        let keys: Vec<String> = active_assignments(before)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["CERT", "REDIS_URL", "Z"]);
        let m = merge(before, &update(&[("REDIS_URL", "'x'")], &[]));
        assert_eq!(
            m.contents,
            "CERT=\"-----BEGIN\nREDIS_URL=not-a-key\n-----END\"\nREDIS_URL='x'\nZ=\"q \\\" still\nend\"\n"
        );
        // A quote that never closes is one broken line; what follows is still read (and kept).
        assert_eq!(active_assignments("A=\"x\nB=1\n").len(), 2);
        let m = merge(
            "REDIS_URL=\"broken\nSECRET_KEY_BASE=k\n",
            &update(&[("REDIS_URL", "redis://r")], &[]),
        );
        assert_eq!(m.contents, "REDIS_URL=redis://r\nSECRET_KEY_BASE=k\n");
        assert_eq!(active_assignments("A='it''s'\nB=1\n").len(), 2);
    }

    #[test]
    fn multi_line_new_value_uses_the_file_line_ending() {
        let m = merge("A=1\r\n", &update(&[("REDIS_URL", "\"a\nb\"")], &[]));
        assert!(
            m.contents.ends_with("REDIS_URL=\"a\r\nb\"\r\n"),
            "{:?}",
            m.contents
        );
        let again = merge(&m.contents, &update(&[("REDIS_URL", "\"a\nb\"")], &[]));
        assert_eq!(again.contents, m.contents);
        // The same multi-line value again is no change at all.
        assert_eq!(again.changes, vec![], "{:?}", again.contents);
    }

    #[test]
    fn keys_are_recognised_exactly() {
        assert_eq!(assignment_key("REDIS_URL=x"), Some("REDIS_URL"));
        assert_eq!(assignment_key(" export\tREDIS_URL =x"), Some("REDIS_URL"));
        // Without a blank after it, `export` is part of the key name.
        assert_eq!(assignment_key("exportREDIS_URL=x"), Some("exportREDIS_URL"));
        assert_eq!(assignment_key("export=1"), Some("export"));
        assert_eq!(assignment_key("REDIS_URLX=x"), Some("REDIS_URLX"));
        assert_eq!(assignment_key("REDIS.URL_2 = x"), Some("REDIS.URL_2"));
        assert_eq!(assignment_key("# REDIS_URL=x"), None);
        assert_eq!(assignment_key("1A=x"), None);
        assert_eq!(assignment_key("REDIS_URL x=1"), None);
        assert_eq!(assignment_key("REDIS_URL"), None);
        assert_eq!(parse_commented("# REDIS_URL=x"), Some("REDIS_URL"));
        assert_eq!(parse_commented("##REDIS_URL="), Some("REDIS_URL"));
        assert_eq!(parse_commented("# Redis config"), None);
        // A longer key is not the same key.
        let m = merge("REDIS_URLX=1\n", &update(&[("REDIS_URL", "r")], &[]));
        assert_eq!(m.changes, vec![EnvChange::Added("REDIS_URL".into())]);
    }

    #[test]
    fn a_byte_order_mark_does_not_hide_the_first_key() {
        let m = merge("\u{feff}REDIS_URL=a\n", &update(&[("REDIS_URL", "b")], &[]));
        assert_eq!(m.contents, "\u{feff}REDIS_URL=b\n");
    }

    /// Only super-linear work can exceed the bound (the real figure is milliseconds; see the
    /// benchmark): 2.3 MB of `export KEY` lines, of values whose quote never closes, and of
    /// many Redis keys, each merged twice.
    #[test]
    fn merge_is_linear_in_the_file_size() {
        let bodies: Vec<String> = [
            "export KEY\n",
            "export KEY=\"open\n",
            "KEY='open\n",
            "REDIS_URL=redis://x:1\n",
            "#REDIS_PASSWORD=x\n",
        ]
        .iter()
        .map(|line| line.repeat(2_300_000 / line.len() + 1))
        .collect();
        let up = update(
            &[
                ("REDIS_URL", "redis://redis:6379"),
                ("REDIS_PASSWORD", "pw"),
            ],
            &["REDIS_SENTINELS"],
        );
        for body in &bodies {
            assert!(body.len() > 2_300_000);
            let start = std::time::Instant::now();
            let merged = merge(body, &up);
            let again = merge(&merged.contents, &up);
            assert!(merged.contents.contains("REDIS_URL=redis://redis:6379"));
            assert!(again.changes.is_empty(), "{:?}", again.changes);
            let took = start.elapsed();
            assert!(
                took < std::time::Duration::from_secs(15),
                "merging {} bytes of {:?}… took {took:?}",
                body.len(),
                &body[..12]
            );
        }
    }

    #[test]
    fn fresh_file_round_trips() {
        let fresh = "# Generated by chatwoot-redis; regenerate with `chatwoot-redis render`.\nREDIS_URL=redis://r:6379\nREDIS_PASSWORD='p#1'\n";
        let upd = update_from_fresh(fresh);
        assert_eq!(upd.set.len(), 2);
        let m = merge(fresh, &upd);
        assert_eq!(m.contents, fresh);
        assert!(m.changes.is_empty());
    }

    #[test]
    fn values_are_encoded_for_both_readers_or_refused() {
        let enc = |v: &str| encode_value(v);
        assert_eq!(enc("redis://h:1").unwrap(), "redis://h:1");
        assert_eq!(enc("a$b #c").unwrap(), "'a$b #c'");
        assert_eq!(enc("").unwrap(), "''");
        // A backslash before a closing quote escapes it (Compose refuses `'…\'`, dotenv runs
        // on into the next quoted line): one final backslash goes bare, others are refused.
        assert_eq!(enc("pw\\").unwrap(), "pw\\");
        assert!(enc("pw\\\\\\").is_err());
        assert!(enc("pw\\\\").is_err());
        assert!(enc("p w\\").is_err());
        assert_eq!(
            enc("it's \"x\" $HOME").unwrap(),
            "\"it's \\\"x\\\" \\$HOME\""
        );
        assert_eq!(enc("a'$(id)b").unwrap(), "\"a'\\$(id)b\"");
        assert!(enc("a'$(idb").is_err());
        assert!(enc("a'\\nb").is_err());
        assert!(enc("a\nb").is_err());
        // Each refusal says why (the messages follow "it …").
        let why = |v: &str| enc(v).unwrap_err().to_string();
        assert!(
            why("a\nb").starts_with("contains a line break"),
            "{}",
            why("a\nb")
        );
        assert!(why("pw\\\\").starts_with("ends with a backslash"));
        assert!(why("a'$(idb").starts_with("holds `$(`"));
        for v in ["a'\\nb", "it's\\r"] {
            assert!(
                why(v).starts_with("holds `\\n` or `\\r`"),
                "{v:?}: {}",
                why(v)
            );
        }
    }

    #[test]
    fn colon_lines_are_assignments_as_dotenv_reads_them() {
        // `KEY: value` is an assignment: the last one wins, so it is the one updated.
        let m = merge(
            "REDIS_URL=redis://a\nREDIS_URL: redis://b\n",
            &update(&[("REDIS_URL", "redis://c")], &[]),
        );
        assert_eq!(m.contents, "REDIS_URL: redis://c\n");
        // The blank after the colon is kept as written.
        let m = merge(
            "REDIS_URL:\tredis://b\n",
            &update(&[("REDIS_URL", "redis://c")], &[]),
        );
        assert_eq!(m.contents, "REDIS_URL:\tredis://c\n");
        // `KEY:` at the end of a line takes the next line as its value: that line is no key.
        let before = "NOTE:\nREDIS_URL=redis://inside\nA=1\n";
        let m = merge(before, &update(&[("REDIS_URL", "redis://r")], &[]));
        assert_eq!(m.changes, vec![EnvChange::Added("REDIS_URL".into())]);
        assert!(m.contents.starts_with(before), "{:?}", m.contents);
        let e = crate::dotenv::parse(&m.contents).unwrap();
        assert_eq!(
            crate::dotenv::last(&e, "REDIS_URL").map(|e| e.value.as_str()),
            Some("redis://r")
        );
        // A value on the line after `KEY=` (quoted) belongs to the key.
        let m = merge(
            "REDIS_URL=\n'redis://old'\nB=2\n",
            &update(&[("REDIS_URL", "redis://r")], &[]),
        );
        assert_eq!(m.contents, "REDIS_URL=redis://r\nB=2\n");
    }

    #[test]
    fn an_escaped_single_quote_does_not_close_a_multi_line_value() {
        let before = "MSG='it\\'s\nREDIS_URL=redis://inside\nend'\nB=2\n";
        let keys: Vec<String> = active_assignments(before)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["MSG", "B"]);
        let m = merge(before, &update(&[("REDIS_URL", "redis://r")], &[]));
        assert!(m.contents.starts_with(before), "{:?}", m.contents);
        let e = crate::dotenv::parse(&m.contents).unwrap();
        assert_eq!(
            crate::dotenv::last(&e, "MSG").map(|e| e.value.as_str()),
            Some("it\\'s\nREDIS_URL=redis://inside\nend")
        );
        assert_eq!(
            crate::dotenv::last(&e, "REDIS_URL").map(|e| e.value.as_str()),
            Some("redis://r")
        );
    }

    #[test]
    fn only_the_file_start_may_hold_a_byte_order_mark() {
        let m = merge(
            "\u{feff}# REDIS_URL=\nA=1\n",
            &update(&[("REDIS_URL", "b")], &[]),
        );
        assert_eq!(m.contents, "\u{feff}REDIS_URL=b\nA=1\n");
        // Inside the file a BOM is text: dotenv does not read that line as REDIS_URL.
        let m = merge(
            "A=1\n\u{feff}REDIS_URL=a\n",
            &update(&[("REDIS_URL", "b")], &[]),
        );
        assert_eq!(m.changes, vec![EnvChange::Added("REDIS_URL".into())]);
    }

    #[test]
    fn the_mark_tells_hand_edits_of_redis_keys_apart() {
        let rendered = "A=1\nREDIS_URL=redis://r:6379/0\nREDIS_PASSWORD=p\n";
        assert_eq!(keys_state(rendered), KeysState::Unmarked);
        let stamped = stamp_keys(rendered);
        assert_eq!(
            stamped.lines().nth(1).map(|l| l.starts_with(KEYS_MARK)),
            Some(true),
            "{stamped}"
        );
        assert_eq!(keys_state(&stamped), KeysState::Intact);
        assert_eq!(stamp_keys(&stamped), stamped);
        // Another key is no Redis key: not a hand edit of one.
        let other = stamped.replace("A=1", "A=2");
        assert_eq!(keys_state(&other), KeysState::Intact);
        let edited = stamped.replace("/0", "/3");
        assert_eq!(keys_state(&edited), KeysState::HandEdited);
        let added = format!("{stamped}REDIS_VELMA_SIZE=4\n");
        assert_eq!(keys_state(&added), KeysState::HandEdited);
        // Restamping records the edit (what --force or a matching render does).
        assert_eq!(keys_state(&stamp_keys(&edited)), KeysState::Intact);
        // CRLF and a byte-order mark are kept.
        let crlf = stamp_keys("\u{feff}REDIS_URL=x\r\nB=1\r\n");
        assert!(
            crlf.starts_with(&format!("\u{feff}{KEYS_MARK}")),
            "{crlf:?}"
        );
        assert!(crlf.ends_with("]\r\nREDIS_URL=x\r\nB=1\r\n"), "{crlf:?}");
        assert_eq!(keys_state(&crlf), KeysState::Intact);
        // Without a byte-order mark, none is added: a Redis key on the first line stays whole.
        let first = stamp_keys("REDIS_URL=x\nB=1\n");
        assert!(first.starts_with(KEYS_MARK), "{first:?}");
        assert!(first.ends_with("]\nREDIS_URL=x\nB=1\n"), "{first:?}");
        // No Redis key, no mark.
        assert_eq!(stamp_keys("A=1\n"), "A=1\n");
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        const LINES: &[&str] = &[
            "A=1",
            "export B=two words",
            "# a comment",
            "",
            "SECRET_KEY_BASE=abc",
            "C=\"multi\nline\"",
            "D='x\nREDIS_URL=inside a value\n'",
            "REDIS_URL=redis://old:6379",
            "export REDIS_PASSWORD=old",
            "# REDIS_VELMA_SIZE=10",
            "REDIS_SENTINELS=a:1",
            "  REDIS_ALFRED_SIZE = 3",
            "REDIS_SENTINEL_MASTER_NAME=",
            "# REDIS_OPENSSL_VERIFY_MODE=none",
        ];

        /// Physical lines that are not about a Redis key, without their endings; the comment
        /// the merge puts before appended keys is not counted.
        fn other_lines(text: &str) -> Vec<String> {
            let mut kept: Vec<String> = Vec::new();
            let mut lines: Vec<&str> = text.split('\n').collect();
            if lines.last() == Some(&"") {
                lines.pop();
            }
            for line in lines {
                let line = line.trim_end_matches('\r');
                if line == APPENDED_COMMENT {
                    continue;
                }
                let t = line.trim_start_matches(['#', ' ']);
                let t = t.strip_prefix("export ").unwrap_or(t);
                let redis = REDIS_ENV_KEYS.iter().any(|k| {
                    t.strip_prefix(k)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                });
                if !redis {
                    kept.push(line.to_string());
                }
            }
            kept
        }

        fn file() -> impl Strategy<Value = String> {
            (
                prop::collection::vec(0..LINES.len(), 0..14),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(|(picks, crlf, final_newline)| {
                    let eol = if crlf { "\r\n" } else { "\n" };
                    let mut text = picks
                        .iter()
                        .map(|&i| LINES[i].replace('\n', eol))
                        .collect::<Vec<_>>()
                        .join(eol);
                    if final_newline && !text.is_empty() {
                        text.push_str(eol);
                    }
                    text
                })
        }

        fn env_update() -> impl Strategy<Value = EnvUpdate> {
            (
                prop::collection::vec((0..REDIS_ENV_KEYS.len(), 0..3u8), 0..6),
                prop::collection::vec(0..REDIS_ENV_KEYS.len(), 0..4),
            )
                .prop_map(|(set, remove)| {
                    let mut update = EnvUpdate::default();
                    for (k, v) in set {
                        let key = REDIS_ENV_KEYS[k].to_string();
                        if !update.set.iter().any(|(s, _)| *s == key) {
                            update.set.push((key, format!("'value-{v}'")));
                        }
                    }
                    for k in remove {
                        update.remove.push(REDIS_ENV_KEYS[k].to_string());
                    }
                    update
                })
        }

        proptest! {
            #[test]
            fn merge_keeps_other_lines_sets_removes_and_is_idempotent(
                before in file(),
                update in env_update(),
            ) {
                let merged = merge(&before, &update);
                // Every other line, in order; the only new one is the blank line that may
                // separate appended keys from the rest.
                let (after, was) = (other_lines(&merged.contents), other_lines(&before));
                let text = |v: &[String]| -> Vec<String> {
                    v.iter().filter(|l| !l.is_empty()).cloned().collect()
                };
                prop_assert_eq!(text(&after), text(&was));
                let blanks = |v: &[String]| v.iter().filter(|l| l.is_empty()).count();
                let added = blanks(&after) - blanks(&was).min(blanks(&after));
                prop_assert!(added <= usize::from(merged.contents.contains(APPENDED_COMMENT)));
                prop_assert!(blanks(&after) >= blanks(&was));
                // One line ending style.
                if before.contains("\r\n") {
                    prop_assert!(!merged.contents.replace("\r\n", "").contains('\n'));
                }
                // Each key set exactly once with its value; removed keys gone.
                let active = active_assignments(&merged.contents);
                for (key, value) in &update.set {
                    let found: Vec<&String> =
                        active.iter().filter(|(k, _)| k == key).map(|(_, v)| v).collect();
                    prop_assert_eq!(found, vec![value]);
                }
                for key in &update.remove {
                    if !update.set.iter().any(|(k, _)| k == key) {
                        prop_assert!(active.iter().all(|(k, _)| k != key));
                    }
                }
                // Idempotent.
                let again = merge(&merged.contents, &update);
                prop_assert_eq!(&again.contents, &merged.contents);
                prop_assert!(again.changes.is_empty());
            }
        }
    }
}
