//! One RPC over the caller's `call_func`: encode the parameters from C memory, hand the
//! request to the caller, collect the response chunks, decode the result into C memory, and
//! record any failure on the session.

use std::ffi::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize, Serializer};
use xenapi::wire::{self, WireFormat};
use xenapi::Limits;

use crate::decode::Slot;
use crate::desc::Type;
use crate::encode::{CValue, SessionRef};
use crate::mem::free_slot;
use crate::session::{codes, xen_session};

/// The wire format of a session: XML-RPC, as the original libraries speak to any
/// `call_func`, unless the session runs on the built-in transport switched to JSON-RPC
/// (`xenapi_ext_transport_use_json_rpc`).
fn format_of(s: &xen_session) -> WireFormat {
    let builtin = crate::ext_transport::xenapi_ext_call_func as *const () as usize;
    match s.call_func {
        Some(f) if f as *const () as usize == builtin && !s.handle.is_null() => {
            // SAFETY: a session whose call_func is the built-in transport's has a transport
            // as its handle.
            unsafe { (*(s.handle as *const crate::ext_transport::xenapi_ext_transport)).format() }
        }
        _ => WireFormat::XmlRpc,
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// One parameter of a call.
pub enum Arg<'a> {
    /// A C value described by a type descriptor; `name` is for error messages.
    C(&'static str, CValue),
    /// A `xen_session *` where the model has a session ref.
    Session(&'static str, *const xen_session),
    /// A string the library itself supplies.
    Str(&'a str),
}

impl Serialize for Arg<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Arg::C(_, v) => v.serialize(s),
            // SAFETY: checked non-NULL before encoding (see `check_args`).
            Arg::Session(_, p) => SessionRef(unsafe { (**p).session_id }).serialize(s),
            Arg::Str(v) => s.serialize_str(v),
        }
    }
}

/// A parameter of type `ty` held in the C variable `v`.
pub fn arg<T>(name: &'static str, v: &T, ty: &'static Type) -> Arg<'static> {
    Arg::C(
        name,
        CValue {
            ty,
            src: v as *const T as *const u8,
        },
    )
}

/// Where the result goes: a slot of type `ty` (the caller's out-pointer), or nowhere.
#[derive(Clone, Copy)]
pub struct Out {
    ty: Option<&'static Type>,
    dst: *mut u8,
}

/// The result is written to `*dst` as a `ty`.
pub fn out<T>(dst: *mut T, ty: &'static Type) -> Out {
    Out {
        ty: Some(ty),
        dst: dst as *mut u8,
    }
}

/// The message returns nothing.
pub const VOID: Out = Out {
    ty: None,
    dst: std::ptr::null_mut(),
};

struct OutSeed(Out);

impl<'de> DeserializeSeed<'de> for OutSeed {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        match self.0.ty {
            Some(ty) => Slot {
                ty,
                dst: self.0.dst,
            }
            .deserialize(d),
            None => IgnoredAny::deserialize(d).map(drop),
        }
    }
}

/// Runs `f` with the session, catching panics; a NULL session makes the call return false.
///
/// # Safety
/// `session` is NULL or a live session from this library.
pub unsafe fn with_session(
    session: *mut xen_session,
    f: impl FnOnce(&mut xen_session) -> bool,
) -> bool {
    if session.is_null() {
        return false;
    }
    // SAFETY: a non-NULL session comes from this library.
    let s = unsafe { &mut *session };
    match catch_unwind(AssertUnwindSafe(|| f(&mut *s))) {
        Ok(ok) => ok,
        Err(_) => {
            s.set_error(&[codes::INTERNAL_ERROR, "unexpected panic in libxenserver"]);
            false
        }
    }
}

/// Runs `f`, catching panics (for functions without a session); `fallback` on a panic.
pub fn guard<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(fallback)
}

/// Calls `method` with the session ref first, then `args`; the generated functions' body.
///
/// # Safety
/// The argument slots and the out-pointer are valid for their descriptors.
#[inline(never)]
pub unsafe fn call(session: *mut xen_session, method: &str, args: &[Arg], out: Out) -> bool {
    with_session(session, |s| invoke(s, method, true, args, out))
}

