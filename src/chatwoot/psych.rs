//! What `config/cable.yml` gives ActionCable for a `REDIS_PASSWORD`.
//!
//! Chatwoot's cable.yml holds `password: <%= ENV.fetch('REDIS_PASSWORD', nil).presence %>`;
//! Rails renders it with ERB and loads it with `YAML.unsafe_load` (Psych over libyaml 0.2.5).
//! The password therefore lands unquoted after `password: ` on an indented line of a block
//! mapping, and goes through two stages, both modelled here:
//! 1. libyaml's scanner and parser decide which token the text is: a plain scalar, or a
//!    quoted scalar, a block scalar, a flow collection, an anchor, a tag, an alias, a comment,
//!    or a syntax error (`: `, a leading `,`, `]`, `}`, `%`, `@`, `` ` ``, …);
//! 2. for a plain scalar, Psych 5.1.2's `ScalarScanner#tokenize` (YAML 1.1 resolution, as in
//!    Ruby 3.3) decides the Ruby object: `nil`, `true`/`false` (`yes`, `nO`, `tRUE`, … when
//!    at most 5 characters), Integer (decimal, `0b`, octal, `0x`, `_` and `,` separators,
//!    base 60), Float, Symbol (`:abc`), Date, Time, or the String itself.
//!
//! [`cable_yaml`] returns one [`CableYaml`] verdict; everything else in the crate that judges a
//! password for cable.yml asks it.

mod flow;
use flow::flow;

/// The Ruby class the YAML load produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loaded {
    String,
    Integer,
    Float,
    Symbol,
    True,
    False,
    Nil,
    Time,
    Date,
    Array,
    Hash,
}

impl Loaded {
    /// Ruby's class name (`NilClass`, `TrueClass`, …).
    pub fn ruby_class(self) -> &'static str {
        match self {
            Loaded::String => "String",
            Loaded::Integer => "Integer",
            Loaded::Float => "Float",
            Loaded::Symbol => "Symbol",
            Loaded::True => "TrueClass",
            Loaded::False => "FalseClass",
            Loaded::Nil => "NilClass",
            Loaded::Time => "Time",
            Loaded::Date => "Date",
            Loaded::Array => "Array",
            Loaded::Hash => "Hash",
        }
    }
}

/// What ActionCable gets for the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CableYaml {
    /// The same String.
    Kept,
    /// Another object. `sends_same` is true when the redis client still sends the same bytes
    /// (an Integer or Float whose `to_s` is the password, e.g. `12345`).
    Changed {
        into: Loaded,
        sends_same: bool,
        why: &'static str,
    },
    /// Psych raises while loading cable.yml: Chatwoot does not boot.
    Error(&'static str),
}

impl CableYaml {
    /// True when ActionCable authenticates with exactly the password Chatwoot's other clients
    /// use.
    pub fn sends_same(&self) -> bool {
        match self {
            CableYaml::Kept => true,
            CableYaml::Changed { sends_same, .. } => *sends_same,
            CableYaml::Error(_) => false,
        }
    }
}

/// The indentation of the `password:` key in cable.yml (`default:` → two spaces).
const KEY_INDENT: usize = 2;

/// The verdict for one `REDIS_PASSWORD` value.
pub fn cable_yaml(password: &str) -> CableYaml {
    // ActiveSupport's `presence`: a blank string is nil, and `password:` is then empty.
    if password.chars().all(char::is_whitespace) {
        return changed(
            Loaded::Nil,
            false,
            "it is blank, so Rails' presence drops it",
        );
    }
    if let Some(why) = password.chars().find_map(not_printable) {
        return CableYaml::Error(why);
    }
    let lines: Vec<&str> = split_breaks(password);
    if lines.len() > 1 {
        return multi_line(&lines);
    }
    node(password, true)
}

fn changed(into: Loaded, sends_same: bool, why: &'static str) -> CableYaml {
    CableYaml::Changed {
        into,
        sends_same,
        why,
    }
}

