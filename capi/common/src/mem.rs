//! C-allocator memory: every object handed to C is allocated here with `malloc`/`calloc`/
//! `realloc` and released with `free`, so callers may free or reallocate it themselves.

use std::ffi::{c_char, c_void, CStr};
use std::ptr;

use crate::desc::{map_entry, RecordDesc, Type, HEADER};

/// `calloc(1, size)`; NULL only when the C allocator fails.
pub fn zalloc(size: usize) -> *mut u8 {
    // SAFETY: calloc has no preconditions; a zero size still returns a freeable pointer.
    unsafe { libc::calloc(1, size.max(1)) as *mut u8 }
}

/// Releases a pointer obtained from the C allocator (NULL is fine).
///
/// # Safety
/// `p` is NULL or a live C-allocator pointer.
pub unsafe fn release(p: *mut c_void) {
    libc::free(p);
}

/// A malloc'd NUL-terminated copy of `s` (an interior NUL ends the C string early).
pub fn c_string(s: &str) -> *mut c_char {
    let bytes = s.as_bytes();
    let len = memchr_nul(bytes).unwrap_or(bytes.len());
    let p = zalloc(len + 1);
    if !p.is_null() {
        // SAFETY: p has room for len + 1 bytes and does not overlap `s`.
        unsafe { ptr::copy_nonoverlapping(bytes.as_ptr(), p, len) };
    }
    p as *mut c_char
}

fn memchr_nul(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == 0)
}

/// Reads a C string as UTF-8; `None` for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string.
pub unsafe fn read_str<'a>(p: *const c_char) -> Option<Result<&'a str, std::str::Utf8Error>> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p).to_str())
    }
}

/// Allocates a zeroed `{ size_t size; T contents[] }` block with `size` elements of `elem`.
pub fn alloc_set(elem: &Type, size: usize) -> *mut u8 {
    let (es, _) = elem.layout();
    alloc_block(es, size)
}

/// Allocates a zeroed map block with `size` entries.
pub fn alloc_map(key: &Type, val: &Type, size: usize) -> *mut u8 {
    let (es, _) = map_entry(key, val);
    alloc_block(es, size)
}

fn alloc_block(entry: usize, size: usize) -> *mut u8 {
    let Some(bytes) = entry.checked_mul(size).and_then(|b| b.checked_add(HEADER)) else {
        return ptr::null_mut();
    };
    let p = zalloc(bytes);
    if !p.is_null() {
        // SAFETY: the block starts with a size_t.
        unsafe { (p as *mut usize).write(size) };
    }
    p
}

/// Frees what the slot at `slot` owns (not the slot itself) and zeroes it.
///
/// # Safety
/// `slot` points to a valid slot of type `ty` (zero or owning a well-formed value).
pub unsafe fn free_slot(ty: &Type, slot: *mut u8) {
    if !ty.is_pointer() {
        return;
    }
    let p = *(slot as *mut *mut u8);
    if p.is_null() {
        return;
    }
    free_value(ty, p);
    *(slot as *mut *mut u8) = ptr::null_mut();
}

/// Frees a pointer value of type `ty` (the pointer itself and everything it owns).
///
/// # Safety
/// `p` is NULL or a well-formed value of the pointer type `ty`.
pub unsafe fn free_value(ty: &Type, p: *mut u8) {
    if p.is_null() {
        return;
    }
    match ty {
        Type::Set(elem) => {
            let (es, _) = elem.layout();
            if elem.is_pointer() {
                let n = *(p as *const usize);
                for i in 0..n {
                    free_slot(elem, p.add(HEADER + i * es));
                }
            }
        }
        Type::Map(k, v) => {
            let (es, voff) = map_entry(k, v);
            let n = *(p as *const usize);
            for i in 0..n {
                let e = p.add(HEADER + i * es);
                free_slot(k, e);
                free_slot(v, e.add(voff));
            }
        }
        Type::Record(rd) => free_record_members(rd, p),
        Type::RefOpt(rd) => free_record_opt_members(rd, p),
        _ => {}
    }
    release(p as *mut c_void);
}

/// Frees the members of a record struct (not the struct).
///
/// # Safety
/// `p` is a well-formed record of `rd`.
pub unsafe fn free_record_members(rd: &RecordDesc, p: *mut u8) {
    if rd.has_handle {
        free_slot(&Type::String, p);
    }
    for f in rd.fields {
        free_slot(f.ty, p.add(f.offset));
    }
}

/// Frees the contents of a `record_opt` (the handle or the record, by `is_record`).
///
/// # Safety
/// `p` is a well-formed `struct xen_c_record_opt` for records of `rd`.
pub unsafe fn free_record_opt_members(rd: &'static RecordDesc, p: *mut u8) {
    let is_record = *(p as *const bool);
    let u = p.add(std::mem::size_of::<usize>());
    let inner = *(u as *mut *mut u8);
    if is_record {
        free_value(&Type::Record(rd), inner);
    } else {
        release(inner as *mut c_void);
    }
    *(u as *mut *mut u8) = ptr::null_mut();
}
