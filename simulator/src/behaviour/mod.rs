//! Messages with real behaviour (the rest of the model is served by [`crate::generic`]).
//!
//! | class | messages |
//! |---|---|
//! | session | login_with_password, slave_local_login_with_password, logout, local_logout, change_password, get_all_subject_identifiers, logout_subject_identifier |
//! | VM | create, destroy, start, start_on, pause, unpause, clean_shutdown, hard_shutdown, shutdown, clean_reboot, hard_reboot, suspend, resume, resume_on, power_state_reset, clone, copy, snapshot, snapshot_with_quiesce, checkpoint, provision, pool_migrate, get_allowed_VBD_devices, get_allowed_VIF_devices, get_possible_hosts, assert_can_boot_here, assert_operation_valid, update_allowed_operations, set_memory_dynamic_range, set_memory_static_range, set_memory_limits, set_memory, set_VCPUs_number_live |
//! | VBD, VIF | plug, unplug, unplug_force; VBD.eject, VBD.insert |
//! | VDI | clone, copy, snapshot, resize, destroy |
//! | SR | scan |
//! | host | get_servertime, get_server_localtime, enable, disable |
//! | task | create, cancel (and every `Async.` call makes a task) |
//! | event | register, unregister, next, from, get_current_id, inject |
//!
//! The other explicit messages are served by [`explicit`] (see `simulator/MESSAGES.md`).

pub mod devices;
pub mod event;
pub mod explicit;
pub mod host;
pub mod session;
pub mod task;
pub mod vm;

use crate::error::Failure;
use crate::reply::Reply;
use crate::sim::CallCtx;

/// A behaviour.
pub type Handler = fn(&CallCtx) -> Result<Reply, Failure>;

/// The behaviour of `Class.message`, if it has one.
pub fn handler(method: &str) -> Option<Handler> {
    let (class, message) = method.split_once('.')?;
    match class {
        "session" => session::handler(message),
        "VM" => vm::handler(message),
        "VBD" | "VIF" | "VDI" | "SR" => devices::handler(class, message),
        "host" => host::handler(message),
        "task" => task::handler(message),
        "event" => event::handler(message),
        _ => None,
    }
}
