//! Decoding a response value straight into C memory, walking a type descriptor.
//!
//! `Slot` is a serde `DeserializeSeed` that writes into one C slot. Containers grow their
//! `malloc`'d block with `realloc` and count an element in `size` before decoding it into
//! zeroed memory, so whatever has been written when an error strikes is well-formed and the
//! caller frees it with [`crate::mem::free_slot`].

use std::fmt;
use std::ptr;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::datetime;
use crate::desc::{map_entry, EnumDesc, RecordDesc, Type, HEADER, RECORD_OPT_SIZE};
use crate::mem::{c_string, free_slot, zalloc};

/// Writes one decoded value of `ty` into the slot at `dst`.
pub struct Slot {
    /// The slot's type.
    pub ty: &'static Type,
    /// The slot: zeroed, or holding a value that is freed before it is overwritten.
    pub dst: *mut u8,
}

impl<'de> DeserializeSeed<'de> for Slot {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // A repeated struct key (a known xapi quirk) overwrites: the last one wins.
        // SAFETY: `dst` is a valid slot of `ty` by the construction of every Slot.
        unsafe { free_slot(self.ty, self.dst) };
        match self.ty {
            Type::String | Type::Ref => d.deserialize_str(StrV(self.dst)),
            Type::Int => d.deserialize_i64(IntV(self.dst)),
            Type::Float => d.deserialize_f64(FloatV(self.dst)),
            Type::Bool => d.deserialize_bool(BoolV(self.dst)),
            Type::DateTime => d.deserialize_newtype_struct(datetime::SERDE_NAME, DateV(self.dst)),
            Type::Enum(e) => d.deserialize_str(EnumV(e, self.dst)),
            Type::RefOpt(_) => d.deserialize_str(RefOptV(self.dst)),
            Type::Set(elem) => d.deserialize_seq(SetV(elem, self.dst)),
            Type::Map(k, v) => d.deserialize_map(MapV(k, v, self.dst)),
            Type::Record(rd) => d.deserialize_map(RecordV(rd, self.dst)),
        }
    }
}

fn alloc_failed<E: de::Error>() -> E {
    E::custom("out of memory")
}

/// Accepts JSON `null` for any type: the slot stays zero.
macro_rules! accept_null {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
        fn visit_none<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

struct StrV(*mut u8);
impl Visitor<'_> for StrV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let p = c_string(v);
        if p.is_null() {
            return Err(alloc_failed());
        }
        // SAFETY: the slot is a `char *`.
        unsafe { *(self.0 as *mut *mut std::ffi::c_char) = p };
        Ok(())
    }
    accept_null!();
}

struct IntV(*mut u8);
impl Visitor<'_> for IntV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        // SAFETY: the slot is an int64_t.
        unsafe { *(self.0 as *mut i64) = v };
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        let v = i64::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))?;
        self.visit_i64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let n = v
            .trim()
            .parse::<i64>()
            .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))?;
        self.visit_i64(n)
    }
    accept_null!();
}

struct FloatV(*mut u8);
impl Visitor<'_> for FloatV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a float")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // SAFETY: the slot is a double.
        unsafe { *(self.0 as *mut f64) = v };
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_f64(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_f64(v as f64)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let t = v.trim();
        let n = match t {
            "inf" | "Infinity" | "+inf" => f64::INFINITY,
            "-inf" | "-Infinity" => f64::NEG_INFINITY,
            "nan" | "NaN" | "-nan" => f64::NAN,
            _ => t
                .parse::<f64>()
                .map_err(|_| E::invalid_value(de::Unexpected::Str(v), &self))?,
        };
        self.visit_f64(n)
    }
    accept_null!();
}

struct BoolV(*mut u8);
impl Visitor<'_> for BoolV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        // SAFETY: the slot is a bool.
        unsafe { *(self.0 as *mut bool) = v };
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.visit_bool(v != 0)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.visit_bool(v != 0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match v.trim() {
            "1" | "true" => self.visit_bool(true),
            "0" | "false" => self.visit_bool(false),
            _ => Err(E::invalid_value(de::Unexpected::Str(v), &self)),
        }
    }
    accept_null!();
}

