//! VMs: revert to a snapshot, import, live settings, and appliances.

use crate::behaviour::vm::{allowed_operations, copy_devices, Kind};
use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::model::Qualifier;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{NULL_REF, V};

/// Another message run on behalf of this one (same session and endpoint).
fn sub_call(ctx: &CallCtx, class: usize, message: &str, args: Vec<V>) -> Result<Reply, Failure> {
    let sub = CallCtx {
        sim: ctx.sim.clone(),
        endpoint: ctx.endpoint,
        class,
        message: message.to_string(),
        method: format!("{}.{}", ctx.sim.model().classes[class].name, message),
        session: ctx.session.clone(),
        args,
    };
    crate::dispatch::execute(&sub)
}

fn require_state(t: &Inner, class: usize, vm: &str, allowed: &[&str]) -> Result<(), Failure> {
    let state = t.get(class, vm, "power_state")?;
    let state = state.as_str().unwrap_or_default();
    if allowed.contains(&state) {
        Ok(())
    } else {
        Err(Failure::bad_power_state(vm, allowed[0], state))
    }
}

/// Fields a revert leaves as they are on the VM: identity, relations, runtime state, and
/// what the user set on the VM itself rather than its configuration.
const KEPT_BY_REVERT: &[&str] = &[
    "uuid",
    "name_label",
    "tags",
    "is_a_template",
    "is_a_snapshot",
    "snapshot_of",
    "snapshot_time",
    "snapshots",
    "parent",
    "children",
    "appliance",
    "groups",
    "snapshot_schedule",
    "is_vmss_snapshot",
    "blobs",
    "metrics",
    "guest_metrics",
    "affinity",
];

/// `VM.revert(snapshot)`.
pub(super) fn revert(ctx: &CallCtx) -> Result<Reply, Failure> {
    let snap = arg_str(&ctx.args, 0)?.to_string();
    let c = ctx.class;
    ctx.sim.store.write(|t| {
        let source = t.obj(c, &snap)?.rec.clone();
        let vm = t
            .get(c, &snap, "snapshot_of")?
            .as_str()
            .unwrap_or(NULL_REF)
            .to_string();
        if t.get(c, &snap, "is_a_snapshot")?.as_bool() != Some(true) || !t.exists(c, &vm) {
            return Err(Failure::new(
                "VM_REVERT_FAILED",
                [vm.as_str(), snap.as_str()],
            ));
        }
        let model = t.model().clone();
        let class = &model.classes[c];
        let state = if t.get(c, &snap, "power_state")?.as_str() == Some("Suspended") {
            "Suspended"
        } else {
            "Halted"
        };
        // Old devices go; the snapshot's come back (new disks cloned from its disks).
        for (dc, set) in [("VBD", "VBDs"), ("VIF", "VIFs")] {
            let Some(dc) = model.class(dc) else { continue };
            for d in t
                .get(c, &vm, set)?
                .as_set()
                .unwrap_or(&[])
                .iter()
                .filter_map(V::as_str)
            {
                if t.exists(dc, d) {
                    t.remove(dc, d)?;
                }
            }
        }
        t.modify(c, &vm, |rec| {
            for (fi, f) in class.fields.iter().enumerate() {
                if f.qualifier != Qualifier::RoRuntime && !KEPT_BY_REVERT.contains(&f.name.as_str())
                {
                    rec[fi] = source[fi].clone();
                }
            }
            for (name, v) in [
                ("power_state", V::s(state)),
                ("domid", V::Int(-1)),
                ("resident_on", V::s(NULL_REF)),
                (
                    "allowed_operations",
                    allowed_operations(&model, state, false),
                ),
            ] {
                if let Some(fi) = class.field(name) {
                    rec[fi] = v;
                }
            }
        })?;
        copy_devices(t, ctx, &source, &vm, Kind::Clone, None)
    })?;
    Ok(Reply::void())
}

