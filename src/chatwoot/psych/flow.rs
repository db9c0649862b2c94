//! A flow collection (`[…]` or `{…}`) on the `password:` line, read as libyaml 0.2.5 scans and
//! parses it and Psych loads it.
//!
//! The scanner follows libyaml's token rules in flow context: `?` and `:` are always
//! indicators, a plain scalar stops at `,[]{}` and at `: `, a `:` inside one followed by one of
//! `,?[]{}` is an error, anchors end at a blank or one of `?:,]}%@` and a backtick, tags at a
//! blank or `,`, and a comment or the end of the line leaves the collection open (the lines of
//! cable.yml after `password:` never close it). A node followed by `:` on the same line, within
//! 1024 characters, is a simple key. The parser follows libyaml's flow sequence and mapping
//! states. Each scalar, with its properties, is then judged as the rest of this module judges
//! a node (a timestamp Psych fails to parse, a tag naming a missing class), and an alias must
//! name an anchor set before it.

use super::{
    anchor_len, changed, is_blank, is_string_tag, names_a_missing_class, node, tag_len,
    tags_a_ruby_object, tokenize, CableYaml, Loaded, Resolved, TAGGED_MAP,
};

const NOT_VALID: &str = "it starts with `[` or `{`, which YAML reads as a list or map, and this \
                         one is not valid YAML (or does not close): a syntax error in cable.yml";
const READ_AS: &str = "it starts with `[` or `{`, which YAML reads as a list or map";
const BAD_ALIAS: &str =
    "it holds a `*` alias to an anchor set nowhere before it: Psych raises and Chatwoot does not \
     boot";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    SeqStart,
    SeqEnd,
    MapStart,
    MapEnd,
    Entry,
    Key,
    Value,
    BlockEntry,
    Alias,
    Anchor,
    Tag,
    Scalar,
}

/// A token and where it is in the text (byte offsets).
#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Tok,
    start: usize,
    end: usize,
}

/// The verdict for `t`, which starts with `[` or `{`.
pub(super) fn flow(t: &str) -> CableYaml {
    let Some(scanned) = scan(t) else {
        return CableYaml::Error(NOT_VALID);
    };
    let mut p = Parser {
        t,
        tokens: &scanned.tokens,
        at: 0,
        anchors: Vec::new(),
        rest_clean: scanned.rest_clean,
    };
    let into = match p.node() {
        // Anything after the collection (a token the scanner gave, or text it stopped at)
        // breaks cable.yml's mapping.
        Ok(Some(into)) if p.at == scanned.tokens.len() && p.rest_clean => into,
        Ok(_) => return CableYaml::Error(NOT_VALID),
        Err(why) => return CableYaml::Error(why),
    };
    changed(into, false, READ_AS)
}

/// True when `t` is an empty flow mapping (`{}`, blanks inside, a comment after).
pub(super) fn is_empty_map(t: &str) -> bool {
    scan(t).is_some_and(|s| {
        s.rest_clean
            && matches!(s.tokens[..], [a, b] if a.kind == Tok::MapStart && b.kind == Tok::MapEnd)
    })
}

fn blank_or_end(c: Option<char>) -> bool {
    c.is_none_or(is_blank)
}

/// What libyaml's scanner gives for the line from the opening bracket.
struct Scanned {
    tokens: Vec<Token>,
    /// False when text other than blanks, a comment, `]`, `}` or `,` follows the point where
    /// the brackets balance (the scanner is back in block context there, and the parser
    /// decides whether the collection took those closing tokens).
    rest_clean: bool,
}

