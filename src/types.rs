//! Typed references and the XenAPI datetime.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::{self, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// A XenAPI class, named as on the wire (`"VM"`, `"host"`, …). Implemented by zero-sized markers.
pub trait Class {
    /// The class name as the wire spells it.
    const NAME: &'static str;
}

/// A reference to an object of class `C`: the server's `OpaqueRef:…` string.
///
/// References of different classes are different types, so a `Ref<VM>` cannot be passed where a
/// `Ref<Host>` is expected. The string is kept as the server gave it (xapi also hands out refs
/// that do not start with `OpaqueRef:`, e.g. for sessions on some versions), so no prefix is
/// enforced.
pub struct Ref<C> {
    id: String,
    class: PhantomData<fn() -> C>,
}

impl<C> Ref<C> {
    /// The wire spelling of the null reference.
    pub const NULL: &'static str = "OpaqueRef:NULL";

    /// Wraps a reference string as the server spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Ref {
            id: id.into(),
            class: PhantomData,
        }
    }

    /// The null reference, `OpaqueRef:NULL`.
    pub fn null() -> Self {
        Self::new(Self::NULL)
    }

    /// Whether this is the null reference (`OpaqueRef:NULL`, or empty as some servers send it).
    pub fn is_null(&self) -> bool {
        self.id == Self::NULL || self.id.is_empty()
    }

    /// The reference string.
    pub fn as_str(&self) -> &str {
        &self.id
    }

    /// The reference string, by value.
    pub fn into_string(self) -> String {
        self.id
    }
}

impl<C: Class> Ref<C> {
    /// The class name of this reference.
    pub fn class_name(&self) -> &'static str {
        C::NAME
    }
}

impl<C> Clone for Ref<C> {
    fn clone(&self) -> Self {
        Self::new(self.id.clone())
    }
}

impl<C> PartialEq for Ref<C> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl<C> Eq for Ref<C> {}

impl<C> PartialOrd for Ref<C> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<C> Ord for Ref<C> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.id.cmp(&other.id)
    }
}

impl<C> Hash for Ref<C> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

impl<C> Default for Ref<C> {
    /// The null reference.
    fn default() -> Self {
        Self::null()
    }
}

impl<C> fmt::Debug for Ref<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ref({:?})", self.id)
    }
}

impl<C> fmt::Display for Ref<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id)
    }
}

impl<C> From<String> for Ref<C> {
    fn from(id: String) -> Self {
        Self::new(id)
    }
}

impl<C> From<&str> for Ref<C> {
    fn from(id: &str) -> Self {
        Self::new(id)
    }
}

impl<C> AsRef<str> for Ref<C> {
    fn as_ref(&self) -> &str {
        &self.id
    }
}

impl<C> Serialize for Ref<C> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.id)
    }
}

impl<'de, C> Deserialize<'de> for Ref<C> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Self::new)
    }
}

/// A point in time, UTC, with up to nanosecond precision.
///
/// On the wire (both encodings) a datetime is spelled as xapi writes it, `YYYYMMDDTHH:MM:SSZ`,
/// with a fractional part `.fffffffff` (trailing zeros trimmed) only when it is non-zero.
/// Parsing accepts every spelling xapi and other servers produce: with or without `Z`, with or
/// without dashes, with fractional seconds, and with a `+HH:MM`/`+HHMM`/`-HH:MM` offset
/// (converted to UTC). A datetime without zone is taken as UTC, as xapi means it. Seconds
/// since the Unix epoch written as a float, `1627478400.` or `1627478400.25` (OCaml's
/// spelling, which xapi's SDK tests send), are accepted too, and in JSON so is a number.
///
/// Converts to and from [`SystemTime`], and through it to the
/// `chrono`, `time` and `jiff` types, which all convert from and to `SystemTime`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DateTime {
    secs: i64,
    nanos: u32,
}