struct DateV(*mut u8);
impl<'de> Visitor<'de> for DateV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a datetime (YYYYMMDDTHH:MM:SSZ)")
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let t =
            datetime::parse(v).ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))?;
        // SAFETY: the slot is a time_t.
        unsafe { *(self.0 as *mut libc::time_t) = t as libc::time_t };
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        // event.from's timestamps may be floats: seconds since the epoch.
        // SAFETY: the slot is a time_t.
        unsafe { *(self.0 as *mut libc::time_t) = v as libc::time_t };
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        // SAFETY: the slot is a time_t.
        unsafe { *(self.0 as *mut libc::time_t) = v as libc::time_t };
        Ok(())
    }
    accept_null!();
}

struct EnumV(&'static EnumDesc, *mut u8);
impl Visitor<'_> for EnumV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {} name", self.0.name)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        // SAFETY: the slot is a C enum (int).
        unsafe { *(self.1 as *mut i32) = self.0.from_name(v) };
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.visit_str("")
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_str("")
    }
}

struct RefOptV(*mut u8);
impl Visitor<'_> for RefOptV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a reference")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        let opt = zalloc(RECORD_OPT_SIZE);
        if opt.is_null() {
            return Err(alloc_failed());
        }
        // SAFETY: the slot is a `struct xen_c_record_opt *`; `opt` has the opt's size and its
        // handle sits one pointer in (after the bool and padding).
        unsafe {
            *(self.0 as *mut *mut u8) = opt;
            StrV(opt.add(std::mem::size_of::<usize>())).visit_str(v)
        }
    }
    accept_null!();
}

/// Makes room for one more element in the container at `*dst` (a `size`-prefixed block of
/// `entry`-byte elements with room for `*cap`), counts it and returns its zeroed slot.
fn push_entry<E: de::Error>(dst: *mut u8, entry: usize, cap: &mut usize) -> Result<*mut u8, E> {
    // SAFETY: `dst` holds NULL or a block allocated by this function with room for `*cap`.
    unsafe {
        let block = *(dst as *mut *mut u8);
        let size = if block.is_null() {
            0
        } else {
            *(block as *const usize)
        };
        let block = if block.is_null() || size == *cap {
            let new_cap = if block.is_null() { 4 } else { *cap * 2 };
            let bytes = new_cap
                .checked_mul(entry)
                .and_then(|b| b.checked_add(HEADER))
                .ok_or_else(alloc_failed::<E>)?;
            let grown = libc::realloc(block as *mut libc::c_void, bytes) as *mut u8;
            if grown.is_null() {
                return Err(alloc_failed());
            }
            let used = HEADER + size * entry;
            ptr::write_bytes(grown.add(used), 0, bytes - used);
            if block.is_null() {
                *(grown as *mut usize) = 0;
            }
            *(dst as *mut *mut u8) = grown;
            *cap = new_cap;
            grown
        } else {
            block
        };
        *(block as *mut usize) = size + 1;
        Ok(block.add(HEADER + size * entry))
    }
}

/// Gives an empty container a block of its own: a decoded empty set is not NULL.
fn ensure_block<E: de::Error>(dst: *mut u8) -> Result<(), E> {
    // SAFETY: `dst` is a container slot.
    unsafe {
        if (*(dst as *mut *mut u8)).is_null() {
            let p = zalloc(HEADER);
            if p.is_null() {
                return Err(alloc_failed());
            }
            *(dst as *mut *mut u8) = p;
        }
    }
    Ok(())
}

struct SetV(&'static Type, *mut u8);
impl<'de> Visitor<'de> for SetV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (es, _) = self.0.layout();
        let mut cap = 0;
        loop {
            // Peeking is not possible, so an element slot is made before knowing whether the
            // sequence has one more; an unused last slot is uncounted again.
            let slot = push_entry::<A::Error>(self.1, es, &mut cap)?;
            if seq
                .next_element_seed(Slot {
                    ty: self.0,
                    dst: slot,
                })?
                .is_none()
            {
                // SAFETY: the block exists (push_entry made it) and its last slot is unused.
                unsafe {
                    let block = *(self.1 as *mut *mut usize);
                    *block -= 1;
                }
                break;
            }
        }
        ensure_block(self.1)
    }
    accept_null!();
}

