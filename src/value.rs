//! `Value`: the dynamic model of anything XenAPI sends.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::types::DateTime;

/// What decoding a response into `Value` may allocate, per byte of the body: the nodes,
/// members and strings of the tree are charged as they are made, and the decode fails with
/// [`crate::Error::ValueTooLarge`] beyond this many bytes per body byte (plus
/// [`VALUE_BUDGET_FLOOR`]). Typical XenAPI responses cost 1 to 3 bytes per body byte; a JSON
/// array of one-digit integers would cost 40 (each element is a `Value` of
/// `size_of::<Value>()` bytes for two bytes of body) and is refused. Growing vectors can hold
/// up to twice what is charged, so the peak of a `Value` decode stays below the body plus
/// twice the budget (see docs/DESIGN.md).
pub const VALUE_BYTES_PER_BODY_BYTE: u64 = 8;

/// The budget every `Value` decode has, whatever the body's size.
pub const VALUE_BUDGET_FLOOR: u64 = 1 << 20;

thread_local! {
    /// The bytes the `Value` decode under way on this thread may still allocate (`None`: no
    /// decode of a response is under way, nothing is counted).
    static BUDGET: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs a response decode with the `Value` memory budget of a body of `body_len` bytes.
pub(crate) fn with_budget<R>(body_len: usize, decode: impl FnOnce() -> R) -> R {
    let budget = (body_len as u64)
        .saturating_mul(VALUE_BYTES_PER_BODY_BYTE)
        .saturating_add(VALUE_BUDGET_FLOOR);
    let outer = BUDGET.with(|b| b.replace(Some(budget)));
    let outer_total = BUDGET_TOTAL.with(|t| t.replace(budget));
    let result = decode();
    BUDGET.with(|b| b.set(outer));
    BUDGET_TOTAL.with(|t| t.set(outer_total));
    result
}

/// Charges `bytes` to the budget of the decode under way.
fn charge<E: de::Error>(bytes: usize) -> Result<(), E> {
    BUDGET.with(|b| match b.get() {
        None => Ok(()),
        Some(left) if left >= bytes as u64 => {
            b.set(Some(left - bytes as u64));
            Ok(())
        }
        Some(_) => Err(E::custom(format_args!(
            "{}{}",
            crate::error::VALUE_MEMORY_MARK,
            budget_total()
        ))),
    })
}

/// The budget the decode under way started with, for the error message.
fn budget_total() -> u64 {
    BUDGET_TOTAL.with(|t| t.get())
}

thread_local! {
    static BUDGET_TOTAL: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

const NODE: usize = std::mem::size_of::<Value>();
/// A struct member: its entry (hash, key, value) and its slot in the index table.
const MEMBER: usize = NODE + std::mem::size_of::<String>() + 2 * std::mem::size_of::<usize>();

/// The members of a struct value, in wire order.
///
/// A key that repeats on the wire (a known xapi bug) keeps the position of its first
/// occurrence and the value of its last.
pub type Struct = IndexMap<String, Value>;

/// Any XenAPI value, decoded without knowing its type.
///
/// Note that over XML-RPC xapi sends 64-bit integers as plain strings, so a `Value` decoded from
/// XML-RPC holds them as [`Value::String`]; [`Value::as_i64`] parses such strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// A string (also enums, refs, and XML-RPC's bare integers).
    String(String),
    /// A 64-bit integer.
    Int(i64),
    /// A double, including ±infinity and NaN.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A UTC datetime.
    DateTime(DateTime),
    /// An array (XenAPI sets and lists).
    Array(Vec<Value>),
    /// A struct or map, members in wire order.
    Struct(Struct),
    /// The absent value (`<nil/>`, JSON `null`).
    #[default]
    Nil,
}

impl Value {
    /// The string, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer: an `Int`, or a `String` holding a decimal integer (XML-RPC's spelling).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The number: a `Float`, an `Int`, or a `String` holding a number (incl. `inf`, `nan`).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(f) => Some(*f),
            Value::Int(i) => Some(*i as f64),
            Value::String(s) => crate::wire::float::parse_f64(s),
            _ => None,
        }
    }

    /// The boolean, if this is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The datetime: a `DateTime`, or a `String` in a datetime spelling.
    pub fn as_datetime(&self) -> Option<DateTime> {
        match self {
            Value::DateTime(d) => Some(*d),
            Value::String(s) => DateTime::parse(s).ok(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is a struct.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// A struct member by name (`None` if absent or not a struct).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_struct()?.get(key)
    }

    /// An array element by index (`None` if out of range or not an array).
    pub fn index(&self, i: usize) -> Option<&Value> {
        self.as_array()?.get(i)
    }

    /// Whether this is `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// A short name of the variant, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::String(_) => "string",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Bool(_) => "bool",
            Value::DateTime(_) => "datetime",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
            Value::Nil => "nil",
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl From<DateTime> for Value {
    fn from(d: DateTime) -> Self {
        Value::DateTime(d)
    }
}
impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Self {
        Value::Array(v.into_iter().map(Into::into).collect())
    }
}
impl From<Struct> for Value {
    fn from(s: Struct) -> Self {
        Value::Struct(s)
    }
}
impl<K: Into<String>, V: Into<Value>> FromIterator<(K, V)> for Value {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Value::Struct(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

/// `Nil` serializes as serde's `none`; datetimes as the `"$xenapi::DateTime"` newtype.
impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::String(v) => s.serialize_str(v),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Float(v) => s.serialize_f64(*v),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::DateTime(v) => v.serialize(s),
            Value::Array(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for e in v {
                    seq.serialize_element(e)?;
                }
                seq.end()
            }
            Value::Struct(v) => {
                let mut map = s.serialize_map(Some(v.len()))?;
                for (k, e) in v {
                    map.serialize_entry(k, e)?;
                }
                map.end()
            }
            Value::Nil => s.serialize_none(),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any XenAPI value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &"a 64-bit signed integer"))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        charge(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        charge(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::String(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        DateTime::deserialize(NewtypeInner(d)).map(Value::DateTime)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(e) = seq.next_element()? {
            charge(NODE)?;
            v.push(e);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Struct::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            charge(MEMBER + k.len())?;
            m.insert(k, v);
        }
        Ok(Value::Struct(m))
    }
}

/// The inside of a `visit_newtype_struct` call: its content is the datetime's wire string, so
/// `DateTime`'s own newtype request is answered by going straight to the string.
struct NewtypeInner<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for NewtypeInner<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_str(v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.0.deserialize_str(v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Every `Value` comes through `deserialize_any`; a datetime arrives as the
/// `"$xenapi::DateTime"` newtype (XML-RPC) and anything else as itself.
impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::DateTime(d) => write!(f, "{d}"),
            Value::Array(a) => {
                f.write_str("[")?;
                for (i, e) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{e}")?;
                }
                f.write_str("]")
            }
            Value::Struct(m) => {
                f.write_str("{")?;
                for (i, (k, e)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k:?}: {e}")?;
                }
                f.write_str("}")
            }
            Value::Nil => f.write_str("nil"),
        }
    }
}

