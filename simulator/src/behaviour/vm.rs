//! VMs: the power lifecycle with xapi's checks, and clone/copy/snapshot.

use crate::error::Failure;
use crate::generic::{self, arg, arg_str};
use crate::model::Model;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::{Inner, Record};
use crate::value::{now_datetime, NULL_REF, V};

use super::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "create" => create,
        "destroy" => destroy,
        "start" => |ctx| start(ctx, None, 1),
        "start_on" => |ctx| start(ctx, Some(arg_str(&ctx.args, 1)?.to_string()), 2),
        "resume" => |ctx| resume(ctx, None, 1),
        "resume_on" => |ctx| resume(ctx, Some(arg_str(&ctx.args, 1)?.to_string()), 2),
        "pause" => |ctx| transition(ctx, &["Running"], "Paused"),
        "unpause" => |ctx| transition(ctx, &["Paused"], "Running"),
        "clean_shutdown" | "shutdown" => |ctx| transition(ctx, &["Running"], "Halted"),
        "hard_shutdown" => |ctx| transition(ctx, &["Running", "Paused", "Suspended"], "Halted"),
        "clean_reboot" => |ctx| transition(ctx, &["Running"], "Running"),
        "hard_reboot" => |ctx| transition(ctx, &["Running", "Paused"], "Running"),
        "suspend" => |ctx| transition(ctx, &["Running"], "Suspended"),
        "power_state_reset" => power_state_reset,
        "clone" => |ctx| duplicate(ctx, Kind::Clone),
        "copy" => |ctx| duplicate(ctx, Kind::Copy),
        "snapshot" | "snapshot_with_quiesce" => |ctx| duplicate(ctx, Kind::Snapshot),
        "checkpoint" => |ctx| duplicate(ctx, Kind::Checkpoint),
        "provision" => provision,
        "pool_migrate" => pool_migrate,
        "get_allowed_VBD_devices" => |ctx| allowed_devices(ctx, "VBD", "userdevice", 16),
        "get_allowed_VIF_devices" => |ctx| allowed_devices(ctx, "VIF", "device", 7),
        "get_possible_hosts" => |ctx| {
            Ok(Reply::V(V::sset(
                ctx.sim
                    .store
                    .read(|t| t.refs(ctx.sim.class("host").unwrap_or(0))),
            )))
        },
        "assert_can_boot_here" | "assert_operation_valid" | "update_allowed_operations" => {
            exists_check
        }
        "set_memory_dynamic_range" => {
            |ctx| set_ints(ctx, &["memory_dynamic_min", "memory_dynamic_max"])
        }
        "set_memory_static_range" => {
            |ctx| set_ints(ctx, &["memory_static_min", "memory_static_max"])
        }
        "set_memory_limits" => |ctx| {
            set_ints(
                ctx,
                &[
                    "memory_static_min",
                    "memory_static_max",
                    "memory_dynamic_min",
                    "memory_dynamic_max",
                ],
            )
        },
        "set_memory" => |ctx| {
            set_ints(
                ctx,
                &["memory_dynamic_min", "memory_dynamic_max", "memory_target"],
            )
        },
        "set_VCPUs_number_live" => set_vcpus_live,
        _ => return None,
    })
}