/// The serde newtype-struct name under which a `DateTime` travels (see `docs/DESIGN.md`).
pub const DATETIME_NEWTYPE: &str = "$xenapi::DateTime";

impl DateTime {
    /// The epoch, 1970-01-01T00:00:00Z (also what xapi sends for "never").
    pub const EPOCH: DateTime = DateTime { secs: 0, nanos: 0 };

    /// From seconds since the Unix epoch and nanoseconds (0..1e9) within that second.
    ///
    /// Nanoseconds of 1e9 or more carry into the seconds.
    pub fn from_unix(secs: i64, nanos: u32) -> Self {
        DateTime {
            secs: secs + i64::from(nanos / 1_000_000_000),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Whole seconds since the Unix epoch (negative before 1970).
    pub fn unix_seconds(&self) -> i64 {
        self.secs
    }

    /// The fractional part of the second in nanoseconds.
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }

    /// From civil UTC fields; `None` when a field is out of range.
    pub fn from_utc(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
    ) -> Option<Self> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86_400 + i64::from(hour * 3600 + min * 60 + sec);
        Some(DateTime { secs, nanos: 0 })
    }

    /// The civil UTC fields `(year, month, day, hour, minute, second)`.
    pub fn to_utc(&self) -> (i32, u32, u32, u32, u32, u32) {
        let days = self.secs.div_euclid(86_400);
        let rem = self.secs.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3600, rem / 60 % 60, rem % 60)
    }

    /// Parses any spelling of a XenAPI datetime (see the type's documentation).
    pub fn parse(s: &str) -> Result<Self, Error> {
        parse_datetime(s.trim()).ok_or_else(|| Error::Decode {
            expected: "a datetime like 20240131T12:34:56Z".into(),
            found: format!("{:?}", excerpt(s)),
            offset: None,
        })
    }

    /// The xapi wire spelling, `YYYYMMDDTHH:MM:SSZ` (with a fraction only when non-zero).
    pub fn to_wire(&self) -> String {
        self.to_string()
    }

    /// The current time.
    pub fn now() -> Self {
        SystemTime::now().into()
    }

    /// The same instant as a [`SystemTime`]; `None` beyond what the platform's `SystemTime`
    /// can hold.
    pub fn to_system_time(&self) -> Option<SystemTime> {
        let whole = Duration::from_secs(self.secs.unsigned_abs());
        let at_second = if self.secs >= 0 {
            UNIX_EPOCH.checked_add(whole)
        } else {
            UNIX_EPOCH.checked_sub(whole)
        }?;
        at_second.checked_add(Duration::from_nanos(u64::from(self.nanos)))
    }
}

/// Exact for every `SystemTime` (its range fits in `DateTime`'s on every platform).
impl From<SystemTime> for DateTime {
    fn from(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(after) => DateTime::from_unix(saturate(after.as_secs()), after.subsec_nanos()),
            Err(before) => {
                let before = before.duration();
                let secs = i64::try_from(-i128::from(before.as_secs())).unwrap_or(i64::MIN);
                match before.subsec_nanos() {
                    0 => DateTime::from_unix(secs, 0),
                    n => DateTime::from_unix(secs.saturating_sub(1), 1_000_000_000 - n),
                }
            }
        }
    }
}

impl TryFrom<DateTime> for SystemTime {
    type Error = Error;

    /// Fails beyond what the platform's `SystemTime` can hold.
    fn try_from(d: DateTime) -> Result<Self, Error> {
        d.to_system_time().ok_or_else(|| Error::Decode {
            expected: "a datetime within the range of SystemTime".into(),
            found: d.to_string(),
            offset: None,
        })
    }
}

fn saturate(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

fn excerpt(s: &str) -> &str {
    match s.char_indices().nth(64) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, mo, d, h, mi, s) = self.to_utc();
        write!(f, "{y:04}{mo:02}{d:02}T{h:02}:{mi:02}:{s:02}")?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        f.write_str("Z")
    }
}

