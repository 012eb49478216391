//! The byte scanner under the XML-RPC deserializer: tags, text and the shape of a `<value>`.
//!
//! It knows only the XML that XML-RPC uses: elements without namespaces, text, entities,
//! CDATA sections, an optional declaration and comments before the root. Every error carries
//! the byte offset where the input stopped making sense.

use std::borrow::Cow;

use super::escape::{excerpt, unescape};
use crate::error::Error;

/// What a scalar `<value>` was spelled as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Bare text directly inside `<value>` (xapi's strings and 64-bit ints).
    Bare,
    /// `<string>`.
    Str,
    /// `<i4>`, `<int>`, `<i8>`.
    Int,
    /// `<boolean>`.
    Bool,
    /// `<double>`.
    Double,
    /// `<dateTime.iso8601>`.
    DateTime,
    /// `<base64>`.
    Base64,
    /// `<nil/>`.
    Nil,
}

impl Kind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Kind::Bare | Kind::Str => "a string",
            Kind::Int => "an <int>",
            Kind::Bool => "a <boolean>",
            Kind::Double => "a <double>",
            Kind::DateTime => "a <dateTime.iso8601>",
            Kind::Base64 => "a <base64>",
            Kind::Nil => "<nil/>",
        }
    }
}

/// The opening of a `<value>`: a whole scalar, or the inside of an array or struct.
#[derive(Debug)]
pub(crate) enum Head<'de> {
    /// A scalar, consumed through `</value>`; `at` is where its text starts.
    Scalar {
        kind: Kind,
        text: Cow<'de, str>,
        at: usize,
    },
    /// An array: positioned after `<data>` (one nesting level entered), or fully consumed
    /// when `empty`.
    Array { empty: bool },
    /// A struct: positioned after `<struct>` (one nesting level entered), or fully consumed
    /// when `empty`.
    Struct { empty: bool },
}

/// A cursor over a UTF-8 validated body.
pub(crate) struct Scanner<'de> {
    src: &'de str,
    pub(crate) pos: usize,
    pub(crate) depth: usize,
    max_depth: usize,
    /// Levels allowed beyond `max_depth` for the envelope around the caller's value.
    slack: usize,
}

/// Byte-wise equality of two short slices of equal length; tag names are a few bytes, where
/// a call to `memcmp` costs more than the comparison.
#[inline(always)]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Where the next `<` or `&` at or after `from` is. Most texts (names, refs, numbers) are
/// short, and a plain loop finds their end before `memchr` would have set up its vectors.
#[inline(always)]
fn markup(b: &[u8], from: usize) -> Option<usize> {
    const SHORT: usize = 48;
    let short = b.len().min(from + SHORT);
    if let Some(n) = b[from..short].iter().position(|&c| c == b'<' || c == b'&') {
        return Some(from + n);
    }
    memchr::memchr2(b'<', b'&', &b[short..]).map(|n| short + n)
}

#[inline]
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

impl<'de> Scanner<'de> {
    /// Validates `body` as UTF-8 once, up front, so text can be handed out as `&str` freely.
    pub(crate) fn new(body: &'de [u8], max_depth: usize) -> Result<Self, Error> {
        let src = std::str::from_utf8(body).map_err(|e| {
            let at = e.valid_up_to();
            Error::decode(
                "UTF-8 text",
                format!("the invalid byte 0x{:02x}", body[at]),
                at,
            )
        })?;
        Ok(Scanner {
            src,
            pos: 0,
            depth: 0,
            max_depth,
            slack: 0,
        })
    }

    /// Does not count the `levels` outermost arrays and structs against the limit.
    pub(crate) fn allow_envelope(&mut self, levels: usize) {
        self.slack = levels;
    }