/// Sends one call on `s` (with its session ref first when `with_id`), decoding into `out`.
///
/// # Safety
/// The argument slots and the out-pointer are valid for their descriptors.
pub unsafe fn invoke(
    s: &mut xen_session,
    method: &str,
    with_id: bool,
    args: &[Arg],
    out: Out,
) -> bool {
    // The out-pointer is cleared before anything else, even on a session already in error,
    // as the SDK does: code written for it frees the result after a failure.
    if let Some(ty) = out.ty {
        if ty.is_pointer() && !out.dst.is_null() {
            // SAFETY: the out-pointer points to a pointer slot.
            unsafe { *(out.dst as *mut *mut u8) = std::ptr::null_mut() };
        }
    }
    if !s.ok {
        return false;
    }
    if out.ty.is_some() && out.dst.is_null() {
        s.set_error(&[
            codes::CLIENT_ERROR,
            &format!("{method}: the result pointer is NULL"),
        ]);
        return false;
    }
    if let Err(msg) = check_args(args) {
        s.set_error(&[codes::CLIENT_ERROR, &format!("{method}: {msg}")]);
        return false;
    }
    // SAFETY: session_id is NULL or a string this library made.
    let id = unsafe { crate::mem::read_str(s.session_id) }.and_then(Result::ok);
    let id = if with_id {
        Some(id.unwrap_or(""))
    } else {
        None
    };
    let format = format_of(s);
    let body = match wire::encode_call(
        format,
        method,
        id,
        args,
        NEXT_ID.fetch_add(1, Ordering::Relaxed),
    ) {
        Ok(b) => b,
        Err(e) => {
            s.set_error(&[codes::CLIENT_ERROR, &format!("{method}: {e}")]);
            return false;
        }
    };
    let limits = Limits::default();
    crate::logging::init();
    // Parameters are never logged: they carry passwords and session references.
    log::debug!(target: "xenapi::call", "{method}: {} bytes to call_func", body.len());
    let started = Instant::now();
    let response = match transact(s, &body, &limits) {
        Ok(r) => r,
        Err(TransactError::Rc(rc)) => {
            log::debug!(target: "xenapi::call", "{method}: call_func returned {rc}");
            s.set_error(&[codes::TRANSPORT_FAULT, &rc.to_string()]);
            return false;
        }
        Err(TransactError::TooLarge(e)) => {
            log::debug!(target: "xenapi::call", "{method}: {e}");
            s.set_error(&crate::errors::describe(&e));
            return false;
        }
    };
    let decoded = wire::decode_response_seed(format, &response, &limits, OutSeed(out));
    log::debug!(
        target: "xenapi::call",
        "{method}: {} bytes back in {:.1} ms{}",
        response.len(),
        started.elapsed().as_secs_f64() * 1e3,
        match &decoded {
            Ok(()) => String::new(),
            Err(e) => format!(": {}", e.loggable()),
        }
    );
    match decoded {
        Ok(()) => true,
        Err(e) => {
            if let Some(ty) = out.ty {
                // SAFETY: the slot holds whatever was decoded so far, well-formed.
                unsafe { free_slot(ty, out.dst) };
            }
            s.set_error(&crate::errors::describe(&e));
            false
        }
    }
}

fn check_args(args: &[Arg]) -> Result<(), String> {
    for a in args {
        match a {
            Arg::C(name, v) => {
                let must_be_set = matches!(v.ty, Type::String | Type::Ref | Type::Record(_));
                // SAFETY: the slot of a pointer type holds a pointer.
                if must_be_set && unsafe { (*(v.src as *const *const u8)).is_null() } {
                    return Err(format!("parameter `{name}` is NULL"));
                }
            }
            Arg::Session(name, p) => {
                // SAFETY: a non-NULL session comes from this library.
                if p.is_null() || unsafe { (**p).session_id.is_null() } {
                    return Err(format!("parameter `{name}` is not a logged-in session"));
                }
            }
            Arg::Str(_) => {}
        }
    }
    Ok(())
}

/// The response as the library collects it from `result_func` calls.
struct Collector {
    body: Vec<u8>,
    limit: u64,
    too_large: bool,
}

/// The `xen_result_func` handed to `call_func`: appends a chunk to the response, refusing
/// (returning false) once the response exceeds the size limit.
unsafe extern "C" fn collect(data: *const c_void, len: usize, handle: *mut c_void) -> bool {
    if handle.is_null() || (data.is_null() && len > 0) {
        return false;
    }
    guard(false, || {
        let c = &mut *(handle as *mut Collector);
        if (c.body.len() + len) as u64 > c.limit {
            c.too_large = true;
            return false;
        }
        if len > 0 {
            c.body
                .extend_from_slice(std::slice::from_raw_parts(data as *const u8, len));
        }
        true
    })
}

/// Why no response came back.
enum TransactError {
    /// `call_func` returned this non-zero code.
    Rc(c_int),
    /// The response exceeded `Limits::max_response_bytes`.
    TooLarge(xenapi::Error),
}

