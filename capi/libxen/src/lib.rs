//! `libxenapi.so.1.0`: a drop-in for libxen, the Xen tree's C bindings of xend's Xen
//! Management API 1.0 (Xen 3.0.4 – 4.4), over the `xenapi` crate.
//!
//! The runtime is the one libxenserver uses (`xenapi-capi`, re-exported under the same module
//! names so the generated code reads `crate::call`, `crate::rt`, ...); this crate adds the
//! tables and functions generated from xend's model (`generated/`) and libxen's session
//! functions (`login`).
#![warn(missing_docs)]
#![allow(non_camel_case_types)]
// The extern "C" surface takes raw pointers from C by design; each function documents its
// contract in the C header.
#![allow(clippy::missing_safety_doc)]

pub use xenapi_capi::{
    call, datetime, decode, desc, encode, errors, ext_transport, mem, misc, rt, session,
};
#[rustfmt::skip]
pub mod generated;
pub mod login;

pub use session::xen_session;
