//! `libxenserver.so.2`: a drop-in for the XenServer C SDK's ABI over the `xenapi` crate.
//!
//! The C caller supplies the transport (`xen_call_func`); each call encodes its parameters
//! from C memory with `xenapi::wire` (XML-RPC, as the original), hands the request to the
//! caller and decodes the response straight into `malloc`'d C structs. The generated
//! functions (`generated/`) are one-line calls into the runtime with type descriptors.
//!
//! Every `extern "C"` function catches panics; failures are recorded on the session.
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
#[doc(hidden)]
pub mod fuzzing;
#[rustfmt::skip]
pub mod generated;
pub mod login;
pub mod mem;
pub mod misc;
pub mod rt;
pub mod session;

pub use session::xen_session;
