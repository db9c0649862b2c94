//! Merging the Redis keys of a render into an existing `.env` (Chatwoot's own file, with every
//! other setting in it).
//!
//! The merge works on lines and touches only the lines of the Redis keys it sets or removes;
//! every other byte (lines, comments, blank lines, their order, CRLF or LF endings, a missing
//! final newline) is kept as it was. Running it twice gives the same bytes as running it once.
//!
//! Decisions, in the order the merge applies them:
//! - A key with an active line (`KEY=…` or `export KEY=…`, leading blanks allowed) is updated
//!   in place: the text up to and including `=` is kept, the value after it is replaced (a
//!   trailing comment on that line goes with the old value).
//! - The same key active more than once: every dotenv reader lets the last one win, so the last
//!   one is updated and the earlier ones are removed (reported), leaving one unambiguous line.
//! - A key without an active line but with a commented example (`# KEY=…`, as Chatwoot's
//!   `.env.example` ships `# REDIS_SENTINEL_PASSWORD=`) becomes active on that line, in place,
//!   so the example is not left next to a duplicate.
//! - Any other key is appended after the last active Redis line; without one, at the end of the
//!   file under a short comment.
//! - A key the render must not have (`EnvUpdate::remove`) loses all its active lines; commented
//!   examples are comments and stay.
//! - A value opening with `"` or `'` that does not close on its line continues on the next
//!   lines until the closing quote (dotenv multi-line values), so such a value is moved or kept
//!   as one piece and its inner lines are never read as keys. A quote that never closes is
//!   taken as one broken line, so that replacing it cannot delete the rest of the file.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EntryKind<'a> {
    /// `KEY=value`; `prefix_len` is the length of the first line's text up to and including `=`.
    Active {
        key: &'a str,
        export: bool,
        prefix_len: usize,
    },
    /// `# KEY=value`, a commented example.
    Commented { key: &'a str },
    /// Anything else: comments, blank lines, lines we do not understand.
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Entry<'a> {
    first: usize,
    /// One past the last physical line of this entry.
    end: usize,
    kind: EntryKind<'a>,
}

fn split_lines(text: &str) -> Vec<Line<'_>> {
    text.split_inclusive('\n')
        .map(|raw| {
            if let Some(t) = raw.strip_suffix("\r\n") {
                Line {
                    text: t,
                    ending: "\r\n",
                }
            } else if let Some(t) = raw.strip_suffix('\n') {
                Line {
                    text: t,
                    ending: "\n",
                }
            } else {
                Line {
                    text: raw,
                    ending: "",
                }
            }
        })
        .collect()
}

fn is_key_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