/// Hands `body` to the caller's `call_func` and collects the response.
fn transact(s: &xen_session, body: &[u8], limits: &Limits) -> Result<Vec<u8>, TransactError> {
    let Some(call_func) = s.call_func else {
        return Err(TransactError::Rc(-1));
    };
    // The built-in transport hands over its response buffer instead of copying it into the
    // collector, so the body is held once.
    if call_func as *const () == crate::ext_transport::xenapi_ext_call_func as *const () {
        // SAFETY: with this call_func the handle is a transport (or NULL), as for any call.
        return unsafe { crate::ext_transport::post_owned(s.handle, body, limits) }.map_err(|rc| {
            match rc {
                crate::ext_transport::XENAPI_EXT_TOO_LARGE => {
                    TransactError::TooLarge(xenapi::Error::TooLarge {
                        limit: limits.max_response_bytes,
                    })
                }
                rc => TransactError::Rc(rc),
            }
        });
    }
    let mut response = Collector {
        body: Vec::new(),
        limit: limits.max_response_bytes,
        too_large: false,
    };
    // SAFETY: the caller's call_func gets the request and our collector, which outlives the
    // call.
    let rc = unsafe {
        call_func(
            body.as_ptr() as *const c_void,
            body.len(),
            s.handle,
            &mut response as *mut Collector as *mut c_void,
            Some(collect),
        )
    };
    if response.too_large {
        Err(TransactError::TooLarge(xenapi::Error::TooLarge {
            limit: limits.max_response_bytes,
        }))
    } else if rc == 0 {
        Ok(response.body)
    } else {
        Err(TransactError::Rc(rc))
    }
}

/// `get_record`: as [`call`], then sets the record's `handle` to the ref asked for.
///
/// The original libraries set `handle` to the record's UUID; it is typed `xen_c` (a ref),
/// so this library stores the ref (the UUID stays in `record->uuid`).
///
/// # Safety
/// As [`call`]; `ty` is a `Type::Record` whose struct starts with its handle.
#[inline(never)]
pub unsafe fn get_record(
    session: *mut xen_session,
    method: &str,
    self_ref: *mut c_void,
    result: *mut *mut c_void,
    ty: &'static Type,
) -> bool {
    let ok = call(
        session,
        method,
        &[arg("self", &self_ref, &Type::Ref)],
        out(result, ty),
    );
    if ok {
        with_session(session, |_| {
            fill_handle(*result as *mut u8, self_ref as *const c_char);
            true
        });
    }
    ok
}

/// `get_all_records`: as [`call`], then sets each record's `handle` to its ref (the key).
///
/// # Safety
/// As [`call`]; `ty` is a `Type::Map(Ref, Record)`.
#[inline(never)]
pub unsafe fn get_all_records(
    session: *mut xen_session,
    method: &str,
    result: *mut *mut c_void,
    ty: &'static Type,
) -> bool {
    let ok = call(session, method, &[], out(result, ty));
    if let (true, Type::Map(k, v)) = (ok, ty) {
        with_session(session, |_| {
            let map = *result as *mut u8;
            if map.is_null() {
                return true;
            }
            let (es, voff) = crate::desc::map_entry(k, v);
            for i in 0..*(map as *const usize) {
                let e = map.add(crate::desc::HEADER + i * es);
                fill_handle(
                    *(e.add(voff) as *const *mut u8),
                    *(e as *const *const c_char),
                );
            }
            true
        });
    }
    ok
}

/// Stores a copy of `r` as the handle of `record` unless it has one.
unsafe fn fill_handle(record: *mut u8, r: *const c_char) {
    if record.is_null() || r.is_null() {
        return;
    }
    let handle = record as *mut *mut c_char;
    if (*handle).is_null() {
        if let Some(Ok(s)) = crate::mem::read_str(r) {
            *handle = crate::mem::c_string(s);
        }
    }
}

/// A message returning a session ref: `*result` becomes a new session on the same transport
/// (`call_func`, handle and API version), freed with `xen_session_logout` or
/// `xen_session_local_logout`.
///
/// # Safety
/// As [`call`]; `result` is NULL or points to a `xen_session *`.
#[inline(never)]
pub unsafe fn new_session(
    session: *mut xen_session,
    method: &str,
    args: &[Arg],
    result: *mut *mut xen_session,
) -> bool {
    with_session(session, |s| {
        if !result.is_null() {
            *result = std::ptr::null_mut();
        }
        if !s.ok {
            return false;
        }
        if result.is_null() {
            s.set_error(&[
                codes::CLIENT_ERROR,
                &format!("{method}: the result pointer is NULL"),
            ]);
            return false;
        }
        let mut id: *mut c_char = std::ptr::null_mut();
        if !invoke(s, method, true, args, out(&mut id, &Type::Ref)) {
            return false;
        }
        let n = xen_session::alloc(s.call_func, s.handle);
        if n.is_null() {
            crate::mem::release(id as *mut c_void);
            s.set_error(&[codes::INTERNAL_ERROR, "out of memory"]);
            return false;
        }
        (*n).session_id = id;
        (*n).api_version = s.api_version;
        *result = n;
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_collector_refuses_a_response_beyond_the_limit() {
        let mut c = Collector {
            body: Vec::new(),
            limit: 10,
            too_large: false,
        };
        let h = &mut c as *mut Collector as *mut c_void;
        let chunk = b"123456";
        // SAFETY: valid chunk and collector.
        unsafe {
            assert!(collect(chunk.as_ptr() as *const c_void, 6, h));
            assert!(!collect(chunk.as_ptr() as *const c_void, 6, h));
            assert!(!collect(std::ptr::null(), 1, h));
        }
        assert!(c.too_large);
        assert_eq!(c.body, b"123456");
    }
}
