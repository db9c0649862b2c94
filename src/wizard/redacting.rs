//! A one-line text prompt that draws its input through [`redact_url`] while it is typed: a
//! host name shows as typed, a `redis[s]://` URL pasted in its place shows with the password
//! masked from the first character of the password on. inquire's text prompt draws the input
//! verbatim and cannot be told otherwise, so this one reads the keys itself, through crossterm
//! as inquire does: raw mode and bracketed paste while it asks, keys from crossterm's event
//! reader (the one inquire's prompts read, so nothing typed ahead is lost between prompts),
//! drawing on standard error.

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::style::Stylize;
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, queue};

use crate::answers::redact_url;
use crate::error::{Error, Result};

use super::TextQuestion;

/// The terminal in raw mode, with bracketed paste on, until dropped: every return of [`ask`],
/// an answer, a cancel or an error, puts the terminal back.
struct RawMode;

impl RawMode {
    fn enter() -> Result<RawMode> {
        terminal::enable_raw_mode().map_err(|e| match e.raw_os_error() {
            Some(libc::ENOTTY | libc::ENXIO) => Error::Usage(
                "init needs a terminal to ask its questions; use `chatwoot-redis render` with \
                 flags"
                    .into(),
            ),
            _ => Error::Other(anyhow::anyhow!(
                "prompt failed: cannot switch the terminal to raw mode: {e}"
            )),
        })?;
        let raw = RawMode;
        // A paste arrives as one event, as at inquire's prompts.
        crossterm::execute!(std::io::stderr(), event::EnableBracketedPaste).map_err(failed)?;
        Ok(raw)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = crossterm::execute!(std::io::stderr(), event::DisableBracketedPaste);
        let _ = terminal::disable_raw_mode();
    }
}

fn failed(e: std::io::Error) -> Error {
    Error::Other(anyhow::anyhow!("prompt failed: {e}"))
}

/// The terminal's width in columns (80 when unknown).
fn columns() -> usize {
    match terminal::size() {
        Ok((cols, _)) if cols > 0 => usize::from(cols),
        _ => 80,
    }
}

/// Rows a line of `chars` characters takes at `width` columns.
fn rows(chars: usize, width: usize) -> usize {
    chars.max(1).div_ceil(width.max(1))
}

/// A count of rows or columns as a cursor command takes it.
fn cells(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// A key, as far as a one-line prompt cares.
enum Key {
    Char(char),
    /// Pasted text, without its line breaks and other control characters.
    Paste(String),
    Backspace,
    Enter,
    ClearLine,
    Cancel,
    Interrupt,
    Ignored,
}

fn read_key() -> Result<Key> {
    Ok(match event::read().map_err(failed)? {
        Event::Key(k) if k.kind != KeyEventKind::Release => key(k),
        Event::Paste(text) => Key::Paste(text.chars().filter(|c| !c.is_control()).collect()),
        _ => Key::Ignored,
    })
}

fn key(k: KeyEvent) -> Key {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Enter => Key::Enter,
        // In raw mode a line feed reads as Ctrl-J, a 0x08 backspace as Ctrl-H.
        KeyCode::Char('j') if ctrl => Key::Enter,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Char('h') if ctrl => Key::Backspace,
        KeyCode::Char('c') if ctrl => Key::Interrupt,
        KeyCode::Char('u') if ctrl => Key::ClearLine,
        KeyCode::Esc => Key::Cancel,
        KeyCode::Char(_) if ctrl || k.modifiers.contains(KeyModifiers::ALT) => Key::Ignored,
        KeyCode::Char(c) if !c.is_control() => Key::Char(c),
        // Arrows, Tab, function keys.
        _ => Key::Ignored,
    }
}

/// The input as drawn while it is typed. Until the `@` of a URL is typed, what follows a
/// `:` after the scheme may be a port or a password (`rediss://:123…`, `user:123…`): it is
/// masked until the `@` tells them apart. Then [`redact_url`] masks the userinfo.
fn drawn(input: &str) -> String {
    let Some(scheme_end) = input.find("://") else {
        return input.to_string();
    };
    let rest = &input[scheme_end + 3..];
    if rest.contains('@') {
        return redact_url(input);
    }
    match rest.find(':') {
        Some(colon) if colon + 1 < rest.len() => {
            format!("{}{}***", &input[..scheme_end + 3], &rest[..=colon])
        }
        _ => input.to_string(),
    }
}

/// The colours of the prompt's parts.
#[derive(Clone, Copy)]
enum Tint {
    Error,
    Faint,
    Mark,
    Answer,
}

/// The prompt's drawing, kept to redraw it in place.
struct Screen<'q> {
    q: &'q TextQuestion<'q>,
    colour: bool,
    /// Rows drawn above the cursor's row (the error line, wrapped prompt rows).
    above: usize,
}

