//! Reading a JSON-RPC response: the `result` member goes straight into the caller's seed,
//! whatever order the members come in.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::failure_from_error;
use super::lenient::Lenient;
use super::nonfinite;
use crate::error::from_mark;
use crate::error::Error;
use crate::value::Value;
use serde::Deserialize;

/// Parses `body` with `f` over a serde_json deserializer, turning serde_json's line/column
/// errors into byte offsets and requiring nothing but whitespace after the value.
pub(crate) fn parse<'de, T>(
    body: &'de [u8],
    f: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let v = f(&mut de).map_err(|e| json_error(body, &e))?;
    de.end().map_err(|e| json_error(body, &e))?;
    Ok(v)
}

/// Decodes a response: the outer `Result` is a malformed body, the inner one the call's
/// outcome.
pub(crate) fn decode<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    max_depth: usize,
    seed: S,
) -> Result<Result<S::Value, Error>, Error> {
    let envelope = Envelope { seed, max_depth };
    if nonfinite::may_have_tokens(body) {
        if let Some(fixed) = nonfinite::rewrite(body) {
            return decode_rewritten(body, &fixed, envelope);
        }
    }
    parse(body, |d| envelope.deserialize(d))
}

/// The rare path for bodies with non-finite tokens: the rewritten body does not live as long
/// as `body`, so nothing can borrow from it; it is read into a [`Value`] tree (the marked
/// strings becoming floats, member order kept) and decoded from there.
fn decode_rewritten<'de, S: DeserializeSeed<'de>>(
    body: &[u8],
    fixed: &[u8],
    envelope: Envelope<S>,
) -> Result<Result<S::Value, Error>, Error> {
    let tree = match parse(fixed, |d| {
        Value::deserialize(Lenient {
            inner: d,
            depth: -1,
            max_depth: envelope.max_depth,
        })
    }) {
        Ok(t) => t,
        Err(e @ Error::TooDeep { .. }) => return Err(e),
        // A syntax error: report it against the body as received when it shows there.
        Err(e) => {
            return Err(match serde_json::from_slice::<de::IgnoredAny>(body) {
                Err(orig) => json_error(body, &orig),
                Ok(_) => e,
            })
        }
    };
    // Positions are lost in the tree, so errors from here carry no offset.
    envelope.deserialize(tree)
}

/// serde_json reports line and column; callers get the byte offset and an excerpt.
fn json_error(body: &[u8], e: &serde_json::Error) -> Error {
    let mut offset = 0;
    let mut line = 1;
    while line < e.line() {
        match memchr::memchr(b'\n', &body[offset..]) {
            Some(n) => offset += n + 1,
            None => break,
        }
        line += 1;
    }
    let offset = (offset + e.column().saturating_sub(1)).min(body.len());
    let msg = e.to_string();
    if let Some(marked) = from_mark(&msg) {
        return if e.line() > 0 {
            marked.at_offset(offset)
        } else {
            marked
        };
    }
    let expected = match msg.rfind(" at line ") {
        Some(n) => msg[..n].to_owned(),
        None => msg,
    };
    let found = if e.line() == 0 {
        "a value that does not fit".to_owned()
    } else if offset >= body.len() {
        "the end of the input".to_owned()
    } else {
        let rest = String::from_utf8_lossy(&body[offset..body.len().min(offset + 32)]);
        format!("{rest:?}")
    };
    Error::Decode {
        expected: format!("valid JSON-RPC ({expected})"),
        found,
        offset: (e.line() > 0).then_some(offset),
    }
}

struct Envelope<S> {
    seed: S,
    max_depth: usize,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Envelope<S> {
    type Value = Result<S::Value, Error>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

enum Key {
    Result,
    Error,
    Other,
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(match v {
                    "result" => Key::Result,
                    "error" => Key::Error,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Envelope<S> {
    type Value = Result<S::Value, Error>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.seed);
        let mut result = None;
        let mut null_result = false;
        let mut failure = None;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Result => match seed.take() {
                    Some(s) => match map.next_value_seed(NullOr(s, self.max_depth))? {
                        Ok(v) => result = Some(v),
                        Err(s) => {
                            seed = Some(s);
                            null_result = true;
                        }
                    },
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
                Key::Error => {
                    let e: serde_json::Value = map.next_value()?;
                    failure = failure_from_error(e);
                }
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if let Some(f) = failure {
            return Ok(Err(f));
        }
        if let Some(v) = result {
            return Ok(Ok(v));
        }
        match seed {
            // `"result": null` with no error: a void or absent result (or, as for any null,
            // an empty string, array or object).
            Some(s) if null_result => s
                .deserialize(Lenient {
                    inner: de::value::UnitDeserializer::<A::Error>::new(),
                    depth: 0,
                    max_depth: self.max_depth,
                })
                .map(Ok),
            _ => Err(de::Error::custom(
                "a JSON-RPC response with a `result` or an `error` member",
            )),
        }
    }
}

/// Hands a non-null value to the seed (through [`Lenient`]), and gives the seed back on
/// `null`.
struct NullOr<S>(S, usize);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for NullOr<S> {
    type Value = Result<S::Value, S>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for NullOr<S> {
    type Value = Result<S::Value, S>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a result")
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Err(self.0))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Err(self.0))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let d = Lenient {
            inner: d,
            depth: 0,
            max_depth: self.1,
        };
        self.0.deserialize(d).map(Ok)
    }
}
