//! libxen's session functions: the four-argument login, logout, clearing errors, and the
//! client version libxen declared.

use std::ffi::{c_char, c_int, c_void};

use xenapi_capi::login::login;
// The logout and error-clearing functions are the same in both dialects.
pub use xenapi_capi::login::{xen_session_clear_error, xen_session_logout};

use crate::call::with_session;
use crate::mem::{c_string, release, zalloc};
use crate::session::{xen_call_func, xen_session};

/// The session's `api_version` slot lies in the padding after `error_description_count` in
/// libxen's 48-byte struct: the runtime may write it, libxen callers never see it.
const NO_API_VERSION: c_int = 0;

/// `xen_session_login_with_password`: sends `session.login_with_password(uname, pwd)`, as
/// xend takes it. Never NULL (unless memory is exhausted); on failure `ok` is false and
/// `error_description` says why.
#[no_mangle]
pub unsafe extern "C" fn xen_session_login_with_password(
    call_func: xen_call_func,
    handle: *mut c_void,
    uname: *const c_char,
    pwd: *const c_char,
) -> *mut xen_session {
    let s = xen_session::alloc(call_func, handle);
    with_session(s, |s| {
        s.api_version = NO_API_VERSION;
        login(s, "session.login_with_password", uname, pwd, None)
    });
    s
}

/// libxen's `xen_version`.
#[repr(C)]
pub struct xen_version {
    /// Major version.
    pub major: c_int,
    /// Minor version.
    pub minor: c_int,
    /// Patch level.
    pub patch: c_int,
    /// Anything after the numbers, malloc'd.
    pub extraversion: *mut c_char,
}

/// `xen_get_client_side_version` (declared but never defined by libxen): the API version this
/// library speaks, 1.0.0, in a malloc'd struct freed with `xen_version_free`.
#[no_mangle]
pub extern "C" fn xen_get_client_side_version() -> *mut xen_version {
    crate::call::guard(std::ptr::null_mut(), || {
        let v = zalloc(std::mem::size_of::<xen_version>()) as *mut xen_version;
        if !v.is_null() {
            // SAFETY: a fresh zeroed block of the struct's size.
            unsafe {
                (*v).major = 1;
                (*v).extraversion = c_string("");
            }
        }
        v
    })
}

/// `xen_version_free` (declared but never defined by libxen); NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn xen_version_free(version: *mut xen_version) {
    if version.is_null() {
        return;
    }
    release((*version).extraversion as *mut c_void);
    release(version as *mut c_void);
}
