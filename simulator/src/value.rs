//! The values the store holds: typed by the model, serialized by `xenapi::wire`.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// The null reference.
pub const NULL_REF: &str = "OpaqueRef:NULL";

/// A stored value. Refs and enum values are strings, as on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// A string, a ref or an enum value.
    Str(String),
    /// A 64-bit integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A datetime in xapi's wire form `YYYYMMDDTHH:MM:SSZ`.
    DateTime(String),
    /// A set (an array on the wire).
    Set(Vec<V>),
    /// A map (a struct on the wire), in insertion order.
    Map(Vec<(V, V)>),
    /// Nothing (an absent option).
    Nil,
}

impl V {
    /// A string value.
    pub fn s(s: impl Into<String>) -> V {
        V::Str(s.into())
    }

    /// The string inside, if a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            V::Str(s) | V::DateTime(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside, if an integer.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            V::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean inside, if a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            V::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements, if a set.
    pub fn as_set(&self) -> Option<&[V]> {
        match self {
            V::Set(v) => Some(v),
            _ => None,
        }
    }

    /// The strings among the elements, if a set (refs, names); none otherwise.
    pub fn strings(&self) -> Vec<String> {
        self.as_set()
            .unwrap_or(&[])
            .iter()
            .filter_map(V::as_str)
            .map(String::from)
            .collect()
    }

    /// A string→string map from pairs.
    pub fn smap<K: Into<String>, W: Into<String>>(entries: impl IntoIterator<Item = (K, W)>) -> V {
        V::Map(
            entries
                .into_iter()
                .map(|(k, v)| (V::Str(k.into()), V::Str(v.into())))
                .collect(),
        )
    }

    /// A set of strings.
    pub fn sset<K: Into<String>>(items: impl IntoIterator<Item = K>) -> V {
        V::Set(items.into_iter().map(|k| V::Str(k.into())).collect())
    }

    /// Looks a key up in a map.
    pub fn map_get(&self, key: &str) -> Option<&V> {
        match self {
            V::Map(m) => m
                .iter()
                .find(|(k, _)| k.key_str().as_deref() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A map key as the string it travels as.
    pub fn key_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match self {
            V::Str(s) | V::DateTime(s) => Some(s.as_str().into()),
            V::Int(i) => Some(i.to_string().into()),
            V::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
            V::Float(f) => Some(f.to_string().into()),
            _ => None,
        }
    }
}

/// The serde newtype name that `xenapi::wire` writes as an XML-RPC `<dateTime.iso8601>`.
pub const DATETIME_NEWTYPE: &str = "$xenapi::DateTime";

impl Serialize for V {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            V::Str(x) => s.serialize_str(x),
            V::Int(i) => s.serialize_i64(*i),
            V::Float(f) => s.serialize_f64(*f),
            V::Bool(b) => s.serialize_bool(*b),
            V::DateTime(d) => s.serialize_newtype_struct(DATETIME_NEWTYPE, d.as_str()),
            V::Set(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            V::Map(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    // Struct member names are strings in both encodings, whatever the key type.
                    map.serialize_entry(&*k.key_str().unwrap_or_default(), v)?;
                }
                map.end()
            }
            V::Nil => s.serialize_none(),
        }
    }
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A time as xapi writes datetimes: `YYYYMMDDTHH:MM:SSZ`, UTC.
pub fn datetime_string(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}{m:02}{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The current time as a datetime value.
pub fn now_datetime() -> V {
    V::DateTime(datetime_string(now_secs()))
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_are_utc_in_xapi_form() {
        assert_eq!(datetime_string(0), "19700101T00:00:00Z");
        assert_eq!(datetime_string(1_700_000_000), "20231114T22:13:20Z");
        assert_eq!(datetime_string(951_782_400), "20000229T00:00:00Z");
    }
}
