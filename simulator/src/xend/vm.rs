//! xend's VM lifecycle: `Halted`, `Running`, `Paused`, `Suspended` and `Crashed`.
//!
//! | message | from | to |
//! |---|---|---|
//! | start(vm, start_paused) | Halted | Running (Paused) |
//! | resume(vm, start_paused) | Suspended | Running (Paused) |
//! | pause / unpause | Running / Paused | Paused / Running |
//! | suspend | Running | Suspended |
//! | clean_shutdown | Running, Paused | Halted |
//! | hard_shutdown | Running, Paused, Crashed | Halted |
//! | clean_reboot | Running | Running (new domid) |
//! | hard_reboot | Running, Paused, Crashed | Running (new domid) |
//! | send_sysrq(vm, "c") | Running | the guest crashes: `actions_after_crash` decides |
//! | send_trigger(vm, t) | Running | `reset`: reboots; `power`: halts; `nmi`, `init`, `s3resume`: no change |
//! | migrate(vm, dest, live, options) | Running | to this host: a new domid; elsewhere: the VM leaves this xend |
//! | destroy | Halted | gone (with its devices and metrics) |
//! | clone(vm, name) | Halted, Suspended | a new Halted VM with copies of the devices |
//!
//! A crash with `preserve` leaves the VM `Crashed`; `restart`, `rename_restart` and
//! `coredump_and_restart` start it again (new domid); `destroy` and `coredump_and_destroy`
//! halt it; the `coredump_*` actions add a `crashdump` object. Anything else answers
//! `VM_BAD_POWER_STATE [vm, expected, actual]` with xend's capitalised state names; a template
//! answers `VM_IS_TEMPLATE [vm]`, Domain-0 `OPERATION_NOT_ALLOWED`.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{now_datetime, NULL_REF, V};

use crate::behaviour::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "start" => |ctx| power(ctx, &["Halted"], start_state(ctx)),
        "resume" => |ctx| power(ctx, &["Suspended"], start_state(ctx)),
        "pause" => |ctx| power(ctx, &["Running"], "Paused"),
        "unpause" => |ctx| power(ctx, &["Paused"], "Running"),
        "suspend" => |ctx| power(ctx, &["Running"], "Suspended"),
        "clean_shutdown" => |ctx| power(ctx, &["Running", "Paused"], "Halted"),
        "hard_shutdown" => |ctx| power(ctx, &["Running", "Paused", "Crashed"], "Halted"),
        "clean_reboot" => |ctx| power(ctx, &["Running"], REBOOT),
        "hard_reboot" => |ctx| power(ctx, &["Running", "Paused", "Crashed"], REBOOT),
        "send_sysrq" => send_sysrq,
        "send_trigger" => send_trigger,
        "migrate" => migrate,
        "destroy" => destroy,
        "clone" => clone,
        "set_VCPUs_number_live" => set_vcpus_live,
        "add_to_VCPUs_params_live" => add_vcpus_param_live,
        "set_memory_dynamic_max_live" => |ctx| set_memory_live(ctx, "memory_dynamic_max"),
        "set_memory_dynamic_min_live" => |ctx| set_memory_live(ctx, "memory_dynamic_min"),
        _ => return None,
    })
}

/// The target of a reboot: `Running` with a new domain.
pub const REBOOT: &str = "Rebooting";

fn start_state(ctx: &CallCtx) -> &'static str {
    if ctx.args.get(1).and_then(V::as_bool) == Some(true) {
        "Paused"
    } else {
        "Running"
    }
}

/// The power state of `vm`.
pub fn power_state(t: &Inner, vm_class: usize, vm: &str) -> Result<String, Failure> {
    Ok(t.get(vm_class, vm, "power_state")?
        .as_str()
        .unwrap_or("Halted")
        .to_string())
}

/// `Ok` when `vm` is in one of `allowed`, else xend's `VM_BAD_POWER_STATE`.
pub fn require(t: &Inner, vm_class: usize, vm: &str, allowed: &[&str]) -> Result<(), Failure> {
    let actual = power_state(t, vm_class, vm)?;
    if allowed.contains(&actual.as_str()) {
        return Ok(());
    }
    Err(Failure::new(
        "VM_BAD_POWER_STATE",
        [vm, allowed[0], actual.as_str()],
    ))
}

