//! Library initialisation and the UUID helpers.

use std::ffi::{c_char, c_void};

use crate::call::guard;
use crate::mem::{c_string, read_str, release, zalloc};

/// `xen_init`: installs the library's logger (see [`crate::logging`]); nothing else to set up.
#[no_mangle]
pub extern "C" fn xen_init() {
    guard((), crate::logging::init);
}

/// `xen_fini`: nothing to tear down.
#[no_mangle]
pub extern "C" fn xen_fini() {}

/// The 16 bytes of a textual UUID (`8-4-4-4-12` hex digits).
fn uuid_bytes(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s.bytes().filter(|&b| b != b'-').collect();
    let dashes_ok = s.len() == 36 && [8, 13, 18, 23].iter().all(|&i| s.as_bytes()[i] == b'-');
    if hex.len() != 32 || !dashes_ok {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

/// `xen_uuid_string_to_bytes`: `*bytes` = a malloc'd 16-byte array; false (and `*bytes`
/// NULL) when `uuid` is not a UUID.
#[no_mangle]
pub unsafe extern "C" fn xen_uuid_string_to_bytes(
    uuid: *const c_char,
    bytes: *mut *mut c_char,
) -> bool {
    guard(false, || {
        if bytes.is_null() {
            return false;
        }
        *bytes = std::ptr::null_mut();
        let Some(Ok(s)) = read_str(uuid) else {
            return false;
        };
        let Some(b) = uuid_bytes(s) else {
            return false;
        };
        let p = zalloc(16);
        if p.is_null() {
            return false;
        }
        std::ptr::copy_nonoverlapping(b.as_ptr(), p, 16);
        *bytes = p as *mut c_char;
        true
    })
}

/// `xen_uuid_bytes_to_string`: `*uuid` = the malloc'd textual form of 16 bytes.
#[no_mangle]
pub unsafe extern "C" fn xen_uuid_bytes_to_string(
    bytes: *const c_char,
    uuid: *mut *mut c_char,
) -> bool {
    guard(false, || {
        if uuid.is_null() {
            return false;
        }
        *uuid = std::ptr::null_mut();
        if bytes.is_null() {
            return false;
        }
        let b = std::slice::from_raw_parts(bytes as *const u8, 16);
        let mut s = String::with_capacity(36);
        for (i, byte) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                s.push('-');
            }
            s.push_str(&format!("{byte:02x}"));
        }
        *uuid = c_string(&s);
        !(*uuid).is_null()
    })
}

/// `xen_uuid_free`: frees a UUID string.
#[no_mangle]
pub unsafe extern "C" fn xen_uuid_free(uuid: *mut c_char) {
    release(uuid as *mut c_void);
}

/// `xen_uuid_bytes_free`: frees a UUID byte array.
#[no_mangle]
pub unsafe extern "C" fn xen_uuid_bytes_free(bytes: *mut c_char) {
    release(bytes as *mut c_void);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_round_trip() {
        let text = c"0b3a27f6-5a65-4e9c-8f2e-0a1b2c3d4e5f";
        let mut bytes = std::ptr::null_mut();
        let mut back = std::ptr::null_mut();
        // SAFETY: valid pointers; the results are freed below.
        unsafe {
            assert!(xen_uuid_string_to_bytes(text.as_ptr(), &mut bytes));
            assert_eq!(*(bytes as *const u8), 0x0b);
            assert!(xen_uuid_bytes_to_string(bytes, &mut back));
            assert_eq!(std::ffi::CStr::from_ptr(back), text);
            xen_uuid_bytes_free(bytes);
            xen_uuid_free(back);
            assert!(!xen_uuid_string_to_bytes(
                c"not-a-uuid".as_ptr(),
                &mut bytes
            ));
            assert!(bytes.is_null());
        }
    }
}