/// The operations a VM in a state allows (a template: the template's), filtered by the
/// model's `vm_operations` enum. The pool builder uses it too.
pub(crate) fn allowed_operations(model: &Model, state: &str, template: bool) -> V {
    let ops: &[&str] = if template {
        &[
            "clone",
            "copy",
            "export",
            "destroy",
            "provision",
            "changing_static_range",
            "changing_dynamic_range",
        ]
    } else {
        match state {
            "Running" => &[
                "changing_dynamic_range",
                "migrate_send",
                "pool_migrate",
                "changing_VCPUs_live",
                "suspend",
                "hard_reboot",
                "hard_shutdown",
                "clean_reboot",
                "clean_shutdown",
                "pause",
                "checkpoint",
                "snapshot",
            ],
            "Paused" => &["unpause", "hard_reboot", "hard_shutdown", "snapshot"],
            "Suspended" => &[
                "resume",
                "resume_on",
                "hard_shutdown",
                "snapshot",
                "clone",
                "copy",
                "export",
                "destroy",
            ],
            _ => &[
                "changing_dynamic_range",
                "changing_static_range",
                "make_into_template",
                "migrate_send",
                "destroy",
                "export",
                "start_on",
                "start",
                "clone",
                "copy",
                "snapshot",
            ],
        }
    };
    let known = model.enums.iter().find(|e| e.name == "vm_operations");
    V::sset(
        ops.iter()
            .filter(|o| known.is_none_or(|e| e.values.iter().any(|v| v == *o)))
            .copied(),
    )
}

/// The fields of a VM record (by name) a behaviour sets, skipped when the model lacks one.
fn put(t: &Inner, class: usize, rec: &mut Record, name: &str, v: V) {
    if let Some(fi) = t.model().classes[class].field(name) {
        rec[fi] = v;
    }
}

fn vm_state(t: &Inner, vm_class: usize, vm: &str) -> Result<(String, bool), Failure> {
    let state = t
        .get(vm_class, vm, "power_state")?
        .as_str()
        .unwrap_or("Halted")
        .to_string();
    let template = t
        .get(vm_class, vm, "is_a_template")?
        .as_bool()
        .unwrap_or(false);
    Ok((state, template))
}

fn require(vm: &str, actual: &str, allowed: &[&str]) -> Result<(), Failure> {
    if allowed.contains(&actual) {
        Ok(())
    } else {
        Err(Failure::bad_power_state(vm, allowed[0], actual))
    }
}

/// Puts a VM in `state`, with what goes with it: host, domid, attached devices, metrics.
fn enter_state(
    t: &mut Inner,
    ctx: &CallCtx,
    vm: &str,
    state: &str,
    host: Option<&str>,
) -> Result<(), Failure> {
    let c = ctx.class;
    let (before, template) = vm_state(t, c, vm)?;
    let running = state == "Running" || state == "Paused";
    let rebooting = before == state && state == "Running";
    let domid = if running && (before == "Halted" || before == "Suspended" || rebooting) {
        Some(ctx.sim.next_domid())
    } else {
        None
    };
    let ops = allowed_operations(t.model(), state, template);
    let vm_owned = vm.to_string();
    let mut rec = (*t.obj(c, vm)?.rec).clone();
    put(t, c, &mut rec, "power_state", V::s(state));
    put(t, c, &mut rec, "allowed_operations", ops);
    if let Some(d) = domid {
        put(t, c, &mut rec, "domid", V::Int(d));
    }
    if let Some(h) = host {
        put(t, c, &mut rec, "resident_on", V::s(h));
    }
    if !running {
        put(t, c, &mut rec, "domid", V::Int(-1));
        if state == "Halted" {
            put(t, c, &mut rec, "resident_on", V::s(NULL_REF));
        }
    }
    if before == "Halted" && running {
        put(t, c, &mut rec, "last_booted_record", V::s(""));
    }
    t.modify(c, &vm_owned, |r| *r = rec)?;
    // Devices are attached while the domain exists.
    for (class_name, set) in [("VBD", "VBDs"), ("VIF", "VIFs")] {
        let Some(dc) = t.model().class(class_name) else {
            continue;
        };
        let devices = t.get(c, vm, set)?.strings();
        for d in devices {
            if t.exists(dc, &d) && t.get(dc, &d, "currently_attached")?.as_bool() != Some(running) {
                t.set_named(dc, &d, "currently_attached", V::Bool(running))?;
            }
        }
    }
    let metrics = t
        .get(c, vm, "metrics")?
        .as_str()
        .unwrap_or(NULL_REF)
        .to_string();
    if let Some(mc) = t.model().class("VM_metrics") {
        if t.exists(mc, &metrics) && before != state {
            let now = now_datetime();
            t.modify(mc, &metrics, |r| {
                if before == "Halted" && running {
                    put_idx(r, t_field(ctx, "VM_metrics", "start_time"), now.clone());
                }
                put_idx(r, t_field(ctx, "VM_metrics", "last_updated"), now.clone());
            })?;
        }
    }
    Ok(())
}