/// Recognises `[blanks][export blanks]KEY[blanks]=`: returns the key, whether `export` was
/// used, and the byte length up to and including `=`.
fn parse_assignment(line: &str) -> Option<(&str, bool, usize)> {
    // A byte order mark may start the first line of a file written on Windows.
    let rest = line.trim_start_matches([' ', '\t', '\u{feff}']);
    let mut offset = line.len() - rest.len();
    let mut export = false;
    let mut rest = rest;
    if let Some(after) = rest.strip_prefix("export") {
        let trimmed = after.trim_start_matches([' ', '\t']);
        if trimmed.len() < after.len() {
            export = true;
            offset += rest.len() - trimmed.len();
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
    let key = &rest[..key_len];
    let after_key = &rest[key_len..];
    let after_blanks = after_key.trim_start_matches([' ', '\t']);
    let eq_rest = after_blanks.strip_prefix('=')?;
    let prefix_len = line.len() - eq_rest.len();
    debug_assert!(offset <= prefix_len);
    Some((key, export, prefix_len))
}

/// A commented example `#[#…][blanks][export ]KEY=…`: returns the key.
fn parse_commented(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches([' ', '\t']).strip_prefix('#')?;
    let rest = rest.trim_start_matches('#');
    parse_assignment(rest).map(|(key, _, _)| key)
}

/// Where an unescaped `quote` closes in `text` (double quotes honour backslash escapes).
fn find_closing_quote(text: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quote == '"' {
            escaped = true;
        } else if c == quote {
            return Some(i);
        }
    }
    None
}

/// For each line, the first line at or after it that holds a closing `quote`
/// (`lines.len()` for none): computed once, backwards, so that finding where every
/// multi-line value ends stays linear even when no quote ever closes.
fn next_closing_lines(lines: &[Line<'_>], quote: char) -> Vec<usize> {
    let mut next = vec![lines.len(); lines.len() + 1];
    for n in (0..lines.len()).rev() {
        next[n] = if find_closing_quote(lines[n].text, quote).is_some() {
            n
        } else {
            next[n + 1]
        };
    }
    next
}

fn parse_entries<'a>(lines: &[Line<'a>]) -> Vec<Entry<'a>> {
    let mut entries = Vec::new();
    // Built on first need: most files have no multi-line value at all.
    let mut next_double: Option<Vec<usize>> = None;
    let mut next_single: Option<Vec<usize>> = None;
    let mut i = 0;
    while i < lines.len() {
        let text = lines[i].text;
        if let Some((key, export, prefix_len)) = parse_assignment(text) {
            let value = text[prefix_len..].trim_start_matches([' ', '\t']);
            let mut end = i + 1;
            if let Some(quote) = value.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if find_closing_quote(&value[1..], quote).is_none() {
                    // A multi-line value runs to the line holding the closing quote. A quote
                    // that never closes is a broken line, not a value swallowing the rest of
                    // the file: replacing it must not delete what follows.
                    let next = if quote == '"' {
                        next_double.get_or_insert_with(|| next_closing_lines(lines, '"'))
                    } else {
                        next_single.get_or_insert_with(|| next_closing_lines(lines, '\''))
                    };
                    let close = next[i + 1];
                    if close < lines.len() {
                        end = close + 1;
                    }
                }
            }
            entries.push(Entry {
                first: i,
                end,
                kind: EntryKind::Active {
                    key,
                    export,
                    prefix_len,
                },
            });
            i = end;
        } else {
            let kind = match parse_commented(text) {
                Some(key) => EntryKind::Commented { key },
                None => EntryKind::Other,
            };
            entries.push(Entry {
                first: i,
                end: i + 1,
                kind,
            });
            i += 1;
        }
    }
    entries
}

/// The text of an entry without its final line ending, and that ending.
fn entry_text<'a>(lines: &[Line<'a>], entry: &Entry<'a>) -> (String, &'a str) {
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
        .filter_map(|entry| match entry.kind {
            EntryKind::Active {
                key, prefix_len, ..
            } => {
                let (text, _) = entry_text(&lines, entry);
                Some((key.to_string(), text[prefix_len..].to_string()))
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
            .filter(|(_, e)| matches!(e.kind, EntryKind::Active { key: k, .. } if k == key))
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
            let EntryKind::Active { prefix_len, .. } = entry.kind else {
                continue;
            };
            let (old, ending) = entry_text(&lines, entry);
            let new = format!("{}{value}", &old[..prefix_len]);
            if new != old {
                fates[last] = Fate::Replace(format!("{new}{ending}"));
                changes.push(EnvChange::Updated(key.clone()));
            }
            continue;
        }
        let commented = entries
            .iter()
            .position(|e| matches!(e.kind, EntryKind::Commented { key: k } if k == key));
        if let Some(i) = commented {
            let ending = lines[entries[i].end - 1].ending;
            fates[i] = Fate::Replace(format!("{new_prefix}{key}={value}{ending}"));
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
            if matches!(entry.kind, EntryKind::Active { key: k, .. } if k == key) {
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
        let redis_key = match e.kind {
            EntryKind::Active { key, .. } => REDIS_ENV_KEYS.contains(&key),
            EntryKind::Commented { key } => {
                matches!(fates[i], Fate::Replace(_)) && REDIS_ENV_KEYS.contains(&key)
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
    }

    #[test]
    fn keys_are_recognised_exactly() {
        assert_eq!(
            parse_assignment("REDIS_URL=x"),
            Some(("REDIS_URL", false, 10))
        );
        assert_eq!(
            parse_assignment("export REDIS_URL =x"),
            Some(("REDIS_URL", true, 18))
        );
        // Without a blank after it, `export` is part of the key name.
        assert_eq!(
            parse_assignment("exportREDIS_URL=x").map(|p| p.0),
            Some("exportREDIS_URL")
        );
        assert_eq!(parse_assignment("export=1"), Some(("export", false, 7)));
        assert_eq!(
            parse_assignment("REDIS_URLX=x").map(|p| p.0),
            Some("REDIS_URLX")
        );
        assert_eq!(parse_assignment("# REDIS_URL=x"), None);
        assert_eq!(parse_assignment("1A=x"), None);
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
