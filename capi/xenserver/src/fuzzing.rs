//! Entry point of the C ABI fuzz target in `fuzz/`, shared with the test `fuzz_replay`: a
//! response body decoded by `xen_vm_get_all_records` into `malloc`'d C structs, which are
//! then freed, as a C program would.

use std::ffi::{c_int, c_void};

use crate::generated::containers::xen_vm_xen_vm_record_map_free;
use crate::generated::xen_vm::xen_vm_get_all_records;
use crate::mem::{c_string, release};
use crate::session::{xen_result_func, xen_session};

/// A `call_func` answering every request with the bytes its handle points to.
unsafe extern "C" fn canned(
    _data: *const c_void,
    _len: usize,
    user_handle: *mut c_void,
    result_handle: *mut c_void,
    result_func: xen_result_func,
) -> c_int {
    let body = &*(user_handle as *const &[u8]);
    match result_func {
        Some(f) if f(body.as_ptr() as *const c_void, body.len(), result_handle) => 0,
        _ => -1,
    }
}

/// `data` as the response to `VM.get_all_records`, decoded into C structs and freed.
pub fn c_vm_records(data: &[u8]) {
    let mut body = data;
    let s = xen_session::alloc(Some(canned), &mut body as *mut &[u8] as *mut c_void);
    if s.is_null() {
        return;
    }
    // SAFETY: `s` is a fresh session whose handle (`body`) outlives it; the result is a
    // record map or NULL, freed by its own free function; the session block and its strings
    // are malloc'd.
    unsafe {
        (*s).session_id = c_string("OpaqueRef:fuzz");
        let mut map: *mut c_void = std::ptr::null_mut();
        if xen_vm_get_all_records(s, &mut map) {
            xen_vm_xen_vm_record_map_free(map);
        }
        (*s).clear_error();
        release((*s).session_id as *mut c_void);
        release(s as *mut c_void);
    }
}
