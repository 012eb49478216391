//! Session lifecycle: login, logout, clearing errors.

use std::ffi::{c_char, c_int, c_void};

use xenapi_capi::login::{login, logout_with};
// The logout and error-clearing functions are the same in both dialects.
pub use xenapi_capi::login::{xen_session_clear_error, xen_session_logout};

use crate::call::{invoke, out, with_session, Arg};
use crate::desc::Type;
use crate::generated::api_version::{self, XEN_API_UNKNOWN_VERSION};
use crate::session::{xen_call_func, xen_session};

/// Reads `host.API_version_major/minor` of the session's host into `api_version`. A failure
/// here does not fail the login: the version stays unknown and the session stays usable.
fn read_api_version(s: &mut xen_session) {
    let sp = s as *const xen_session;
    let mut host: *mut c_char = std::ptr::null_mut();
    let (mut major, mut minor) = (0i64, 0i64);
    // SAFETY: every argument and result slot is a local of the right type; `sp` is `s`.
    let ok = unsafe {
        invoke(
            s,
            "session.get_this_host",
            true,
            &[Arg::Session("self", sp)],
            out(&mut host, &Type::Ref),
        ) && invoke(
            s,
            "host.get_API_version_major",
            true,
            &[crate::call::arg("host", &host, &Type::Ref)],
            out(&mut major, &Type::Int),
        ) && invoke(
            s,
            "host.get_API_version_minor",
            true,
            &[crate::call::arg("host", &host, &Type::Ref)],
            out(&mut minor, &Type::Int),
        )
    };
    // SAFETY: host is NULL or malloc'd by the decoder.
    unsafe { crate::mem::release(host as *mut c_void) };
    s.api_version = if ok {
        api_version::from_int(major, minor)
    } else {
        XEN_API_UNKNOWN_VERSION
    };
    s.clear_error();
}

/// `xen_session_login_with_password`: never NULL (unless memory is exhausted); on failure
/// `ok` is false and `error_description` says why.
#[no_mangle]
pub unsafe extern "C" fn xen_session_login_with_password(
    call_func: xen_call_func,
    handle: *mut c_void,
    uname: *const c_char,
    pwd: *const c_char,
    version: c_int,
) -> *mut xen_session {
    let s = xen_session::alloc(call_func, handle);
    with_session(s, |s| {
        let v = api_version::to_str(version).unwrap_or(api_version::LATEST);
        s.api_version = version;
        if login(s, "session.login_with_password", uname, pwd, Some(v)) {
            read_api_version(s);
        }
        s.ok
    });
    s
}

/// `xen_session_slave_local_login_with_password`: emergency login on a pool member.
#[no_mangle]
pub unsafe extern "C" fn xen_session_slave_local_login_with_password(
    call_func: xen_call_func,
    handle: *mut c_void,
    uname: *const c_char,
    pwd: *const c_char,
) -> *mut xen_session {
    let s = xen_session::alloc(call_func, handle);
    with_session(s, |s| {
        s.api_version = XEN_API_UNKNOWN_VERSION;
        login(
            s,
            "session.slave_local_login_with_password",
            uname,
            pwd,
            None,
        )
    });
    s
}

/// `xen_session_local_logout`: as `xen_session_logout` for a session from
/// `xen_session_slave_local_login_with_password` (void, as the SDK declares it).
#[no_mangle]
pub unsafe extern "C" fn xen_session_local_logout(session: *mut xen_session) {
    logout_with(session, "session.local_logout");
}