/// `VM.import(url, sr, full_restore, force)`: fetches the export at `url` (plain HTTP, e.g.
/// another simulator's `/export?session_id=..&ref=..`) and makes the VM its `ova.xml` describes.
pub(super) fn import(ctx: &CallCtx) -> Result<Reply, Failure> {
    let url = arg_str(&ctx.args, 0)?.to_string();
    let sr = arg_str(&ctx.args, 1)?.to_string();
    let error = |m: String| Failure::new("IMPORT_ERROR", [m]);
    let src = ctx.sim.class("SR")?;
    ctx.sim.store.read(|t| t.obj(src, &sr).map(|_| ()))?;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| error(format!("unsupported URL (http:// only): {url}")))?;
    let (address, target) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (status, archive) = crate::http_client::request(address, "GET", target, b"")
        .map_err(|e| error(format!("cannot fetch {url}: {e}")))?;
    if status != 200 {
        return Err(error(format!("{url} answered HTTP {status}")));
    }
    let vm = crate::xva::import(&ctx.sim, ctx.endpoint, ctx.session.clone(), &archive)?;
    Ok(Reply::V(V::sset([vm])))
}

pub(super) fn maximise_memory(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let total = arg(&ctx.args, 1)?.as_int().unwrap_or(0);
    let overhead = ctx
        .sim
        .store
        .read(|t| t.get(ctx.class, vm, "memory_overhead"))?;
    Ok(Reply::V(V::Int(
        (total - overhead.as_int().unwrap_or(0)).max(0),
    )))
}

pub(super) fn copy_bios_strings(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let host = arg_str(&ctx.args, 1)?;
    let hc = ctx.sim.class("host")?;
    ctx.sim.store.write(|t| {
        require_state(t, ctx.class, vm, &["Halted"])?;
        let strings = t.get(hc, host, "bios_strings")?;
        t.set_named(ctx.class, vm, "bios_strings", strings)
    })?;
    Ok(Reply::void())
}

fn set_live(ctx: &CallCtx, field: &str) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let v = arg(&ctx.args, 1)?.clone();
    ctx.sim.store.write(|t| {
        require_state(t, ctx.class, vm, &["Running"])?;
        t.set_named(ctx.class, vm, field, v)
    })?;
    Ok(Reply::void())
}

pub(super) fn set_memory_target_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    set_live(ctx, "memory_target")
}

pub(super) fn set_shadow_multiplier_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    set_live(ctx, "HVM_shadow_multiplier")
}

pub(super) fn add_to_vcpus_params_live(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let key = arg(&ctx.args, 1)?.clone();
    let value = arg(&ctx.args, 2)?.clone();
    ctx.sim.store.write(|t| {
        require_state(t, ctx.class, vm, &["Running"])?;
        let fi = t.field_index(ctx.class, "VCPUs_params")?;
        t.modify(ctx.class, vm, |rec| {
            let mut m = match &rec[fi] {
                V::Map(m) => m.clone(),
                _ => Vec::new(),
            };
            m.retain(|(k, _)| k != &key);
            m.push((key, value));
            rec[fi] = V::Map(m);
        })
    })?;
    Ok(Reply::void())
}

pub(super) fn require_running(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim
        .store
        .read(|t| require_state(t, ctx.class, vm, &["Running"]))?;
    Ok(Reply::void())
}

pub(super) fn cooperative(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| t.obj(ctx.class, vm).map(|_| ()))?;
    Ok(Reply::V(V::Bool(true)))
}

/// `VM_appliance.start/shutdown/...`: the VM message of the same name on each member.
pub(super) fn appliance(ctx: &CallCtx) -> Result<Reply, Failure> {
    let app = arg_str(&ctx.args, 0)?;
    let vm = ctx.sim.class("VM")?;
    let members = ctx
        .sim
        .store
        .read(|t| t.get(ctx.class, app, "VMs"))?
        .strings();
    for m in members {
        let mut args = vec![V::s(m)];
        if ctx.message == "start" {
            args.push(ctx.args.get(1).cloned().unwrap_or(V::Bool(false)));
            args.push(V::Bool(false));
        }
        sub_call(ctx, vm, &ctx.message, args)?;
    }
    Ok(Reply::void())
}

/// `VMSS.snapshot_now(vmss)`.
pub(super) fn snapshot_now(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vmss = arg_str(&ctx.args, 0)?;
    let vm = ctx.sim.class("VM")?;
    let members = ctx
        .sim
        .store
        .read(|t| t.get(ctx.class, vmss, "VMs"))?
        .strings();
    let stamp = crate::value::now_datetime();
    for m in members {
        let name = ctx.sim.store.read(|t| t.get(vm, &m, "name_label"))?;
        let label = format!(
            "{}-{}",
            name.as_str().unwrap_or_default(),
            stamp.as_str().unwrap_or_default()
        );
        sub_call(ctx, vm, "snapshot", vec![V::s(&m), V::s(label)])?;
    }
    Ok(Reply::void())
}