/// libyaml refuses characters outside YAML's printable set.
fn not_printable(c: char) -> Option<&'static str> {
    let ok = matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}')
        || matches!(c, '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
            && c != '\u{feff}';
    (!ok).then_some("it holds a control character, which YAML refuses (Chatwoot does not boot)")
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Lines as libyaml sees them (`\r\n` is one break).
fn split_breaks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut it = text.char_indices().peekable();
    while let Some((i, c)) = it.next() {
        if is_break(c) {
            out.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some((j, '\n')) = it.peek().copied() {
                    it.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    out.push(&text[start..]);
    out
}

/// A value spanning lines is never the same string; it is either folded into a longer plain
/// scalar, cut at the first line, found on the next lines (after a comment, an anchor or a
/// tag, or as a block scalar), or breaks the mapping.
fn multi_line(lines: &[&str]) -> CableYaml {
    // Lines at `password:`'s own indentation that read as `key: value` are more keys of
    // cable.yml's mapping: the value ends before them.
    if let Some(at) = first_sibling(lines) {
        let read = if at == 1 {
            sent_differently_or_error(node(lines[0], false))
        } else {
            sent_differently_or_error(multi_line(&lines[..at]))
        };
        let anchors = anchor_name(lines[0].trim_start_matches(is_blank))
            .map(|name| (name, loaded_of(&read)))
            .into_iter()
            .collect();
        let Some(replaced) = siblings(&lines[at..], anchors) else {
            return CableYaml::Error(TEXT_AFTER_BREAK);
        };
        return match (read, replaced) {
            (CableYaml::Error(e), _) => CableYaml::Error(e),
            (_, Some(later)) => later,
            (read, None) => read,
        };
    }
    let head = lines[0].trim_start_matches(is_blank);
    // Properties alone on the first line apply to the node on the lines below.
    if let Some((prop, tag)) = lone_properties(head) {
        if properties_again_below(&lines[1..], head) {
            return CableYaml::Error(TWO_PROPERTIES);
        }
        return with_property(prop, tag, value_below(&lines[1..]));
    }
    // Properties before a node that goes on below: they apply to the whole node.
    if let Some((prop, tag, inner)) = leading_properties(head) {
        let mut node_lines = vec![inner];
        node_lines.extend_from_slice(&lines[1..]);
        return match multi_line(&node_lines) {
            CableYaml::Error(e) => CableYaml::Error(e),
            read => with_property(prop, tag, read),
        };
    }
    let first = node(lines[0], true);
    if let CableYaml::Error(_) = first {
        return first;
    }
    let rest = &lines[1..];
    if head.starts_with(['|', '>']) {
        // The header was valid (`first` is no error): the content is every following line
        // indented deeper than `password:`.
        // A comment no deeper than `password:` ends the content; only comments follow it.
        let mut ended = false;
        return if rest.iter().all(|l| {
            if is_blank_line(l) || (!ended && indent(l) > KEY_INDENT) {
                return true;
            }
            ended = true;
            l.trim_start_matches(is_blank).starts_with('#')
        }) {
            changed(
                Loaded::String,
                false,
                "YAML reads the lines as a block scalar",
            )
        } else {
            CableYaml::Error(TEXT_AFTER_BREAK)
        };
    }
    if head.is_empty() || head.starts_with('#') {
        return value_below(rest);
    }
    let only_comments_follow = rest.iter().all(|l| {
        let body = l.trim_start_matches(is_blank);
        body.is_empty() || body.starts_with('#')
    });
    let plain_head = if starts_plain(lines[0]) {
        plain_text(head)
    } else {
        None
    };
    let Some((text0, cut0)) = plain_head else {
        return if only_comments_follow {
            sent_differently(first)
        } else {
            CableYaml::Error(TEXT_AFTER_BREAK)
        };
    };
    // Continuation lines fold into one plain scalar: a line break is a space, each empty
    // line a `\n`; a comment ends the scalar, and text after it breaks the mapping.
    let mut folded = text0.to_string();
    let (mut ended, mut breaks, mut continued) = (cut0, 0, false);
    for l in rest {
        let body = l.trim_start_matches(is_blank);
        if body.is_empty() {
            breaks += 1;
            continue;
        }
        if body.starts_with('#') {
            ended = true;
            continue;
        }
        if ended || indent(l) <= KEY_INDENT {
            return CableYaml::Error(TEXT_AFTER_BREAK);
        }
        let Some((text, cut)) = plain_text(body) else {
            return CableYaml::Error(MAPPING_IN_VALUE);
        };
        if breaks == 0 {
            folded.push(' ');
        }
        for _ in 0..breaks {
            folded.push('\n');
        }
        breaks = 0;
        folded.push_str(text);
        ended = cut;
        continued = true;
    }
    if !continued {
        return sent_differently(first);
    }
    match tokenize(&folded) {
        Resolved::Error(why) => CableYaml::Error(why),
        Resolved::Class(into, _) => changed(into, false, "YAML folds the lines into one"),
    }
}

/// A line that is neither blank nor only a comment.
fn has_content(l: &str) -> bool {
    let body = l.trim_start_matches(is_blank);
    !body.is_empty() && !body.starts_with('#')
}

/// Exactly as deep as `password:` (spaces only: libyaml refuses tabs in indentation).
fn at_key_indent(l: &str) -> bool {
    indent(l) == KEY_INDENT && !l[KEY_INDENT..].starts_with(is_blank)
}

/// `- ` (or a lone `-`): a block sequence entry.
fn is_sequence_entry(body: &str) -> bool {
    let mut c = body.chars();
    c.next() == Some('-') && c.next().is_none_or(is_blank)
}

/// The index of the first later line back at `password:`'s indentation, when it reads as
/// another key of the mapping (`name: …`). (A compact `- ` entry there is no key: under an
/// empty value it belongs to the value, see [`value_below`].)
fn first_sibling(lines: &[&str]) -> Option<usize> {
    let at = 1 + lines[1..]
        .iter()
        .position(|l| has_content(l) && indent(l) <= KEY_INDENT)?;
    let l = lines[at];
    (at_key_indent(l) && entry(&l[KEY_INDENT..]).is_some()).then_some(at)
}

/// `name: value` in block context with a plain key: the key and the text after the `:`.
fn entry(body: &str) -> Option<(&str, &str)> {
    if !starts_plain(body) {
        return None;
    }
    let mut prev_blank = false;
    let mut iter = body.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '#' && prev_blank {
            return None;
        }
        if c == ':' && iter.peek().is_none_or(|(_, n)| is_blank(*n)) {
            return Some((body[..i].trim_end_matches(is_blank), &body[i + 1..]));
        }
        prev_blank = is_blank(c);
    }
    None
}

/// Reads the lines from a sibling key on: every entry must load (each `name: value` with
/// the lines deeper than it, or its compact `- ` entries), and Psych keeps the last value of a
/// repeated key, so a later `password:` replaces the password. `None`: a line breaks the
/// mapping; `Some(None)`: no later `password:`; `Some(Some(reading))`: the replacement's.
fn siblings<'a>(
    lines: &[&'a str],
    mut anchors: Vec<(&'a str, Loaded)>,
) -> Option<Option<CableYaml>> {
    let mut replaced = None;
    let mut i = 0;
    // Each `lines[i]` has content: the first is the sibling [`first_sibling`] found, and each
    // entry ends at the next line with content no deeper than `password:` (or at the end).
    while i < lines.len() {
        let l = lines[i];
        if !at_key_indent(l) {
            return None;
        }
        let (key, value) = entry(&l[KEY_INDENT..])?;
        let empty =
            !has_content(value) || lone_properties(value.trim_start_matches(is_blank)).is_some();
        let end = i
            + 1
            + lines[i + 1..]
                .iter()
                .position(|l| {
                    has_content(l)
                        && indent(l) <= KEY_INDENT
                        && !(empty && at_key_indent(l) && is_sequence_entry(&l[KEY_INDENT..]))
                })
                .unwrap_or(lines.len() - i - 1);
        let head = value.trim_start_matches(is_blank);
        let read = if let Some(alias) = alias_name(head) {
            // `*name` is the node anchored earlier (Psych raises BadAlias for an unknown one).
            match anchors.iter().rev().find(|(name, _)| *name == alias) {
                Some((_, into)) => changed(*into, false, PASSWORD_REPLACED),
                None => CableYaml::Error(UNKNOWN_ALIAS),
            }
        } else if end == i + 1 {
            node(value, false)
        } else {
            let mut own = vec![value];
            own.extend_from_slice(&lines[i + 1..end]);
            multi_line(&own)
        };
        if let (Some(name), false) = (anchor_name(head), matches!(read, CableYaml::Error(_))) {
            anchors.push((name, loaded_of(&read)));
        }
        match read {
            CableYaml::Error(e) => return Some(Some(CableYaml::Error(e))),
            read if key == "password" => {
                replaced = Some(changed(loaded_of(&read), false, PASSWORD_REPLACED));
            }
            _ => {}
        }
        i = end;
    }
    Some(replaced)
}

/// The length of the anchor or alias name `body` starts with (libyaml: letters, digits, `-`, `_`).
fn anchor_len(body: &str) -> usize {
    body.find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .unwrap_or(body.len())
}

/// The class a reading that is no error loads as.
fn loaded_of(read: &CableYaml) -> Loaded {
    match read {
        CableYaml::Changed { into, .. } => *into,
        _ => Loaded::String,
    }
}

/// The anchor among the properties `t` starts with (`&name`, before or after a tag).
fn anchor_name(mut t: &str) -> Option<&str> {
    for _ in 0..2 {
        let (prop, text, after) = property(t)?;
        if !(after.is_empty() || after.starts_with(is_blank)) {
            return None;
        }
        if prop == Anchor {
            return Some(text);
        }
        t = after.trim_start_matches(is_blank);
    }
    None
}

/// `*name` alone (a comment may follow): the alias's name.
fn alias_name(t: &str) -> Option<&str> {
    let body = t.strip_prefix('*')?;
    let end = anchor_len(body);
    let after = body[end..].trim_start_matches(is_blank);
    (end > 0 && (after.is_empty() || after.starts_with('#'))).then_some(&body[..end])
}

/// True when the node below lone properties starts with a property of a kind already given
/// (a second anchor or a second tag on one node).
fn properties_again_below(rest: &[&str], head: &str) -> bool {
    let kinds = |mut t: &str| {
        let (mut anchor, mut tag) = (false, false);
        for _ in 0..2 {
            let Some((prop, _, after)) = property(t) else {
                break;
            };
            if !(after.is_empty() || after.starts_with(is_blank)) {
                break;
            }
            match prop {
                Anchor => anchor = true,
                Tag => tag = true,
            }
            t = after.trim_start_matches(is_blank);
        }
        (anchor, tag)
    };
    let Some(below) = rest.iter().find(|l| has_content(l)) else {
        return false;
    };
    if indent(below) <= KEY_INDENT {
        return false;
    }
    let (a1, t1) = kinds(head);
    let (a2, t2) = kinds(below.trim_start_matches(is_blank));
    (a1 && a2) || (t1 && t2)
}

const TWO_PROPERTIES: &str =
    "it gives one YAML node two anchors or two tags across a line break, a syntax error in \
     cable.yml";

const UNKNOWN_ALIAS: &str =
    "a later key of cable.yml is a `*` alias to an anchor it does not define (Chatwoot does \
     not boot)";

const PASSWORD_REPLACED: &str =
    "a line at `password:`'s indentation adds keys to cable.yml, and a later `password:` \
     replaces the value";

const MISSING_CLASS: &str =
    "it starts with a `!str:Class` tag naming a class Psych cannot revive (Chatwoot does not boot)";

const TEXT_AFTER_BREAK: &str = "a line break followed by text breaks cable.yml's mapping";

const TAGGED_MAP: &str = "it tags a map as a string or a Ruby object, which Psych cannot build \
                          from it (Chatwoot does not boot)";

fn is_blank_line(l: &str) -> bool {
    l.chars().all(is_blank)
}

fn indent(l: &str) -> usize {
    l.chars().take_while(|c| *c == ' ').count()
}

/// The first line's reading, now cut at the line break: never the same string.
fn sent_differently(first: CableYaml) -> CableYaml {
    match first {
        CableYaml::Changed { into, why, .. } => changed(into, false, why),
        _ => changed(Loaded::String, false, "a line break ends the YAML value"),
    }
}

/// The node that starts on a later line, when the `password:` line holds no value: blank
/// lines and comments are skipped; a `- ` starts a block sequence and a `key: ` a block
/// mapping; anything else is read like a value on the `password:` line, continued below.
fn value_below(rest: &[&str]) -> CableYaml {
    let Some(at) = rest.iter().position(|l| {
        let body = l.trim_start_matches(is_blank);
        !body.is_empty() && !body.starts_with('#')
    }) else {
        return changed(Loaded::Nil, false, "YAML reads an empty value as nil");
    };
    let line = rest[at];
    if at_key_indent(line) && is_sequence_entry(&line[KEY_INDENT..]) {
        // A block sequence may sit at its key's own indentation.
        return changed(Loaded::Array, false, "YAML reads the next lines as a list");
    }
    if indent(line) <= KEY_INDENT {
        return CableYaml::Error(TEXT_AFTER_BREAK);
    }
    let body = line.trim_start_matches(is_blank);
    let mut chars = body.chars();
    if chars.next() == Some('-') && chars.next().is_none_or(is_blank) {
        return changed(Loaded::Array, false, "YAML reads the next lines as a list");
    }
    if starts_plain(line) && plain_text(body).is_none() {
        return changed(Loaded::Hash, false, "YAML reads the next lines as a map");
    }
    // Read like a value on the `password:` line that goes on over the lines after it (also
    // when it is the last line: the password is never the same string then).
    match multi_line(&rest[at..]) {
        CableYaml::Kept => changed(Loaded::String, false, "a line break ends the YAML value"),
        other => sent_differently_or_error(other),
    }
}

fn sent_differently_or_error(read: CableYaml) -> CableYaml {
    match read {
        CableYaml::Error(e) => CableYaml::Error(e),
        other => sent_differently(other),
    }
}

/// `&name` or `!tag` at the start of `t`: the property, its text after the indicator, and
/// what follows it; None when `t` starts with neither or the property does not scan.
fn property(t: &str) -> Option<(Prop, &str, &str)> {
    let prop = match t.chars().next()? {
        '&' => Anchor,
        '!' => Tag,
        _ => return None,
    };
    let body = &t[1..];
    let end = match prop {
        Anchor => anchor_len(body),
        Tag => tag_len(body)?,
    };
    (end > 0 || prop == Tag).then(|| (prop, &body[..end], &body[end..]))
}

/// One property, or an anchor and a tag (either order), with nothing after them but a comment:
/// the property that decides (the tag, when there is one) and its text.
fn lone_properties(head: &str) -> Option<(Prop, &str)> {
    let (prop, tag, inner) = leading_properties(head)?;
    (inner.is_empty() || inner.starts_with('#')).then_some((prop, tag))
}

/// One property, or an anchor and a tag (either order), each followed by a blank or the end:
/// the property that decides (the tag, when there is one), its text, and what follows.
fn leading_properties(head: &str) -> Option<(Prop, &str, &str)> {
    let ends_well = |after: &str| after.is_empty() || after.starts_with(is_blank);
    let (mut prop, mut tag, after) = property(head).filter(|(_, _, a)| ends_well(a))?;
    let mut inner = after.trim_start_matches(is_blank);
    if let Some((second, text, after)) = property(inner) {
        if second == prop || !ends_well(after) {
            return None;
        }
        if second == Tag {
            (prop, tag) = (Tag, text);
        }
        inner = after.trim_start_matches(is_blank);
    }
    Some((prop, tag, inner))
}

/// What a property does to the node it applies to: an anchor changes nothing; a tag keeps a
/// collection (but a string or object tag on a map fails), makes a string tag's scalar its
/// text and a symbol tag's a Symbol, and leaves any other scalar resolved.
fn with_property(prop: Prop, tag: &str, read: CableYaml) -> CableYaml {
    let why = match prop {
        Anchor => "it starts with `&`, which YAML reads as an anchor name",
        Tag => "it starts with `!`, which YAML reads as a type tag",
    };
    let tagged = |test: fn(&str) -> bool| prop == Tag && test(tag);
    match read {
        CableYaml::Error(e) => CableYaml::Error(e),
        CableYaml::Changed {
            into: Loaded::Hash, ..
        } if tagged(is_string_tag)
            || tagged(names_a_missing_class)
            || tagged(tags_a_ruby_object) =>
        {
            CableYaml::Error(TAGGED_MAP)
        }
        CableYaml::Changed {
            into: into @ (Loaded::Array | Loaded::Hash),
            ..
        } => changed(into, false, why),
        _ if tagged(names_a_missing_class) => CableYaml::Error(MISSING_CLASS),
        _ if tagged(is_string_tag) => changed(Loaded::String, false, why),
        _ if tagged(is_symbol_tag) => changed(Loaded::Symbol, false, why),
        // The scalar's text is not at hand here: a String (folded lines, a block or quoted
        // scalar over lines) counts as one Ruby's Float() refuses.
        read if tagged(is_float_tag) => float_of(loaded_of(&read), None),
        CableYaml::Changed { into, .. } => changed(into, false, why),
        CableYaml::Kept => changed(Loaded::String, false, why),
    }
}

/// `!!float` (or `!float`): Psych calls Ruby's `Float()` on the resolved scalar: a number
/// becomes a Float, a String only when `Float()` reads it ([`ruby_float_parses`]; `text`),
/// anything else (nil, a boolean, a Symbol, a date) raises.
fn float_of(resolved: Loaded, text: Option<&str>) -> CableYaml {
    match resolved {
        Loaded::Integer | Loaded::Float => {
            changed(Loaded::Float, false, "a `!!float` tag makes it a Float")
        }
        Loaded::String if text.is_some_and(ruby_float_parses) => {
            changed(Loaded::Float, false, "a `!!float` tag makes it a Float")
        }
        _ => CableYaml::Error(FLOAT_TAG),
    }
}

const FLOAT_TAG: &str =
    "a `!!float` tag on text Ruby's Float() cannot read makes Psych raise (Chatwoot does not boot)";

/// Ruby's strict `Float(string)`: blanks around; a sign; decimal digits with single `_`
/// between digits, an optional `.` and digits, an optional exponent; or `0x` hex digits with
/// an optional `.` fraction and `p` exponent.
fn ruby_float_parses(s: &str) -> bool {
    // Digits of one kind from the start, with single underscores between them when allowed.
    fn run(b: &[u8], digit: fn(&u8) -> bool, underscores: bool) -> usize {
        let mut i = 0;
        while i < b.len() && digit(&b[i]) {
            i += 1;
            if underscores && b.get(i) == Some(&b'_') && b.get(i + 1).is_some_and(digit) {
                i += 1;
            }
        }
        i
    }
    fn exponent(b: &[u8], i: &mut usize, marks: &[u8], underscores: bool) -> bool {
        if !b.get(*i).is_some_and(|c| marks.contains(c)) {
            return true;
        }
        *i += 1;
        if matches!(b.get(*i), Some(b'+' | b'-')) {
            *i += 1;
        }
        let e = run(&b[*i..], u8::is_ascii_digit, underscores);
        *i += e;
        e > 0
    }
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r'));
    let t = t.strip_prefix(['+', '-']).unwrap_or(t);
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        let h = h.as_bytes();
        let mut i = run(h, u8::is_ascii_hexdigit, false);
        if i == 0 {
            return false;
        }
        if h.get(i) == Some(&b'.') {
            let f = run(&h[i + 1..], u8::is_ascii_hexdigit, false);
            if f == 0 {
                return false;
            }
            i += 1 + f;
        }
        return exponent(h, &mut i, b"pP", false) && i == h.len();
    }
    let b = t.as_bytes();
    let mut i = run(b, u8::is_ascii_digit, true);
    if b.get(i) == Some(&b'.') {
        let f = run(&b[i + 1..], u8::is_ascii_digit, true);
        if f == 0 {
            return false;
        }
        i += 1 + f;
    } else if i == 0 {
        return false;
    }
    exponent(b, &mut i, b"eE", true) && i == b.len()
}

const MAPPING_IN_VALUE: &str =
    "`: ` (or a trailing `:`) makes YAML read a mapping, a syntax error in cable.yml";

/// True when libyaml starts a plain scalar at the first non-blank character of `t` (block
/// context).
fn starts_plain(t: &str) -> bool {
    let mut it = t.trim_start_matches(is_blank).chars();
    match it.next() {
        None => false,
        Some('-' | '?' | ':') => it.next().is_some_and(|c| !is_blank(c)),
        Some(c) => !"-?:,[]{}#&*!|>'\"%@`".contains(c),
    }
}

/// The plain scalar libyaml reads on one line starting at `t`: its text (trailing blanks
/// dropped) and whether a ` #` comment cut it; `None` when a `:` followed by a blank (or at
/// the end) makes it a mapping key.
fn plain_text(t: &str) -> Option<(&str, bool)> {
    let mut prev_blank = false;
    let mut iter = t.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '#' && prev_blank {
            return Some((t[..i].trim_end_matches(is_blank), true));
        }
        if c == ':' && iter.peek().is_none_or(|(_, n)| is_blank(*n)) {
            return None;
        }
        prev_blank = is_blank(c);
    }
    Some((t.trim_end_matches(is_blank), false))
}

/// One node on the `password:` line (no line breaks). `whole` is true when `text` is the
/// whole password (so a String result equal to it is [`CableYaml::Kept`]).
fn node(text: &str, whole: bool) -> CableYaml {
    let t = text.trim_start_matches(is_blank);
    let lead_ws = t.len() != text.len();
    let Some(first) = t.chars().next() else {
        return changed(Loaded::Nil, false, "YAML reads an empty value as nil");
    };
    let second = t[first.len_utf8()..].chars().next();
    let blank_or_end = second.is_none_or(is_blank);
    match first {
        '#' => changed(
            Loaded::Nil,
            false,
            "YAML starts a comment at ` #` and drops the rest",
        ),
        '-' | '?' | ':' if blank_or_end => CableYaml::Error(
            "it starts with `-`, `?` or `:` and a space, which YAML reads as block syntax (a \
             syntax error in cable.yml)",
        ),
        ',' | ']' | '}' | '%' | '@' | '`' => CableYaml::Error(
            "it starts with a YAML indicator (`,` `]` `}` `%` `@` or a backtick): a syntax \
             error in cable.yml",
        ),
        '*' => CableYaml::Error(
            "it starts with `*`, a YAML alias to an anchor cable.yml does not have",
        ),
        '&' => anchor_or_tag(t, Anchor),
        '!' => anchor_or_tag(t, Tag),
        '|' | '>' => block_scalar(&t[1..]),
        '\'' | '"' => quoted(t, first),
        '[' | '{' => flow(t),
        _ => {
            let Some((scalar, by_comment)) = plain_text(t) else {
                return CableYaml::Error(MAPPING_IN_VALUE);
            };
            match tokenize(scalar) {
                Resolved::Error(why) => CableYaml::Error(why),
                Resolved::Class(Loaded::String, _)
                    if whole && !by_comment && !lead_ws && scalar == text =>
                {
                    CableYaml::Kept
                }
                Resolved::Class(Loaded::String, _) => changed(
                    Loaded::String,
                    false,
                    if by_comment {
                        "YAML starts a comment at ` #` and drops the rest"
                    } else {
                        "YAML drops leading and trailing spaces"
                    },
                ),
                Resolved::Class(into, canonical) => changed(
                    into,
                    whole && !by_comment && !lead_ws && canonical && scalar == text,
                    resolved_why(into),
                ),
            }
        }
    }
}

fn resolved_why(into: Loaded) -> &'static str {
    match into {
        Loaded::Integer => {
            "YAML 1.1 reads it as an integer (decimal, octal, hex, binary, `_`/`,` separators \
             or base 60)"
        }
        Loaded::Float => "YAML 1.1 reads it as a float",
        Loaded::Symbol => "Psych reads a leading `:` as a Ruby Symbol and drops the colon",
        Loaded::True | Loaded::False => "YAML 1.1 reads it as a boolean (yes/no/on/off/true/false)",
        Loaded::Nil => "YAML reads it as null",
        Loaded::Time => "YAML reads it as a timestamp",
        Loaded::Date => "YAML reads it as a date",
        _ => "YAML reads it as another value",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Prop {
    Anchor,
    Tag,
}
use Prop::{Anchor, Tag};

/// `&name rest` or `!tag rest`: the property, then the node it applies to.
fn anchor_or_tag(t: &str, prop: Prop) -> CableYaml {
    let bad_prop = match prop {
        Anchor => "an `&` anchor YAML cannot read: a syntax error in cable.yml",
        Tag => "a `!` tag YAML cannot read: a syntax error in cable.yml",
    };
    let body = &t[1..];
    let end = match prop {
        Anchor => {
            let n = anchor_len(body);
            if n == 0 {
                return CableYaml::Error(bad_prop);
            }
            n
        }
        Tag => match tag_len(body) {
            Some(n) => n,
            None => return CableYaml::Error(bad_prop),
        },
    };
    let rest = &body[end..];
    let follower_ok = |c: char| is_blank(c) || prop == Anchor && "?:,]}%@`".contains(c);
    if rest.chars().next().is_some_and(|c| !follower_ok(c)) {
        return CableYaml::Error(bad_prop);
    }
    let why = match prop {
        Anchor => "it starts with `&`, which YAML reads as an anchor name",
        Tag => "it starts with `!`, which YAML reads as a type tag",
    };
    let mut inner = rest.trim_start_matches(is_blank);
    // A tag, then an anchor: the anchor changes nothing, the tag applies to what follows it.
    if prop == Tag {
        if let Some((Anchor, _, after)) = property(inner) {
            if let CableYaml::Error(e) = node(inner, false) {
                return CableYaml::Error(e);
            }
            inner = after.trim_start_matches(is_blank);
        }
    }
    let tag = &body[..end];
    let missing_class = prop == Tag && names_a_missing_class(tag);
    let string_tag = prop == Tag && is_string_tag(tag);
    let symbol_tag = prop == Tag && is_symbol_tag(tag);
    let float_tag = prop == Tag && is_float_tag(tag);
    if inner.is_empty() || inner.starts_with('#') {
        if missing_class {
            return CableYaml::Error(MISSING_CLASS);
        }
        if float_tag {
            return CableYaml::Error(FLOAT_TAG);
        }
        let into = if string_tag {
            Loaded::String
        } else if symbol_tag {
            Loaded::Symbol
        } else {
            Loaded::Nil
        };
        return changed(into, false, why);
    }
    if prop == Anchor && inner.starts_with(['&', '*']) || prop == Tag && inner.starts_with('!') {
        return CableYaml::Error(bad_prop);
    }
    match node(inner, false) {
        CableYaml::Error(e) => CableYaml::Error(e),
        CableYaml::Changed { into, .. } if prop == Anchor => changed(into, false, why),
        CableYaml::Kept | CableYaml::Changed { .. } if prop == Anchor => {
            changed(Loaded::String, false, why)
        }
        // A string tag on an empty flow map: Psych builds nothing from it, nil.
        CableYaml::Changed {
            into: Loaded::Hash, ..
        } if string_tag && !missing_class && flow::is_empty_map(inner) => {
            changed(Loaded::Nil, false, why)
        }
        // A string or Ruby object tag on a flow map: Psych builds that object from the map
        // and fails (`!!str {a: b}` has no `str` key to take the text from).
        CableYaml::Changed {
            into: Loaded::Hash, ..
        } if string_tag || missing_class || tags_a_ruby_object(tag) => CableYaml::Error(TAGGED_MAP),
        // Any other tag on a flow collection leaves it a collection.
        CableYaml::Changed {
            into: into @ (Loaded::Array | Loaded::Hash),
            ..
        } => changed(into, false, why),
        _ if missing_class => CableYaml::Error(MISSING_CLASS),
        _ if string_tag => changed(Loaded::String, false, why),
        _ if symbol_tag => changed(Loaded::Symbol, false, why),
        // Any other tag: Psych resolves the scalar's text like a plain one.
        _ => {
            let text = match inner.chars().next() {
                Some('\'' | '"') => quoted_text(inner),
                Some('|' | '>') => Some(String::new()),
                _ => plain_text(inner).map(|(t, _)| t.to_string()),
            };
            match text.as_deref().map(|t| (t, tokenize(t))) {
                Some((t, Resolved::Class(into, _))) if float_tag => float_of(into, Some(t)),
                Some((_, Resolved::Class(into, _))) => changed(into, false, why),
                Some((_, Resolved::Error(e))) => CableYaml::Error(e),
                None if float_tag => CableYaml::Error(FLOAT_TAG),
                None => changed(Loaded::String, false, why),
            }
        }
    }
}

/// True when the tag (after its first `!`) is one Psych's `deserialize` turns into the
/// scalar's text: `tag:yaml.org,2002:str` (`!!str`, or verbatim) and the local
/// `!str`, `!ruby/string` with an optional `:Class`. libyaml decodes `%XX` in tags first.
fn is_string_tag(tag: &str) -> bool {
    string_tag_class(tag) == Some(true)
}

/// A string tag with a `:Class` Psych cannot revive a string as (only `String` works:
/// `resolve_class` raises for an unknown name): Chatwoot does not boot.
fn names_a_missing_class(tag: &str) -> bool {
    string_tag_class(tag) == Some(false)
}

/// For a string tag: whether it makes a plain String (no class, or `:String`); None for any
/// other tag.
fn string_tag_class(tag: &str) -> Option<bool> {
    let name = tag_name(tag);
    if name == "tag:yaml.org,2002:str" {
        return Some(true);
    }
    ["!str", "!ruby/string"].iter().find_map(|local| {
        let after = name.strip_prefix(local)?;
        match after.strip_prefix(':') {
            _ if after.is_empty() => Some(true),
            Some(class) => Some(class == "String"),
            None => None,
        }
    })
}

/// The tag's full name as Psych sees it (the text after the first `!`): `!!x` is
/// `tag:yaml.org,2002:x`, `!<…>` is verbatim, `!x` stays local; `%XX` decoded.
fn tag_name(tag: &str) -> String {
    let decoded = percent_decode(tag);
    if let Some(v) = decoded.strip_prefix('<') {
        v.strip_suffix('>').unwrap_or(v).to_string()
    } else if let Some(suffix) = decoded.strip_prefix('!') {
        format!("tag:yaml.org,2002:{suffix}")
    } else {
        format!("!{decoded}")
    }
}

/// `tag:yaml.org,2002:float` and the local `!float`.
fn is_float_tag(tag: &str) -> bool {
    matches!(tag_name(tag).as_str(), "tag:yaml.org,2002:float" | "!float")
}

/// `!ruby/sym` and `!ruby/symbol` make any scalar a Symbol.
fn is_symbol_tag(tag: &str) -> bool {
    matches!(percent_decode(tag).as_str(), "ruby/sym" | "ruby/symbol")
}

/// `!ruby/object:Class` or `!ruby/struct:Class`: on a map, Psych builds an object of that
/// class (and raises when it does not exist).
fn tags_a_ruby_object(tag: &str) -> bool {
    let t = percent_decode(tag);
    ["ruby/object:", "ruby/struct:"]
        .iter()
        .any(|p| t.strip_prefix(p).is_some_and(|class| !class.is_empty()))
}

/// `%XX` escapes decoded (bytes that are not UTF-8 become U+FFFD).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        if let (b'%', Some(h), Some(l)) = (b[i], hex(i + 1), hex(i + 2)) {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Length of a tag after its `!` (libyaml's `scan_tag`): `<uri>`, a handle (`!` or `!!`;
/// a named `!x!` handle is undefined in cable.yml) and a suffix, or `!` alone.
fn tag_len(body: &str) -> Option<usize> {
    if let Some(verbatim) = body.strip_prefix('<') {
        let close = verbatim.find('>')?;
        let uri = &verbatim[..close];
        if uri.is_empty() || !uri_chars_ok(uri, true) {
            return None;
        }
        return Some(close + 2);
    }
    let word = anchor_len(body);
    let suffix_from = if body[word..].starts_with('!') {
        if word > 0 {
            return None;
        }
        word + 1
    } else {
        0
    };
    let n = body[suffix_from..]
        .find(|c: char| !(is_uri_char(c) || c == '%'))
        .map_or(body.len(), |p| suffix_from + p);
    if !uri_chars_ok(&body[suffix_from..n], false) {
        return None;
    }
    if suffix_from > 0 && n == suffix_from {
        return None;
    }
    Some(n)
}

fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-_;/?:@&=+$.!~*'()".contains(c)
}

fn uri_chars_ok(s: &str, verbatim: bool) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i] as char;
        if c == '%' {
            if i + 2 >= b.len() || !b[i + 1].is_ascii_hexdigit() || !b[i + 2].is_ascii_hexdigit() {
                return false;
            }
            i += 3;
            continue;
        }
        if !(is_uri_char(c) || verbatim && "[],".contains(c)) {
            return false;
        }
        i += 1;
    }
    true
}

