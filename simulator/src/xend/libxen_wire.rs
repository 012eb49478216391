//! libxen's set parameters, as xend took them.
//!
//! libxen (up to 4.4) wrote a set parameter (`event.register`'s classes,
//! `cpu_pool.set_proposed_CPUs`, ...) as `<array>` without `<data>`, each element wrapped in a
//! `<param>`: `<value><array><param><value><string>VM</string></value></param></array></value>`.
//! xend's XML-RPC parser skipped the tags it did not know, so it read the set. A request body
//! holding such an array is rewritten to standard XML-RPC before it is decoded; any other body
//! is left alone.

/// The body with libxen's arrays made standard, or `None` when there are none.
pub fn normalise(body: &[u8]) -> Option<Vec<u8>> {
    let mut tags = Tags { body, at: 0 };
    let mut needed = false;
    while let Some(t) = tags.next() {
        if t.name == b"array" && !t.empty && !matches!(tags.peek_name(), Some(b"data" | b"/array"))
        {
            needed = true;
            break;
        }
    }
    needed.then(|| rewrite(body))
}

/// What is open: an element, or a `<param>` inside a libxen array (dropped), or a libxen
/// array (given a `<data>`).
#[derive(PartialEq)]
enum Open {
    Element,
    DroppedParam,
    ArrayWithoutData,
}

fn rewrite(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 64);
    let mut open: Vec<Open> = Vec::new();
    let mut tags = Tags { body, at: 0 };
    let mut copied = 0;
    while let Some(t) = tags.next() {
        out.extend_from_slice(&body[copied..t.start]);
        copied = t.end;
        let tag = &body[t.start..t.end];
        if t.empty || t.name.first() == Some(&b'?') || t.name.first() == Some(&b'!') {
            out.extend_from_slice(tag);
            continue;
        }
        match t.name {
            b"array" => {
                out.extend_from_slice(tag);
                if matches!(tags.peek_name(), Some(b"data" | b"/array")) {
                    open.push(Open::Element);
                } else {
                    out.extend_from_slice(b"<data>");
                    open.push(Open::ArrayWithoutData);
                }
            }
            b"param" if open.last() == Some(&Open::ArrayWithoutData) => {
                open.push(Open::DroppedParam);
            }
            name if name.first() == Some(&b'/') => match open.pop() {
                Some(Open::DroppedParam) => {}
                Some(Open::ArrayWithoutData) => {
                    out.extend_from_slice(b"</data>");
                    out.extend_from_slice(tag);
                }
                _ => out.extend_from_slice(tag),
            },
            _ => {
                out.extend_from_slice(tag);
                open.push(Open::Element);
            }
        }
    }
    out.extend_from_slice(&body[copied..]);
    out
}

/// One tag: `body[start..end]` is `<...>`.
struct Tag<'a> {
    start: usize,
    end: usize,
    /// The name, with a leading `/` for a closing tag.
    name: &'a [u8],
    /// `<x/>`.
    empty: bool,
}

struct Tags<'a> {
    body: &'a [u8],
    at: usize,
}

impl<'a> Tags<'a> {
    fn next(&mut self) -> Option<Tag<'a>> {
        let body = self.body;
        let start = self.at + body.get(self.at..)?.iter().position(|&b| b == b'<')?;
        let end = start + body[start..].iter().position(|&b| b == b'>')? + 1;
        self.at = end;
        let inner = &body[start + 1..end - 1];
        let empty = inner.last() == Some(&b'/');
        let name_len = inner
            .iter()
            .position(|b| b.is_ascii_whitespace() || *b == b'/' && !inner.starts_with(b"/"))
            .unwrap_or(inner.len());
        Some(Tag {
            start,
            end,
            name: &inner[..name_len],
            empty,
        })
    }

    /// The name of the next tag, without moving.
    fn peek_name(&self) -> Option<&'a [u8]> {
        Tags {
            body: self.body,
            at: self.at,
        }
        .next()
        .map(|t| t.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libxens_arrays_become_standard() {
        let libxen = b"<params><param><value><string>s</string></value></param>\
            <param><value><array><param><value><string>VM</string></value></param>\
            <param><value><string>host</string></value></param></array></value></param></params>";
        let fixed = normalise(libxen).unwrap();
        assert_eq!(
            String::from_utf8(fixed).unwrap(),
            "<params><param><value><string>s</string></value></param>\
             <param><value><array><data><value><string>VM</string></value>\
             <value><string>host</string></value></data></array></value></param></params>"
        );
    }

    #[test]
    fn standard_bodies_are_left_alone() {
        for body in [
            &b"<params><param><value><array><data><value>a</value></data></array></value></param></params>"[..],
            b"<params><param><value><array></array></value></param></params>",
            b"<params><param><value><array/></value></param></params>",
            b"<params><param><value><string>no arrays</string></value></param></params>",
            b"not xml at all <",
        ] {
            assert_eq!(normalise(body), None);
        }
    }

    #[test]
    fn broken_bodies_do_not_panic_and_stay_broken() {
        for body in [
            &b"<array><param></array></param></array>"[..],
            b"</array></param><array><param>",
            b"<array><param><value><array><param",
            b"<array x=\"1\"><param/></array>",
            b"<<<array>>><param>>",
            b"<array><!-- <data> --><param><value>1</value></param></array>",
        ] {
            if let Some(fixed) = normalise(body) {
                assert_eq!(
                    text(&fixed),
                    text(body),
                    "{}",
                    String::from_utf8_lossy(body)
                );
            }
        }
    }

    /// The bytes outside tags: what a rewrite must never lose.
    fn text(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut tags = Tags { body, at: 0 };
        let mut copied = 0;
        while let Some(t) = tags.next() {
            out.extend_from_slice(&body[copied..t.start]);
            copied = t.end;
        }
        out.extend_from_slice(&body[copied..]);
        out
    }

    #[test]
    fn nested_values_keep_their_params_and_structure() {
        let libxen = b"<array><param><value><struct><member><name>k</name><value><array><data>\
            <value>x</value></data></array></value></member></struct></value></param></array>";
        let fixed = String::from_utf8(normalise(libxen).unwrap()).unwrap();
        assert_eq!(
            fixed,
            "<array><data><value><struct><member><name>k</name><value><array><data>\
             <value>x</value></data></array></value></member></struct></value></data></array>"
        );
    }
}
