//! Type descriptors: how a value of each data-model type kind is laid out in C memory.
//!
//! The generated code only emits tables of these descriptors; decoding (`decode`), encoding
//! (`encode`) and freeing (`mem`) walk them. Every slot a descriptor describes is either all
//! zero (absent / NULL) or holds a value that the free walker can release, so a partially
//! decoded structure can always be freed.

use std::ffi::CStr;

/// One data-model type kind, as it sits in a C slot.
#[derive(Debug)]
pub enum Type {
    /// `char *`, NUL-terminated UTF-8, NULL when absent.
    String,
    /// `int64_t`.
    Int,
    /// `double`.
    Float,
    /// `bool` (one byte).
    Bool,
    /// `time_t`, seconds since the epoch, UTC.
    DateTime,
    /// `enum xen_e` (a C `int`); the value one past the last name is `UNDEFINED`.
    Enum(&'static EnumDesc),
    /// `xen_c`: a `char *` holding an `OpaqueRef:…` (also used for a session ref inside records).
    Ref,
    /// `struct xen_c_record_opt *`: how a ref sits inside a record.
    RefOpt(&'static RecordDesc),
    /// `struct xen_t_set *`: `{ size_t size; T contents[]; }`.
    Set(&'static Type),
    /// `struct xen_k_v_map *`: `{ size_t size; struct { K key; V val; } contents[]; }`.
    Map(&'static Type, &'static Type),
    /// `xen_c_record *`: a pointer to a record struct.
    Record(&'static RecordDesc),
}

/// An enum: its wire names in declaration order.
#[derive(Debug)]
pub struct EnumDesc {
    /// The data-model name (for error messages).
    pub name: &'static str,
    /// Wire names; the C value of `values[i]` is `i`, `values.len()` is `UNDEFINED`.
    pub values: &'static [&'static CStr],
}

/// A record struct.
#[derive(Debug)]
pub struct RecordDesc {
    /// The C struct name (for error messages).
    pub name: &'static str,
    /// `sizeof` the struct.
    pub size: usize,
    /// Whether the struct starts with a `handle` (`xen_c`, a `char *`).
    pub has_handle: bool,
    /// The members, sorted by wire name (decoding binary-searches them).
    pub fields: &'static [Field],
}

/// One member of a record struct.
#[derive(Debug)]
pub struct Field {
    /// The wire name of the field.
    pub name: &'static str,
    /// `offsetof` the member.
    pub offset: usize,
    /// How the member is laid out.
    pub ty: &'static Type,
    /// Whether the field is sent when the record is a constructor argument.
    pub ctor: bool,
}

/// Size in bytes of the set/map header before `contents[]`.
pub const HEADER: usize = std::mem::size_of::<usize>();

/// The size of a `struct xen_c_record_opt`.
pub const RECORD_OPT_SIZE: usize = 2 * std::mem::size_of::<usize>();

impl Type {
    /// `sizeof` and `_Alignof` of a slot of this type.
    pub const fn layout(&self) -> (usize, usize) {
        match self {
            Type::Bool => (1, 1),
            Type::Enum(_) => (4, 4),
            Type::Int | Type::DateTime => (8, 8),
            Type::Float => (8, 8),
            _ => (size_of_ptr(), size_of_ptr()),
        }
    }

    /// Whether a slot of this type is a pointer (set to NULL before a call writes it).
    pub const fn is_pointer(&self) -> bool {
        !matches!(
            self,
            Type::Bool | Type::Enum(_) | Type::Int | Type::DateTime | Type::Float
        )
    }
}

const fn size_of_ptr() -> usize {
    std::mem::size_of::<*const u8>()
}

const fn align_up(n: usize, a: usize) -> usize {
    n.div_ceil(a) * a
}

/// Layout of one `{ K key; V val; }` map entry: (entry size, offset of `val`).
pub const fn map_entry(key: &Type, val: &Type) -> (usize, usize) {
    let (ks, ka) = key.layout();
    let (vs, va) = val.layout();
    let val_off = align_up(ks, va);
    let align = if ka > va { ka } else { va };
    (align_up(val_off + vs, align), val_off)
}

impl RecordDesc {
    /// The index in `fields` of the member with this wire name.
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.binary_search_by(|f| f.name.cmp(name)).ok()
    }
}

impl EnumDesc {
    /// The C value of a wire name: exact match first, then ignoring ASCII case (xapi's own
    /// spelling is canonical, but hand-written callers pass upper-case names);
    /// `values.len()` (UNDEFINED) when unknown.
    pub fn from_name(&self, name: &str) -> i32 {
        let name = name.as_bytes();
        let pos = self
            .values
            .iter()
            .position(|v| v.to_bytes() == name)
            .or_else(|| {
                self.values
                    .iter()
                    .position(|v| v.to_bytes().eq_ignore_ascii_case(name))
            })
            .unwrap_or(self.values.len());
        pos as i32
    }

    /// The wire name of a C value, `None` for UNDEFINED or out of range.
    pub fn name_of(&self, value: i32) -> Option<&'static str> {
        self.c_name_of(value).and_then(|c| c.to_str().ok())
    }

    /// The wire name of a C value as a C string, `None` for UNDEFINED or out of range.
    pub fn c_name_of(&self, value: i32) -> Option<&'static CStr> {
        usize::try_from(value)
            .ok()
            .and_then(|i| self.values.get(i).copied())
    }
}
