//! The `xen_session` object and the errors stored on it.
//!
//! A session is one `calloc` block in exactly the C layout. Its `session_id` and
//! `error_description` strings are separate C-allocator blocks the caller may free itself
//! (libvirt does after a failed login); no Rust state hangs off the session, so a bare
//! `free(session)` leaks nothing but those strings.

use std::ffi::{c_char, c_int, c_void};
use std::ptr;

use crate::mem::{c_string, release, zalloc};

/// Feeds a chunk of the response body to the library; returns true to continue.
pub type xen_result_func = Option<
    unsafe extern "C" fn(data: *const c_void, len: usize, result_handle: *mut c_void) -> bool,
>;

/// Sends a request body and feeds the response back through `result_func`; 0 on success.
pub type xen_call_func = Option<
    unsafe extern "C" fn(
        data: *const c_void,
        len: usize,
        user_handle: *mut c_void,
        result_handle: *mut c_void,
        result_func: xen_result_func,
    ) -> c_int,
>;

/// The C `xen_session` (48 bytes on x86_64).
#[repr(C)]
pub struct xen_session {
    /// The caller's transport.
    pub call_func: xen_call_func,
    /// The caller's handle, passed to `call_func`.
    pub handle: *mut c_void,
    /// The session ref (`OpaqueRef:…`), malloc'd; NULL before a successful login.
    pub session_id: *const c_char,
    /// False once a call has failed, until `xen_session_clear_error`.
    pub ok: bool,
    /// The failure: code first, then its parameters (malloc'd array of malloc'd strings).
    pub error_description: *mut *mut c_char,
    /// Number of strings in `error_description`.
    pub error_description_count: c_int,
    /// The API version of the server (`enum xen_api_version`).
    pub api_version: c_int,
}

/// Error codes this library itself reports (the rest come from the server).
pub mod codes {
    /// `call_func` returned non-zero: `[TRANSPORT_FAULT, rc]`.
    pub const TRANSPORT_FAULT: &str = "TRANSPORT_FAULT";
    /// An XML-RPC fault: `[FAULT, code, string]`.
    pub const FAULT: &str = "FAULT";
    /// A response that cannot be parsed: `[SERVER_FAULT, message]`.
    pub const SERVER_FAULT: &str = "SERVER_FAULT";
    /// A bad argument from the caller (NULL, not UTF-8, an invalid enum value):
    /// `[CLIENT_ERROR, message]`; nothing was sent.
    pub const CLIENT_ERROR: &str = "CLIENT_ERROR";
    /// A failure inside this library (out of memory, a caught panic): `[INTERNAL_ERROR, message]`.
    pub const INTERNAL_ERROR: &str = "INTERNAL_ERROR";
}

impl xen_session {
    /// A new session block: `ok`, no id, no error.
    pub fn alloc(call_func: xen_call_func, handle: *mut c_void) -> *mut xen_session {
        let s = zalloc(std::mem::size_of::<xen_session>()) as *mut xen_session;
        if !s.is_null() {
            // SAFETY: s is a fresh block of the right size; zero is valid for every member.
            unsafe {
                (*s).call_func = call_func;
                (*s).handle = handle;
                (*s).ok = true;
            }
        }
        s
    }

    /// Records a failure: `ok = false`, `error_description = description` (replacing any).
    pub fn set_error<S: AsRef<str>>(&mut self, description: &[S]) {
        self.clear_error();
        self.ok = false;
        let n = description.len();
        let arr = zalloc(n.max(1) * std::mem::size_of::<*mut c_char>()) as *mut *mut c_char;
        if arr.is_null() {
            return;
        }
        for (i, d) in description.iter().enumerate() {
            // SAFETY: arr has room for n pointers.
            unsafe { *arr.add(i) = c_string(d.as_ref()) };
        }
        self.error_description = arr;
        self.error_description_count = n as c_int;
    }

    /// Forgets the failure and makes the session usable again.
    pub fn clear_error(&mut self) {
        if !self.error_description.is_null() {
            for i in 0..self.error_description_count.max(0) as usize {
                // SAFETY: the array holds `count` malloc'd strings (or NULLs).
                unsafe { release(*self.error_description.add(i) as *mut c_void) };
            }
            // SAFETY: the array was malloc'd.
            unsafe { release(self.error_description as *mut c_void) };
        }
        self.error_description = ptr::null_mut();
        self.error_description_count = 0;
        self.ok = true;
    }

    /// The error code, if the session is in error.
    pub fn error_code(&self) -> Option<String> {
        if self.ok || self.error_description.is_null() || self.error_description_count < 1 {
            return None;
        }
        // SAFETY: the first entry is a malloc'd string or NULL.
        unsafe { crate::mem::read_str(*self.error_description) }
            .and_then(Result::ok)
            .map(str::to_owned)
    }

    /// Frees the session and everything it owns.
    ///
    /// # Safety
    /// `s` is NULL or a session from this library, not used afterwards.
    pub unsafe fn destroy(s: *mut xen_session) {
        if s.is_null() {
            return;
        }
        (*s).clear_error();
        release((*s).session_id as *mut c_void);
        release(s as *mut c_void);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_libxenserver() {
        assert_eq!(std::mem::size_of::<xen_session>(), 48);
        assert_eq!(std::mem::offset_of!(xen_session, ok), 24);
        assert_eq!(std::mem::offset_of!(xen_session, error_description), 32);
        assert_eq!(
            std::mem::offset_of!(xen_session, error_description_count),
            40
        );
        assert_eq!(std::mem::offset_of!(xen_session, api_version), 44);
    }

    #[test]
    fn errors_replace_and_clear() {
        let s = xen_session::alloc(None, ptr::null_mut());
        // SAFETY: s is a fresh session.
        unsafe {
            (*s).set_error(&["A", "b"]);
            (*s).set_error(&["C"]);
            assert!(!(*s).ok);
            assert_eq!((*s).error_code().as_deref(), Some("C"));
            assert_eq!((*s).error_description_count, 1);
            (*s).clear_error();
            assert!((*s).ok && (*s).error_description.is_null());
            xen_session::destroy(s);
        }
    }
}
