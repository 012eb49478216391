//! A wrapper around a JSON deserializer that reads XenAPI's looser spellings and enforces
//! the nesting limit:
//! - integers, floats and booleans may come as strings (`"42"`, `"inf"`, `"true"`), as the
//!   XML-RPC side sends them;
//! - the non-finite float tokens `Infinity`, `-Infinity`, `NaN` (rewritten by
//!   [`super::nonfinite`] into marked strings before parsing) read as floats;
//! - `null` where a string, an array or an object is asked for reads as the empty one (xend
//!   and fakes send it for "nothing"), so one odd field does not fail a whole record;
//! - arrays and objects deeper than the limit are refused.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use super::nonfinite::marked_float;
use crate::error::DEPTH_MARK;
use crate::wire::float::parse_f64;

/// Which scalar the caller asked for, so strings can be read as it.
#[derive(Clone, Copy, PartialEq)]
enum Want {
    Any,
    /// A record: a JSON object, never an array.
    Struct,
    Int,
    Uint,
    Float,
    Bool,
    /// A string, array or object: `null` reads as the empty one.
    Str,
    Seq,
    Map,
}

/// The wrapped deserializer, `depth` levels below the value the caller decodes (negative
/// inside an envelope around it).
pub(crate) struct Lenient<D> {
    pub(crate) inner: D,
    pub(crate) depth: isize,
    pub(crate) max_depth: usize,
}

impl<D> Lenient<D> {
    fn visitor<V>(&self, inner: V, want: Want) -> LenientVisitor<V> {
        LenientVisitor {
            inner,
            want,
            depth: self.depth,
            max_depth: self.max_depth,
        }
    }
}

macro_rules! wrap_as {
    ($want:expr; $($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            let v = self.visitor(visitor, $want);
            self.inner.deserialize_any(v)
        }
    )*};
}

macro_rules! wrap_same {
    ($($method:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
            let v = self.visitor(visitor, Want::Any);
            self.inner.$method(v)
        }
    )*};
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Lenient<D> {
    type Error = D::Error;

    wrap_as!(Want::Any; deserialize_any);
    wrap_as!(Want::Int; deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64, deserialize_i128);
    wrap_as!(Want::Uint; deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64, deserialize_u128);
    wrap_as!(Want::Float; deserialize_f32, deserialize_f64);
    wrap_as!(Want::Bool; deserialize_bool);
    wrap_as!(Want::Str; deserialize_str, deserialize_string);
    wrap_as!(Want::Seq; deserialize_seq);
    wrap_as!(Want::Map; deserialize_map);
    wrap_same!(
        deserialize_char,
        deserialize_bytes,
        deserialize_byte_buf,
        deserialize_option,
        deserialize_unit,
        deserialize_identifier,
        deserialize_ignored_any
    );

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Any);
        self.inner.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Any);
        self.inner.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Any);
        self.inner.deserialize_tuple(len, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Any);
        self.inner.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Struct);
        self.inner.deserialize_struct(name, fields, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let v = self.visitor(visitor, Want::Any);
        self.inner.deserialize_enum(name, variants, v)
    }
}

struct LenientVisitor<V> {
    inner: V,
    want: Want,
    depth: isize,
    max_depth: usize,
}

impl<V> LenientVisitor<V> {
    fn nested<E: de::Error>(&self) -> Result<isize, E> {
        let depth = self.depth + 1;
        if depth > 0 && depth as usize > self.max_depth {
            return Err(E::custom(DepthExceeded(self.max_depth)));
        }
        Ok(depth)
    }
}

/// The message of a depth error; turned back into `Error::TooDeep` by the caller.
pub(crate) struct DepthExceeded(pub(crate) usize);

impl fmt::Display for DepthExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", DEPTH_MARK, self.0)
    }
}

macro_rules! forward {
    ($($method:ident($t:ty)),*) => {$(
        fn $method<E: de::Error>(self, v: $t) -> Result<V::Value, E> {
            self.inner.$method(v)
        }
    )*};
}

/// A string read as the scalar the caller asked for.
enum Converted {
    Int(i64),
    Uint(u64),
    Float(f64),
    Bool(bool),
}

