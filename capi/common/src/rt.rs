//! The generic helpers behind the generated alloc/free and enum functions.

use std::ffi::{c_char, c_int, c_void};

use crate::call::guard;
use crate::desc::{EnumDesc, RecordDesc, Type, RECORD_OPT_SIZE};
use crate::mem::{alloc_map, alloc_set, free_value, read_str, zalloc};

/// `_alloc(size)` of a set or map type: zeroed, `size` set.
#[inline(never)]
pub fn alloc(ty: &'static Type, size: usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        (match ty {
            Type::Set(elem) => alloc_set(elem, size),
            Type::Map(k, v) => alloc_map(k, v, size),
            _ => std::ptr::null_mut(),
        }) as *mut c_void
    })
}

/// `_record_alloc()`: a zeroed record.
#[inline(never)]
pub fn alloc_record(rd: &'static RecordDesc) -> *mut c_void {
    zalloc(rd.size) as *mut c_void
}

/// `_record_opt_alloc()`: a zeroed `record_opt`.
#[inline(never)]
pub fn alloc_record_opt() -> *mut c_void {
    zalloc(RECORD_OPT_SIZE) as *mut c_void
}

/// `_free(p)` of any pointer type: releases `p` and everything it owns; NULL is fine.
///
/// # Safety
/// `p` is NULL or a well-formed value of `ty`, not used afterwards.
#[inline(never)]
pub unsafe fn free(ty: &'static Type, p: *mut c_void) {
    guard((), || free_value(ty, p as *mut u8))
}

/// `_to_string(val)`: the wire name, a static string; `"undefined"` for anything else.
#[inline(never)]
pub fn enum_to_string(ed: &'static EnumDesc, val: c_int) -> *const c_char {
    ed.c_name_of(val).unwrap_or(c"undefined").as_ptr()
}

/// `_from_string(session, str)`: the value of a wire name; UNDEFINED when unknown or NULL.
///
/// # Safety
/// `s` is NULL or a NUL-terminated string.
#[inline(never)]
pub unsafe fn enum_from_string(ed: &'static EnumDesc, s: *const c_char) -> c_int {
    guard(ed.values.len() as c_int, || match read_str(s) {
        Some(Ok(name)) => ed.from_name(name),
        _ => ed.values.len() as c_int,
    })
}