impl FromStr for DateTime {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        DateTime::parse(s)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// Days since 1970-01-01 of a proleptic Gregorian date (era-based, exact for all i32 years).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Option<u32> {
        let part = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &c in part {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.i += n;
        Some(v)
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
}

fn parse_datetime(s: &str) -> Option<DateTime> {
    if let Some(d) = parse_unix_float(s) {
        return Some(d);
    }
    let mut c = Cursor {
        b: s.as_bytes(),
        i: 0,
    };
    let year = c.digits(4)? as i32;
    let dashed = c.eat(b'-');
    let month = c.digits(2)?;
    if dashed && !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let hour = c.digits(2)?;
    let coloned = c.eat(b':');
    let min = c.digits(2)?;
    if coloned && !c.eat(b':') {
        return None;
    }
    let sec = c.digits(2)?;
    let mut nanos = 0u32;
    if c.eat(b'.') || c.eat(b',') {
        let mut scale = 100_000_000u32;
        let start = c.i;
        while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
            c.i += 1;
        }
        if c.i == start {
            return None;
        }
    }
    let mut offset_secs = 0i64;
    match c.peek() {
        None => {}
        Some(b'Z' | b'z') => c.i += 1,
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let oh = c.digits(2)?;
            c.eat(b':');
            let om = if c.peek().is_some() { c.digits(2)? } else { 0 };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = i64::from(oh * 3600 + om * 60);
            offset_secs = if sign == b'+' { off } else { -off };
        }
        Some(_) => return None,
    }
    if c.i != c.b.len() {
        return None;
    }
    let base = DateTime::from_utc(year, month, day, hour, min, sec)?;
    Some(DateTime {
        secs: base.secs - offset_secs,
        nanos,
    })
}

/// Seconds since the epoch as OCaml prints a float: `1627478400.`, `-1.5`, `1627478400.25`.
/// The dot is required, so that a stray number (or a bare year) is not taken for a time.
fn parse_unix_float(s: &str) -> Option<DateTime> {
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = digits.split_once('.')?;
    let all_digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let secs: i64 = whole.parse().ok()?;
    let mut nanos = 0u32;
    for (i, d) in fraction.bytes().take(9).enumerate() {
        nanos += u32::from(d - b'0') * 10u32.pow(8 - i as u32);
    }
    Some(match (negative, nanos) {
        (false, _) => DateTime { secs, nanos },
        (true, 0) => DateTime { secs: -secs, nanos },
        (true, _) => DateTime {
            secs: -secs - 1,
            nanos: 1_000_000_000 - nanos,
        },
    })
}

/// A number of seconds since the epoch (JSON), nanoseconds rounded.
fn from_unix_f64(v: f64) -> Option<DateTime> {
    if !v.is_finite() || v.abs() >= 9.2e18 {
        return None;
    }
    let secs = v.floor();
    let nanos = ((v - secs) * 1e9).round() as u32;
    Some(DateTime::from_unix(secs as i64, nanos))
}

impl Serialize for DateTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct(DATETIME_NEWTYPE, &self.to_string())
    }
}

struct DateTimeVisitor;

impl<'de> Visitor<'de> for DateTimeVisitor {
    type Value = DateTime;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a datetime like 20240131T12:34:56Z")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<DateTime, E> {
        parse_datetime(v.trim())
            .ok_or_else(|| E::invalid_value(de::Unexpected::Str(excerpt(v)), &self))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<DateTime, D::Error> {
        d.deserialize_str(self)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<DateTime, E> {
        Ok(DateTime::from_unix(v, 0))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<DateTime, E> {
        Ok(DateTime::from_unix(saturate(v), 0))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<DateTime, E> {
        from_unix_f64(v).ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
    }
}

impl<'de> Deserialize<'de> for DateTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(DATETIME_NEWTYPE, DateTimeVisitor)
    }
}
