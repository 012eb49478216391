//! Session lifecycle: login, logout, clearing errors.

use std::ffi::{c_char, c_int, c_void};

use crate::call::{invoke, out, with_session, Arg, VOID};
use crate::desc::Type;
use crate::generated::api_version::{self, XEN_API_UNKNOWN_VERSION};
use crate::mem::read_str;
use crate::session::{codes, xen_call_func, xen_session};

/// What xapi answers when a message gets a different number of parameters than it takes.
const PARAMETER_COUNT_MISMATCH: &str = "MESSAGE_PARAMETER_COUNT_MISMATCH";

/// Reads a caller's credential string; an error message when it is unusable.
fn credential<'a>(p: *const c_char, what: &str) -> Result<&'a str, String> {
    // SAFETY: the caller passes a NUL-terminated string or NULL.
    match unsafe { read_str(p) } {
        None => Err(format!("login: {what} is NULL")),
        Some(Err(_)) => Err(format!("login: {what} is not UTF-8")),
        Some(Ok(s)) => Ok(s),
    }
}

fn new_session(call_func: xen_call_func, handle: *mut c_void) -> *mut xen_session {
    xen_session::alloc(call_func, handle)
}

/// Logs in with `method`, sending `[uname, pwd]` and the `version` if given; retries
/// without the version when the server wants fewer parameters.
fn login(
    s: &mut xen_session,
    method: &str,
    uname: *const c_char,
    pwd: *const c_char,
    version: Option<&str>,
) -> bool {
    let (u, p) = match (
        credential(uname, "the user name"),
        credential(pwd, "the password"),
    ) {
        (Ok(u), Ok(p)) => (u, p),
        (Err(e), _) | (_, Err(e)) => {
            s.set_error(&[codes::CLIENT_ERROR, &e]);
            return false;
        }
    };
    let mut args = vec![Arg::Str(u), Arg::Str(p)];
    args.extend(version.map(Arg::Str));
    let id = &mut s.session_id as *mut *const c_char;
    // SAFETY: the arguments are strings the library holds; the result slot is the session's
    // own `session_id` (NULL before a login).
    if unsafe { invoke(s, method, false, &args, out(id, &Type::String)) } {
        return true;
    }
    if version.is_some() && s.error_code().as_deref() == Some(PARAMETER_COUNT_MISMATCH) {
        s.clear_error();
        // SAFETY: as above.
        return unsafe { invoke(s, method, false, &args[..2], out(id, &Type::String)) };
    }
    false
}

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
    let s = new_session(call_func, handle);
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
    let s = new_session(call_func, handle);
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

/// Sends `method` (unless the session is in error) and frees the session.
///
/// # Safety
/// `session` is NULL or a live session from this library, not used afterwards.
unsafe fn logout_with(session: *mut xen_session, method: &str) {
    with_session(session, |s| {
        s.ok && !s.session_id.is_null() && invoke(s, method, true, &[], VOID)
    });
    xen_session::destroy(session);
}

/// `xen_session_logout`: sends `session.logout` (unless the session is in error) and frees
/// the session in every case.
#[no_mangle]
pub unsafe extern "C" fn xen_session_logout(session: *mut xen_session) {
    logout_with(session, "session.logout");
}

/// `xen_session_local_logout`: as `xen_session_logout` for a session from
/// `xen_session_slave_local_login_with_password` (void, as the SDK declares it).
#[no_mangle]
pub unsafe extern "C" fn xen_session_local_logout(session: *mut xen_session) {
    logout_with(session, "session.local_logout");
}

/// `xen_session_clear_error`: forgets the stored failure; calls are sent again.
#[no_mangle]
pub unsafe extern "C" fn xen_session_clear_error(session: *mut xen_session) {
    with_session(session, |s| {
        s.clear_error();
        true
    });
}