/// `|` or `>` with its header: indentation (1-9) and chomping (`+`/`-`) indicators, then
/// blanks and an optional comment. The content is empty (the next line of cable.yml is less
/// indented), so a valid header loads an empty String.
fn block_scalar(header: &str) -> CableYaml {
    let mut chars = header.chars().peekable();
    let (mut chomp, mut digit) = (false, false);
    while let Some(c) = chars.peek().copied() {
        match c {
            '+' | '-' if !chomp => chomp = true,
            '1'..='9' if !digit => digit = true,
            _ => break,
        }
        chars.next();
    }
    let rest: String = chars.collect();
    let rest = rest.trim_start_matches(is_blank);
    if rest.is_empty() || rest.starts_with('#') {
        return changed(
            Loaded::String,
            false,
            "it starts with `|` or `>`, which YAML reads as a block scalar",
        );
    }
    CableYaml::Error("it starts with `|` or `>` and YAML cannot read the block scalar header")
}

/// A single- or double-quoted scalar: a String without the quotes, when only blanks and a
/// comment follow the closing quote.
fn quoted(t: &str, q: char) -> CableYaml {
    let unreadable = "it starts with a quote that YAML cannot close cleanly: a syntax error in \
                      cable.yml";
    let body = &t[1..];
    let mut it = body.char_indices();
    let mut close = None;
    while let Some((i, c)) = it.next() {
        if q == '\'' && c == '\'' {
            if body[i + 1..].starts_with('\'') {
                it.next();
                continue;
            }
            close = Some(i);
            break;
        }
        if q == '"' && c == '\\' {
            let Some((_, e)) = it.next() else {
                return CableYaml::Error(unreadable);
            };
            let hex = match e {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                '0' | 'a' | 'b' | 't' | '\t' | 'n' | 'v' | 'f' | 'r' | 'e' | ' ' | '"' | '/'
                | '\\' | 'N' | '_' | 'L' | 'P' => 0,
                _ => return CableYaml::Error(unreadable),
            };
            for _ in 0..hex {
                match it.next() {
                    Some((_, h)) if h.is_ascii_hexdigit() => {}
                    _ => return CableYaml::Error(unreadable),
                }
            }
            continue;
        }
        if q == '"' && c == '"' {
            close = Some(i);
            break;
        }
    }
    let Some(close) = close else {
        return CableYaml::Error(unreadable);
    };
    let after = &body[close + 1..];
    let rest = after.trim_start_matches(is_blank);
    if rest.is_empty() || rest.starts_with('#') {
        return changed(
            Loaded::String,
            false,
            "it starts with a quote, which YAML removes",
        );
    }
    CableYaml::Error(unreadable)
}

