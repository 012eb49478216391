//! Extension (not in the original library): a built-in transport for C callers, so a
//! program needs no HTTP code of its own. It wraps the `xenapi` crate's transports (HTTP and
//! HTTPS with keep-alive and certificate verification, certificate pinning, a Unix socket)
//! and is used as a session's `call_func` with the transport as its handle:
//!
//! ```c
//! xenapi_ext_transport *t = xenapi_ext_transport_new("https://host", NULL, &err);
//! xen_session *s = xen_session_login_with_password(xenapi_ext_call_func, t, ...);
//! ```
//!
//! The caller owns the transport (freed with `xenapi_ext_transport_free` after the sessions
//! using it), so a session stays one `malloc` block with no Rust state hanging off it.

use std::ffi::{c_char, c_int, c_uint, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use xenapi::transport::{
    HttpOptions, Timeouts, TlsVerification, Transport, UnixTransport, UreqTransport,
};
use xenapi::{Error, Limits, WireFormat};

use crate::call::guard;
use crate::mem::{c_string, read_str};
use crate::session::xen_result_func;

/// `call_func` result: the transport failed (see `xenapi_ext_transport_last_error`).
pub const XENAPI_EXT_TRANSPORT_ERROR: c_int = -1;
/// `call_func` result: the response exceeded the size limit.
pub const XENAPI_EXT_TOO_LARGE: c_int = -2;
/// `call_func` result: the library refused the response data.
pub const XENAPI_EXT_RESULT_REFUSED: c_int = -3;
/// `call_func` result: the handle is not a transport.
pub const XENAPI_EXT_BAD_HANDLE: c_int = -4;

/// The C `xenapi_ext_transport_options`.
#[repr(C)]
pub struct xenapi_ext_transport_options {
    /// PEM certificates to trust instead of the public roots (a CA, or the server's own
    /// self-signed certificate); NULL for the public roots.
    pub ca_pem: *const c_char,
    /// Accept exactly the certificate with this SHA-256 fingerprint (hex, `:` optional).
    pub pin_sha256: *const c_char,
    /// Accept any certificate (no protection against a man in the middle).
    pub insecure_accept_any_certificate: bool,
    /// Connect timeout in milliseconds; 0 for the default (10 s).
    pub connect_timeout_ms: c_uint,
    /// Deadline of each whole call in milliseconds; 0 for the default (1 hour).
    pub call_timeout_ms: c_uint,
    /// Longest wait for one read or write in milliseconds; 0 for none.
    pub io_timeout_ms: c_uint,
}

/// The C `xenapi_ext_transport` (opaque to C).
pub struct xenapi_ext_transport {
    inner: Box<dyn Transport>,
    limits: Limits,
    last_error: Mutex<Option<String>>,
    json_rpc: AtomicBool,
}

impl xenapi_ext_transport {
    /// The wire format the library speaks to sessions on this transport.
    pub fn format(&self) -> WireFormat {
        if self.json_rpc.load(Ordering::Relaxed) {
            WireFormat::JsonRpc
        } else {
            WireFormat::XmlRpc
        }
    }
}

fn options(
    o: Option<&xenapi_ext_transport_options>,
) -> Result<(TlsVerification, Timeouts), String> {
    let mut timeouts = Timeouts::default();
    let Some(o) = o else {
        return Ok((TlsVerification::default(), timeouts));
    };
    if o.connect_timeout_ms > 0 {
        timeouts.connect = Some(Duration::from_millis(o.connect_timeout_ms.into()));
    }
    if o.call_timeout_ms > 0 {
        timeouts.call = Some(Duration::from_millis(o.call_timeout_ms.into()));
    }
    if o.io_timeout_ms > 0 {
        timeouts.io = Some(Duration::from_millis(o.io_timeout_ms.into()));
    }
    // SAFETY: the caller passes NUL-terminated strings or NULL.
    let (ca, pin) = unsafe { (read_str(o.ca_pem), read_str(o.pin_sha256)) };
    let chosen = [
        ca.is_some(),
        pin.is_some(),
        o.insecure_accept_any_certificate,
    ];
    if chosen.iter().filter(|c| **c).count() > 1 {
        return Err("choose one of ca_pem, pin_sha256 and insecure_accept_any_certificate".into());
    }
    let tls = match (ca, pin) {
        (Some(pem), _) => {
            let pem = pem.map_err(|_| "ca_pem is not UTF-8".to_owned())?;
            TlsVerification::trust_pem(pem).map_err(|e| format!("ca_pem: {e}"))?
        }
        (_, Some(fp)) => {
            let fp = fp.map_err(|_| "pin_sha256 is not UTF-8".to_owned())?;
            TlsVerification::pin(fp).map_err(|e| format!("pin_sha256: {e}"))?
        }
        _ if o.insecure_accept_any_certificate => TlsVerification::DangerAcceptAnyCertificate,
        _ => TlsVerification::default(),
    };
    Ok((tls, timeouts))
}

fn open(url: &str, o: Option<&xenapi_ext_transport_options>) -> Result<Box<dyn Transport>, String> {
    let (tls, timeouts) = options(o)?;
    if let Some(path) = url.strip_prefix("unix:") {
        return Ok(Box::new(UnixTransport::new(path, timeouts)));
    }
    UreqTransport::new(
        url,
        HttpOptions {
            tls,
            timeouts,
            ..HttpOptions::default()
        },
    )
    .map(|t| Box::new(t) as Box<dyn Transport>)
    .map_err(|e| e.report())
}

/// `xenapi_ext_transport_new(url, options, error)`: a transport to `url` (`http://`,
/// `https://` or `unix:/path`); `options` may be NULL (verify against the public roots).
/// NULL on failure, with `*error` (when `error` is not NULL) a malloc'd message.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_transport_new(
    url: *const c_char,
    options: *const xenapi_ext_transport_options,
    error: *mut *mut c_char,
) -> *mut xenapi_ext_transport {
    guard(std::ptr::null_mut(), || {
        crate::logging::init();
        if !error.is_null() {
            *error = std::ptr::null_mut();
        }
        let made = match read_str(url) {
            None => Err("the URL is NULL".to_owned()),
            Some(Err(_)) => Err("the URL is not UTF-8".to_owned()),
            Some(Ok(u)) => open(u, options.as_ref()),
        };
        match made {
            Ok(inner) => Box::into_raw(Box::new(xenapi_ext_transport {
                inner,
                limits: Limits::default(),
                last_error: Mutex::new(None),
                json_rpc: AtomicBool::new(false),
            })),
            Err(msg) => {
                if !error.is_null() {
                    *error = c_string(&msg);
                }
                std::ptr::null_mut()
            }
        }
    })
}

