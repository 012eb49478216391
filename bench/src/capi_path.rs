//! The C ABI decode path, driven the way a C program drives it: a `xen_session` whose
//! `call_func` answers from memory, `xen_vm_get_all_records` into malloc'd structs, then
//! `xen_vm_xen_vm_record_map_free` when the result is dropped.

use std::cell::Cell;
use std::ffi::{c_int, c_void, CString};
use std::ptr;

use xenserver::generated::containers::xen_vm_xen_vm_record_map_free;
use xenserver::generated::xen_vm::xen_vm_get_all_records;
use xenserver::login::{xen_session_login_with_password, xen_session_logout};
use xenserver::session::{xen_result_func, xen_session};

/// How big a piece `call_func` hands over at a time, as a socket read would.
const CHUNK: usize = 64 * 1024;

/// What the canned `call_func` answers: the big response for `VM.get_all_records`, and
/// small ones for the login sequence.
struct Canned {
    get_all_records: Cell<*const [u8]>,
}

/// A logged-in C session whose `VM.get_all_records` answers with given bytes.
pub struct CApiDecoder {
    session: *mut xen_session,
    canned: Box<Canned>,
}

impl CApiDecoder {
    /// Logs in through the C API against the canned responder.
    pub fn new() -> CApiDecoder {
        let empty: &'static [u8] = &[];
        let canned = Box::new(Canned {
            get_all_records: Cell::new(empty),
        });
        let user = CString::new("root").unwrap();
        let password = CString::new("xenroot").unwrap();
        // SAFETY: `canned` outlives the session (both are owned by the returned value, and
        // the session is logged out in `drop` before `canned` is freed).
        let session = unsafe {
            xen_session_login_with_password(
                Some(answer),
                &*canned as *const Canned as *mut c_void,
                user.as_ptr(),
                password.as_ptr(),
                xenserver::generated::api_version::from_int(2, 23),
            )
        };
        // SAFETY: login never returns NULL and the session is live.
        assert!(unsafe { (*session).ok }, "the canned C login failed");
        CApiDecoder { session, canned }
    }

    /// Decodes `response` into C records (freed when the returned value is dropped).
    pub fn decode(&self, response: &[u8]) -> CRecords {
        self.canned.get_all_records.set(response as *const [u8]);
        let mut map: *mut c_void = ptr::null_mut();
        // SAFETY: the session is live; `map` receives a malloc'd map or NULL.
        let ok = unsafe { xen_vm_get_all_records(self.session, &mut map) };
        assert!(ok && !map.is_null(), "xen_vm_get_all_records failed");
        CRecords { map }
    }
}

/// The map `xen_vm_get_all_records` returned, freed on drop.
pub struct CRecords {
    map: *mut c_void,
}

impl CRecords {
    /// How many VMs the map holds.
    pub fn len(&self) -> usize {
        // SAFETY: a map block starts with its size_t size.
        unsafe { *(self.map as *const usize) }
    }
}

impl Drop for CRecords {
    fn drop(&mut self) {
        // SAFETY: `map` came from xen_vm_get_all_records and is freed once.
        unsafe { xen_vm_xen_vm_record_map_free(self.map) };
    }
}

impl Drop for CApiDecoder {
    fn drop(&mut self) {
        // SAFETY: the session is live and not used afterwards.
        unsafe { xen_session_logout(self.session) };
    }
}

fn wrap(value: &str) -> Vec<u8> {
    format!(
        "<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>{value}</value></member></struct></value></param></params></methodResponse>"
    )
    .into_bytes()
}

unsafe extern "C" fn answer(
    data: *const c_void,
    len: usize,
    user_handle: *mut c_void,
    result_handle: *mut c_void,
    result_func: xen_result_func,
) -> c_int {
    // SAFETY: the library hands over its request body and our handle.
    let request = unsafe { std::slice::from_raw_parts(data as *const u8, len) };
    let canned = unsafe { &*(user_handle as *const Canned) };
    let contains = |needle: &[u8]| request.windows(needle.len()).any(|w| w == needle);
    let small;
    let body: &[u8] = if contains(b"VM.get_all_records") {
        // SAFETY: `decode` set a slice that lives for the duration of the call.
        unsafe { &*canned.get_all_records.get() }
    } else if contains(b"API_version_major") {
        small = wrap("2");
        &small
    } else if contains(b"API_version_minor") {
        small = wrap("23");
        &small
    } else if contains(b"get_this_host") {
        small = wrap("OpaqueRef:bench-host");
        &small
    } else if contains(b"login_with_password") {
        small = wrap("OpaqueRef:bench-session");
        &small
    } else if contains(b"session.logout") {
        small = wrap("");
        &small
    } else {
        return 1;
    };
    let feed = result_func.expect("the library passes a result_func");
    for chunk in body.chunks(CHUNK) {
        // SAFETY: a valid chunk and the library's own handle.
        if !unsafe { feed(chunk.as_ptr() as *const c_void, chunk.len(), result_handle) } {
            return 2;
        }
    }
    0
}