fn power(ctx: &CallCtx, allowed: &[&str], to: &str) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        if t.get(ctx.class, vm, "is_control_domain")?.as_bool() == Some(true) {
            return Err(Failure::new(
                "OPERATION_NOT_ALLOWED",
                ["Domain-0's power state cannot be changed"],
            ));
        }
        if t.get(ctx.class, vm, "is_a_template")?.as_bool() == Some(true) {
            return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
        }
        require(t, ctx.class, vm, allowed)?;
        enter(t, ctx, vm, to)
    })?;
    Ok(Reply::void())
}

/// Puts `vm` in state `to` (or [`REBOOT`]) with what goes with it: the domain id, the host,
/// attached devices, the metrics and the cpu pool's started VMs.
pub fn enter(t: &mut Inner, ctx: &CallCtx, vm: &str, to: &str) -> Result<(), Failure> {
    let c = ctx.class;
    let before = power_state(t, c, vm)?;
    let (state, new_domain) = match to {
        REBOOT => ("Running", true),
        "Running" | "Paused" => (to, before == "Halted" || before == "Suspended"),
        _ => (to, false),
    };
    let live = matches!(state, "Running" | "Paused" | "Crashed");
    let domid = if new_domain {
        Some(ctx.sim.next_domid())
    } else if !live {
        Some(-1)
    } else {
        None
    };
    let host = ctx.sim.master_host_in(t);
    let model = t.model().clone();
    let class = &model.classes[c];
    t.modify(c, vm, |rec| {
        let mut put = |name: &str, v: V| {
            if let Some(fi) = class.field(name) {
                rec[fi] = v;
            }
        };
        put("power_state", V::s(state));
        if let Some(d) = domid {
            put("domid", V::Int(d));
        }
        // Only a VM with a domain (or a suspended image here) is resident on the host.
        put(
            "resident_on",
            V::s(if state == "Halted" {
                NULL_REF
            } else {
                host.as_str()
            }),
        );
    })?;
    for (class_name, set) in [("VBD", "VBDs"), ("VIF", "VIFs")] {
        let Some(dc) = model.class(class_name) else {
            continue;
        };
        let attached = matches!(state, "Running" | "Paused");
        for d in refs_in(t, c, vm, set)? {
            if t.exists(dc, &d) && t.get(dc, &d, "currently_attached")?.as_bool() != Some(attached)
            {
                t.set_named(dc, &d, "currently_attached", V::Bool(attached))?;
            }
        }
    }
    if let Some(mc) = model.class("VM_metrics") {
        let metrics = t
            .get(c, vm, "metrics")?
            .as_str()
            .unwrap_or(NULL_REF)
            .to_string();
        if t.exists(mc, &metrics) && before != state {
            let mclass = &model.classes[mc];
            let now = now_datetime();
            t.modify(mc, &metrics, |rec| {
                if let (true, Some(fi)) = (new_domain, mclass.field("start_time")) {
                    rec[fi] = now.clone();
                }
                if let Some(fi) = mclass.field("last_updated") {
                    rec[fi] = now;
                }
            })?;
        }
    }
    super::cpu_pool::track_started(t, c, vm, live)
}

/// The refs in set field `field` of object `r`.
pub fn refs_in(t: &Inner, class: usize, r: &str, field: &str) -> Result<Vec<String>, Failure> {
    Ok(t.get(class, r, field)?.strings())
}

/// The guest `vm` crashes: its `actions_after_crash` decides what follows.
pub fn crash(t: &mut Inner, ctx: &CallCtx, vm: &str) -> Result<(), Failure> {
    let action = t
        .get(ctx.class, vm, "actions_after_crash")?
        .as_str()
        .unwrap_or("preserve")
        .to_string();
    if action.starts_with("coredump") {
        if let Some(cc) = t.model().class("crashdump") {
            let mut rec = t.default_record(cc);
            let vm_field = t.field_index(cc, "VM")?;
            rec[vm_field] = V::s(vm);
            let r = t.new_ref();
            t.insert(cc, r, rec);
        }
    }
    let to = match action.as_str() {
        "destroy" | "coredump_and_destroy" => "Halted",
        "restart" | "rename_restart" | "coredump_and_restart" => REBOOT,
        _ => "Crashed",
    };
    enter(t, ctx, vm, to)
}

fn send_sysrq(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let key = arg_str(&ctx.args, 1)?;
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        // SysRq-c makes a Linux guest crash; the other keys change nothing visible here.
        if key == "c" {
            crash(t, ctx, vm)?;
        }
        Ok::<_, Failure>(())
    })?;
    Ok(Reply::void())
}