/// Reads a `Value` as a `T`, with the same conversions the decoders apply (integers, floats and
/// booleans may be strings, datetimes may be strings).
pub fn from_value<T: de::DeserializeOwned>(v: Value) -> crate::Result<T> {
    T::deserialize(crate::wire::lenient(v))
}

impl<'de> Deserializer<'de> for Value {
    type Error = crate::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> crate::Result<V::Value> {
        match self {
            Value::String(s) => visitor.visit_string(s),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::DateTime(d) => visitor.visit_newtype_struct(de::value::StringDeserializer::<
                crate::Error,
            >::new(d.to_string())),
            Value::Array(a) => visitor.visit_seq(de::value::SeqDeserializer::new(a.into_iter())),
            Value::Struct(s) => visitor.visit_map(de::value::MapDeserializer::new(s.into_iter())),
            Value::Nil => visitor.visit_unit(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> crate::Result<V::Value> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> crate::Result<V::Value> {
        match self {
            Value::DateTime(d) => visitor.visit_newtype_struct(de::value::StringDeserializer::<
                crate::Error,
            >::new(d.to_string())),
            other => visitor.visit_newtype_struct(other),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> crate::Result<V::Value> {
        match self {
            Value::String(s) => {
                visitor.visit_enum(de::value::StringDeserializer::<crate::Error>::new(s))
            }
            other => other.deserialize_any(visitor),
        }
    }

    /// A record comes from a struct; an array is refused rather than read by position.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> crate::Result<V::Value> {
        match self {
            Value::Array(_) => Err(de::Error::invalid_type(de::Unexpected::Seq, &visitor)),
            other => other.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map identifier ignored_any
    }
}

impl de::IntoDeserializer<'_, crate::Error> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}
