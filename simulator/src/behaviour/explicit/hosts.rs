//! Hosts: memory accounting, the management interface, plugins, power.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{NULL_REF, V};

fn int(t: &Inner, class: usize, r: &str, field: &str) -> i64 {
    t.get(class, r, field)
        .ok()
        .and_then(|v| v.as_int())
        .unwrap_or(0)
}

fn str_field(t: &Inner, class: usize, r: &str, field: &str) -> String {
    t.get(class, r, field)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| NULL_REF.to_string())
}

/// The VMs resident on a host, with whether each is a guest (not the control domain).
pub(super) fn resident(t: &Inner, host_class: usize, host: &str) -> Vec<(String, bool)> {
    let Some(vm) = t.model().class("VM") else {
        return Vec::new();
    };
    t.get(host_class, host, "resident_VMs")
        .ok()
        .and_then(|v| v.as_set().map(<[V]>::to_vec))
        .unwrap_or_default()
        .iter()
        .filter_map(V::as_str)
        .filter(|r| t.exists(vm, r))
        .map(|r| {
            let dom0 = t
                .get(vm, r, "is_control_domain")
                .ok()
                .and_then(|v| v.as_bool())
                == Some(true);
            (r.to_string(), !dom0)
        })
        .collect()
}

/// The free memory of a host, as `host.compute_free_memory` reports it.
pub(super) fn free_memory(t: &Inner, host_class: usize, host: &str) -> Result<i64, Failure> {
    t.obj(host_class, host)?;
    let metrics = str_field(t, host_class, host, "metrics");
    let total = match t.model().class("host_metrics") {
        Some(mc) if t.exists(mc, &metrics) => int(t, mc, &metrics, "memory_total"),
        _ => 0,
    };
    let mut used = int(t, host_class, host, "memory_overhead");
    if let Some(vm) = t.model().class("VM") {
        for (r, _) in resident(t, host_class, host) {
            used += int(t, vm, &r, "memory_target").max(int(t, vm, &r, "memory_dynamic_min"));
            used += int(t, vm, &r, "memory_overhead");
        }
    }
    Ok((total - used).max(0))
}

pub(super) fn compute_free_memory(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    let free = ctx.sim.store.read(|t| free_memory(t, ctx.class, host))?;
    Ok(Reply::V(V::Int(free)))
}

pub(super) fn compute_memory_overhead(ctx: &CallCtx) -> Result<Reply, Failure> {
    let r = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| {
        t.obj(ctx.class, r)?;
        Ok(Reply::V(V::Int(int(t, ctx.class, r, "memory_overhead"))))
    })
}

pub(super) fn management_interface(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| {
        t.obj(ctx.class, host)?;
        let Some(pif) = t.model().class("PIF") else {
            return Ok(Reply::s(NULL_REF));
        };
        let found = t
            .get(ctx.class, host, "PIFs")?
            .as_set()
            .unwrap_or(&[])
            .iter()
            .filter_map(V::as_str)
            .find(|p| t.get(pif, p, "management").ok().and_then(|v| v.as_bool()) == Some(true))
            .unwrap_or(NULL_REF)
            .to_string();
        Ok(Reply::s(found))
    })
}

/// `host.call_plugin`, `VM.call_plugin`, `VM.call_host_plugin`: the built-in `echo` plugin.
pub(super) fn call_plugin(ctx: &CallCtx) -> Result<Reply, Failure> {
    let target = arg_str(&ctx.args, 0)?;
    let plugin = arg_str(&ctx.args, 1)?;
    let args = arg(&ctx.args, 3)?;
    ctx.sim.store.read(|t| {
        t.obj(ctx.class, target)?;
        if ctx.sim.model().classes[ctx.class].name == "VM" {
            let state = t.get(ctx.class, target, "power_state")?;
            let state = state.as_str().unwrap_or_default();
            if state != "Running" {
                return Err(Failure::bad_power_state(target, "Running", state));
            }
        }
        Ok(())
    })?;
    if plugin != "echo" {
        return Err(Failure::new("XENAPI_MISSING_PLUGIN", [plugin]));
    }
    let map: serde_json::Map<String, serde_json::Value> = match args {
        V::Map(m) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.key_str().unwrap_or_default().into_owned(),
                    serde_json::Value::String(v.key_str().unwrap_or_default().into_owned()),
                )
            })
            .collect(),
        _ => Default::default(),
    };
    Ok(Reply::s(serde_json::Value::Object(map).to_string()))
}