fn send_trigger(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let trigger = arg_str(&ctx.args, 1)?;
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        match trigger {
            "reset" => enter(t, ctx, vm, REBOOT),
            "power" => enter(t, ctx, vm, "Halted"),
            "nmi" | "init" | "s3resume" => Ok(()),
            other => Err(Failure::new(
                "VM_BAD_TRIGGER",
                [vm, &format!("unknown trigger {other:?}")],
            )),
        }
    })?;
    Ok(Reply::void())
}

fn is_this_host(t: &Inner, ctx: &CallCtx, dest: &str) -> bool {
    let host = ctx.sim.master_host_in(t);
    let names = ctx
        .sim
        .class("host")
        .ok()
        .and_then(|hc| t.get(hc, &host, "name_label").ok())
        .and_then(|v| v.as_str().map(String::from));
    let master = ctx.sim.master_address.get().cloned().unwrap_or_default();
    dest.is_empty()
        || matches!(dest, "localhost" | "127.0.0.1" | "::1")
        || dest == master
        || Some(dest) == names.as_deref()
}

fn migrate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let dest = arg_str(&ctx.args, 1)?;
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        if is_this_host(t, ctx, dest) {
            // Localhost migration: the domain is rebuilt here.
            return enter(t, ctx, vm, REBOOT);
        }
        enter(t, ctx, vm, "Halted")?;
        forget(t, ctx, vm)
    })?;
    Ok(Reply::void())
}

/// Removes `vm` and what belongs to it (devices, consoles, metrics).
fn forget(t: &mut Inner, ctx: &CallCtx, vm: &str) -> Result<(), Failure> {
    crate::behaviour::vm::remove_vm(
        t,
        ctx.class,
        vm,
        &[("VBD", "VBDs"), ("VIF", "VIFs"), ("console", "consoles")],
    )
}

fn destroy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Halted"])?;
        forget(t, ctx, vm)
    })?;
    Ok(Reply::void())
}

/// `VM.clone`: xapi mode's copy of the VM and its devices, with xend's state check.
fn clone(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim
        .store
        .read(|t| require(t, ctx.class, vm, &["Halted", "Suspended"]))?;
    let copy = crate::behaviour::handler("VM.clone")
        .ok_or_else(|| Failure::internal("no VM.clone behaviour"))?;
    copy(ctx)
}

fn set_vcpus_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let n = arg(&ctx.args, 1)?.as_int().unwrap_or(0);
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        let max = t.get(ctx.class, vm, "VCPUs_max")?.as_int().unwrap_or(1);
        if n < 1 || n > max {
            return Err(Failure::new(
                "VALUE_NOT_SUPPORTED",
                [
                    "VCPUs_number",
                    &n.to_string(),
                    &format!("must be 1 to {max}"),
                ],
            ));
        }
        t.set_named(ctx.class, vm, "VCPUs_at_startup", V::Int(n))?;
        let metrics = t.get(ctx.class, vm, "metrics")?;
        if let (Some(mc), Some(m)) = (t.model().class("VM_metrics"), metrics.as_str()) {
            if t.exists(mc, m) {
                t.set_named(mc, m, "VCPUs_number", V::Int(n))?;
            }
        }
        Ok(())
    })?;
    Ok(Reply::void())
}

fn add_vcpus_param_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let key = arg_str(&ctx.args, 1)?.to_string();
    let value = arg_str(&ctx.args, 2)?.to_string();
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        let fi = t.field_index(ctx.class, "VCPUs_params")?;
        t.modify(ctx.class, vm, |rec| {
            let mut entries = match &rec[fi] {
                V::Map(m) => m.clone(),
                _ => Vec::new(),
            };
            entries.retain(|(k, _)| k.as_str() != Some(key.as_str()));
            entries.push((V::s(key), V::s(value)));
            rec[fi] = V::Map(entries);
        })
    })?;
    Ok(Reply::void())
}

fn set_memory_live(ctx: &CallCtx, field: &str) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let value = arg(&ctx.args, 1)?.as_int().unwrap_or(0);
    ctx.sim.store.write(|t| {
        require(t, ctx.class, vm, &["Running"])?;
        let int = |t: &Inner, f: &str| t.get(ctx.class, vm, f).map(|v| v.as_int().unwrap_or(0));
        let (smin, smax) = (int(t, "memory_static_min")?, int(t, "memory_static_max")?);
        if value < smin || value > smax {
            return Err(Failure::new(
                "MEMORY_CONSTRAINT_VIOLATION",
                [format!(
                    "{field} = {value} is outside memory_static_min {smin} .. memory_static_max {smax}"
                )],
            ));
        }
        t.set_named(ctx.class, vm, field, V::Int(value))
    })?;
    Ok(Reply::void())
}
