//! Damaged responses (real VM records from a XenServer host, truncated and corrupted) never
//! crash the decoder into C memory: each call either succeeds with a well-formed result or
//! fails with SERVER_FAULT and a NULL result, and the session stays usable.

use std::cell::RefCell;
use std::ffi::{c_int, c_void, CStr};

use xenserver::generated::xen_vm::xen_vm_get_all_records;
use xenserver::login::{xen_session_login_with_password, xen_session_logout};
use xenserver::session::{xen_result_func, xen_session};

thread_local! {
    static RESPONSE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

const LOGIN: &str = "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
    <member><name>Status</name><value>Success</value></member>\
    <member><name>Value</name><value>OpaqueRef:s</value></member>\
    </struct></value></param></params></methodResponse>";

/// Answers with the current RESPONSE, in chunks of 4 KiB; an empty RESPONSE fails the call.
unsafe extern "C" fn canned(
    _data: *const c_void,
    _len: usize,
    _user: *mut c_void,
    result_handle: *mut c_void,
    result_func: xen_result_func,
) -> c_int {
    let body = RESPONSE.with(|r| r.borrow().clone());
    if body.is_empty() {
        return 1;
    }
    let f = result_func.unwrap();
    for chunk in body.chunks(4096) {
        if !f(chunk.as_ptr() as *const c_void, chunk.len(), result_handle) {
            return 2;
        }
    }
    0
}

fn set_response(body: &[u8]) {
    RESPONSE.with(|r| *r.borrow_mut() = body.to_vec());
}

/// The `VM` records of a real host, as an XML-RPC `VM.get_all_records` response.
fn real_response() -> (Vec<u8>, usize) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data");
    let text = std::fs::read_to_string(root.join("real-xs72-vm1.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vms = &all["VM"];
    let n = vms.as_object().unwrap().len();
    let body = xenapi::wire::encode_success(xenapi::WireFormat::XmlRpc, vms, None).unwrap();
    (body, n)
}

/// A session logged in over the canned transport (the caller logs it out).
fn login() -> *mut xen_session {
    set_response(LOGIN.as_bytes());
    // SAFETY: valid credentials strings.
    unsafe {
        xen_session_login_with_password(
            Some(canned),
            std::ptr::null_mut(),
            c"u".as_ptr(),
            c"p".as_ptr(),
            0,
        )
    }
}

fn error_code(s: *mut xen_session) -> String {
    // SAFETY: a session in error has at least one description string.
    unsafe {
        CStr::from_ptr(*(*s).error_description)
            .to_string_lossy()
            .into_owned()
    }
}

/// One call; Ok(size of the map) or Err(error code). Frees whatever came back.
fn get_all(s: *mut xen_session) -> Result<usize, String> {
    let mut result: *mut c_void = std::ptr::null_mut();
    // SAFETY: a live session and a valid out-pointer; the result is freed below.
    unsafe {
        if xen_vm_get_all_records(s, &mut result) {
            let size = *(result as *const usize);
            xenserver::generated::containers::xen_vm_xen_vm_record_map_free(result);
            Ok(size)
        } else {
            assert!(result.is_null(), "a failed call leaves the result NULL");
            let code = error_code(s);
            xenserver::login::xen_session_clear_error(s);
            Err(code)
        }
    }
}

#[test]
fn truncated_and_corrupted_responses_fail_cleanly() {
    let (body, n) = real_response();
    assert!(n > 0);
    let s = login();
    // SAFETY: login never returns NULL.
    assert!(unsafe { (*s).ok });

    set_response(&body);
    assert_eq!(get_all(s), Ok(n));

    let mut failures = 0;
    for cut in (0..body.len()).step_by((body.len() / 400).max(1)) {
        set_response(&body[..cut.max(1)]);
        match get_all(s) {
            Ok(_) => {}
            Err(code) => {
                assert_eq!(code, "SERVER_FAULT", "truncated at {cut}");
                failures += 1;
            }
        }
    }
    assert!(failures > 300, "truncations must fail: {failures}");

    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for _ in 0..400 {
        let mut damaged = body.clone();
        for _ in 0..4 {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let at = (seed >> 33) as usize % damaged.len();
            damaged[at] = (seed >> 17) as u8;
        }
        set_response(&damaged);
        if let Err(code) = get_all(s) {
            assert_eq!(code, "SERVER_FAULT");
        }
    }

    set_response(&body);
    assert_eq!(get_all(s), Ok(n), "the session is still usable");
    set_response(b"");
    // SAFETY: the session is not used afterwards.
    unsafe { xen_session_logout(s) };
}

#[test]
fn odd_fields_do_not_fail_the_whole_call() {
    let member = |name: &str, value: &str| {
        format!("<member><name>{name}</name><value>{value}</value></member>")
    };
    let odd = [
        member("uuid", "u-odd"),
        member("name_description", "<nil/>"),
        member("VBDs", "<nil/>"),
        member("other_config", "<nil/>"),
        member("power_state", "<nil/>"),
        member("snapshot_time", "1627478400."),
    ]
    .concat();
    let records = [
        member(
            "OpaqueRef:good",
            &format!("<struct>{}</struct>", member("uuid", "u")),
        ),
        member("OpaqueRef:odd", &format!("<struct>{odd}</struct>")),
    ]
    .concat();
    let body = format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>{}{}\
         </struct></value></param></params></methodResponse>",
        member("Status", "Success"),
        member("Value", &format!("<struct>{records}</struct>"))
    );
    let s = login();
    set_response(body.as_bytes());
    assert_eq!(get_all(s), Ok(2));
    set_response(b"");
    // SAFETY: the session is not used afterwards.
    unsafe { xen_session_logout(s) };
}