fn t_field(ctx: &CallCtx, class: &str, field: &str) -> Option<usize> {
    let m = ctx.sim.model();
    m.class(class).and_then(|c| m.classes[c].field(field))
}

fn put_idx(rec: &mut Record, fi: Option<usize>, v: V) {
    if let Some(fi) = fi {
        rec[fi] = v;
    }
}

fn host_arg(t: &Inner, ctx: &CallCtx, host: &Option<String>) -> Result<String, Failure> {
    let hc = ctx.sim.class("host")?;
    match host {
        Some(h) => {
            t.obj(hc, h)?;
            Ok(h.clone())
        }
        None => Ok(ctx.sim.master_host_in(t)),
    }
}

fn start(ctx: &CallCtx, host: Option<String>, paused_arg: usize) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let paused = ctx
        .args
        .get(paused_arg)
        .and_then(V::as_bool)
        .unwrap_or(false);
    ctx.sim.store.write(|t| {
        let master = ctx.sim.master_host_in(t);
        let (state, template) = vm_state(t, ctx.class, vm)?;
        if template {
            return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
        }
        require(vm, &state, &["Halted"])?;
        let h = match &host {
            Some(_) => host_arg(t, ctx, &host)?,
            None => {
                let affinity = t
                    .get(ctx.class, vm, "affinity")
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_else(|| NULL_REF.to_string());
                let hc = ctx.sim.class("host")?;
                if t.exists(hc, &affinity) {
                    affinity
                } else {
                    master
                }
            }
        };
        enter_state(
            t,
            ctx,
            vm,
            if paused { "Paused" } else { "Running" },
            Some(&h),
        )
    })?;
    Ok(Reply::void())
}

fn resume(ctx: &CallCtx, host: Option<String>, paused_arg: usize) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let paused = ctx
        .args
        .get(paused_arg)
        .and_then(V::as_bool)
        .unwrap_or(false);
    ctx.sim.store.write(|t| {
        let (state, template) = vm_state(t, ctx.class, vm)?;
        if template {
            return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
        }
        require(vm, &state, &["Suspended"])?;
        let h = host_arg(t, ctx, &host)?;
        enter_state(
            t,
            ctx,
            vm,
            if paused { "Paused" } else { "Running" },
            Some(&h),
        )
    })?;
    Ok(Reply::void())
}

fn transition(ctx: &CallCtx, allowed: &[&str], to: &str) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        let (state, template) = vm_state(t, ctx.class, vm)?;
        if template {
            return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
        }
        require(vm, &state, allowed)?;
        enter_state(t, ctx, vm, to, None)
    })?;
    Ok(Reply::void())
}

fn power_state_reset(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim
        .store
        .write(|t| enter_state(t, ctx, vm, "Halted", None))?;
    Ok(Reply::void())
}

fn exists_check(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim
        .store
        .read(|t| t.obj(ctx.class, vm).map(|_| Reply::void()))
}

fn provision(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| {
        let (state, _) = vm_state(t, ctx.class, vm)?;
        require(vm, &state, &["Halted"])
    })?;
    Ok(Reply::void())
}

fn pool_migrate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let host = Some(arg_str(&ctx.args, 1)?.to_string());
    ctx.sim.store.write(|t| {
        let (state, template) = vm_state(t, ctx.class, vm)?;
        if template {
            return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
        }
        require(vm, &state, &["Running"])?;
        let h = host_arg(t, ctx, &host)?;
        t.set_named(ctx.class, vm, "resident_on", V::s(h))
    })?;
    Ok(Reply::void())
}

