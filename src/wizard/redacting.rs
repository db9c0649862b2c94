//! A one-line text prompt that draws its input through [`redact_url`] while it is typed: a
//! host name shows as typed, a `redis[s]://` URL pasted in its place shows with the password
//! masked from the first character of the password on. inquire's text prompt draws the input
//! verbatim and cannot be told otherwise, so this one reads the terminal itself (raw mode on
//! standard input, drawing on standard error, as inquire does).

use std::io::Write;
use std::os::fd::RawFd;

use crate::answers::redact_url;
use crate::error::{Error, Result};

use super::TextQuestion;

const STDIN: RawFd = 0;
const STDERR: RawFd = 2;

/// Standard input in raw mode until dropped.
struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    fn enter() -> Result<RawMode> {
        // SAFETY: termios is plain data; tcgetattr fills it for a terminal descriptor.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        if unsafe { libc::tcgetattr(STDIN, &mut saved) } != 0 {
            return Err(Error::Usage(
                "init needs a terminal to ask its questions; use `chatwoot-redis render` with \
                 flags"
                    .into(),
            ));
        }
        let mut raw = saved;
        // SAFETY: raw is a valid termios copied from the terminal's.
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, &raw) } != 0 {
            return Err(Error::Other(anyhow::anyhow!(
                "prompt failed: cannot switch the terminal to raw mode: {}",
                std::io::Error::last_os_error()
            )));
        }
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enter`.
        unsafe { libc::tcsetattr(STDIN, libc::TCSANOW, &self.saved) };
    }
}

/// One byte of standard input, read unbuffered (the next inquire prompt reads the same
/// descriptor: nothing may be left in a buffer of ours). `wait_ms`: give up after that long
/// (`None`: wait). `Ok(None)` on timeout or end of input.
fn read_byte(wait_ms: Option<i32>) -> Result<Option<u8>> {
    loop {
        if let Some(ms) = wait_ms {
            let mut fds = libc::pollfd {
                fd: STDIN,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let n = unsafe { libc::poll(&mut fds, 1, ms) };
            if n == 0 {
                return Ok(None);
            }
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::Other(anyhow::anyhow!("prompt failed: {e}")));
            }
        }
        let mut b = [0u8; 1];
        // SAFETY: reads at most one byte into a one-byte buffer.
        let n = unsafe { libc::read(STDIN, b.as_mut_ptr().cast(), 1) };
        match n {
            1 => return Ok(Some(b[0])),
            0 => return Ok(None),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(Error::Other(anyhow::anyhow!("prompt failed: {e}")));
            }
        }
    }
}

/// The terminal's width in columns (80 when unknown).
fn columns() -> usize {
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::ioctl(STDERR, libc::TIOCGWINSZ, &mut ws) } == 0;
    if ok && ws.ws_col > 0 {
        usize::from(ws.ws_col)
    } else {
        80
    }
}

/// Rows a line of `chars` characters takes at `width` columns.
fn rows(chars: usize, width: usize) -> usize {
    chars.max(1).div_ceil(width.max(1))
}

/// A key, as far as a one-line prompt cares.
enum Key {
    Char(char),
    Backspace,
    Enter,
    ClearLine,
    Cancel,
    Interrupt,
    Ignored,
    Eof,
}

fn read_key() -> Result<Key> {
    let Some(b) = read_byte(None)? else {
        return Ok(Key::Eof);
    };
    Ok(match b {
        b'\r' | b'\n' => Key::Enter,
        0x7f | 0x08 => Key::Backspace,
        0x03 => Key::Interrupt,
        0x15 => Key::ClearLine,
        0x1b => match read_byte(Some(30))? {
            // Esc alone.
            None => Key::Cancel,
            // An escape sequence (arrow keys, bracketed paste marks): skip it.
            Some(b'[') | Some(b'O') => {
                while let Some(c) = read_byte(Some(30))? {
                    if (0x40..=0x7e).contains(&c) {
                        break;
                    }
                }
                Key::Ignored
            }
            Some(_) => Key::Ignored,
        },
        b if b < 0x20 => Key::Ignored,
        b if b < 0x80 => Key::Char(char::from(b)),
        first => {
            let len = match first {
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => return Ok(Key::Ignored),
            };
            let mut bytes = vec![first];
            for _ in 1..len {
                match read_byte(Some(30))? {
                    Some(c) => bytes.push(c),
                    None => return Ok(Key::Ignored),
                }
            }
            match std::str::from_utf8(&bytes)
                .ok()
                .and_then(|s| s.chars().next())
            {
                Some(c) => Key::Char(c),
                None => Key::Ignored,
            }
        }
    })
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

/// The prompt's drawing, kept to redraw it in place.
struct Screen<'q> {
    q: &'q TextQuestion<'q>,
    colour: bool,
    /// Rows drawn above the cursor's row (the error line, wrapped prompt rows).
    above: usize,
}

impl Screen<'_> {
    fn paint(&self, style: &str, text: &str) -> String {
        if self.colour {
            format!("\x1b[{style}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Back to the first row drawn, clearing everything below.
    fn home(&self) -> String {
        let mut s = String::from("\r");
        if self.above > 0 {
            s.push_str(&format!("\x1b[{}A", self.above));
        }
        s.push_str("\x1b[J");
        s
    }

    /// Draws the prompt with the input shown redacted, the error above and the help below,
    /// and leaves the cursor after the input.
    fn draw(&mut self, input: &str, error: Option<&str>) {
        let width = columns();
        let mut out = self.home();
        let mut above = 0;
        if let Some(e) = error {
            let line = format!("# {e}");
            out.push_str(&self.paint("31", &line));
            out.push_str("\r\n");
            above += rows(line.chars().count(), width);
        }
        let shown = if input.is_empty() {
            self.q
                .default
                .map(|d| self.paint("2", &format!("({})", redact_url(d))))
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
        let head = format!("{} {} ", self.paint("32", "?"), self.q.message);
        let head_len = 2 + self.q.message.chars().count() + 1;
        out.push_str(&head);
        out.push_str(&shown);
        let prompt_rows = rows(head_len + shown_len, width);
        above += prompt_rows - 1;
        if !self.q.help.is_empty() {
            out.push_str("\r\n");
            let help = format!("[{}]", self.q.help);
            out.push_str(&self.paint("36", &help));
            let help_rows = rows(help.chars().count(), width);
            // Back up to the prompt's last row, after the input.
            out.push_str(&format!("\x1b[{help_rows}A"));
        }
        let col = if input.is_empty() {
            head_len
        } else {
            head_len + shown_len
        } % width.max(1);
        out.push('\r');
        if col > 0 {
            out.push_str(&format!("\x1b[{col}C"));
        }
        self.above = above;
        let _ = std::io::stderr().write_all(out.as_bytes());
    }

    /// The prompt's last drawing: the answer (redacted), nothing below.
    fn done(&mut self, answer: &str) {
        let mut out = self.home();
        out.push_str(&format!(
            "{} {} {}\r\n",
            self.paint("32", "?"),
            self.q.message,
            self.paint("36", answer)
        ));
        self.above = 0;
        let _ = std::io::stderr().write_all(out.as_bytes());
    }
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
    screen.draw(&input, None);
    loop {
        match read_key()? {
            Key::Char(c) => input.push(c),
            Key::Backspace => {
                input.pop();
            }
            Key::ClearLine => input.clear(),
            Key::Ignored => continue,
            Key::Cancel | Key::Interrupt | Key::Eof => {
                let canceled = screen.paint("2", "<canceled>");
                screen.done(&canceled);
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
                        screen.done(&redact_url(&value));
                        drop(raw);
                        return Ok(value);
                    }
                    Err(msg) => error = Some(msg),
                }
            }
        }
        screen.draw(&input, error.as_deref());
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
