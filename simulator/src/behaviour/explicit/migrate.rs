//! Moving VMs: `host.migrate_receive` + `VM.migrate_send` within the simulated pool, and host
//! evacuation.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::V;

use super::hosts::{free_memory, resident};

/// `host.migrate_receive(host, network, options)`: where to send a VM.
pub(super) fn receive(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?.to_string();
    let network = arg_str(&ctx.args, 1)?;
    ctx.sim.store.read(|t| {
        t.obj(ctx.class, &host)?;
        let nc = ctx.sim.class("network")?;
        t.obj(nc, network).map(|_| ())
    })?;
    let url = format!(
        "http://{}/",
        ctx.sim.master_address.get().cloned().unwrap_or_default()
    );
    let session = ctx.session.clone().unwrap_or_default();
    Ok(Reply::V(V::smap([
        ("host", host.as_str()),
        ("session_id", session.as_str()),
        ("master", url.as_str()),
        ("xenops", url.as_str()),
        ("SM", url.as_str()),
    ])))
}

/// The checks of `VM.migrate_send`; the destination host.
fn check(t: &Inner, ctx: &CallCtx) -> Result<String, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let c = ctx.class;
    t.obj(c, vm)?;
    if t.get(c, vm, "is_a_template")?.as_bool() == Some(true) {
        return Err(Failure::new("VM_IS_TEMPLATE", [vm]));
    }
    if t.get(c, vm, "is_control_domain")?.as_bool() == Some(true) {
        return Err(Failure::new(
            "OPERATION_NOT_ALLOWED",
            ["a control domain cannot be migrated"],
        ));
    }
    let hc = ctx.sim.class("host")?;
    let host = arg(&ctx.args, 1)?
        .map_get("host")
        .and_then(V::as_str)
        .filter(|h| t.exists(hc, h))
        .ok_or_else(|| {
            Failure::new(
                "VM_MIGRATE_CONTACT_REMOTE_SERVICE_FAILED",
                Vec::<String>::new(),
            )
        })?
        .to_string();
    let running = matches!(
        t.get(c, vm, "power_state")?.as_str(),
        Some("Running" | "Paused")
    );
    if running && t.get(hc, &host, "enabled")?.as_bool() == Some(false) {
        return Err(Failure::new("HOST_DISABLED", [host.as_str()]));
    }
    for (i, (a, b)) in [("VDI", "SR"), ("VIF", "network")].iter().enumerate() {
        let (ac, bc) = (ctx.sim.class(a)?, ctx.sim.class(b)?);
        if let Some(V::Map(m)) = ctx.args.get(3 + i) {
            for (k, v) in m {
                t.obj(ac, k.as_str().unwrap_or_default())?;
                t.obj(bc, v.as_str().unwrap_or_default())?;
            }
        }
    }
    Ok(host)
}

pub(super) fn assert_can(ctx: &CallCtx) -> Result<Reply, Failure> {
    ctx.sim.store.read(|t| check(t, ctx))?;
    Ok(Reply::void())
}

pub(super) fn send(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?.to_string();
    ctx.sim.store.write(|t| {
        let host = check(t, ctx)?;
        for (i, (a, field)) in [("VDI", "SR"), ("VIF", "network")].iter().enumerate() {
            let ac = ctx.sim.class(a)?;
            if let Some(V::Map(m)) = ctx.args.get(3 + i) {
                for (k, v) in m {
                    t.set_named(ac, k.as_str().unwrap_or_default(), field, v.clone())?;
                }
            }
        }
        let running = matches!(
            t.get(ctx.class, &vm, "power_state")?.as_str(),
            Some("Running" | "Paused")
        );
        if running {
            t.set_named(ctx.class, &vm, "resident_on", V::s(&host))?;
        }
        Ok::<_, Failure>(())
    })?;
    Ok(Reply::s(vm))
}

/// Where each running guest of `host` would go: the other enabled, live hosts, the one with
/// the most free memory first; `None` when there is no such host.
fn plan(t: &Inner, hc: usize, host: &str) -> Result<Vec<(String, Option<String>)>, Failure> {
    t.obj(hc, host)?;
    let vm = t.model().class("VM");
    let mut targets: Vec<(String, i64)> = Vec::new();
    for h in t.refs(hc) {
        if h == host || t.get(hc, &h, "enabled")?.as_bool() != Some(true) {
            continue;
        }
        targets.push((h.clone(), free_memory(t, hc, &h)?));
    }
    let mut out = Vec::new();
    for (r, guest) in resident(t, hc, host) {
        let Some(vc) = vm else { break };
        let running = matches!(
            t.get(vc, &r, "power_state")?.as_str(),
            Some("Running" | "Paused")
        );
        if !guest || !running {
            continue;
        }
        let need = t.get(vc, &r, "memory_target")?.as_int().unwrap_or(0);
        targets.sort_by_key(|t| std::cmp::Reverse(t.1));
        let dest = targets.first_mut().map(|(h, free)| {
            *free -= need;
            h.clone()
        });
        out.push((r, dest));
    }
    Ok(out)
}

fn no_hosts() -> Failure {
    Failure::new("NO_HOSTS_AVAILABLE", Vec::<String>::new())
}

pub(super) fn evacuate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    let vm = ctx.sim.class("VM")?;
    ctx.sim.store.write(|t| {
        let moves = plan(t, ctx.class, host)?;
        if moves.iter().any(|(_, d)| d.is_none()) {
            return Err(no_hosts());
        }
        for (r, dest) in moves {
            t.set_named(vm, &r, "resident_on", V::s(dest.unwrap_or_default()))?;
        }
        Ok(())
    })?;
    Ok(Reply::void())
}

pub(super) fn assert_can_evacuate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    let moves = ctx.sim.store.read(|t| plan(t, ctx.class, host))?;
    if moves.iter().any(|(_, d)| d.is_none()) {
        return Err(no_hosts());
    }
    Ok(Reply::void())
}

pub(super) fn preventing(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?;
    let moves = ctx.sim.store.read(|t| plan(t, ctx.class, host))?;
    Ok(Reply::V(V::Map(
        moves
            .into_iter()
            .filter(|(_, d)| d.is_none())
            .map(|(r, _)| (V::s(r), V::sset(["NO_HOSTS_AVAILABLE"])))
            .collect(),
    )))
}