fn set_ints(ctx: &CallCtx, fields: &[&str]) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let values: Vec<V> = ctx.args.get(1..).unwrap_or_default().to_vec();
    ctx.sim.store.write(|t| {
        t.obj(ctx.class, vm)?;
        let idx: Vec<usize> = fields
            .iter()
            .map(|f| t.field_index(ctx.class, f))
            .collect::<Result<_, _>>()?;
        // `set_memory` takes one value for all its fields; the others take one each.
        t.modify(ctx.class, vm, |rec| {
            for (i, fi) in idx.iter().enumerate() {
                rec[*fi] = values
                    .get(i)
                    .or(values.last())
                    .cloned()
                    .unwrap_or(V::Int(0));
            }
        })
    })?;
    Ok(Reply::void())
}

fn set_vcpus_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let n = arg(&ctx.args, 1)?.clone();
    ctx.sim.store.write(|t| {
        let (state, _) = vm_state(t, ctx.class, vm)?;
        require(vm, &state, &["Running"])?;
        t.set_named(ctx.class, vm, "VCPUs_at_startup", n)
    })?;
    Ok(Reply::void())
}

fn allowed_devices(ctx: &CallCtx, class: &str, field: &str, max: usize) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let dc = ctx.sim.class(class)?;
    ctx.sim.store.read(|t| {
        let set = if class == "VBD" { "VBDs" } else { "VIFs" };
        let used: Vec<String> = t
            .get(ctx.class, vm, set)?
            .as_set()
            .unwrap_or(&[])
            .iter()
            .filter_map(V::as_str)
            .filter_map(|d| t.get(dc, d, field).ok())
            .filter_map(|v| v.as_str().map(String::from))
            .collect();
        let free = (0..max)
            .map(|i| i.to_string())
            .filter(|d| !used.contains(d));
        Ok(Reply::V(V::sset(free)))
    })
}

/// `VM.create`: the generic create, plus the metrics object xapi makes for every VM.
fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let fields = match arg(&ctx.args, 0)? {
        V::Map(m) => m.clone(),
        _ => return Err(Failure::field_type("args")),
    };
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        let r = generic::create(t, c, &fields)?;
        let metrics = new_metrics(t)?;
        let (state, template) = vm_state(t, c, &r)?;
        let ops = allowed_operations(t.model(), &state, template);
        let model = t.model().clone();
        let class = &model.classes[c];
        t.modify(c, &r, |rec| {
            put_idx(rec, class.field("metrics"), V::s(&metrics));
            put_idx(rec, class.field("allowed_operations"), ops);
            put_idx(rec, class.field("domid"), V::Int(-1));
        })?;
        Ok::<_, Failure>(r)
    })?;
    Ok(Reply::s(r))
}

fn new_metrics(t: &mut Inner) -> Result<String, Failure> {
    let Some(mc) = t.model().class("VM_metrics") else {
        return Ok(NULL_REF.into());
    };
    let mut rec = t.default_record(mc);
    put(t, mc, &mut rec, "install_time", now_datetime());
    put(t, mc, &mut rec, "last_updated", now_datetime());
    let r = t.new_ref();
    Ok(t.insert(mc, r, rec))
}

/// `VM.destroy`: refused for a running VM or a control domain; takes the VM's devices and
/// metrics with it (its disks stay, as on xapi).
fn destroy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let c = ctx.class;
    ctx.sim.store.write(|t| {
        let (state, _) = vm_state(t, c, vm)?;
        if t.get(c, vm, "is_control_domain")?.as_bool() == Some(true) {
            return Err(Failure::new(
                "OPERATION_NOT_ALLOWED",
                ["a control domain cannot be destroyed"],
            ));
        }
        require(vm, &state, &["Halted", "Suspended"])?;
        remove_vm(
            t,
            c,
            vm,
            &[
                ("VBD", "VBDs"),
                ("VIF", "VIFs"),
                ("VTPM", "VTPMs"),
                ("VUSB", "VUSBs"),
                ("console", "consoles"),
                ("VGPU", "VGPUs"),
            ],
        )
    })?;
    Ok(Reply::void())
}

