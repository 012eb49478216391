//! Logging in and out, as both dialects do it: the credentials checked before anything is
//! sent, the login call itself, and the logout and error-clearing functions both export.

use std::ffi::c_char;

use crate::call::{invoke, out, with_session, Arg, VOID};
use crate::desc::Type;
use crate::mem::read_str;
use crate::session::{codes, xen_session};

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

/// Logs in with `method`, sending `[uname, pwd]` and the `version` if given (into the
/// session's `session_id`); retries without the version when the server wants fewer
/// parameters. Credentials that are NULL or not UTF-8 fail the session with `CLIENT_ERROR`
/// before anything is sent.
///
/// # Safety
/// `uname` and `pwd` are NULL or NUL-terminated strings.
pub unsafe fn login(
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

/// Sends `method` (unless the session is in error) and frees the session in every case.
///
/// # Safety
/// `session` is NULL or a live session from this library, not used afterwards.
pub unsafe fn logout_with(session: *mut xen_session, method: &str) {
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

/// `xen_session_clear_error`: forgets the stored failure; calls are sent again.
#[no_mangle]
pub unsafe extern "C" fn xen_session_clear_error(session: *mut xen_session) {
    with_session(session, |s| {
        s.clear_error();
        true
    });
}
