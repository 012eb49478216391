//! xend mode: the Xen Management API 1.0 as xend (Xen 3.0.4 – 4.4) served it.
//!
//! The model is libxen 4.4's ([`crate::Model::xend`]), plus xend's `task` class (xend served
//! tasks for `Async.` calls although libxen has no binding for them). Served over the same
//! HTTP, HTTPS and Unix-socket listeners as xapi mode; what differs:
//!
//! - refs are the objects' UUIDs (a UUID is accepted wherever a ref is), session ids too;
//!   Domain-0 is the VM with the all-zero UUID;
//! - `session.login_with_password(user, password)` takes exactly two parameters;
//! - one host; the pool has a `Pool-0` cpu pool holding every host CPU;
//! - `event.register` / `event.next` / `event.unregister` deliver xend's event record
//!   (`id`, `class` as the API spells it, `operation`, `ref`, `obj_uuid`, `timestamp`,
//!   `field`: the first field that changed, `""` for `add`/`del`), and no `event.from`;
//! - `Async.` works for every explicit message and for `create` / `destroy` (not for session,
//!   event or task messages); a finished task's `result` is the plain result (a UUID for a
//!   ref), `progress` is a percentage;
//! - the VM lifecycle has `Crashed` (see [`vm`]) and xend's capitalised state names in
//!   `VM_BAD_POWER_STATE [vm, expected, actual]`;
//! - cpu pools ([`cpu_pool`]), the security policy and labels ([`xspolicy`]) and the host's
//!   messages ([`host`]) have behaviour;
//! - libxen's malformed set parameters are read as xend read them ([`libxen_wire`]).

pub mod cpu_pool;
pub mod event;
pub mod host;
pub mod libxen_wire;
mod model;
pub mod populate;
pub mod vm;
pub mod xspolicy;

use std::collections::BTreeMap;

use crate::behaviour::Handler;

pub use model::model;

/// Domain-0's UUID (and so its ref) on xend.
pub const DOM0_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// The state of a xend that lives outside the object store.
#[derive(Debug, Default)]
pub struct State {
    /// The hypervisor's console ring (`host.dmesg`).
    pub dmesg: String,
    /// xend's log (`host.get_log`).
    pub log: String,
    /// Security labels of resources (`XSPolicy.set_resource_label`, `VDI`/`VIF`
    /// `set_security_label`), by resource name.
    pub labels: BTreeMap<String, String>,
}

/// The xend behaviour of `Class.message`, if it differs from xapi mode's.
pub fn handler(method: &str) -> Option<Handler> {
    let (class, message) = method.split_once('.')?;
    match class {
        "VM" => vm::handler(message).or_else(|| cpu_pool::vm_handler(message)),
        "cpu_pool" => cpu_pool::handler(message),
        "host_cpu" => cpu_pool::host_cpu_handler(message),
        "XSPolicy" | "ACMPolicy" => xspolicy::handler(class, message),
        "VDI" | "VIF" => xspolicy::label_handler(message).or_else(|| host::handler(class, message)),
        "host" | "SR" | "PIF" | "VBD" | "console" => host::handler(class, message),
        "event" => event::handler(message),
        "session" => host::session_handler(message),
        _ => None,
    }
}