/// Removes `vm` of class `c` with the devices in its `devices` set fields (`(class, field)`,
/// a class the model lacks skipped) and its metrics objects; used by xend's VMs too.
pub(crate) fn remove_vm(
    t: &mut Inner,
    c: usize,
    vm: &str,
    devices: &[(&str, &str)],
) -> Result<(), Failure> {
    for (class_name, set) in devices {
        let Some(dc) = t.model().class(class_name) else {
            continue;
        };
        let Ok(list) = t.get(c, vm, set) else {
            continue;
        };
        for d in list.as_set().unwrap_or(&[]).iter().filter_map(V::as_str) {
            if t.exists(dc, d) {
                t.remove(dc, d)?;
            }
        }
    }
    for (class_name, field) in [
        ("VM_metrics", "metrics"),
        ("VM_guest_metrics", "guest_metrics"),
    ] {
        let Some(mc) = t.model().class(class_name) else {
            continue;
        };
        let m = t
            .get(c, vm, field)?
            .as_str()
            .unwrap_or(NULL_REF)
            .to_string();
        if t.exists(mc, &m) {
            t.remove(mc, &m)?;
        }
    }
    t.remove(c, vm)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Clone,
    Copy,
    Snapshot,
    Checkpoint,
}

/// clone / copy / snapshot / checkpoint: a new VM with the source's configuration, new VIFs
/// (new MACs), new VBDs, and new disks (CDs keep their ISO).
fn duplicate(ctx: &CallCtx, kind: Kind) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?.to_string();
    let new_name = arg_str(&ctx.args, 1)?.to_string();
    let target_sr = if kind == Kind::Copy {
        ctx.args.get(2).and_then(V::as_str).map(String::from)
    } else {
        None
    };
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        let (state, template) = vm_state(t, c, &vm)?;
        match kind {
            Kind::Clone | Kind::Copy => require(&vm, &state, &["Halted", "Suspended"])?,
            Kind::Checkpoint => require(&vm, &state, &["Running"])?,
            Kind::Snapshot => {}
        }
        if let Some(sr) = &target_sr {
            let sc = ctx.sim.class("SR")?;
            if sr != NULL_REF {
                t.obj(sc, sr)?;
            }
        }
        let snapshot = matches!(kind, Kind::Snapshot | Kind::Checkpoint);
        let source = t.obj(c, &vm)?.rec.clone();
        let mut rec = (*source).clone();
        let uuid = t.rng.uuid();
        let metrics = new_metrics(t)?;
        let keep_state = kind == Kind::Checkpoint;
        let new_state = if keep_state { "Suspended" } else { "Halted" };
        let now = now_datetime();
        let empty = V::Set(Vec::new());
        for (name, v) in [
            ("uuid", V::s(uuid)),
            ("name_label", V::s(&new_name)),
            ("power_state", V::s(new_state)),
            ("resident_on", V::s(NULL_REF)),
            ("scheduled_to_be_resident_on", V::s(NULL_REF)),
            ("domid", V::Int(-1)),
            ("is_control_domain", V::Bool(false)),
            ("is_default_template", V::Bool(false)),
            ("metrics", V::s(&metrics)),
            ("guest_metrics", V::s(NULL_REF)),
            ("VIFs", empty.clone()),
            ("VBDs", empty.clone()),
            ("VUSBs", empty.clone()),
            ("VTPMs", empty.clone()),
            ("VGPUs", empty.clone()),
            ("consoles", empty.clone()),
            ("crash_dumps", empty.clone()),
            ("attached_PCIs", empty.clone()),
            ("snapshots", empty.clone()),
            ("children", empty.clone()),
            ("current_operations", V::Map(Vec::new())),
            ("is_a_snapshot", V::Bool(snapshot)),
            (
                "snapshot_of",
                V::s(if snapshot { vm.as_str() } else { NULL_REF }),
            ),
            (
                "snapshot_time",
                if snapshot {
                    now
                } else {
                    V::DateTime("19700101T00:00:00Z".into())
                },
            ),
            ("is_a_template", V::Bool(snapshot || template)),
            (
                "parent",
                V::s(if snapshot { NULL_REF } else { vm.as_str() }),
            ),
        ] {
            put(t, c, &mut rec, name, v);
        }
        let ops = allowed_operations(t.model(), new_state, snapshot || template);
        put(t, c, &mut rec, "allowed_operations", ops);
        if let Some(fi) = t.model().classes[c].field("other_config") {
            if let V::Map(m) = &mut rec[fi] {
                for (k, v) in m.iter_mut() {
                    if k.as_str() == Some("mac_seed") {
                        *v = V::s(t.rng.uuid());
                    }
                }
            }
        }
        let new_vm = t.new_ref();
        t.insert(c, new_vm.clone(), rec);
        copy_devices(t, ctx, &source, &new_vm, kind, target_sr.as_deref())?;
        Ok::<_, Failure>(new_vm)
    })?;
    Ok(Reply::s(r))
}

