//! Disks and network interfaces: plugging, CD media, VDI copies.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{now_datetime, NULL_REF, V};

use super::Handler;

pub(super) fn handler(class: &str, message: &str) -> Option<Handler> {
    Some(match (class, message) {
        ("VBD" | "VIF", "plug") => |ctx| plug(ctx, true),
        ("VBD" | "VIF", "unplug" | "unplug_force") => |ctx| plug(ctx, false),
        ("VBD", "eject") => eject,
        ("VBD", "insert") => insert,
        ("VDI", "clone") => |ctx| vdi_copy(ctx, false),
        ("VDI", "copy") => |ctx| vdi_copy(ctx, false),
        ("VDI", "snapshot") => |ctx| vdi_copy(ctx, true),
        ("VDI", "resize" | "resize_online") => resize,
        ("VDI", "destroy") => vdi_destroy,
        ("SR", "scan") => |ctx| {
            let sr = arg_str(&ctx.args, 0)?;
            ctx.sim
                .store
                .read(|t| t.obj(ctx.class, sr).map(|_| Reply::void()))
        },
        _ => return None,
    })
}

/// VBD/VIF plug and unplug: the VM must be running, and the device in the other state.
fn plug(ctx: &CallCtx, attach: bool) -> Result<Reply, Failure> {
    let dev = arg_str(&ctx.args, 0)?;
    let vm_class = ctx.sim.class("VM")?;
    ctx.sim.store.write(|t| {
        let vm = t
            .get(ctx.class, dev, "VM")?
            .as_str()
            .unwrap_or(NULL_REF)
            .to_string();
        let state = t
            .get(vm_class, &vm, "power_state")?
            .as_str()
            .unwrap_or("Halted")
            .to_string();
        if state != "Running" {
            return Err(Failure::bad_power_state(&vm, "Running", &state));
        }
        let attached = t.get(ctx.class, dev, "currently_attached")?.as_bool() == Some(true);
        if attached == attach {
            let code = if attach {
                "DEVICE_ALREADY_ATTACHED"
            } else {
                "DEVICE_ALREADY_DETACHED"
            };
            return Err(Failure::new(code, [dev]));
        }
        t.set_named(ctx.class, dev, "currently_attached", V::Bool(attach))
    })?;
    Ok(Reply::void())
}

fn eject(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vbd = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        if t.get(ctx.class, vbd, "type")?.as_str() != Some("CD") {
            return Err(Failure::new("VBD_NOT_REMOVABLE_MEDIA", [vbd]));
        }
        if t.get(ctx.class, vbd, "empty")?.as_bool() == Some(true) {
            return Err(Failure::new("VBD_IS_EMPTY", [vbd]));
        }
        t.set_named(ctx.class, vbd, "VDI", V::s(NULL_REF))?;
        t.set_named(ctx.class, vbd, "empty", V::Bool(true))
    })?;
    Ok(Reply::void())
}

fn insert(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vbd = arg_str(&ctx.args, 0)?;
    let vdi = arg_str(&ctx.args, 1)?;
    let vdi_class = ctx.sim.class("VDI")?;
    ctx.sim.store.write(|t| {
        t.obj(vdi_class, vdi)?;
        if t.get(ctx.class, vbd, "type")?.as_str() != Some("CD") {
            return Err(Failure::new("VBD_NOT_REMOVABLE_MEDIA", [vbd]));
        }
        if t.get(ctx.class, vbd, "empty")?.as_bool() != Some(true) {
            return Err(Failure::new("VBD_NOT_EMPTY", [vbd]));
        }
        t.set_named(ctx.class, vbd, "VDI", V::s(vdi))?;
        t.set_named(ctx.class, vbd, "empty", V::Bool(false))
    })?;
    Ok(Reply::void())
}

/// A copy of a VDI in the same SR (or `target_sr`), as a snapshot of it when `snapshot`.
pub fn copy_vdi(
    t: &mut Inner,
    vdi: &str,
    snapshot: bool,
    target_sr: Option<&str>,
) -> Result<String, Failure> {
    let Some(c) = t.model().class("VDI") else {
        return Err(Failure::internal("the model has no VDI class"));
    };
    let model = t.model().clone();
    let class = &model.classes[c];
    let mut rec = (*t.obj(c, vdi)?.rec).clone();
    let uuid = t.rng.uuid();
    let empty = V::Set(Vec::new());
    for (name, v) in [
        ("uuid", V::s(&uuid)),
        ("location", V::s(&uuid)),
        ("VBDs", empty.clone()),
        ("crash_dumps", empty.clone()),
        ("snapshots", empty),
        ("current_operations", V::Map(Vec::new())),
        ("is_a_snapshot", V::Bool(snapshot)),
        ("snapshot_of", V::s(if snapshot { vdi } else { NULL_REF })),
        (
            "snapshot_time",
            if snapshot {
                now_datetime()
            } else {
                V::DateTime("19700101T00:00:00Z".into())
            },
        ),
    ] {
        if let Some(fi) = class.field(name) {
            rec[fi] = v;
        }
    }
    if let (Some(sr), Some(fi)) = (target_sr.filter(|s| *s != NULL_REF), class.field("SR")) {
        rec[fi] = V::s(sr);
    }
    let r = t.new_ref();
    Ok(t.insert(c, r, rec))
}

fn vdi_copy(ctx: &CallCtx, snapshot: bool) -> Result<Reply, Failure> {
    let vdi = arg_str(&ctx.args, 0)?;
    let sr = if ctx.message == "copy" {
        ctx.args.get(1).and_then(V::as_str)
    } else {
        None
    };
    let sr_class = ctx.sim.class("SR")?;
    let r = ctx.sim.store.write(|t| {
        if let Some(sr) = sr.filter(|s| *s != NULL_REF) {
            t.obj(sr_class, sr)?;
        }
        copy_vdi(t, vdi, snapshot, sr)
    })?;
    Ok(Reply::s(r))
}

fn resize(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vdi = arg_str(&ctx.args, 0)?;
    let size = arg(&ctx.args, 1)?.clone();
    ctx.sim
        .store
        .write(|t| t.set_named(ctx.class, vdi, "virtual_size", size))?;
    Ok(Reply::void())
}

/// `VDI.destroy`: refused while a VBD of a running VM has it attached.
fn vdi_destroy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vdi = arg_str(&ctx.args, 0)?;
    let vbd_class = ctx.sim.class("VBD")?;
    ctx.sim.store.write(|t| {
        let vbds = t.get(ctx.class, vdi, "VBDs")?;
        for vbd in vbds.as_set().unwrap_or(&[]).iter().filter_map(V::as_str) {
            if t.get(vbd_class, vbd, "currently_attached")
                .ok()
                .and_then(|v| v.as_bool())
                == Some(true)
            {
                return Err(Failure::new("VDI_IN_USE", [vdi, "destroy"]));
            }
        }
        t.remove(ctx.class, vdi)
    })?;
    Ok(Reply::void())
}
