//! `libxenserver.so.2`: a drop-in for the XenServer C SDK's ABI over the `xenapi` crate.
//!
//! The runtime is shared with the libxen dialect (`xenapi-capi`, re-exported here under the
//! same module names so the generated code reads `crate::call`, `crate::rt`, ...); this crate
//! adds the generated tables and functions (`generated/`) and the login functions.
#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// The extern "C" surface takes raw pointers from C by design; each function documents its
// contract in the C header.
#![allow(clippy::missing_safety_doc)]

pub use xenapi_capi::{
    call, datetime, decode, desc, encode, errors, ext_transport, mem, misc, rt, session,
};
#[doc(hidden)]
pub mod fuzzing;
#[rustfmt::skip]
pub mod generated;
pub mod login;

pub use session::xen_session;