pub(super) fn copy_devices(
    t: &mut Inner,
    ctx: &CallCtx,
    source: &Record,
    new_vm: &str,
    kind: Kind,
    target_sr: Option<&str>,
) -> Result<(), Failure> {
    let c = ctx.class;
    let model = t.model().clone();
    let field_of = |name: &str| model.classes[c].field(name);
    if let (Some(vbc), Some(fi)) = (model.class("VBD"), field_of("VBDs")) {
        for vbd in source[fi]
            .as_set()
            .unwrap_or(&[])
            .iter()
            .filter_map(V::as_str)
        {
            let Ok(obj) = t.obj(vbc, vbd) else { continue };
            let mut rec = (*obj.rec).clone();
            let is_cd = t.get(vbc, vbd, "type")?.as_str() == Some("CD");
            let vdi = t
                .get(vbc, vbd, "VDI")?
                .as_str()
                .unwrap_or(NULL_REF)
                .to_string();
            let new_vdi = if is_cd || vdi == NULL_REF {
                vdi
            } else {
                super::devices::copy_vdi(
                    t,
                    &vdi,
                    kind == Kind::Snapshot || kind == Kind::Checkpoint,
                    target_sr,
                )?
            };
            let uuid = t.rng.uuid();
            put(t, vbc, &mut rec, "uuid", V::s(uuid));
            put(t, vbc, &mut rec, "VM", V::s(new_vm));
            put(t, vbc, &mut rec, "VDI", V::s(new_vdi));
            put(t, vbc, &mut rec, "currently_attached", V::Bool(false));
            put(t, vbc, &mut rec, "metrics", V::s(NULL_REF));
            let r = t.new_ref();
            t.insert(vbc, r, rec);
        }
    }
    if let (Some(vic), Some(fi)) = (model.class("VIF"), field_of("VIFs")) {
        for vif in source[fi]
            .as_set()
            .unwrap_or(&[])
            .iter()
            .filter_map(V::as_str)
        {
            let Ok(obj) = t.obj(vic, vif) else { continue };
            let mut rec = (*obj.rec).clone();
            let uuid = t.rng.uuid();
            let mac = t.rng.mac();
            put(t, vic, &mut rec, "uuid", V::s(uuid));
            put(t, vic, &mut rec, "VM", V::s(new_vm));
            put(t, vic, &mut rec, "MAC", V::s(mac));
            put(t, vic, &mut rec, "currently_attached", V::Bool(false));
            put(t, vic, &mut rec, "metrics", V::s(NULL_REF));
            let r = t.new_ref();
            t.insert(vic, r, rec);
        }
    }
    Ok(())
}