impl Screen<'_> {
    fn paint(&self, tint: Tint, text: &str) -> String {
        if !self.colour {
            return text.to_string();
        }
        match tint {
            Tint::Error => text.dark_red().to_string(),
            Tint::Faint => text.dim().to_string(),
            Tint::Mark => text.dark_green().to_string(),
            Tint::Answer => text.dark_cyan().to_string(),
        }
    }

    /// Back to the first row drawn, clearing everything below.
    fn home(&self, out: &mut Vec<u8>) -> std::io::Result<()> {
        queue!(out, cursor::MoveToColumn(0))?;
        if self.above > 0 {
            queue!(out, cursor::MoveUp(cells(self.above)))?;
        }
        queue!(out, terminal::Clear(ClearType::FromCursorDown))
    }

    /// Draws the prompt with the input shown redacted, the error above and the help below,
    /// and leaves the cursor after the input.
    fn draw(&mut self, input: &str, error: Option<&str>) -> std::io::Result<()> {
        let width = columns();
        let mut out = Vec::new();
        self.home(&mut out)?;
        let mut above = 0;
        if let Some(e) = error {
            let line = format!("# {e}");
            out.extend_from_slice(self.paint(Tint::Error, &line).as_bytes());
            out.extend_from_slice(b"\r\n");
            above += rows(line.chars().count(), width);
        }
        let shown = if input.is_empty() {
            self.q
                .default
                .map(|d| self.paint(Tint::Faint, &format!("({})", redact_url(d))))
                .unwrap_or_default()
        } else {
            drawn(input)
        };
        let shown_len = if input.is_empty() {
            self.q
                .default
                .map(|d| redact_url(d).chars().count() + 2)
                .unwrap_or(0)
        } else {
            drawn(input).chars().count()
        };
        let head = format!("{} {} ", self.paint(Tint::Mark, "?"), self.q.message);
        let head_len = 2 + self.q.message.chars().count() + 1;
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(shown.as_bytes());
        let prompt_rows = rows(head_len + shown_len, width);
        above += prompt_rows - 1;
        if !self.q.help.is_empty() {
            out.extend_from_slice(b"\r\n");
            let help = format!("[{}]", self.q.help);
            out.extend_from_slice(self.paint(Tint::Answer, &help).as_bytes());
            let help_rows = rows(help.chars().count(), width);
            // Back up to the prompt's last row, after the input.
            queue!(out, cursor::MoveUp(cells(help_rows)))?;
        }
        let col = if input.is_empty() {
            head_len
        } else {
            head_len + shown_len
        } % width.max(1);
        queue!(out, cursor::MoveToColumn(cells(col)))?;
        self.above = above;
        show(&out)
    }

    /// The prompt's last drawing: the answer (redacted), nothing below.
    fn done(&mut self, answer: &str) -> std::io::Result<()> {
        let mut out = Vec::new();
        self.home(&mut out)?;
        let line = format!(
            "{} {} {}\r\n",
            self.paint(Tint::Mark, "?"),
            self.q.message,
            self.paint(Tint::Answer, answer)
        );
        out.extend_from_slice(line.as_bytes());
        self.above = 0;
        show(&out)
    }
}

/// Writes one drawing to standard error at once.
fn show(out: &[u8]) -> std::io::Result<()> {
    let mut err = std::io::stderr().lock();
    err.write_all(out)?;
    err.flush()
}

/// Asks `q`, drawing the input redacted; re-asks until its validator accepts the answer.
/// Enter on an empty input gives the default. Esc is [`Error::Interrupted`], as is Ctrl-C.
pub fn ask(q: &TextQuestion<'_>, colour: bool) -> Result<String> {
    let raw = RawMode::enter()?;
    let mut screen = Screen {
        q,
        colour,
        above: 0,
    };
    let mut input = String::new();
    let mut error: Option<String> = None;
    screen.draw(&input, None).map_err(failed)?;
    loop {
        match read_key()? {
            Key::Char(c) => input.push(c),
            Key::Paste(text) => input.push_str(&text),
            Key::Backspace => {
                input.pop();
            }
            Key::ClearLine => input.clear(),
            Key::Ignored => continue,
            Key::Cancel | Key::Interrupt => {
                let canceled = screen.paint(Tint::Faint, "<canceled>");
                let _ = screen.done(&canceled);
                drop(raw);
                return Err(Error::Interrupted);
            }
            Key::Enter => {
                let value = match q.default {
                    Some(d) if input.trim().is_empty() => d.to_string(),
                    _ => input.clone(),
                };
                match (q.validate)(&value) {
                    Ok(()) => {
                        // The answer stands even if its last drawing fails.
                        let _ = screen.done(&redact_url(&value));
                        drop(raw);
                        return Ok(value);
                    }
                    Err(msg) => error = Some(msg),
                }
            }
        }
        screen.draw(&input, error.as_deref()).map_err(failed)?;
    }
}

#[cfg(test)]
mod tests {
    use super::{drawn, rows};

    #[test]
    fn a_password_is_masked_from_its_first_character() {
        let url = "rediss://chatwoot:123Secret4567@h.example.net:6380/2";
        for end in 0..=url.len() {
            let shown = drawn(&url[..end]);
            for secret_prefix in ["1", "12", "123", "123S"] {
                let typed = &url[..end];
                if typed.contains(&format!(":{secret_prefix}")) {
                    assert!(
                        !shown.contains(&format!(":{secret_prefix}")),
                        "{typed:?} drawn as {shown:?}"
                    );
                }
            }
            assert!(!shown.contains("Secret"), "{shown}");
        }
        let heroku = "rediss://:9pw@h:1";
        for end in 0..=heroku.len() {
            assert!(!drawn(&heroku[..end]).contains('9'), "{}", &heroku[..end]);
        }
        assert_eq!(drawn("cache.example.net"), "cache.example.net");
        assert_eq!(drawn("rediss://h.example.net"), "rediss://h.example.net");
        assert_eq!(drawn(url), "rediss://chatwoot:***@h.example.net:6380/2");
    }

    #[test]
    fn rows_of_a_wrapped_line() {
        assert_eq!(rows(0, 80), 1);
        assert_eq!(rows(80, 80), 1);
        assert_eq!(rows(81, 80), 2);
        assert_eq!(rows(5, 0), 5);
    }
}
