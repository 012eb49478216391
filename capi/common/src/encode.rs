//! Encoding a parameter from C memory, walking a type descriptor.
//!
//! Inside records and containers a NULL pointer stands for the empty value (`""`,
//! `OpaqueRef:NULL`, an empty set or map), as C callers fill records from `calloc`. Every
//! kind of parameter is supported, including datetimes and maps of any key and value type
//! (the originals aborted on those).

use std::ffi::c_char;

use serde::ser::{Error as _, SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;

use crate::datetime;
use crate::desc::{map_entry, RecordDesc, Type, HEADER};
use crate::mem::read_str;

/// The reference a NULL ref stands for.
pub const NULL_REF: &str = "OpaqueRef:NULL";

/// One C value of type `ty` at `src`, serializable.
#[derive(Clone, Copy)]
pub struct CValue {
    /// The value's type.
    pub ty: &'static Type,
    /// The slot holding it.
    pub src: *const u8,
}

/// A `xen_session *` passed where the data model has a session ref: sent as its id.
#[derive(Clone, Copy)]
pub struct SessionRef(pub *const c_char);

fn text<E: serde::ser::Error>(p: *const c_char, empty: &str) -> Result<&str, E> {
    // SAFETY: the C caller passes NUL-terminated strings or NULL.
    match unsafe { read_str(p) } {
        None => Ok(empty),
        Some(Ok(s)) => Ok(s),
        Some(Err(e)) => Err(E::custom(format!("a string parameter is not UTF-8: {e}"))),
    }
}

/// Reads the pointer in a slot.
unsafe fn ptr_at(src: *const u8) -> *const u8 {
    *(src as *const *const u8)
}

impl Serialize for CValue {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // SAFETY: `src` is a valid slot of `ty` (guaranteed by the generated callers and by
        // the recursion below, which only follows descriptor-described layouts).
        unsafe {
            match self.ty {
                Type::String => s.serialize_str(text(ptr_at(self.src) as *const c_char, "")?),
                Type::Ref => s.serialize_str(text(ptr_at(self.src) as *const c_char, NULL_REF)?),
                Type::Int => s.serialize_i64(*(self.src as *const i64)),
                Type::Float => s.serialize_f64(*(self.src as *const f64)),
                Type::Bool => s.serialize_bool(*(self.src as *const bool)),
                Type::DateTime => s.serialize_newtype_struct(
                    datetime::SERDE_NAME,
                    &datetime::format(*(self.src as *const libc::time_t)),
                ),
                Type::Enum(e) => {
                    let v = *(self.src as *const i32);
                    let name = e.name_of(v).ok_or_else(|| {
                        S::Error::custom(format!("{v} is not a value of enum {}", e.name))
                    })?;
                    s.serialize_str(name)
                }
                Type::RefOpt(_) => {
                    let opt = ptr_at(self.src);
                    if opt.is_null() {
                        return s.serialize_str(NULL_REF);
                    }
                    let is_record = *(opt as *const bool);
                    let inner = ptr_at(opt.add(std::mem::size_of::<usize>()));
                    // A record's handle is its first member.
                    let handle = if is_record && !inner.is_null() {
                        ptr_at(inner)
                    } else {
                        inner
                    };
                    s.serialize_str(text(handle as *const c_char, NULL_REF)?)
                }
                Type::Set(elem) => {
                    let block = ptr_at(self.src);
                    let n = if block.is_null() {
                        0
                    } else {
                        *(block as *const usize)
                    };
                    let (es, _) = elem.layout();
                    let mut seq = s.serialize_seq(Some(n))?;
                    for i in 0..n {
                        seq.serialize_element(&CValue {
                            ty: elem,
                            src: block.add(HEADER + i * es),
                        })?;
                    }
                    seq.end()
                }
                Type::Map(k, v) => {
                    let block = ptr_at(self.src);
                    let n = if block.is_null() {
                        0
                    } else {
                        *(block as *const usize)
                    };
                    let (es, voff) = map_entry(k, v);
                    let mut map = s.serialize_map(Some(n))?;
                    for i in 0..n {
                        let e = block.add(HEADER + i * es);
                        map.serialize_entry(
                            &Key(CValue { ty: k, src: e }),
                            &CValue {
                                ty: v,
                                src: e.add(voff),
                            },
                        )?;
                    }
                    map.end()
                }
                Type::Record(rd) => serialize_record(rd, ptr_at(self.src), s),
            }
        }
    }
}

/// Sends a constructor's record: every field a constructor accepts (RW and RO/constructor).
unsafe fn serialize_record<S: Serializer>(
    rd: &RecordDesc,
    rec: *const u8,
    s: S,
) -> Result<S::Ok, S::Error> {
    if rec.is_null() {
        return Err(S::Error::custom(format!("the {} is NULL", rd.name)));
    }
    let fields = rd.fields.iter().filter(|f| f.ctor);
    let mut map = s.serialize_map(Some(fields.clone().count()))?;
    for f in fields {
        map.serialize_entry(
            f.name,
            &CValue {
                ty: f.ty,
                src: rec.add(f.offset),
            },
        )?;
    }
    map.end()
}

/// A map key: struct keys are strings on every wire, so ints are sent in decimal.
struct Key(CValue);

impl Serialize for Key {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.ty {
            // SAFETY: as for CValue.
            Type::Int => s.collect_str(&unsafe { *(self.0.src as *const i64) }),
            Type::Float => s.collect_str(&unsafe { *(self.0.src as *const f64) }),
            Type::Bool => s.serialize_str(if unsafe { *(self.0.src as *const bool) } {
                "true"
            } else {
                "false"
            }),
            _ => self.0.serialize(s),
        }
    }
}

impl Serialize for SessionRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(text(self.0, NULL_REF)?)
    }
}