/// libyaml's scanner from the opening bracket until the brackets balance, then the closing
/// brackets and commas that follow (still tokens at flow level 0); `None` on a scanner error
/// or when the line ends inside the collection.
fn scan(t: &str) -> Option<Scanned> {
    let chars: Vec<(usize, char)> = t.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|(_, c)| *c);
    let byte = |k: usize| chars.get(k).map_or(t.len(), |(b, _)| *b);
    let mut tokens: Vec<Token> = Vec::new();
    // One simple-key slot per flow level (the token index and character position of a node
    // that may still become a key); level 0 is the block mapping, where after `password: `
    // no simple key is allowed.
    let mut keys: Vec<Option<(usize, usize)>> = vec![None];
    let mut allowed = false;
    let mut k = 0;
    loop {
        while at(k).is_some_and(is_blank) {
            k += 1;
        }
        // A comment runs to the end of the line, and so does an open collection.
        let c = at(k)?;
        if c == '#' {
            return None;
        }
        for key in keys.iter_mut() {
            if key.is_some_and(|(_, pos)| pos + 1024 < k) {
                *key = None;
            }
        }
        let start = byte(k);
        let save_key = |keys: &mut Vec<Option<(usize, usize)>>, allowed: bool, n: usize| {
            if allowed {
                if let Some(top) = keys.last_mut() {
                    *top = Some((n, k));
                }
            }
        };
        let kind = match c {
            '[' | '{' => {
                save_key(&mut keys, allowed, tokens.len());
                keys.push(None);
                allowed = true;
                k += 1;
                if c == '[' {
                    Tok::SeqStart
                } else {
                    Tok::MapStart
                }
            }
            ']' | '}' => {
                keys.pop();
                allowed = false;
                k += 1;
                let kind = if c == ']' { Tok::SeqEnd } else { Tok::MapEnd };
                tokens.push(Token {
                    kind,
                    start,
                    end: byte(k),
                });
                if keys.len() == 1 {
                    return Some(after_balance(t, &chars, k, tokens));
                }
                continue;
            }
            ',' => {
                *keys.last_mut()? = None;
                allowed = true;
                k += 1;
                Tok::Entry
            }
            '-' if blank_or_end(at(k + 1)) => {
                *keys.last_mut()? = None;
                allowed = true;
                k += 1;
                Tok::BlockEntry
            }
            '?' => {
                *keys.last_mut()? = None;
                allowed = false;
                k += 1;
                Tok::Key
            }
            ':' => {
                if let Some((n, pos)) = keys.last_mut()?.take() {
                    tokens.insert(
                        n,
                        Token {
                            kind: Tok::Key,
                            start: byte(pos),
                            end: byte(pos),
                        },
                    );
                }
                allowed = false;
                k += 1;
                Tok::Value
            }
            '*' | '&' => {
                save_key(&mut keys, allowed, tokens.len());
                allowed = false;
                let n = anchor_len(&t[byte(k + 1)..]);
                k += 1 + n;
                let follows = at(k);
                if n == 0
                    || !(blank_or_end(follows) || follows.is_some_and(|f| "?:,]}%@`".contains(f)))
                {
                    return None;
                }
                if c == '*' {
                    Tok::Alias
                } else {
                    Tok::Anchor
                }
            }
            '!' => {
                save_key(&mut keys, allowed, tokens.len());
                allowed = false;
                let body = &t[byte(k + 1)..];
                let n = tag_len(body)?;
                let end = byte(k + 1) + n;
                k = chars
                    .iter()
                    .position(|(b, _)| *b >= end)
                    .unwrap_or(chars.len());
                if !(blank_or_end(at(k)) || at(k) == Some(',')) {
                    return None;
                }
                Tok::Tag
            }
            '\'' | '"' => {
                save_key(&mut keys, allowed, tokens.len());
                allowed = false;
                let mut j = k + 1;
                loop {
                    match at(j)? {
                        '\\' if c == '"' => j += 2,
                        '\'' if c == '\'' && at(j + 1) == Some('\'') => j += 2,
                        q if q == c => break,
                        _ => j += 1,
                    }
                }
                k = j + 1;
                Tok::Scalar
            }
            '|' | '>' | '%' | '@' | '`' => return None,
            _ => {
                save_key(&mut keys, allowed, tokens.len());
                allowed = false;
                let mut end = k;
                let mut j = k;
                loop {
                    if at(j) == Some('#') {
                        break;
                    }
                    while let Some(ch) = at(j).filter(|ch| !is_blank(*ch)) {
                        let next = at(j + 1);
                        if ch == ':' && next.is_some_and(|n| ",?[]{}".contains(n)) {
                            return None;
                        }
                        if ch == ':' && blank_or_end(next) || ",[]{}".contains(ch) {
                            break;
                        }
                        j += 1;
                        end = j;
                    }
                    if !at(j).is_some_and(is_blank) {
                        break;
                    }
                    while at(j).is_some_and(is_blank) {
                        j += 1;
                    }
                }
                tokens.push(Token {
                    kind: Tok::Scalar,
                    start,
                    end: byte(end),
                });
                k = end;
                continue;
            }
        };
        tokens.push(Token {
            kind,
            start,
            end: byte(k),
        });
    }
}