    #[inline]
    fn bytes(&self) -> &'de [u8] {
        self.src.as_bytes()
    }

    /// What is at the cursor, for error messages.
    pub(crate) fn found(&self) -> String {
        match self.src.get(self.pos..) {
            Some(rest) if !rest.is_empty() => format!("{:?}", excerpt(rest)),
            _ => "the end of the input".into(),
        }
    }

    /// An error at the cursor.
    pub(crate) fn error(&self, expected: impl Into<String>) -> Error {
        Error::decode(expected, self.found(), self.pos)
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        let b = self.bytes();
        while self.pos < b.len() && is_ws(b[self.pos]) {
            self.pos += 1;
        }
    }

    #[inline]
    pub(crate) fn at(&self, lit: &[u8]) -> bool {
        self.bytes()[self.pos.min(self.bytes().len())..].starts_with(lit)
    }

    /// Skips a byte-order mark, the XML declaration, comments and whitespace before the root.
    pub(crate) fn prolog(&mut self) -> Result<(), Error> {
        if self.at("\u{feff}".as_bytes()) {
            self.pos += 3;
        }
        loop {
            self.skip_ws();
            if self.at(b"<?") {
                self.skip_past(b"?>", "the end of the XML declaration `?>`")?;
            } else if self.at(b"<!--") {
                self.skip_past(b"-->", "the end of the comment `-->`")?;
            } else if self.at(b"<!DOCTYPE") {
                self.skip_past(b">", "the end of the DOCTYPE `>`")?;
            } else {
                return Ok(());
            }
        }
    }

    fn skip_past(&mut self, end: &[u8], expected: &str) -> Result<(), Error> {
        match memchr::memmem::find(&self.bytes()[self.pos..], end) {
            Some(n) => {
                self.pos += n + end.len();
                Ok(())
            }
            None => Err(Error::decode(
                expected,
                "the end of the input",
                self.bytes().len(),
            )),
        }
    }

    /// After the root element: only whitespace may follow.
    pub(crate) fn end(&mut self) -> Result<(), Error> {
        self.skip_ws();
        while self.at(b"<!--") {
            self.skip_past(b"-->", "the end of the comment `-->`")?;
            self.skip_ws();
        }
        if self.pos < self.bytes().len() {
            return Err(self.error("the end of the input"));
        }
        Ok(())
    }

    /// Reads an opening tag after optional whitespace: its name and whether it is
    /// self-closing (`<x/>`). Attributes are skipped.
    pub(crate) fn open_tag(&mut self) -> Result<(&'de str, bool), Error> {
        self.skip_ws();
        let b = self.bytes();
        if self.pos >= b.len() || b[self.pos] != b'<' {
            return Err(self.error("an opening tag"));
        }
        let start = self.pos + 1;
        let mut i = start;
        while i < b.len() && !matches!(b[i], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
        }
        if i == start || matches!(b[start], b'/' | b'!' | b'?') {
            return Err(self.error("an opening tag"));
        }
        let name = &self.src[start..i];
        // Attributes mean nothing in XML-RPC; skip to the end of the tag.
        while i < b.len() && b[i] != b'>' {
            i += 1;
        }
        if i >= b.len() {
            return Err(Error::decode(
                format!("the end `>` of the tag <{name}>"),
                "the end of the input",
                b.len(),
            ));
        }
        let empty = b[i - 1] == b'/';
        self.pos = i + 1;
        Ok((name, empty))
    }

    /// Expects `<tag>` (or `<tag/>`, reported by returning `true`).
    #[inline]
    pub(crate) fn open(&mut self, tag: &str) -> Result<bool, Error> {
        // The compact spelling xapi writes, checked directly.
        let b = self.bytes();
        let (p, t) = (self.pos, tag.as_bytes());
        if b.len() > p + t.len() + 1
            && b[p] == b'<'
            && same(&b[p + 1..p + 1 + t.len()], t)
            && b[p + 1 + t.len()] == b'>'
        {
            self.pos = p + t.len() + 2;
            return Ok(false);
        }
        self.open_slow(tag)
    }

    #[cold]
    fn open_slow(&mut self, tag: &str) -> Result<bool, Error> {
        let save = self.pos;
        self.skip_ws();
        let at = self.pos;
        match self.open_tag() {
            Ok((name, empty)) if name == tag => Ok(empty),
            Ok(_) | Err(_) => {
                self.pos = at;
                let e = self.error(format!("<{tag}>"));
                self.pos = save;
                Err(e)
            }
        }
    }

    /// Expects `</tag>` after optional whitespace.
    #[inline]
    pub(crate) fn close(&mut self, tag: &str) -> Result<(), Error> {
        let b = self.bytes();
        let (p, t) = (self.pos, tag.as_bytes());
        if b.len() > p + t.len() + 2
            && b[p] == b'<'
            && b[p + 1] == b'/'
            && same(&b[p + 2..p + 2 + t.len()], t)
            && b[p + 2 + t.len()] == b'>'
        {
            self.pos = p + t.len() + 3;
            return Ok(());
        }
        self.close_slow(tag)
    }

    #[cold]
    fn close_slow(&mut self, tag: &str) -> Result<(), Error> {
        self.skip_ws();
        let b = self.bytes();
        let p = self.pos;
        if b[p.min(b.len())..].starts_with(b"</") && b[p + 2..].starts_with(tag.as_bytes()) {
            let mut i = p + 2 + tag.len();
            while i < b.len() && is_ws(b[i]) {
                i += 1;
            }
            if i < b.len() && b[i] == b'>' {
                self.pos = i + 1;
                return Ok(());
            }
        }
        Err(self.error(format!("</{tag}>")))
    }

    /// Whether a closing tag `</tag` comes next (after whitespace), without consuming it.
    #[inline]
    pub(crate) fn at_close(&mut self, tag: &str) -> bool {
        self.skip_ws();
        let b = &self.bytes()[self.pos.min(self.bytes().len())..];
        b.len() >= 2 + tag.len()
            && b[0] == b'<'
            && b[1] == b'/'
            && same(&b[2..2 + tag.len()], tag.as_bytes())
    }

    /// Reads character data up to the next tag, resolving entities and CDATA sections.
    /// Borrows from the body when there is nothing to resolve.
    #[inline]
    pub(crate) fn text(&mut self) -> Result<Cow<'de, str>, Error> {
        let b = self.bytes();
        let start = self.pos;
        if let Some(end) = markup(b, start) {
            if b[end] == b'<' && !b[end..].starts_with(b"<![CDATA[") {
                self.pos = end;
                return Ok(Cow::Borrowed(&self.src[start..end]));
            }
        }
        self.text_slow(start)
    }

    /// Text with entities or CDATA sections (or without an end).
    #[cold]
    fn text_slow(&mut self, start: usize) -> Result<Cow<'de, str>, Error> {
        let b = self.bytes();
        let Some(n) = memchr::memchr(b'<', &b[start..]) else {
            return Err(Error::decode(
                "a tag after the text",
                "the end of the input",
                b.len(),
            ));
        };
        let end = start + n;
        self.pos = end;
        let raw = &self.src[start..end];
        let text = unescape(raw, start)?;
        if !self.at(b"<![CDATA[") {
            return Ok(text);
        }
        let mut owned = text.into_owned();
        while self.at(b"<![CDATA[") {
            let from = self.pos + 9;
            let Some(len) = memchr::memmem::find(&b[from..], b"]]>") else {
                return Err(Error::decode(
                    "the end of the CDATA section `]]>`",
                    "the end of the input",
                    b.len(),
                ));
            };
            owned.push_str(&self.src[from..from + len]);
            self.pos = from + len + 3;
            let more = self.text()?;
            owned.push_str(&more);
        }
        Ok(Cow::Owned(owned))
    }

    /// Skips character data (and CDATA) without resolving anything.
    pub(crate) fn skip_text(&mut self) -> Result<(), Error> {
        let b = self.bytes();
        loop {
            let Some(n) = memchr::memchr(b'<', &b[self.pos..]) else {
                return Err(Error::decode(
                    "a tag after the text",
                    "the end of the input",
                    b.len(),
                ));
            };
            self.pos += n;
            if !self.at(b"<![CDATA[") {
                return Ok(());
            }
            self.skip_past(b"]]>", "the end of the CDATA section `]]>`")?;
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > self.max_depth + self.slack {
            return Err(Error::TooDeep {
                limit: self.max_depth,
                offset: Some(self.pos),
            });
        }
        Ok(())
    }

    /// Leaves an array or struct (whose closing tags have been consumed).
    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Reads the opening of a `<value>`: a whole scalar, or up to the contents of an array
    /// or struct (entering one nesting level, which the caller leaves when done).
    pub(crate) fn head(&mut self) -> Result<Head<'de>, Error> {
        if self.open("value")? {
            return Ok(Head::Scalar {
                kind: Kind::Bare,
                text: Cow::Borrowed(""),
                at: self.pos,
            });
        }
        let at = self.pos;
        let text = self.text()?;
        if self.at(b"</") {
            self.close("value")?;
            return Ok(Head::Scalar {
                kind: Kind::Bare,
                text,
                at,
            });
        }
        if !text.bytes().all(is_ws) {
            return Err(self.error("</value> after the text"));
        }
        let tag_at = self.pos;
        let (name, empty) = self.open_tag()?;
        let kind = match name {
            "string" => Kind::Str,
            "i4" | "int" | "i8" => Kind::Int,
            "boolean" => Kind::Bool,
            "double" => Kind::Double,
            "dateTime.iso8601" => Kind::DateTime,
            "base64" => Kind::Base64,
            "nil" => Kind::Nil,
            "array" => {
                self.enter()?;
                let empty = if empty {
                    true
                } else if self.at_close("array") || self.open("data")? {
                    self.close("array")?;
                    true
                } else {
                    false
                };
                if empty {
                    self.leave();
                    self.close("value")?;
                }
                return Ok(Head::Array { empty });
            }
            "struct" => {
                self.enter()?;
                if empty {
                    self.leave();
                    self.close("value")?;
                }
                return Ok(Head::Struct { empty });
            }
            other => {
                return Err(Error::decode(
                    "a value type (string, int, i4, i8, boolean, double, dateTime.iso8601, base64, nil, array, struct)",
                    format!("<{}>", excerpt(other)),
                    tag_at,
                ))
            }
        };
        let at = self.pos;
        let text = if empty {
            Cow::Borrowed("")
        } else {
            let t = self.text()?;
            self.close(name)?;
            t
        };
        if kind == Kind::Nil && !text.bytes().all(is_ws) {
            return Err(Error::decode(
                "an empty <nil/>",
                format!("{:?}", excerpt(&text)),
                at,
            ));
        }
        self.close("value")?;
        Ok(Head::Scalar { kind, text, at })
    }

    /// After the elements of a non-empty array: `</data></array></value>`.
    pub(crate) fn close_array(&mut self) -> Result<(), Error> {
        self.close("data")?;
        self.close("array")?;
        self.close("value")?;
        self.leave();
        Ok(())
    }

    /// After the members of a non-empty struct: `</struct></value>`.
    pub(crate) fn close_struct(&mut self) -> Result<(), Error> {
        self.close("struct")?;
        self.close("value")?;
        self.leave();
        Ok(())
    }

    /// The next struct member's name, or `None` at `</struct>` (which is then consumed along
    /// with the enclosing `</value>`).
    pub(crate) fn member_name(&mut self) -> Result<Option<Cow<'de, str>>, Error> {
        if self.at_close("struct") {
            self.close_struct()?;
            return Ok(None);
        }
        if self.open("member")? {
            return Err(self.error("a <member> with a <name> and a <value>"));
        }
        if self.open("name")? {
            return Ok(Some(Cow::Borrowed("")));
        }
        let name = self.text()?;
        self.close("name")?;
        Ok(Some(name))
    }

    /// Whether the array has another element; at `</data>` consumes the array's end.
    pub(crate) fn next_element(&mut self) -> Result<bool, Error> {
        if self.at_close("data") {
            self.close_array()?;
            return Ok(false);
        }
        Ok(true)
    }

    /// Skips one whole `<value>` without building anything.
    pub(crate) fn skip_value(&mut self) -> Result<(), Error> {
        if self.open("value")? {
            return Ok(());
        }
        self.skip_text()?;
        if self.at(b"</") {
            return self.close("value");
        }
        let tag_at = self.pos;
        let (name, empty) = self.open_tag()?;
        match name {
            "array" => {
                self.enter()?;
                if empty {
                    self.leave();
                } else if self.at_close("array") || self.open("data")? {
                    self.close("array")?;
                    self.leave();
                } else {
                    return self.skip_elements();
                }
            }
            "struct" => {
                self.enter()?;
                if !empty {
                    self.skip_members()?;
                    return Ok(());
                }
                self.leave();
            }
            "string" | "i4" | "int" | "i8" | "boolean" | "double" | "dateTime.iso8601" | "base64" | "nil" => {
                if !empty {
                    self.skip_text()?;
                    self.close(name)?;
                }
            }
            other => {
                return Err(Error::decode(
                    "a value type (string, int, i4, i8, boolean, double, dateTime.iso8601, base64, nil, array, struct)",
                    format!("<{}>", excerpt(other)),
                    tag_at,
                ))
            }
        }
        self.close("value")
    }

    /// Skips the remaining members of a struct, through `</struct></value>`.
    pub(crate) fn skip_members(&mut self) -> Result<(), Error> {
        while self.member_name_skip()? {
            self.skip_value()?;
            self.close("member")?;
        }
        Ok(())
    }

    fn member_name_skip(&mut self) -> Result<bool, Error> {
        if self.at_close("struct") {
            self.close_struct()?;
            return Ok(false);
        }
        if self.open("member")? {
            return Err(self.error("a <member> with a <name> and a <value>"));
        }
        if !self.open("name")? {
            self.skip_text()?;
            self.close("name")?;
        }
        Ok(true)
    }

    /// Skips the remaining elements of an array, through `</data></array></value>`.
    pub(crate) fn skip_elements(&mut self) -> Result<(), Error> {
        while self.next_element()? {
            self.skip_value()?;
        }
        Ok(())
    }
}