/// The host checks xapi makes before a shutdown or reboot.
fn assert_can_stop(t: &Inner, class: usize, host: &str) -> Result<(), Failure> {
    if t.get(class, host, "enabled")?.as_bool() != Some(false) {
        return Err(Failure::new("HOST_NOT_DISABLED", Vec::<String>::new()));
    }
    let Some(vm) = t.model().class("VM") else {
        return Ok(());
    };
    for (r, guest) in resident(t, class, host) {
        let state = t.get(vm, &r, "power_state")?;
        if guest && matches!(state.as_str(), Some("Running" | "Paused")) {
            return Err(Failure::new("HOST_IN_USE", [host, "VM", &r]));
        }
    }
    Ok(())
}

fn set_live(t: &mut Inner, class: usize, host: &str, live: bool) -> Result<(), Failure> {
    let metrics = str_field(t, class, host, "metrics");
    if let Some(mc) = t.model().class("host_metrics") {
        if t.exists(mc, &metrics) {
            t.set_named(mc, &metrics, "live", V::Bool(live))?;
        }
    }
    Ok(())
}

pub(super) fn shutdown(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        assert_can_stop(t, ctx.class, host)?;
        set_live(t, ctx.class, host, false)
    })?;
    Ok(Reply::void())
}

pub(super) fn reboot(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        assert_can_stop(t, ctx.class, host)?;
        t.set_named(ctx.class, host, "enabled", V::Bool(true))
    })?;
    Ok(Reply::void())
}

pub(super) fn power_on(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        t.obj(ctx.class, host)?;
        set_live(t, ctx.class, host, true)
    })?;
    Ok(Reply::void())
}

pub(super) fn list_methods(ctx: &CallCtx) -> Result<Reply, Failure> {
    Ok(Reply::V(V::sset(crate::dispatch::list_methods(
        ctx.sim.model(),
    ))))
}

/// xapi's usual storage drivers, for a pool without `SM` objects.
pub(super) const USUAL_SR_TYPES: &[&str] = &[
    "lvm",
    "ext",
    "nfs",
    "iso",
    "lvmoiscsi",
    "lvmohba",
    "smb",
    "udev",
    "dummy",
];

pub(super) fn supported_sr_types(ctx: &CallCtx) -> Result<Reply, Failure> {
    let types: Vec<String> = ctx.sim.store.read(|t| match t.model().class("SM") {
        Some(sm) => t
            .refs(sm)
            .iter()
            .filter_map(|r| t.get(sm, r, "type").ok())
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        None => Vec::new(),
    });
    if types.is_empty() {
        return Ok(Reply::V(V::sset(USUAL_SR_TYPES.iter().copied())));
    }
    Ok(Reply::V(V::sset(types)))
}

pub(super) fn declare_dead(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    let vm = ctx.sim.class("VM")?;
    ctx.sim.store.write(|t| {
        t.obj(ctx.class, host)?;
        let metrics = str_field(t, ctx.class, host, "metrics");
        let live = match t.model().class("host_metrics") {
            Some(mc) if t.exists(mc, &metrics) => t.get(mc, &metrics, "live")?.as_bool(),
            _ => None,
        };
        if live == Some(true) {
            return Err(Failure::new("HOST_IS_LIVE", [host]));
        }
        for (r, guest) in resident(t, ctx.class, host) {
            if guest {
                t.set_named(vm, &r, "power_state", V::s("Halted"))?;
                t.set_named(vm, &r, "resident_on", V::s(NULL_REF))?;
                t.set_named(vm, &r, "domid", V::Int(-1))?;
            }
        }
        Ok(())
    })?;
    Ok(Reply::void())
}
