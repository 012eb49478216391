//! XML text escaping and unescaping.

use std::borrow::Cow;

use crate::error::Error;

/// Appends `s` as XML character data: `& < > "` become entities, as xapi writes them. Control
/// characters other than tab, newline and carriage return cannot appear in XML 1.0 at all
/// (not even as character references), so a string holding one is refused rather than sent
/// altered. The error does not quote the string: it may be a password.
pub(crate) fn escape_into(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    if let Some(i) = s.bytes().position(is_forbidden) {
        return Err(Error::Encode(format!(
            "a string holds the control character U+{:04X} at byte {i}, which XML-RPC cannot \
             carry (XML 1.0 forbids it); use JSON-RPC to send it",
            s.as_bytes()[i]
        )));
    }
    escape_lossy_into(out, s);
    Ok(())
}

/// The control characters XML 1.0 forbids.
fn is_forbidden(c: u8) -> bool {
    matches!(c, 0..=0x08 | 0x0b | 0x0c | 0x0e..=0x1f)
}

/// [`escape_into`] for text meant for people (a server's error description or fault
/// string), where dropping a forbidden control character beats having no message at all.
pub(crate) fn escape_lossy_into(out: &mut Vec<u8>, s: &str) {
    let b = s.as_bytes();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        let rep: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&quot;",
            c if is_forbidden(c) => b"",
            _ => continue,
        };
        out.extend_from_slice(&b[start..i]);
        out.extend_from_slice(rep);
        start = i + 1;
    }
    out.extend_from_slice(&b[start..]);
}

/// Resolves the entities in `raw` (which starts at byte `offset` of the body): the five
/// predefined ones and decimal/hex character references.
pub(crate) fn unescape(raw: &str, offset: usize) -> Result<Cow<'_, str>, Error> {
    let Some(first) = memchr::memchr(b'&', raw.as_bytes()) else {
        return Ok(Cow::Borrowed(raw));
    };
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    let mut at = first;
    loop {
        out.push_str(&rest[..at]);
        let ent_start = offset + (raw.len() - rest.len()) + at;
        let after = &rest[at + 1..];
        let Some(semi) = after.as_bytes().iter().take(12).position(|&c| c == b';') else {
            return Err(Error::decode(
                "an entity such as &amp; ending in ';'",
                format!("{:?}", excerpt(&rest[at..])),
                ent_start,
            ));
        };
        let name = &after[..semi];
        let ch = match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            _ => char_ref(name).ok_or_else(|| {
                Error::decode(
                    "a known entity (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;)",
                    format!("&{name};"),
                    ent_start,
                )
            })?,
        };
        out.push(ch);
        rest = &after[semi + 1..];
        match memchr::memchr(b'&', rest.as_bytes()) {
            Some(n) => at = n,
            None => {
                out.push_str(rest);
                return Ok(Cow::Owned(out));
            }
        }
    }
}

fn char_ref(name: &str) -> Option<char> {
    let digits = name.strip_prefix('#')?;
    let code = match digits.strip_prefix(['x', 'X']) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|c| c.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        None if !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit()) => {
            digits.parse().ok()?
        }
        _ => return None,
    };
    char::from_u32(code)
}

/// At most 32 characters of `s`, for error messages.
pub(crate) fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(32) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_specials_and_refuses_controls() {
        let mut out = Vec::new();
        escape_into(&mut out, "a&b<c>d\"e'\tf").unwrap();
        assert_eq!(out, b"a&amp;b&lt;c&gt;d&quot;e'\tf");
        assert!(matches!(
            escape_into(&mut Vec::new(), "e'\u{1}\tf"),
            Err(Error::Encode(_))
        ));
        let mut lossy = Vec::new();
        escape_lossy_into(&mut lossy, "a<\u{1}\tf");
        assert_eq!(lossy, b"a&lt;\tf");
    }

    #[test]
    fn unescapes_entities() {
        assert!(matches!(
            unescape("plain", 0).unwrap(),
            Cow::Borrowed("plain")
        ));
        assert_eq!(
            unescape("a&amp;b&lt;&gt;&quot;&apos;&#65;&#x42;&#X43;", 0).unwrap(),
            "a&b<>\"'ABC"
        );
        assert_eq!(unescape("&#x1F600;", 0).unwrap(), "\u{1F600}");
    }

    #[test]
    fn rejects_bad_entities_with_offset() {
        for (bad, at) in [
            ("ab&bogus;", 12),
            ("&#xD800;", 10),
            ("x&amp", 11),
            ("&#;", 10),
            ("&#x;", 10),
        ] {
            match unescape(bad, 10) {
                Err(Error::Decode { offset, .. }) => assert_eq!(offset, Some(at), "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
    }
}