/// The content of a quoted scalar that [`quoted`] accepts (escapes not decoded: only its
/// emptiness matters to the caller).
fn quoted_text(t: &str) -> Option<String> {
    match quoted(t, t.chars().next()?) {
        CableYaml::Error(_) => None,
        _ => {
            let q = t.chars().next()?;
            let body = &t[1..];
            let end = body.rfind(q)?;
            Some(body[..end].to_string())
        }
    }
}

/// Psych's result for a plain scalar: the class, and whether `to_s` of an Integer/Float
/// gives the text back (`canonical`).
enum Resolved {
    Class(Loaded, bool),
    Error(&'static str),
}

/// `Psych::ScalarScanner#tokenize` of Psych 5.1.2 (`strict_integer: false`).
fn tokenize(s: &str) -> Resolved {
    use Resolved::Class;
    if s.is_empty() {
        return Class(Loaded::Nil, false);
    }
    let c: Vec<char> = s.chars().collect();
    // %r{^[^\d.:-]?[[:alpha:]_\s!@#$%\^&*(){}<>|/\\~;=]+} || /\n/
    let word =
        |ch: char| ch.is_alphabetic() || "_ \t\r\n\x0b\x0c!@#$%^&*(){}<>|/\\~;=".contains(ch);
    let starts_word = word(c[0])
        || (!c[0].is_ascii_digit() && !".:-".contains(c[0]) && c.get(1).is_some_and(|x| word(*x)));
    if starts_word || s.contains('\n') {
        if c.len() > 5 {
            return Class(Loaded::String, false);
        }
        let lower = s.to_lowercase();
        // `/^[^ytonf~]/i`, where `^` is also any line's start (a line break there counts).
        let line_starts = std::iter::once(0).chain(
            c.iter()
                .enumerate()
                .filter(|(_, ch)| **ch == '\n')
                .map(|(i, _)| i + 1),
        );
        if line_starts
            .filter_map(|i| c.get(i))
            .any(|ch| !"ytonf~".contains(ch.to_ascii_lowercase()))
        {
            return Class(Loaded::String, false);
        }
        // Ruby's `^` and `$` match at line breaks too: `/^null$/i` finds "null" on any line.
        let any_line = |words: &[&str]| lower.split('\n').any(|l| words.contains(&l));
        return Class(
            if s == "~" || any_line(&["null"]) {
                Loaded::Nil
            } else if any_line(&["yes", "true", "on"]) {
                Loaded::True
            } else if any_line(&["no", "false", "off"]) {
                Loaded::False
            } else {
                Loaded::String
            },
            false,
        );
    }
    if let Some(time) = time_match(&c) {
        return time;
    }
    if let Some(date) = date_match(&c) {
        return Class(date, false);
    }
    let lower = s.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | "+.inf" | "-.inf" | ".nan") {
        return Class(Loaded::Float, false);
    }
    if c[0] == ':' && c.len() >= 2 && c[1] != '\n' {
        return Class(Loaded::Symbol, false);
    }
    if let Some(into) = base60(&c) {
        return Class(into, false);
    }
    if float_match(&c) {
        let bare = c.iter().filter(|x| !",_".contains(**x)).collect::<String>();
        // `.gsub(/\.([Ee]|$)/, '\1')`
        let cleaned = bare.replace(".e", "e").replace(".E", "E");
        let cleaned = cleaned.strip_suffix('.').unwrap_or(&cleaned).to_string();
        if !cleaned
            .split(['e', 'E'])
            .next()
            .is_some_and(|m| m.chars().any(|d| d.is_ascii_digit()))
        {
            return Resolved::Error(
                "YAML 1.1 reads it as a float that Ruby's Float() refuses (Chatwoot does not \
                 boot)",
            );
        }
        let canonical = cleaned
            .parse::<f64>()
            .is_ok_and(|f| ruby_float_to_s(f) == s);
        return Class(Loaded::Float, canonical);
    }
    if let Some(ok) = integer_legacy(&c) {
        if !ok {
            return Resolved::Error(
                "YAML 1.1 reads it as an integer that Ruby's Integer() refuses (Chatwoot does \
                 not boot)",
            );
        }
        let digits = s.strip_prefix('-').unwrap_or(s);
        let canonical = digits.chars().all(|d| d.is_ascii_digit())
            && (digits == "0" && s == "0" || !digits.starts_with('0'));
        return Class(Loaded::Integer, canonical);
    }
    Class(Loaded::String, false)
}