/// `xenapi_ext_transport_free`: closes the connections; NULL is fine.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_transport_free(transport: *mut xenapi_ext_transport) {
    if !transport.is_null() {
        guard((), || drop(Box::from_raw(transport)));
    }
}

/// `xenapi_ext_transport_last_error`: a malloc'd description of the last failure, or NULL.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_transport_last_error(
    transport: *mut xenapi_ext_transport,
) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        let Some(t) = transport.as_ref() else {
            return std::ptr::null_mut();
        };
        let last = t.last_error.lock().unwrap_or_else(|p| p.into_inner());
        last.as_deref().map_or(std::ptr::null_mut(), c_string)
    })
}

/// `xenapi_ext_call_func`: a `xen_call_func` whose user handle is a `xenapi_ext_transport *`.
/// Returns 0, an HTTP status, or a negative `XENAPI_EXT_*` code.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_call_func(
    data: *const c_void,
    len: usize,
    user_handle: *mut c_void,
    result_handle: *mut c_void,
    result_func: xen_result_func,
) -> c_int {
    guard(XENAPI_EXT_TRANSPORT_ERROR, || {
        let Some(t) = (user_handle as *const xenapi_ext_transport).as_ref() else {
            return XENAPI_EXT_BAD_HANDLE;
        };
        let Some(result_func) = result_func else {
            return XENAPI_EXT_RESULT_REFUSED;
        };
        let body = if data.is_null() {
            &[][..]
        } else {
            std::slice::from_raw_parts(data as *const u8, len)
        };
        match t.post(body, &t.limits) {
            Ok(resp) => {
                if result_func(resp.as_ptr() as *const c_void, resp.len(), result_handle) {
                    0
                } else {
                    t.set_last_error(Some("the response was refused".to_owned()));
                    XENAPI_EXT_RESULT_REFUSED
                }
            }
            Err(rc) => rc,
        }
    })
}

/// `xenapi_ext_transport_use_json_rpc(transport, on)`: whether sessions on this transport speak
/// JSON-RPC (posted to `/jsonrpc`) instead of XML-RPC. xapi answers JSON-RPC faster; xend only
/// speaks XML-RPC. Set it before logging in; false for a NULL transport.
#[no_mangle]
pub unsafe extern "C" fn xenapi_ext_transport_use_json_rpc(
    transport: *mut xenapi_ext_transport,
    on: bool,
) -> bool {
    match transport.as_ref() {
        Some(t) => {
            t.json_rpc.store(on, Ordering::Relaxed);
            true
        }
        None => false,
    }
}

/// The library's own use of the built-in transport: the response buffer itself, not a copy
/// handed through `result_func`. The session's limit applies when it is tighter.
///
/// # Safety
/// `user_handle` is NULL or a transport from `xenapi_ext_transport_new`.
pub(crate) unsafe fn post_owned(
    user_handle: *mut c_void,
    body: &[u8],
    limits: &Limits,
) -> Result<Vec<u8>, c_int> {
    let Some(t) = (user_handle as *const xenapi_ext_transport).as_ref() else {
        return Err(XENAPI_EXT_BAD_HANDLE);
    };
    let limits = Limits {
        max_response_bytes: limits.max_response_bytes.min(t.limits.max_response_bytes),
        ..*limits
    };
    t.post(body, &limits)
}

impl xenapi_ext_transport {
    /// One request; a failure becomes the `call_func` code, its message the last error.
    fn post(&self, body: &[u8], limits: &Limits) -> Result<Vec<u8>, c_int> {
        let outcome = self.inner.post(self.format().path(), body, limits);
        let (rc, msg) = match outcome {
            Ok(resp) => {
                self.set_last_error(None);
                return Ok(resp);
            }
            Err(e @ Error::Http { status, .. }) => (c_int::from(status), e.report()),
            Err(e @ Error::TooLarge { .. }) => (XENAPI_EXT_TOO_LARGE, e.report()),
            Err(e) => (XENAPI_EXT_TRANSPORT_ERROR, e.report()),
        };
        self.set_last_error(Some(msg));
        Err(rc)
    }

    fn set_last_error(&self, msg: Option<String>) {
        *self.last_error.lock().unwrap_or_else(|p| p.into_inner()) = msg;
    }
}
