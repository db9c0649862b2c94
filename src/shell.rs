//! POSIX shell words: the one quoter for every command the tool prints for copying (fixes,
//! next steps) and for values in generated scripts.

#![warn(clippy::too_many_lines)]

use std::path::Path;

/// Characters that need no quoting in a POSIX shell word.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./:=@%+,".contains(c)
}

/// Quotes `text` for a POSIX shell when it needs it (`my dir` → `'my dir'`).
pub fn quote(text: &str) -> String {
    if !text.is_empty() && text.chars().all(is_plain) {
        text.to_string()
    } else {
        quote_always(text)
    }
}

/// Single-quotes `text` whatever it holds (values in generated scripts).
pub fn quote_always(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// A path as one shell word.
pub fn quote_path(path: &Path) -> String {
    quote(&path.display().to_string())
}

/// The command that regenerates an output directory, as printed in fixes:
/// `chatwoot-redis render [--out DIR] [--answers FILE]`, each path one shell word.
pub fn render_command(out: &Path, answers: Option<&Path>) -> String {
    let mut cmd = String::from("chatwoot-redis render");
    if out != Path::new(".") {
        cmd.push_str(&format!(" --out {}", quote_path(out)));
    }
    if let Some(a) = answers {
        cmd.push_str(&format!(" --answers {}", quote_path(a)));
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote("deploy/x"), "deploy/x");
        assert_eq!(quote("my dir"), "'my dir'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote_always("a'b"), r"'a'\''b'");
        assert_eq!(quote_always("plain"), "'plain'");
    }

    #[test]
    fn the_fix_command_is_one_word_per_path() {
        assert_eq!(
            render_command(Path::new("."), None),
            "chatwoot-redis render"
        );
        assert_eq!(
            render_command(Path::new("my dir"), Some(Path::new("a b.yaml"))),
            "chatwoot-redis render --out 'my dir' --answers 'a b.yaml'"
        );
    }
}