/// The tokens libyaml still takes at flow level 0 after the brackets balanced at `k`: `]`,
/// `}` and `,` (the level stays 0), up to the end of the line, a comment or other text.
fn after_balance(
    t: &str,
    chars: &[(usize, char)],
    mut k: usize,
    mut tokens: Vec<Token>,
) -> Scanned {
    loop {
        while chars.get(k).is_some_and(|(_, c)| is_blank(*c)) {
            k += 1;
        }
        let Some(&(start, c)) = chars.get(k) else {
            return Scanned {
                tokens,
                rest_clean: true,
            };
        };
        let kind = match c {
            '#' => {
                return Scanned {
                    tokens,
                    rest_clean: true,
                }
            }
            ']' => Tok::SeqEnd,
            '}' => Tok::MapEnd,
            ',' => Tok::Entry,
            _ => {
                return Scanned {
                    tokens,
                    rest_clean: false,
                }
            }
        };
        k += 1;
        let end = chars.get(k).map_or(t.len(), |(b, _)| *b);
        tokens.push(Token { kind, start, end });
    }
}

/// libyaml's flow parser states over the tokens, then Psych's loading of each node.
struct Parser<'a> {
    t: &'a str,
    tokens: &'a [Token],
    at: usize,
    /// Anchor names set so far (Psych registers a collection before its children).
    anchors: Vec<&'a str>,
    /// From the scanner: nothing but closing tokens after the brackets balance.
    rest_clean: bool,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<Tok> {
        self.tokens.get(self.at).map(|t| t.kind)
    }

    fn text(&self, t: &Token) -> &'a str {
        &self.t[t.start..t.end]
    }

    /// One node: `Ok(Some(Array | Hash))` for a collection, `Ok(None)` for a scalar or an
    /// alias, `Err` when libyaml or Psych raises.
    fn node(&mut self) -> Result<Option<Loaded>, &'static str> {
        let first = *self.tokens.get(self.at).ok_or(NOT_VALID)?;
        if first.kind == Tok::Alias {
            self.at += 1;
            let name = &self.text(&first)[1..];
            return if self.anchors.contains(&name) {
                Ok(None)
            } else {
                Err(BAD_ALIAS)
            };
        }
        // An anchor and a tag, in either order.
        let mut tag: Option<&str> = None;
        let mut anchor = false;
        let mut props_end = first.start;
        while let Some(tok) = self.tokens.get(self.at).copied() {
            match tok.kind {
                Tok::Anchor if !anchor => {
                    anchor = true;
                    self.anchors.push(&self.t[tok.start + 1..tok.end]);
                }
                Tok::Tag if tag.is_none() => tag = Some(&self.t[tok.start + 1..tok.end]),
                _ => break,
            }
            props_end = tok.end;
            self.at += 1;
        }
        match self.peek() {
            Some(Tok::Scalar) => {
                let scalar = self.tokens[self.at];
                self.at += 1;
                let text = self.text(&scalar);
                if !text.starts_with(['\'', '"']) && (text.ends_with(':') || text == "-") {
                    // `a::` before a blank, or `-` before a bracket: a reading outside a
                    // collection takes the text for a mapping or a block sequence, so the text
                    // and its properties are judged apart.
                    if let Resolved::Error(why) = tokenize(text) {
                        return Err(why);
                    }
                    if props_end != first.start {
                        self.scalar(&self.t[first.start..props_end])?;
                    }
                } else {
                    self.scalar(&self.t[first.start..scalar.end])?;
                }
                Ok(None)
            }
            Some(Tok::SeqStart) => {
                self.sequence()?;
                Ok(Some(Loaded::Array))
            }
            Some(Tok::MapStart) => {
                let entries = self.mapping()?;
                // A string tag on an empty map loads nil; on any other map Psych fails.
                if tag.is_some_and(|tag| {
                    is_string_tag(tag) && entries > 0
                        || names_a_missing_class(tag)
                        || tags_a_ruby_object(tag)
                }) {
                    return Err(TAGGED_MAP);
                }
                Ok(Some(Loaded::Hash))
            }
            _ if props_end != first.start => {
                self.scalar(&self.t[first.start..props_end])?;
                Ok(None)
            }
            _ => Err(NOT_VALID),
        }
    }

    /// A scalar with its properties, judged as a node of its own.
    fn scalar(&self, source: &str) -> Result<(), &'static str> {
        match node(source, false) {
            CableYaml::Error(why) => Err(why),
            _ => Ok(()),
        }
    }

    fn expect_separator(&mut self, first: &mut bool) -> Result<(), &'static str> {
        if !*first {
            if self.peek() != Some(Tok::Entry) {
                return Err(NOT_VALID);
            }
            self.at += 1;
        }
        *first = false;
        Ok(())
    }

    /// libyaml's value state of a pair: a `:` and its node, which may be empty (a `,` or the
    /// collection's `end` next).
    fn value(&mut self, end: Tok) -> Result<(), &'static str> {
        if self.peek() == Some(Tok::Value) {
            self.at += 1;
            if !matches!(self.peek(), Some(t) if t == Tok::Entry || t == end) {
                self.node()?;
            }
        }
        Ok(())
    }

    fn sequence(&mut self) -> Result<(), &'static str> {
        self.at += 1;
        let mut first = true;
        loop {
            if self.peek() == Some(Tok::SeqEnd) {
                self.at += 1;
                return Ok(());
            }
            self.expect_separator(&mut first)?;
            match self.peek() {
                Some(Tok::SeqEnd) => continue,
                // A single-pair mapping: `? key : value` or `key: value`.
                Some(Tok::Key) => {
                    self.at += 1;
                    if !matches!(self.peek(), Some(Tok::Value | Tok::Entry | Tok::SeqEnd)) {
                        self.node()?;
                    } else {
                        // libyaml's key state skips the token after an empty key, even a `,`
                        // or the `]` (so `[?]` never closes, and `[? ,]` is one pair).
                        self.at += 1;
                    }
                    self.value(Tok::SeqEnd)?;
                }
                _ => {
                    self.node()?;
                }
            }
        }
    }

    /// A flow mapping: how many entries it has.
    fn mapping(&mut self) -> Result<usize, &'static str> {
        self.at += 1;
        let mut first = true;
        let mut entries = 0;
        loop {
            if self.peek() == Some(Tok::MapEnd) {
                self.at += 1;
                return Ok(entries);
            }
            self.expect_separator(&mut first)?;
            if self.peek() != Some(Tok::MapEnd) {
                entries += 1;
            }
            match self.peek() {
                Some(Tok::MapEnd) => continue,
                Some(Tok::Key) => {
                    self.at += 1;
                    if !matches!(self.peek(), Some(Tok::Value | Tok::Entry | Tok::MapEnd)) {
                        self.node()?;
                    }
                    self.value(Tok::MapEnd)?;
                }
                // A key without `:`: its value is empty.
                _ => {
                    self.node()?;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    // Each case was checked with the installed Psych (`YAML.unsafe_load` of cable.yml), as the
    // readers tests check the whole grid.
    use super::super::tests::class;
    use super::*;

    #[test]
    fn a_colon_before_a_flow_indicator_inside_a_plain_scalar_is_an_error() {
        for pw in ["[a:]", "{a:}", "[a :]", "[a:,]", "[aa:]", "[a::]", "[ a:]"] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
        // A colon before a blank ends the key; after a quoted key it may touch the bracket.
        for pw in ["[a: ]", "[\"a\":]", "['a':]", "[a:: ]", "[a:b]", "[a b: c]"] {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
        assert_eq!(class("{a:: }"), Some(Loaded::Hash));
    }

    #[test]
    fn a_node_after_a_node_needs_a_comma() {
        for pw in [
            "[a[]]", "[a{}]", "[[]a]", "[{}a]", "[''a]", "[a,,b]", "[,]", "{,}",
        ] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
        for pw in ["[a,]", "[[],a]", "[a, []]", "[-]"] {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
    }

    #[test]
    fn tags_end_at_a_comma_and_anchors_need_a_name() {
        for pw in ["[!,]", "[!a,]", "[!,a]", "[! ]", "[!<tag:x> a]", "[&a, b]"] {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
        assert_eq!(class("{!,}"), Some(Loaded::Hash));
        // `!!` needs a suffix, `!a!` is an undefined handle, and `&` needs a name ending at
        // a blank or an indicator.
        for pw in ["[!! ]", "[!a!b x]", "[![ ]", "[&]", "{&}", "[&a!]", "[*]"] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
    }

    #[test]
    fn an_empty_key_in_a_sequence_swallows_the_next_token() {
        // libyaml's key state skips the token after an empty key, even the closing `]`.
        assert_eq!(class("[?]"), None);
        assert_eq!(class("[ ? ]"), None);
        assert_eq!(class("[? ,]"), Some(Loaded::Array));
        assert_eq!(class("[? ]]"), Some(Loaded::Array));
        assert_eq!(class("[? ],]"), Some(Loaded::Array));
        // In a map it does not.
        assert_eq!(class("{?}"), Some(Loaded::Hash));
        assert_eq!(class("{? }}"), None);
    }

    #[test]
    fn a_dash_and_a_blank_and_the_indicators_no_token_starts_with() {
        for pw in [
            "[- ]", "[a, - b]", "{- }", "[>]", "[|]", "[%a]", "[@a]", "[`a`]",
        ] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
        assert_eq!(class("[ -a]"), Some(Loaded::Array));
        // Two tags on one node, and a tag Float() refuses on a `-` or a `a::` scalar.
        for pw in ["[!a &b !c x]", "[!!float -]", "[!!float a:: ]", "[? }]"] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
        assert_eq!(class("[!ruby/object:Nope {a: b}]"), None);
        assert_eq!(class("{!!str {}: x}"), Some(Loaded::Hash));
    }

    #[test]
    fn an_alias_needs_an_anchor_set_before_it() {
        assert_eq!(class("[&a x, *a]"), Some(Loaded::Array));
        assert_eq!(class("[&a [*a]]"), Some(Loaded::Array));
        assert_eq!(class("{&a a: *a}"), Some(Loaded::Hash));
        assert_eq!(class("[*a, &a x]"), None);
        assert_eq!(class("[*b]"), None);
    }

    #[test]
    fn what_follows_the_closing_bracket() {
        for pw in ["[a] #c", "[a]#c", "[a]  "] {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
        for pw in ["[a]]", "[a],", "[a] x", "[a]: b", "[a", "[a, #c]", "['a"] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
    }

    #[test]
    fn scalars_and_tags_inside_a_collection_are_loaded() {
        // A `!!float` tag on text Float() refuses, a string tag on a non-empty map, a bad
        // escape: Psych raises.
        for pw in ["[!!float a]", "[!!str {a: b}]", "[\"\\q\"]", "[\"\\x4\"]"] {
            assert_eq!(class(pw), None, "{pw:?}");
        }
        for pw in [
            "[!!float 1.5]",
            "[!!str {}]",
            "[!!int a]",
            "[2001-12-14 21:59:43]",
        ] {
            assert_eq!(class(pw), Some(Loaded::Array), "{pw:?}");
        }
        // A string tag on an empty map loads nil.
        assert_eq!(class("!!str {}"), Some(Loaded::Nil));
        assert_eq!(class("!!str {a: b}"), None);
        assert!(is_empty_map("{ } #c"));
        assert!(!is_empty_map("{a}"));
        assert!(!is_empty_map("{} x"));
    }

    #[test]
    fn a_simple_key_is_given_up_after_1024_characters() {
        // Past 1024 characters the `:` is a value without a key, which libyaml's flow states
        // do not take after a node.
        let long = "a".repeat(1030);
        for pw in [
            format!("[{long}: b]"),
            format!("[x, {long}: b]"),
            format!("{{{long}: b}}"),
            format!("[\"{long}\": b]"),
        ] {
            assert_eq!(class(&pw), None, "{} characters", pw.len());
        }
        let short = "a".repeat(1020);
        assert_eq!(class(&format!("[{short}: b]")), Some(Loaded::Array));
    }
}