fn digits_at(c: &[char], i: usize, min: usize, max: usize) -> Option<usize> {
    let n = c[i.min(c.len())..]
        .iter()
        .take(max)
        .take_while(|d| d.is_ascii_digit())
        .count();
    (n >= min).then_some(n)
}

fn number(c: &[char]) -> i64 {
    c.iter().fold(0i64, |n, d| {
        n.saturating_mul(10)
            .saturating_add(i64::from(*d as u8 - b'0'))
    })
}

fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0b' | '\x0c')
}

/// TIME = `/^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?
///         (?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/`, then `parse_time`.
fn time_match(c: &[char]) -> Option<Resolved> {
    let mut i = usize::from(c.first() == Some(&'-'));
    let year = digits_at(c, i, 4, 4)?;
    i += year;
    if c.get(i) != Some(&'-') {
        return None;
    }
    let m_at = i + 1;
    let m = digits_at(c, m_at, 1, 2)?;
    i = m_at + m;
    if c.get(i) != Some(&'-') {
        return None;
    }
    let d_at = i + 1;
    let d = digits_at(c, d_at, 1, 2)?;
    i = d_at + d;
    match c.get(i) {
        Some('T' | 't') => i += 1,
        Some(x) if is_ruby_space(*x) => {
            while c.get(i).is_some_and(|x| is_ruby_space(*x)) {
                i += 1;
            }
        }
        _ => return None,
    }
    let h_at = i;
    let h = digits_at(c, i, 1, 2)?;
    i += h;
    if c.get(i) != Some(&':') || digits_at(c, i + 1, 2, 2).is_none() {
        return None;
    }
    let mi_at = i + 1;
    i += 3;
    if c.get(i) != Some(&':') || digits_at(c, i + 1, 2, 2).is_none() {
        return None;
    }
    let s_at = i + 1;
    i += 3;
    if c.get(i) == Some(&'.') {
        let n = digits_at(c, i + 1, 0, usize::MAX).unwrap_or(0);
        i += 1 + n;
    }
    // Optional zone; the regex backtracks, so try "zone at i" then "nothing".
    let zone_start = {
        let mut j = i;
        while c.get(j).is_some_and(|x| is_ruby_space(*x)) {
            j += 1;
        }
        j
    };
    // Where the zone starts (it runs to the end).
    let mut zone: Option<usize> = None;
    if i < c.len() {
        let j = zone_start;
        let ok_end = |k: usize| k == c.len();
        if c.get(j) == Some(&'Z') && ok_end(j + 1) {
            zone = Some(j);
        } else if matches!(c.get(j), Some('+' | '-')) {
            // [-+]\d{1,2}:?(?:\d\d)?$ with backtracking: try every split.
            let rest = &c[j + 1..];
            // (A lone trailing `:` after the hour digits is the `:?` matching it.)
            let matched = (1..=2).any(|hd| {
                rest.len() >= hd && rest[..hd].iter().all(char::is_ascii_digit) && {
                    let r = &rest[hd..];
                    let r = r.strip_prefix(&[':']).unwrap_or(r);
                    r.is_empty() || r.len() == 2 && r.iter().all(char::is_ascii_digit)
                }
            });
            if !matched {
                return None;
            }
            zone = Some(j);
        } else {
            return None;
        }
    }
    // parse_time: date, time = string.split(/[ tT]/, 2)
    let error = Some(Resolved::Error(
        "it looks like a YAML timestamp that Psych fails to parse (Chatwoot does not boot)",
    ));
    // No ` `, `t` or `T` at all (a tab between date and clock): `time` is nil, and
    // `time.match` raises NoMethodError, which Psych does not rescue.
    let Some(sep) = c.iter().position(|x| matches!(x, ' ' | 't' | 'T')) else {
        return error;
    };
    // Where the split falls after the date/time separator (a tab or other space before a
    // later ` `), the `time` part may hold no clock: `md` is nil and `md[1]` raises.
    if !has_clock(&c[sep + 1..]) {
        return error;
    }
    let num = |at: usize, n: usize| number(&c[at..at + n]);
    let (mo, da, hh) = (num(m_at, m), num(d_at, d), num(h_at, h));
    let (mm, ss) = (num(mi_at, 2), num(s_at, 2));
    let string = Some(Resolved::Class(Loaded::String, false));
    // Time.utc's ranges (day up to 31 in any month; 24:00:00 and second 60 allowed).
    if !(1..=12).contains(&mo)
        || !(1..=31).contains(&da)
        || hh > 24
        || mm > 59
        || ss > 60
        || hh == 24 && (mm > 0 || ss > 0)
    {
        return string;
    }
    if let Some(zs) = zone {
        if c[zs] != 'Z' {
            // /^([+\-]?\d{1,2})\:?(\d{1,2})?$/ on the zone text matched by `[-+]\d+(:\d\d)?`.
            let z: Vec<char> = c[zs + 1..].iter().copied().filter(|x| *x != ':').collect();
            let (hz, mz) = match z.len() {
                1 | 2 => (number(&z), 0),
                3 => (number(&z[..2]), number(&z[2..])),
                _ => (number(&z[..2]), number(&z[2..4])),
            };
            if hz * 3600 + mz * 60 >= 86_400 {
                return string;
            }
        }
    }
    Some(Resolved::Class(Loaded::Time, false))
}

