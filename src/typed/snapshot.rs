//! Event snapshots: kept as a dynamic [`Value`] until the caller asks for a typed record,
//! because an event's class is only known once the whole event has been read.

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor,
};
use serde::{Deserialize, Serialize};

use crate::value::Value;
use crate::Error;

/// The snapshot of an object carried by an event: its record, as the server sent it.
///
/// Decode it with [`Snapshot::to_record`], or through
/// [`EventRecord::snapshot_of`](crate::api::EventRecord::snapshot_of).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Snapshot(pub Value);

impl Snapshot {
    /// Whether the event carried no snapshot (deletions, and events of the old API).
    pub fn is_empty(&self) -> bool {
        matches!(self.0, Value::Nil)
    }

    /// Decodes the snapshot as `R` (normally a record type such as
    /// [`VmRecord`](crate::api::VmRecord)).
    pub fn to_record<R: DeserializeOwned>(&self) -> Result<R, Error> {
        from_value(&self.0)
    }
}

/// Decodes a dynamic [`Value`] as `T` (a record, a map of records, …), accepting the spellings
/// XML-RPC leaves in a `Value`: integers, floats and booleans held as strings.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    T::deserialize(ValueDeserializer(value)).map_err(|e| Error::Decode {
        expected: std::any::type_name::<T>().to_owned(),
        found: e.0,
        offset: None,
    })
}

/// A decoding error inside a [`Value`].
#[derive(Debug)]
pub(crate) struct ValueError(String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

impl de::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Int(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Bool(_) => "a boolean",
        Value::DateTime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Struct(_) => "a struct",
        Value::Nil => "nil",
    }
}

fn mismatch(v: &Value, expected: &str) -> ValueError {
    ValueError(format!("expected {expected}, found {}", kind(v)))
}

#[derive(Clone, Copy)]
struct ValueDeserializer<'a>(&'a Value);

impl<'de> Deserializer<'de> for ValueDeserializer<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::String(s) => v.visit_borrowed_str(s),
            Value::Int(i) => v.visit_i64(*i),
            Value::Float(f) => v.visit_f64(*f),
            Value::Bool(b) => v.visit_bool(*b),
            Value::DateTime(d) => v.visit_string(d.to_string()),
            Value::Array(items) => v.visit_seq(Seq(items.iter())),
            Value::Struct(members) => v.visit_map(Map {
                members: members.iter(),
                value: None,
            }),
            Value::Nil => v.visit_unit(),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Bool(b) => v.visit_bool(*b),
            Value::String(s) if s == "1" || s == "true" => v.visit_bool(true),
            Value::String(s) if s == "0" || s == "false" => v.visit_bool(false),
            other => Err(mismatch(other, "a boolean")),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.as_i64() {
            Some(i) => v.visit_i64(i),
            None => Err(mismatch(self.0, "an integer")),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.as_f64() {
            Some(f) => v.visit_f64(f),
            None => Err(mismatch(self.0, "a float")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Nil => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 u8 u16 u32 u64 f32 char str string bytes byte_buf
        unit_struct seq tuple tuple_struct map struct enum identifier
    }
}

struct Seq<'a>(std::slice::Iter<'a, Value>);

impl<'de> SeqAccess<'de> for Seq<'de> {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        self.0
            .next()
            .map(|v| seed.deserialize(ValueDeserializer(v)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

struct Map<'a> {
    members: indexmap::map::Iter<'a, String, Value>,
    value: Option<&'a Value>,
}

impl<'de> MapAccess<'de> for Map<'de> {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.members.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(Key(key)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, ValueError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| ValueError("map value asked for before its key".into()))?;
        seed.deserialize(ValueDeserializer(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.members.len())
    }
}

/// A struct key: a string that may stand for a number (`(int -> float) map` and the like).
struct Key<'a>(&'a str);

impl<'de> Deserializer<'de> for Key<'de> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        v.visit_borrowed_str(self.0)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.trim().parse() {
            Ok(i) => v.visit_i64(i),
            Err(_) => Err(ValueError(format!(
                "expected an integer key, found {:?}",
                self.0
            ))),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, ValueError> {
        match self.0.trim().parse() {
            Ok(f) => v.visit_f64(f),
            Err(_) => Err(ValueError(format!(
                "expected a float key, found {:?}",
                self.0
            ))),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, ValueError> {
        v.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 u8 u16 u32 u64 f32 char str string bytes byte_buf option unit
        unit_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}