impl<V> LenientVisitor<V> {
    fn convert(&self, s: &str) -> Option<Converted> {
        if let Some(f) = marked_float(s) {
            return Some(Converted::Float(f));
        }
        match self.want {
            Want::Any | Want::Str | Want::Seq | Want::Map | Want::Struct => None,
            Want::Int => s.trim().parse().ok().map(Converted::Int),
            Want::Uint => s.trim().parse().ok().map(Converted::Uint),
            Want::Float => parse_f64(s).map(Converted::Float),
            Want::Bool => match s.trim() {
                "true" | "1" => Some(Converted::Bool(true)),
                "false" | "0" => Some(Converted::Bool(false)),
                _ => None,
            },
        }
    }
}

impl Converted {
    fn visit<'de, V: Visitor<'de>, E: de::Error>(self, v: V) -> Result<V::Value, E> {
        match self {
            Converted::Int(i) => v.visit_i64(i),
            Converted::Uint(u) => v.visit_u64(u),
            Converted::Float(f) => v.visit_f64(f),
            Converted::Bool(b) => v.visit_bool(b),
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for LenientVisitor<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward!(
        visit_bool(bool),
        visit_i8(i8),
        visit_i16(i16),
        visit_i32(i32),
        visit_i64(i64),
        visit_i128(i128),
        visit_u8(u8),
        visit_u16(u16),
        visit_u32(u32),
        visit_u64(u64),
        visit_u128(u128),
        visit_f32(f32),
        visit_f64(f64),
        visit_char(char),
        visit_bytes(&[u8]),
        visit_borrowed_bytes(&'de [u8]),
        visit_byte_buf(Vec<u8>)
    );

    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match self.convert(v) {
            Some(c) => c.visit(self.inner),
            None => self.inner.visit_str(v),
        }
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<V::Value, E> {
        match self.convert(v) {
            Some(c) => c.visit(self.inner),
            None => self.inner.visit_borrowed_str(v),
        }
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<V::Value, E> {
        match self.convert(&v) {
            Some(c) => c.visit(self.inner),
            None => self.inner.visit_string(v),
        }
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        match self.want {
            Want::Str => self.inner.visit_borrowed_str(""),
            Want::Seq => self
                .inner
                .visit_seq(de::value::SeqDeserializer::new(std::iter::empty::<()>())),
            Want::Map => self.inner.visit_map(de::value::MapDeserializer::new(
                std::iter::empty::<((), ())>(),
            )),
            _ => self.inner.visit_unit(),
        }
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_some(Lenient {
            inner: d,
            depth: self.depth,
            max_depth: self.max_depth,
        })
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner.visit_newtype_struct(Lenient {
            inner: d,
            depth: self.depth,
            max_depth: self.max_depth,
        })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if matches!(self.want, Want::Struct) {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let depth = self.nested()?;
        self.inner.visit_seq(LenientSeq {
            inner: seq,
            depth,
            max_depth: self.max_depth,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let depth = self.nested()?;
        self.inner.visit_map(LenientMap {
            inner: map,
            depth,
            max_depth: self.max_depth,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(data)
    }
}

struct LenientSeq<A> {
    inner: A,
    depth: isize,
    max_depth: usize,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for LenientSeq<A> {
    type Error = A::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, A::Error> {
        self.inner.next_element_seed(LenientSeed {
            inner: seed,
            depth: self.depth,
            max_depth: self.max_depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct LenientMap<A> {
    inner: A,
    depth: isize,
    max_depth: usize,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for LenientMap<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        self.inner.next_key_seed(seed)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.inner.next_value_seed(LenientSeed {
            inner: seed,
            depth: self.depth,
            max_depth: self.max_depth,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// Wraps whatever deserializer the element or member value comes with.
pub(crate) struct LenientSeed<S> {
    pub(crate) inner: S,
    pub(crate) depth: isize,
    pub(crate) max_depth: usize,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for LenientSeed<S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.inner.deserialize(Lenient {
            inner: d,
            depth: self.depth,
            max_depth: self.max_depth,
        })
    }
}