fn has_clock(t: &[char]) -> bool {
    // /(\d+:\d+:\d+)/ anywhere
    let s: String = t.iter().collect();
    s.split(|ch: char| !ch.is_ascii_digit() && ch != ':')
        .any(|run| {
            run.split(':').filter(|p| !p.is_empty()).count() >= 3
                && run
                    .split(':')
                    .collect::<Vec<_>>()
                    .windows(3)
                    .any(|w| w.iter().all(|p| !p.is_empty()))
        })
}

/// `/^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/`, then `Date.strptime(s, '%F',
/// Date::GREGORIAN)` (an invalid date stays a String).
fn date_match(c: &[char]) -> Option<Loaded> {
    if c.len() < 8 || c.len() > 10 || !c[..4].iter().all(char::is_ascii_digit) || c[4] != '-' {
        return None;
    }
    let rest = &c[5..];
    let dash = rest.iter().position(|x| *x == '-')?;
    let (m, d) = (&rest[..dash], &rest[dash + 1..]);
    let two_or_one = |p: &[char]| (1..=2).contains(&p.len()) && p.iter().all(char::is_ascii_digit);
    if !two_or_one(m) || !two_or_one(d) {
        return None;
    }
    let (mo, da) = (number(m), number(d));
    // The month alternatives: 1[012] | 0\d | \d; the day: [12]\d | 3[01] | 0\d | \d.
    if m.len() == 2 && m[0] != '0' && !(m[0] == '1' && "012".contains(m[1])) {
        return None;
    }
    if d.len() == 2 && !("012".contains(d[0]) || d[0] == '3' && "01".contains(d[1])) {
        return None;
    }
    let year = number(&c[..4]);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => 0,
    };
    Some(if da >= 1 && da <= days {
        Loaded::Date
    } else {
        Loaded::String
    })
}

/// Base 60: `/^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$/` (Integer) and the same with
/// `\.[0-9_]*` at the end (Float).
fn base60(c: &[char]) -> Option<Loaded> {
    let mut i = usize::from(matches!(c.first(), Some('+' | '-')));
    if !c.get(i).is_some_and(char::is_ascii_digit) {
        return None;
    }
    while c.get(i).is_some_and(|x| x.is_ascii_digit() || *x == '_') {
        i += 1;
    }
    let mut groups = 0;
    while c.get(i) == Some(&':') {
        let n = c[i + 1..]
            .iter()
            .take(2)
            .take_while(|x| x.is_ascii_digit())
            .count();
        let ok = match n {
            1 => true,
            2 => ('0'..='5').contains(&c[i + 1]),
            _ => false,
        };
        if !ok {
            return None;
        }
        // `[0-5]?[0-9]` with one digit when the second digit is not allowed as a first.
        i += 1 + n;
        groups += 1;
    }
    if !(1..=2).contains(&groups) {
        return None;
    }
    if i == c.len() {
        return Some(Loaded::Integer);
    }
    if c[i] == '.' && c[i + 1..].iter().all(|x| x.is_ascii_digit() || *x == '_') {
        return Some(Loaded::Float);
    }
    None
}

/// FLOAT = `/^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?)$/`, minus `/\A[-+]?\.\Z/`.
fn float_match(c: &[char]) -> bool {
    let mut i = usize::from(matches!(c.first(), Some('+' | '-')));
    let sign = i;
    if c.get(i).is_some_and(char::is_ascii_digit) {
        while c
            .get(i)
            .is_some_and(|x| x.is_ascii_digit() || *x == '_' || *x == ',')
        {
            i += 1;
        }
    }
    if c.get(i) != Some(&'.') {
        return false;
    }
    let dot = i;
    i += 1;
    while c.get(i).is_some_and(char::is_ascii_digit) {
        i += 1;
    }
    if matches!(c.get(i), Some('e' | 'E')) {
        if !matches!(c.get(i + 1), Some('+' | '-')) {
            return false;
        }
        let n = c[(i + 2).min(c.len())..]
            .iter()
            .take_while(|x| x.is_ascii_digit())
            .count();
        if n == 0 {
            return false;
        }
        i += 2 + n;
    }
    i == c.len() && !(dot == sign && c.len() == sign + 1)
}

/// INTEGER_LEGACY; `Some(false)` when it matches but `Integer()` of the text without `,`/`_`
/// raises (`0x_`, `0b,`).
fn integer_legacy(c: &[char]) -> Option<bool> {
    let i = usize::from(matches!(c.first(), Some('+' | '-')));
    let b = &c[i..];
    let all = |s: &[char], f: &dyn Fn(char) -> bool| !s.is_empty() && s.iter().all(|x| f(*x));
    let sep = |x: char| x == '_' || x == ',';
    if b.len() >= 2 && b[0] == '0' && b[1] == 'b' {
        let d = &b[2..];
        if all(d, &|x| x == '0' || x == '1' || sep(x)) {
            return Some(d.iter().any(|x| !sep(*x)));
        }
    }
    if b.len() >= 2 && b[0] == '0' && b[1] == 'x' {
        let d = &b[2..];
        if all(d, &|x| x.is_ascii_hexdigit() || sep(x)) {
            return Some(d.iter().any(|x| !sep(*x)));
        }
    }
    if b.len() >= 2 && b[0] == '0' && all(&b[1..], &|x| ('0'..='7').contains(&x) || sep(x)) {
        return Some(true);
    }
    if b == ['0'] {
        return Some(true);
    }
    // [1-9](?:[0-9]|,[0-9]|_[0-9])*
    if b.first().is_some_and(|x| ('1'..='9').contains(x)) {
        let mut j = 1;
        while j < b.len() {
            if b[j].is_ascii_digit() {
                j += 1;
            } else if sep(b[j]) && b.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 2;
            } else {
                return None;
            }
        }
        return Some(true);
    }
    None
}

