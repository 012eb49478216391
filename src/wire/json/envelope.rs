//! Reading a JSON-RPC response: the `result` member goes straight into the caller's seed,
//! whatever order the members come in.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::failure_from_error;
use crate::error::Error;

/// Parses `body` with `f` over a serde_json deserializer, turning serde_json's line/column
/// errors into byte offsets and requiring nothing but whitespace after the value.
pub(crate) fn parse<'de, T>(
    body: &'de [u8],
    max_depth: usize,
    f: impl FnOnce(
        &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    ) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    check_depth(body, max_depth)?;
    let mut de = serde_json::Deserializer::from_slice(body);
    let v = f(&mut de).map_err(|e| json_error(body, &e))?;
    de.end().map_err(|e| json_error(body, &e))?;
    Ok(v)
}

pub(crate) fn decode<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    max_depth: usize,
    seed: S,
) -> Result<Result<S::Value, Error>, Error> {
    parse(body, max_depth, |d| Envelope { seed }.deserialize(d))
}

/// Refuses nesting deeper than `max_depth` before serde_json (whose own limit is 128) sees
/// the body. Brackets inside strings are skipped.
fn check_depth(body: &[u8], max_depth: usize) -> Result<(), Error> {
    let mut depth = 0usize;
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
        } else {
            match c {
                b'"' => in_str = true,
                b'[' | b'{' => {
                    depth += 1;
                    // The envelope object itself is not counted against the limit.
                    if depth > max_depth + 1 {
                        return Err(Error::TooDeep {
                            limit: max_depth,
                            offset: Some(i),
                        });
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        i += 1;
    }
    Ok(())
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
    let expected = match msg.rfind(" at line ") {
        Some(n) => msg[..n].to_owned(),
        None => msg,
    };
    let found = if offset >= body.len() {
        "the end of the input".to_owned()
    } else {
        let rest = String::from_utf8_lossy(&body[offset..body.len().min(offset + 32)]);
        format!("{rest:?}")
    };
    Error::Decode {
        expected: format!("valid JSON-RPC ({expected})"),
        found,
        offset: Some(offset),
    }
}

struct Envelope<S> {
    seed: S,
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
                    Some(s) => match map.next_value_seed(NullOr(s))? {
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
            return Ok(Err(Error::Api(f)));
        }
        if let Some(v) = result {
            return Ok(Ok(v));
        }
        match seed {
            // `"result": null` with no error: a void or absent result.
            Some(s) if null_result => s
                .deserialize(de::value::UnitDeserializer::<A::Error>::new())
                .map(Ok),
            _ => Err(de::Error::custom(
                "a JSON-RPC response with a `result` or an `error` member",
            )),
        }
    }
}

/// Hands a non-null value to the seed, and gives the seed back on `null`.
struct NullOr<S>(S);

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
        self.0.deserialize(d).map(Ok)
    }
}
