//! The runtime under both C libraries (`libxenserver.so.2` and libxen's `libxenapi.so.1.0`).
//!
//! The two dialects differ only in their generated tables (type descriptors, `extern "C"`
//! functions) and their login functions; everything else lives here: each call encodes its
//! parameters from C memory with `xenapi::wire` (XML-RPC, as the originals), hands the request
//! to the caller's `xen_call_func` and decodes the response straight into `malloc`'d C
//! structs. Every `extern "C"` function catches panics; failures are recorded on the session.
//!
//! The `#[no_mangle]` functions defined here (UUID helpers, `xen_init`, `xen_session_logout`,
//! `xen_session_clear_error`, the built-in transport and logging extensions) are exported by
//! both libraries.
#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// The extern "C" surface takes raw pointers from C by design; each function documents its
// contract in the C header.
#![allow(clippy::missing_safety_doc)]

pub mod call;
pub mod datetime;
pub mod decode;
pub mod desc;
pub mod encode;
pub mod errors;
pub mod ext_transport;
pub mod logging;
pub mod login;
pub mod mem;
pub mod misc;
pub mod rt;
pub mod session;

pub use session::xen_session;