/// Ruby's `Float#to_s`.
fn ruby_float_to_s(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    let decpt = exp + 1;
    let n = digits.len() as i32;
    let body = if f == 0.0 {
        "0.0".to_string()
    } else if 0 < decpt && decpt <= 16 {
        if n <= decpt {
            format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
        } else {
            let (a, b) = digits.split_at(decpt as usize);
            format!("{a}.{b}")
        }
    } else if -4 < decpt && decpt <= 0 {
        format!("0.{}{digits}", "0".repeat((-decpt) as usize))
    } else {
        let (a, b) = digits.split_at(1);
        let b = if b.is_empty() { "0" } else { b };
        let e = decpt - 1;
        format!("{a}.{b}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    };
    format!("{sign}{body}")
}

/// True for inputs where the Psych 4 of Ruby 3.1 resolves differently from Psych 5.1.2: dates
/// before the Gregorian reform (Psych 4 parses them with the Julian calendar).
pub fn psych4_differs(password: &str) -> bool {
    let c: Vec<char> = password.chars().collect();
    date_match(&c).is_some() && number(&c[..4]) < 1583
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The class loaded, or `None` when Psych raises.
    pub(super) fn class(pw: &str) -> Option<Loaded> {
        match cable_yaml(pw) {
            CableYaml::Kept => Some(Loaded::String),
            CableYaml::Changed { into, .. } => Some(into),
            CableYaml::Error(_) => None,
        }
    }

    #[test]
    fn generated_and_common_passwords_are_kept() {
        for pw in [
            "9aBcDeFgHiJk",
            "Abc123",
            "a,b",
            "a]",
            "a:b",
            "-a",
            "?a",
            "x$(",
            "a\tb",
        ] {
            assert_eq!(cable_yaml(pw), CableYaml::Kept, "{pw:?}");
        }
    }

    #[test]
    fn lines_at_the_keys_indentation_are_more_keys_of_cable_yml() {
        // Each as the installed Psych reads it (the readers tests ask it the same).
        use Loaded::*;
        for (pw, want) in [
            ("a\n  b: c", Some(String)),
            ("a\n  b:", Some(String)),
            ("a\n  b:\n    c: d", Some(String)),
            ("a\n  b: c\n   d", Some(String)),
            ("a\n   x\n  b: c", Some(String)),
            ("a\n  b c: d", Some(String)),
            ("a\n  b#x: c", Some(String)),
            ("\n  b: c", Some(Nil)),
            ("&a\n  b: c", Some(Nil)),
            ("!!str\n  b: c", Some(String)),
            ("|\n  b: c", Some(String)),
            ("|\n\n  # c\n  b: c", Some(String)),
            ("|\n  # c\n  # d", Some(String)),
            ("1\n  b: c", Some(Integer)),
            ("a\n  password: 1", Some(Integer)),
            ("a\n  b: c\n  password: yes", Some(True)),
            ("a\n  password: x\n   y", Some(String)),
            ("a\n  b: &x 1\n  password: *x", Some(Integer)),
            ("a\n  b: &x\n  password: *x", Some(Nil)),
            ("&a 1\n  password: *a", Some(Integer)),
            ("a\n  b: &x c\n  d: *x", Some(String)),
            ("\n  - b", Some(Array)),
            ("!a\n  - b", Some(Array)),
            ("\n  - b\n  c: d", Some(Array)),
            ("a\n  b:\n  - x\n  c: d", Some(String)),
            ("a\n  b: c\n d", None),
            ("a\n  b", None),
            ("a\n  - b", None),
            ("a\n  b: [", None),
            ("a\n  b: c: d", None),
            ("a\n  b:c", None),
            ("a\n  b :c", None),
            ("a\n  b #x: c", None),
            ("a\n  \tb: c", None),
            ("a\n  password: *y", None),
            ("'a\n  b: c", None),
            ("[a\n  b: c", None),
            ("|\n  b", None),
            ("|\n  # c\n   x", None),
            ("|\n   x\n  # c\n   y", None),
        ] {
            assert_eq!(class(pw), want, "{pw:?}");
        }
    }

    #[test]
    fn properties_and_the_node_after_them() {
        use Loaded::*;
        for (pw, want) in [
            // Properties before a plain scalar that goes on below: the folded scalar's.
            ("&a 1\n   x", Some(String)),
            ("!!str 1\n   2", Some(String)),
            ("!a yes\n   no", Some(String)),
            // One node, two anchors or two tags: a syntax error.
            ("&a\n       &b", None),
            ("!a\n       !b\n       c", None),
            ("!a &b\n       &c", None),
            ("&a\n       &b !c\n       1", None),
            ("&a\n       !b", Some(Nil)),
            ("!a\n       &b c", Some(String)),
        ] {
            assert_eq!(class(pw), want, "{pw:?}");
        }
    }

    #[test]
    fn a_float_tag_reads_the_text_with_rubys_float() {
        use Loaded::*;
        for (pw, want) in [
            ("!!float 1", Some(Float)),
            ("!float 1", Some(Float)),
            ("!<tag:yaml.org,2002:float> 1", Some(Float)),
            ("&a !!float 1", Some(Float)),
            ("!!float 1e5", Some(Float)),
            ("!!float 0x1A", Some(Float)),
            ("!!float 12:30", Some(Float)),
            ("!!float \"1\"", Some(Float)),
            ("!!float [1]", Some(Array)),
            ("!!float\n   1", Some(Float)),
            ("!!float abc", None),
            ("!!float yes", None),
            ("!!float", None),
            ("!!float ~", None),
            ("!!float :a", None),
            ("!!float 2024-01-01", None),
            ("!!float 1\n   5", None),
        ] {
            assert_eq!(class(pw), want, "{pw:?}");
        }
        // Ruby 3.3's Float() on each (ruby -e 'Float(ARGV[0])').
        for ok in [
            "1e5", ".5", "1_0e5", "0x1.8p1", "0x1A", " 1e5 ", "1e+5", "1E5", "+1e5", "-.5",
            "1_000", "1e5_0", "+0x1", "0e0", "1e5\n",
        ] {
            assert!(ruby_float_parses(ok), "{ok:?}");
        }
        for bad in [
            "1.", "1.e5", "1e_5", "0x", "0x_1", "Infinity", "1__0", "_1", "1_", "0b1", "0o7",
            "0x1_A", "0x1p", "1 e5", "1,0", "0x1.", "0.x1", "00x1", "1e0x1", "", "e5",
        ] {
            assert!(!ruby_float_parses(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_tab_between_date_and_clock_then_a_space_leaves_psych_no_clock() {
        // `string.split(/[ tT]/, 2)` splits at the later space: the time part has no clock,
        // and Psych raises NoMethodError (asked of Ruby 3.3 with the readers' script).
        assert_eq!(class("2024-01-15\t10:00:00 Z"), None);
        assert_eq!(class("2024-01-15\t10:00:00 +01:00"), None);
        assert_eq!(class("2024-01-15 \t10:00:00"), Some(Loaded::Time));
    }

    #[test]
    fn yaml_1_1_types() {
        assert_eq!(class(":abc1"), Some(Loaded::Symbol));
        assert_eq!(class("nO"), Some(Loaded::False));
        assert_eq!(class("tRUE"), Some(Loaded::True));
        assert_eq!(class("nULL"), Some(Loaded::Nil));
        assert_eq!(class("190:20:30"), Some(Loaded::Integer));
        assert_eq!(class("2001-12-14"), Some(Loaded::Date));
        assert_eq!(class("2001-02-29"), Some(Loaded::String));
        assert_eq!(class("2001-12-14t21:59:43.10-05:00"), Some(Loaded::Time));
        assert_eq!(class("0x_"), None);
        assert_eq!(class(",a"), None);
        assert_eq!(class("]a"), None);
        assert_eq!(class("}a"), None);
        assert_eq!(class("a: b"), None);
        assert_eq!(class("a #b"), Some(Loaded::String));
        assert_eq!(class("[a]"), Some(Loaded::Array));
    }

    #[test]
    fn a_colon_alone_on_a_continuation_line_and_a_tagged_empty_quote() {
        // Checked with the installed Psych, as the readers tests check the sweep.
        assert_eq!(class("\n  :"), None);
        assert_eq!(class("\n :"), None);
        assert_eq!(class("! ''"), Some(Loaded::Nil));
        assert_eq!(class("! \"\""), Some(Loaded::Nil));
        assert_eq!(class("! 'a'"), Some(Loaded::String));
        assert_eq!(class("! '12'"), Some(Loaded::Integer));
    }

    #[test]
    fn psych_4_differs_only_on_dates_before_the_gregorian_reform() {
        for pw in ["1582-10-10", "1500-02-29", "0001-01-01", "1582-12-31"] {
            assert!(psych4_differs(pw), "{pw}");
        }
        // A month or day the date pattern refuses is a String in both.
        for pw in [
            "1583-01-01",
            "2001-12-14",
            "1582-10-10x",
            "abc",
            "1500-13-01",
            "1500-20-01",
            "1500-01-32",
            "1500-01-40",
        ] {
            assert!(!psych4_differs(pw), "{pw}");
        }
    }

    #[test]
    fn flow_collections_read_as_psych_reads_them() {
        // Each checked with the installed Psych (`YAML.unsafe_load`), as the readers tests
        // check the whole sweep.
        let array = [
            "[ ? a]",
            "[?a]",
            "[ ? a: b]",
            "['a']",
            "[ 'a']",
            "[\"a\"]",
            "[ \"a\" , b]",
            "['a' ]",
            "[ 'a', 'b']",
            "['it''s']",
            "[\"a\\\"b\"]",
            "[ &a x]",
            "[ !b x]",
            "[&a]",
            "[&a ]",
            "[!a ]",
            "[&a, b]",
            "[!a, b]",
            "[! ]",
            "[a'b]",
            "[a#b]",
            "['a\\']",
            "[\"a\\\\\"]",
            "['a]']",
            "[a!b]",
            "[&a , b]",
            "[\"ab\\\"c\"]",
        ];
        for pw in array {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
        for pw in ["{ 'a': b}", "{&a}", "{!a: b}", "{? a}", "{ ? }", "{?}"] {
            assert_eq!(class(pw), Some(Loaded::Hash), "{pw:?}");
        }
        let errors = [
            "[:a]",
            "[ :a]",
            "[a, :b]",
            "{:a}",
            "{ :a }",
            "[ ? ]",
            "[?]",
            "[? ]",
            "['a'b]",
            "[\"a\"b]",
            "[ *a]",
            "[??]",
            "[?? a]",
            "[?\t]",
            "[!a]",
            "[& ]",
            "[&]",
            "{&}",
            "[a #b]",
            "['a",
            "[\"a\\\"]",
        ];
        for pw in errors {
            assert!(matches!(cable_yaml(pw), CableYaml::Error(_)), "{pw:?}");
        }
    }

    #[test]
    fn each_changed_value_says_what_yaml_reads_it_as() {
        for (pw, into, says) in [
            ("0777", Loaded::Integer, "as an integer"),
            ("1.5", Loaded::Float, "as a float"),
            (":abc1", Loaded::Symbol, "Ruby Symbol"),
            ("yes", Loaded::True, "as a boolean"),
            ("off", Loaded::False, "as a boolean"),
            ("~", Loaded::Nil, "as null"),
            (
                "2001-12-14t21:59:43.10-05:00",
                Loaded::Time,
                "as a timestamp",
            ),
            ("2001-12-14", Loaded::Date, "as a date"),
            ("[a]", Loaded::Array, "list or map"),
        ] {
            match cable_yaml(pw) {
                CableYaml::Changed { into: got, why, .. } => {
                    assert_eq!(got, into, "{pw:?}");
                    assert!(why.contains(says), "{pw:?}: {why}");
                }
                other => panic!("{pw:?}: {other:?}"),
            }
        }
        assert_eq!(Loaded::True.ruby_class(), "TrueClass");
        assert_eq!(Loaded::Nil.ruby_class(), "NilClass");
    }

    #[test]
    fn calendar_dates_follow_month_lengths_and_leap_years() {
        for (date, into) in [
            ("2024-04-30", Loaded::Date),
            ("2024-04-31", Loaded::String),
            ("2024-06-31", Loaded::String),
            ("2024-09-31", Loaded::String),
            ("2024-11-31", Loaded::String),
            ("2024-12-31", Loaded::Date),
            ("2024-02-29", Loaded::Date),
            ("2023-02-29", Loaded::String),
            ("1900-02-29", Loaded::String),
            ("2000-02-29", Loaded::Date),
            ("2024-2-28", Loaded::Date),
            ("2024-02-30", Loaded::String),
        ] {
            assert_eq!(class(date), Some(into), "{date}");
        }
    }

    #[test]
    fn a_timestamp_split_only_by_a_tab_fails_in_psych() {
        // The TIME pattern takes any space; parse_time splits on ` `, `t` or `T` only.
        assert_eq!(class("2024-01-01\t10:00:00"), None);
        assert_eq!(class("2024-01-01 10:00:00"), Some(Loaded::Time));
    }

    #[test]
    fn tags_resolve_as_psych_deserializes_them() {
        assert_eq!(class("!!str"), Some(Loaded::String));
        assert_eq!(class("!<tag:yaml.org,2002:str>"), Some(Loaded::String));
        assert_eq!(class("!!%73tr"), Some(Loaded::String));
        assert_eq!(class("!str:String x"), Some(Loaded::String));
        assert_eq!(class("!str:Foo"), None);
        assert_eq!(class("!ruby/string:Foo x"), None);
        assert_eq!(class("!ruby/string x"), Some(Loaded::String));
        assert_eq!(class("!!strx"), Some(Loaded::Nil));
        assert_eq!(class("!strange 1"), Some(Loaded::Integer));
        assert_eq!(class("!!str 1"), Some(Loaded::String));
        assert_eq!(class("! [1]"), Some(Loaded::Array));
        assert_eq!(class("!a {a: 1}"), Some(Loaded::Hash));
        assert_eq!(class("!!str [1]"), Some(Loaded::Array));
    }

    #[test]
    fn a_value_may_start_on_the_next_line() {
        for (pw, into) in [
            ("&a\n       b", Some(Loaded::String)),
            ("&a\n       yes", Some(Loaded::True)),
            ("#a\n       b: c", Some(Loaded::Hash)),
            ("!a\n        - b", Some(Loaded::Array)),
            ("!a\n       #b", Some(Loaded::Nil)),
            ("!!str\n       1", Some(Loaded::String)),
            ("|\n       b: c", Some(Loaded::String)),
            (">\n\n       b", Some(Loaded::String)),
            ("|\n b", None),
            ("&a\n b", None),
            ("1\n       #b", Some(Loaded::Integer)),
            ("a #b\n       #b", Some(Loaded::String)),
            ("a #b\n       c", None),
            (":a\n\n       b", Some(Loaded::String)),
            ("yes\n\n       b", Some(Loaded::String)),
            ("yes\n       no", Some(Loaded::String)),
            // After a quoted or flow node only comments may follow.
            ("\"a\"\n# c", Some(Loaded::String)),
            ("'a'\n\n       # c", Some(Loaded::String)),
            ("[a]\n  # c", Some(Loaded::Array)),
            ("\"a\"\n       b", None),
        ] {
            assert_eq!(class(pw), into, "{pw:?}");
        }
    }

    #[test]
    fn numbers_that_the_client_still_sends_unchanged() {
        assert!(cable_yaml("12345").sends_same());
        assert!(cable_yaml("1.0e+20").sends_same());
        assert!(cable_yaml("10.5").sends_same());
        assert!(!cable_yaml("010").sends_same());
        assert!(!cable_yaml("450.00").sends_same());
        assert!(!cable_yaml("+1").sends_same());
        assert_eq!(ruby_float_to_s(1e15), "1000000000000000.0");
        assert_eq!(ruby_float_to_s(1e16), "1.0e+16");
        assert_eq!(ruby_float_to_s(0.0001), "0.0001");
        assert_eq!(ruby_float_to_s(0.00001), "1.0e-05");
        assert_eq!(ruby_float_to_s(f64::INFINITY), "Infinity");
        assert_eq!(ruby_float_to_s(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(ruby_float_to_s(f64::NAN), "NaN");
    }

    /// What Ruby's Psych loads (checked with `YAML.unsafe_load`): a zone offset of a whole day
    /// or more is no time of day, so the scalar stays a String.
    #[test]
    fn zone_offsets_of_a_day_or_more_keep_the_timestamp_a_string() {
        for (text, loaded) in [
            ("2001-12-14 21:59:43 +24:00", Loaded::String),
            ("2001-12-14 21:59:43 -24", Loaded::String),
            ("2001-12-14 21:59:43 +2400", Loaded::String),
            ("2001-12-14 21:59:43 +23:60", Loaded::String),
            ("2001-12-14t21:59:43.10+24:00", Loaded::String),
            ("2001-12-14 21:59:43 +23:59", Loaded::Time),
            ("2001-12-14 21:59:43 +23", Loaded::Time),
            ("2001-12-14 21:59:43 +0000", Loaded::Time),
        ] {
            assert_eq!(class(text), Some(loaded), "{text:?}");
        }
    }

    /// A block scalar header takes one chomping and one indentation indicator, in either
    /// order; a second of either is a syntax error (as Psych says).
    #[test]
    fn block_scalar_headers_take_each_indicator_once() {
        for ok in ["|+", "|-", "|2+", "|+2", "|-1", ">+"] {
            assert!(class(ok).is_some(), "{ok:?} loads");
        }
        for bad in ["|+-", "|++", ">--", "|22"] {
            assert_eq!(class(bad), None, "{bad:?} is a syntax error");
        }
    }
}