struct MapV(&'static Type, &'static Type, *mut u8);
impl<'de> Visitor<'de> for MapV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a struct")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let (es, voff) = map_entry(self.0, self.1);
        let mut cap = 0;
        loop {
            let entry = push_entry::<A::Error>(self.2, es, &mut cap)?;
            let key = Slot {
                ty: self.0,
                dst: entry,
            };
            if map.next_key_seed(key)?.is_none() {
                // SAFETY: as in SetV: the last slot is unused.
                unsafe {
                    let block = *(self.2 as *mut *mut usize);
                    *block -= 1;
                }
                break;
            }
            map.next_value_seed(Slot {
                ty: self.1,
                // SAFETY: the value lies inside the entry.
                dst: unsafe { entry.add(voff) },
            })?;
        }
        ensure_block(self.2)
    }
    accept_null!();
}

struct RecordV(&'static RecordDesc, *mut u8);
impl<'de> Visitor<'de> for RecordV {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a struct ({})", self.0.name)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let rec = zalloc(self.0.size);
        if rec.is_null() {
            return Err(alloc_failed());
        }
        // SAFETY: the slot is a record pointer, freed before decoding by Slot.
        unsafe { *(self.1 as *mut *mut u8) = rec };
        let mut order = FieldOrder::take(self.0);
        let mut k = 0;
        while let Some(field) = map.next_key_seed(FieldKey {
            desc: self.0,
            guess: order.get(k),
        })? {
            order.set(k, field);
            k += 1;
            match field {
                Some(i) => {
                    let f = &self.0.fields[i];
                    map.next_value_seed(Slot {
                        ty: f.ty,
                        // SAFETY: offsets come from the record's own layout.
                        dst: unsafe { rec.add(f.offset) },
                    })?
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        order.put_back(k);
        Ok(())
    }
    accept_null!();
}

/// The order in which the last record of a type named its members, by field index. The
/// records of one response come from one server and name their members in the same order,
/// so the k-th key of the next record is first compared with the k-th name of the last one,
/// and searched for only when it differs.
struct FieldOrder {
    desc: &'static RecordDesc,
    indices: Vec<Option<usize>>,
}

thread_local! {
    static LAST_ORDER: std::cell::RefCell<Option<FieldOrder>> = const { std::cell::RefCell::new(None) };
}

impl FieldOrder {
    /// The last order seen for `desc` on this thread (empty if another type came last).
    fn take(desc: &'static RecordDesc) -> FieldOrder {
        match LAST_ORDER.with(|o| o.borrow_mut().take()) {
            Some(o) if ptr::eq(o.desc, desc) => o,
            Some(mut o) => {
                o.desc = desc;
                o.indices.clear();
                o
            }
            None => FieldOrder {
                desc,
                indices: Vec::new(),
            },
        }
    }

    fn get(&self, k: usize) -> Option<usize> {
        self.indices.get(k).copied().flatten()
    }

    fn set(&mut self, k: usize, field: Option<usize>) {
        match self.indices.get_mut(k) {
            Some(slot) => *slot = field,
            None => self.indices.push(field),
        }
    }

    /// Keeps the order of a record that had `len` members for the next one.
    fn put_back(mut self, len: usize) {
        self.indices.truncate(len);
        LAST_ORDER.with(|o| *o.borrow_mut() = Some(self));
    }
}

/// Reads a struct key and finds the index of the record member it names (`None`: not a
/// known field), trying `guess` first.
struct FieldKey {
    desc: &'static RecordDesc,
    guess: Option<usize>,
}
impl<'de> DeserializeSeed<'de> for FieldKey {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}
impl Visitor<'_> for FieldKey {
    type Value = Option<usize>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Some(i) = self.guess {
            if self.desc.fields.get(i).is_some_and(|f| f.name == v) {
                return Ok(Some(i));
            }
        }
        Ok(self.desc.field_index(v))
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::{c_char, CStr};

    use xenapi::wire::{decode_response_seed, WireFormat};
    use xenapi::Limits;

    use super::*;
    use crate::desc::Field;

    static REC: RecordDesc = RecordDesc {
        name: "test_record",
        size: 24,
        has_handle: false,
        fields: &[
            Field {
                name: "a",
                offset: 0,
                ty: &Type::String,
                ctor: false,
            },
            Field {
                name: "b",
                offset: 8,
                ty: &Type::Int,
                ctor: false,
            },
            Field {
                name: "c",
                offset: 16,
                ty: &Type::String,
                ctor: false,
            },
        ],
    };
    static MAP: Type = Type::Map(&Type::String, &Type::Record(&REC));

    fn member(name: &str, value: &str) -> String {
        format!("<member><name>{name}</name><value>{value}</value></member>")
    }

    fn record(members: &[(&str, &str)]) -> String {
        let inner: String = members.iter().map(|(n, v)| member(n, v)).collect();
        format!("<struct>{inner}</struct>")
    }

    /// (key, a, b, c) of each entry of a decoded map of records.
    fn read_map(slot: *mut u8) -> Vec<(String, String, i64, String)> {
        let text = |p: *const c_char| {
            if p.is_null() {
                return String::new();
            }
            // SAFETY: decoded strings are NUL-terminated.
            unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_owned()
        };
        let (entry, val) = map_entry(&Type::String, &Type::Record(&REC));
        // SAFETY: the slot holds a decoded map block of (char *, record *) entries.
        unsafe {
            let block = *(slot as *mut *mut u8);
            let size = *(block as *const usize);
            (0..size)
                .map(|i| {
                    let e = block.add(HEADER + i * entry);
                    let rec = *(e.add(val) as *const *mut u8);
                    (
                        text(*(e as *const *const c_char)),
                        text(*(rec as *const *const c_char)),
                        *(rec.add(8) as *const i64),
                        text(*(rec.add(16) as *const *const c_char)),
                    )
                })
                .collect()
        }
    }

    #[test]
    fn records_naming_members_in_other_orders_decode_alike() {
        let records = [
            ("r1", record(&[("a", "x1"), ("b", "1"), ("c", "y1")])),
            // Another order, and a member the record does not have.
            (
                "r2",
                record(&[("c", "y2"), ("unknown", "?"), ("b", "2"), ("a", "x2")]),
            ),
            // Fewer members than the last one, then a repeated one: the last value wins.
            ("r3", record(&[("b", "3"), ("a", "x3")])),
            (
                "r4",
                record(&[("a", "x4"), ("b", "4"), ("c", "y4"), ("a", "z4")]),
            ),
        ];
        let value: String = records.iter().map(|(k, r)| member(k, r)).collect();
        let body = format!(
            "<methodResponse><params><param><value><struct>{}{}</struct></value></param></params></methodResponse>",
            member("Status", "Success"),
            member("Value", &format!("<struct>{value}</struct>"))
        );
        let mut slot: *mut u8 = ptr::null_mut();
        let dst = &mut slot as *mut *mut u8 as *mut u8;
        decode_response_seed(
            WireFormat::XmlRpc,
            body.as_bytes(),
            &Limits::default(),
            Slot { ty: &MAP, dst },
        )
        .unwrap();
        let got = read_map(dst);
        // SAFETY: the slot holds the map decoded above.
        unsafe { free_slot(&MAP, dst) };
        let want = [
            ("r1", "x1", 1, "y1"),
            ("r2", "x2", 2, "y2"),
            ("r3", "x3", 3, ""),
            ("r4", "z4", 4, "y4"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|&(k, a, b, c)| (k.to_owned(), a.to_owned(), b, c.to_owned()))
            .collect();
        assert_eq!(got, want);
    }
}
