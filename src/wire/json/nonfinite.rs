//! xapi writes non-finite floats as the bare tokens `Infinity`, `-Infinity` and `NaN`, which
//! are not JSON. A body that contains them (outside strings) is rewritten so that each token
//! becomes a marked string, which [`super::lenient`] reads back as the float.

/// The marked strings: a NUL cannot start a XenAPI string, so they cannot be confused with
/// data.
const MARKS: [(&str, &[u8], f64); 3] = [
    ("\0xenapi:-Infinity", b"-Infinity", f64::NEG_INFINITY),
    ("\0xenapi:Infinity", b"Infinity", f64::INFINITY),
    ("\0xenapi:NaN", b"NaN", f64::NAN),
];

/// The float a marked string stands for.
#[inline]
pub(crate) fn marked_float(s: &str) -> Option<f64> {
    if !s.starts_with('\0') {
        return None;
    }
    MARKS.iter().find(|(m, _, _)| *m == s).map(|(_, _, f)| *f)
}

/// A quick look for the tokens anywhere, so bodies without them skip the rewrite entirely.
pub(crate) fn may_have_tokens(body: &[u8]) -> bool {
    memchr::memmem::find(body, b"Infinity").is_some()
        || memchr::memmem::find(body, b"NaN").is_some()
}

/// The body with every token outside strings replaced by its marked string, or `None` when
/// there is no such token.
pub(crate) fn rewrite(body: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let mut copied = 0;
    let mut in_str = false;
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => in_str = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if c == b'"' {
            in_str = true;
            i += 1;
            continue;
        }
        if let Some((mark, token, _)) = MARKS.iter().find(|(_, t, _)| body[i..].starts_with(t)) {
            let o = out.get_or_insert_with(|| Vec::with_capacity(body.len() + 64));
            o.extend_from_slice(&body[copied..i]);
            o.push(b'"');
            o.extend_from_slice(b"\\u0000");
            o.extend_from_slice(&mark.as_bytes()[1..]);
            o.push(b'"');
            i += token.len();
            copied = i;
            continue;
        }
        i += 1;
    }
    let mut o = out?;
    o.extend_from_slice(&body[copied..]);
    Some(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_tokens_outside_strings_only() {
        let body = br#"{"a":[Infinity,-Infinity,NaN],"s":"NaN Infinity \" NaN"}"#;
        let out = rewrite(body).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"a":["\u0000xenapi:Infinity","\u0000xenapi:-Infinity","\u0000xenapi:NaN"],"s":"NaN Infinity \" NaN"}"#
        );
        assert!(rewrite(br#"{"s":"Infinity"}"#).is_none());
        assert!(may_have_tokens(br#"{"s":"Infinity"}"#));
        assert!(!may_have_tokens(br#"{"s":1.5}"#));
    }

    #[test]
    fn marks_read_back() {
        assert_eq!(marked_float("\0xenapi:Infinity"), Some(f64::INFINITY));
        assert_eq!(marked_float("\0xenapi:-Infinity"), Some(f64::NEG_INFINITY));
        assert!(marked_float("\0xenapi:NaN").unwrap().is_nan());
        assert_eq!(marked_float("Infinity"), None);
    }
}
