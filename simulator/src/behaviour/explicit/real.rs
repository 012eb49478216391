//! The explicit messages with behaviour of their own: the ones real programs call (the SDK
//! samples, Xen Orchestra, XenCenter-style tools), each with xapi's checks and errors.

use crate::behaviour::Handler;

use super::{blobs, data_sources, hosts, messages, migrate, network, pool, storage, vms};

/// The behaviour of `Class.message` and what it does, in words (for `MESSAGES.md`).
pub fn handler(method: &str) -> Option<(Handler, &'static str)> {
    let (class, message) = method.split_once('.')?;
    Some(match (class, message) {
        ("blob", "create") => (
            blobs::create,
            "creates a `blob` (`mime_type`, `public`, `last_updated`), returns its ref",
        ),
        (_, "create_new_blob") => (
            blobs::create_new_blob,
            "creates a `blob` named `name` and adds it to `self.blobs` (`MAP_DUPLICATE_KEY` for a name in use)",
        ),
        ("message", "create") => (
            messages::create,
            "creates a `message` about the object of class `cls` with `obj_uuid` (`UUID_INVALID` if none), stamped now",
        ),
        ("message", "get_since") => (
            messages::get_since,
            "the messages stamped after `since`, as ref → record",
        ),
        ("message", "get") => (
            messages::get,
            "the messages about (`cls`, `obj_uuid`) stamped after `since`, as ref → record",
        ),
        ("message", "destroy_many") => (
            messages::destroy_many,
            "destroys the given messages (`HANDLE_INVALID`, and none destroyed, if one is unknown)",
        ),
        ("message", "destroy_all") => (
            messages::destroy_all,
            "destroys the messages matching every filter given (`cls`, `obj_uuid`, `name`, `priority`, `before`, `after`)",
        ),
        ("VM" | "host" | "SR", "get_data_sources") => (
            data_sources::get,
            "the object's data sources (derived from its CPUs, memory, disks, interfaces) with current values; none for a VM that is not running",
        ),
        ("VM" | "host" | "SR", "query_data_source") => (
            data_sources::query,
            "the current value of a data source (`INVALID_VALUE` for an unknown one; `VM_BAD_POWER_STATE` for a VM not running)",
        ),
        ("VM" | "host" | "SR", "record_data_source" | "forget_data_source_archives") => (
            data_sources::check,
            "checks that the data source exists (`INVALID_VALUE` otherwise)",
        ),
        ("host", "compute_free_memory") => (
            hosts::compute_free_memory,
            "`memory_total` of the host's metrics less the host's overhead and the memory and overhead of its resident VMs",
        ),
        ("host" | "VM", "compute_memory_overhead") => (
            hosts::compute_memory_overhead,
            "the object's `memory_overhead`",
        ),
        ("host", "get_management_interface") => (
            hosts::management_interface,
            "the host's PIF with `management` set (null if none)",
        ),
        ("host" | "VM", "call_plugin") | ("VM", "call_host_plugin") => (
            hosts::call_plugin,
            "runs a built-in plugin: `echo` answers its `args` as a JSON object; any other plugin is `XENAPI_MISSING_PLUGIN` (a VM must be running)",
        ),
        ("host", "shutdown") => (
            hosts::shutdown,
            "`HOST_NOT_DISABLED` unless disabled, `HOST_IN_USE` with a running guest; then the host's metrics say not live",
        ),
        ("host", "reboot") => (
            hosts::reboot,
            "`HOST_NOT_DISABLED` unless disabled, `HOST_IN_USE` with a running guest; the host comes back enabled",
        ),
        ("host", "power_on") => (hosts::power_on, "the host's metrics say live again"),
        ("host", "migrate_receive") => (
            migrate::receive,
            "the destination map `VM.migrate_send` takes (`host`, `session_id`, `master`, `xenops`, `SM`)",
        ),
        ("VM", "migrate_send") => (
            migrate::send,
            "moves the VM to `dest`'s host (running VMs: `resident_on`), its disks to the SRs of `vdi_map`, its VIFs to the networks of `vif_map`; returns the VM",
        ),
        ("VM", "assert_can_migrate") => (
            migrate::assert_can,
            "the checks of `migrate_send` (`VM_MIGRATE_CONTACT_REMOTE_SERVICE_FAILED` without a known `dest` host, `VM_IS_TEMPLATE`, `HOST_DISABLED`) without moving",
        ),
        ("host", "evacuate") => (
            migrate::evacuate,
            "moves every running guest resident on the host to the other enabled hosts, most free memory first (`NO_HOSTS_AVAILABLE` when there is none)",
        ),
        ("host", "assert_can_evacuate") => (
            migrate::assert_can_evacuate,
            "`NO_HOSTS_AVAILABLE` when running guests are resident and no other host is enabled",
        ),
        ("host", "get_vms_which_prevent_evacuation") => (
            migrate::preventing,
            "the resident running guests with `[NO_HOSTS_AVAILABLE]` when no other host is enabled; else an empty map",
        ),
        ("pool", "get_license_state") => (
            pool::license_state,
            "`edition`: the hosts' edition (the lowest when they differ), `expiry`: the earliest `license_params.expiry` (or `never`)",
        ),
        ("pool" | "host", "apply_edition") => (
            pool::apply_edition,
            "sets `edition` of the host (pool: of every host), `INVALID_EDITION` for an unknown one",
        ),
        ("pool", "join" | "join_force") => (
            pool::join,
            "`JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS` with several hosts, `JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS`; logs in to `master_address` over XML-RPC (`JOINING_HOST_CONNECTION_FAILED`, or the master's refusal); then this simulator is a member: logins answer `HOST_IS_SLAVE [master_address]`",
        ),
        ("pool", "eject") => (
            pool::eject,
            "the master cannot be ejected (`OPERATION_NOT_ALLOWED`), nor a host with running guests (`HOST_IN_USE`); destroys the host with its PIFs, PBDs, CPUs, metrics and control domain",
        ),
        ("pool", "designate_new_master") => (
            pool::designate_new_master,
            "sets the pool's `master` (`HOST_NOT_LIVE`/`HOST_DISABLED` checks)",
        ),
        ("VM", "revert") => (
            vms::revert,
            "the snapshot's VM (`snapshot_of`) takes the snapshot's configuration and devices (new disks cloned from the snapshot's), halted (suspended for a checkpoint); `VM_REVERT_FAILED` if `snapshot` is not a snapshot of an existing VM",
        ),
        ("VM", "import") => (
            vms::import,
            "fetches the XVA at an `http://` URL (e.g. a simulator's `/export`) and makes the VM its `ova.xml` describes, halted; `IMPORT_ERROR` for another scheme, a failed fetch or a bad archive",
        ),
        ("VM", "maximise_memory") => (
            vms::maximise_memory,
            "`total` less the VM's `memory_overhead` (at least 0)",
        ),
        ("VM", "copy_bios_strings") => (
            vms::copy_bios_strings,
            "copies the host's `bios_strings` to the VM (`VM_BAD_POWER_STATE` unless halted)",
        ),
        ("VM", "set_memory_target_live") => (
            vms::set_memory_target_live,
            "sets `memory_target` of a running VM",
        ),
        ("VM", "set_shadow_multiplier_live") => (
            vms::set_shadow_multiplier_live,
            "sets `HVM_shadow_multiplier` of a running VM",
        ),
        ("VM", "add_to_VCPUs_params_live") => (
            vms::add_to_vcpus_params_live,
            "adds to `VCPUs_params` of a running VM",
        ),
        (
            "VM",
            "send_sysrq" | "send_trigger" | "sysprep" | "restart_device_models"
            | "wait_memory_target_live",
        ) => (vms::require_running, "`VM_BAD_POWER_STATE` unless running; no other effect"),
        ("VM", "get_cooperative") => (vms::cooperative, "true for an existing VM"),
        ("VM_appliance", "start" | "clean_shutdown" | "hard_shutdown" | "shutdown") => (
            vms::appliance,
            "the same VM message on each VM of the appliance, stopping at the first failure",
        ),
        ("VLAN", "create") => (
            network::vlan_create,
            "the untagged PIF (on the tagged PIF's host, `network`) and the `VLAN`; `VLAN_TAG_INVALID` outside 0..4094, `PIF_IS_VLAN`, `PIF_VLAN_EXISTS`",
        ),
        ("PIF", "create_VLAN") => (
            network::pif_create_vlan,
            "`VLAN.create` on the host's physical PIF of `device`; answers the new PIF",
        ),
        ("pool", "create_VLAN" | "create_VLAN_from_PIF") => (
            network::pool_create_vlan,
            "`VLAN.create` on every host's physical PIF of the device; answers the new PIFs",
        ),
        ("Bond", "create") => (
            network::bond_create,
            "the bond's master PIF (`bondN`, on `network`) and the `Bond` over `members` (`PIF_BOND_NEEDS_MORE_MEMBERS` under 2, `PIF_ALREADY_BONDED`)",
        ),
        ("SR", "create") => (
            storage::create,
            "the SR from the parameters named like its fields, and a plugged PBD (`device_config`) on `host`, or on every host when `shared`; `SR_UNKNOWN_DRIVER` for a type no SM has",
        ),
        ("SR", "make") => (
            storage::make,
            "as `SR.create`, answering the SR's uuid",
        ),
        ("network_sriov", "create") => (
            network::sriov_create,
            "the logical PIF on `network` over the physical `pif` and the `network_sriov` joining them (`NETWORK_SRIOV_ENABLE_FAILED` for a PIF that is not physical)",
        ),
        ("host", "list_methods") => (
            hosts::list_methods,
            "every method name the simulator serves (as `system.listMethods`)",
        ),
        ("SR", "get_supported_types") => (
            hosts::supported_sr_types,
            "the `type` of every `SM` object (xapi's usual drivers when there is none)",
        ),
        (
            "pool",
            "ha_compute_max_host_failures_to_tolerate"
            | "ha_compute_hypothetical_max_host_failures_to_tolerate",
        ) => (
            pool::max_failures,
            "the number of hosts less one",
        ),
        ("pool", "ha_failover_plan_exists") => (
            pool::plan_exists,
            "whether `n` host failures leave a host (`n` < the number of hosts)",
        ),
        ("host", "declare_dead") => (
            hosts::declare_dead,
            "`HOST_IS_LIVE` while the host's metrics say live; else its resident guests are halted",
        ),
        ("VMSS", "snapshot_now") => (
            vms::snapshot_now,
            "`VM.snapshot` of each VM of the schedule (named after it and the time); answers \"\"",
        ),
        _ => return None,
    })
}
