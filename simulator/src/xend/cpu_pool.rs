//! Cpu pools (Xen 4.0+): sets of host CPUs with their own scheduler, VMs run in one.
//!
//! `Pool-0` exists from the start, activated, holding every host CPU, and cannot be
//! deactivated or destroyed. A new pool (`cpu_pool.create`) is deactivated; `activate`
//! takes its `proposed_CPUs` (CPU numbers) if free, then free CPUs up to `ncpu`
//! (`INSUFFICIENT_CPUS [needed, free]`), out of `Pool-0`; `deactivate` (no started VMs)
//! gives them back. `add_host_CPU_live` / `remove_host_CPU_live` move one CPU between
//! `Pool-0` and an activated pool (`INVALID_CPU`, `LAST_CPU_NOT_REMOVEABLE`). Wrong states
//! answer `POOL_BAD_STATE [pool, expected, actual]` (`activated` / `deactivated`).
//! `VM.cpu_pool_migrate` moves a VM to an activated pool; a VM's pool lists it in
//! `started_VMs` while it runs. `host_cpu.get_unassigned_cpus` lists CPUs in no pool.

use crate::error::Failure;
use crate::generic::{self, arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::V;

use super::vm::refs_in;
use crate::behaviour::Handler;

/// The pool every CPU starts in.
pub const POOL0: &str = "Pool-0";

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "create" => create,
        "destroy" => destroy,
        "activate" => activate,
        "deactivate" => deactivate,
        "add_host_CPU_live" => |ctx| move_cpu_live(ctx, true),
        "remove_host_CPU_live" => |ctx| move_cpu_live(ctx, false),
        _ => return None,
    })
}

pub(super) fn vm_handler(message: &str) -> Option<Handler> {
    (message == "cpu_pool_migrate").then_some(cpu_pool_migrate as Handler)
}

pub(super) fn host_cpu_handler(message: &str) -> Option<Handler> {
    (message == "get_unassigned_cpus").then_some(get_unassigned_cpus as Handler)
}

struct Classes {
    pool: usize,
    cpu: usize,
}

fn classes(ctx: &CallCtx) -> Result<Classes, Failure> {
    Ok(Classes {
        pool: ctx.sim.class("cpu_pool")?,
        cpu: ctx.sim.class("host_cpu")?,
    })
}

fn activated(t: &Inner, pool_class: usize, pool: &str) -> Result<bool, Failure> {
    Ok(t.get(pool_class, pool, "activated")?.as_bool() == Some(true))
}

fn bad_state(pool: &str, expected_activated: bool) -> Failure {
    let (expected, actual) = if expected_activated {
        ("activated", "deactivated")
    } else {
        ("deactivated", "activated")
    };
    Failure::new("POOL_BAD_STATE", [pool, expected, actual])
}

fn name_of(t: &Inner, pool_class: usize, pool: &str) -> String {
    t.get(pool_class, pool, "name_label")
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// `Pool-0`'s ref, if there is one.
pub fn pool0(t: &Inner, pool_class: usize) -> Option<String> {
    t.refs(pool_class)
        .into_iter()
        .find(|p| name_of(t, pool_class, p) == POOL0)
}

fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let fields = match arg(&ctx.args, 0)? {
        V::Map(m) => m.clone(),
        _ => return Err(Failure::field_type("record")),
    };
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        let r = generic::create(t, c, &fields)?;
        let host = ctx.sim.master_host_in(t);
        t.set_named(c, &r, "resident_on", V::s(host))?;
        Ok::<_, Failure>(r)
    })?;
    Ok(Reply::s(r))
}

fn destroy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let pool = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        if activated(t, ctx.class, pool)? {
            return Err(bad_state(pool, false));
        }
        t.remove(ctx.class, pool)
    })?;
    Ok(Reply::void())
}

/// Moves host CPU `cpu` from pool `from` (if any) into pool `to` (if any), keeping both
/// sides' sets and `ncpu` in step.
fn move_cpu(
    t: &mut Inner,
    k: &Classes,
    cpu: &str,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<(), Failure> {
    for (pool, add) in [(from, false), (to, true)] {
        let Some(pool) = pool else { continue };
        let fi = t.field_index(k.pool, "host_CPUs")?;
        let ni = t.field_index(k.pool, "ncpu")?;
        t.modify(k.pool, pool, |rec| {
            let mut cpus = rec[fi].as_set().unwrap_or(&[]).to_vec();
            cpus.retain(|x| x.as_str() != Some(cpu));
            if add {
                cpus.push(V::s(cpu));
            }
            rec[ni] = V::Int(cpus.len() as i64);
            rec[fi] = V::Set(cpus);
        })?;
    }
    let pools = to.map(|p| V::sset([p])).unwrap_or(V::Set(Vec::new()));
    t.set_named(k.cpu, cpu, "cpu_pool", pools)
}

/// The pool a host CPU is in.
fn pool_of_cpu(t: &Inner, k: &Classes, cpu: &str) -> Result<Option<String>, Failure> {
    Ok(refs_in(t, k.cpu, cpu, "cpu_pool")?.into_iter().next())
}

fn cpu_number(t: &Inner, k: &Classes, cpu: &str) -> String {
    t.get(k.cpu, cpu, "number")
        .ok()
        .and_then(|v| v.as_int())
        .map(|n| n.to_string())
        .unwrap_or_default()
}

fn activate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let pool = arg_str(&ctx.args, 0)?;
    let k = classes(ctx)?;
    ctx.sim.store.write(|t| {
        if activated(t, k.pool, pool)? {
            return Err(bad_state(pool, false));
        }
        let want = t.get(k.pool, pool, "ncpu")?.as_int().unwrap_or(1).max(1) as usize;
        let proposed: Vec<String> = refs_in(t, k.pool, pool, "proposed_CPUs")?;
        let p0 = pool0(t, k.pool);
        // Candidates: the proposed CPUs first, then CPUs in no pool, then Pool-0's (which
        // lends them but keeps its last one).
        let owner = |t: &Inner, c: &str| pool_of_cpu(t, &k, c).ok().flatten();
        let mut candidates: Vec<(String, Option<String>)> = t
            .refs(k.cpu)
            .into_iter()
            .map(|c| {
                let o = owner(t, &c);
                (c, o)
            })
            .filter(|(_, o)| o.is_none() || *o == p0)
            .collect();
        candidates.sort_by_key(|(c, o)| (!proposed.contains(&cpu_number(t, &k, c)), o.is_some()));
        let mut p0_left = match &p0 {
            Some(p) => refs_in(t, k.pool, p, "host_CPUs")?.len(),
            None => 0,
        };
        let mut chosen = Vec::new();
        for (cpu, o) in candidates {
            if chosen.len() == want {
                break;
            }
            if o.is_some() {
                if p0_left <= 1 {
                    continue;
                }
                p0_left -= 1;
            }
            chosen.push((cpu, o));
        }
        if chosen.len() < want {
            return Err(Failure::new(
                "INSUFFICIENT_CPUS",
                [want.to_string(), chosen.len().to_string()],
            ));
        }
        for (cpu, from) in chosen {
            move_cpu(t, &k, &cpu, from.as_deref(), Some(pool))?;
        }
        t.set_named(k.pool, pool, "activated", V::Bool(true))
    })?;
    Ok(Reply::void())
}

fn deactivate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let pool = arg_str(&ctx.args, 0)?;
    let k = classes(ctx)?;
    ctx.sim.store.write(|t| {
        if !activated(t, k.pool, pool)? {
            return Err(bad_state(pool, true));
        }
        let p0 = pool0(t, k.pool);
        if p0.as_deref() == Some(pool) {
            return Err(Failure::new(
                "POOL_BAD_STATE",
                [pool, "not Pool-0", "Pool-0 cannot be deactivated"],
            ));
        }
        let started = refs_in(t, k.pool, pool, "started_VMs")?;
        if !started.is_empty() {
            return Err(Failure::new(
                "POOL_BAD_STATE",
                [
                    pool,
                    "no started VMs",
                    &format!("{} started VMs", started.len()),
                ],
            ));
        }
        for cpu in refs_in(t, k.pool, pool, "host_CPUs")? {
            move_cpu(t, &k, &cpu, Some(pool), p0.as_deref())?;
        }
        t.set_named(k.pool, pool, "activated", V::Bool(false))
    })?;
    Ok(Reply::void())
}

fn move_cpu_live(ctx: &CallCtx, add: bool) -> Result<Reply, Failure> {
    let pool = arg_str(&ctx.args, 0)?;
    let cpu = arg_str(&ctx.args, 1)?;
    let k = classes(ctx)?;
    ctx.sim.store.write(|t| {
        t.obj(k.cpu, cpu)?;
        if !activated(t, k.pool, pool)? {
            return Err(bad_state(pool, true));
        }
        let owner = pool_of_cpu(t, &k, cpu)?;
        let p0 = pool0(t, k.pool);
        if add {
            if owner.as_deref() == Some(pool) {
                return Err(Failure::new("INVALID_CPU", [cpu, "already in the pool"]));
            }
            if owner.is_some() && owner != p0 {
                return Err(Failure::new("INVALID_CPU", [cpu, "in another pool"]));
            }
            if let Some(o) = &owner {
                if refs_in(t, k.pool, o, "host_CPUs")?.len() <= 1 {
                    return Err(Failure::new("LAST_CPU_NOT_REMOVEABLE", [cpu]));
                }
            }
            move_cpu(t, &k, cpu, owner.as_deref(), Some(pool))
        } else {
            if owner.as_deref() != Some(pool) {
                return Err(Failure::new("INVALID_CPU", [cpu, "not in the pool"]));
            }
            if refs_in(t, k.pool, pool, "host_CPUs")?.len() <= 1 {
                return Err(Failure::new("LAST_CPU_NOT_REMOVEABLE", [cpu]));
            }
            let back = p0.filter(|p| p != pool);
            move_cpu(t, &k, cpu, Some(pool), back.as_deref())
        }
    })?;
    Ok(Reply::void())
}

fn get_unassigned_cpus(ctx: &CallCtx) -> Result<Reply, Failure> {
    let cpus = ctx.sim.store.read(|t| {
        t.refs(ctx.class)
            .into_iter()
            .filter(|c| {
                refs_in(t, ctx.class, c, "cpu_pool")
                    .map(|p| p.is_empty())
                    .unwrap_or(false)
            })
            .collect::<Vec<_>>()
    });
    Ok(Reply::V(V::sset(cpus)))
}

/// The cpu pool `vm` belongs to: its `cpu_pool`, else the pool named by its `pool_name`,
/// else `Pool-0`.
fn pool_of_vm(t: &Inner, vm_class: usize, pool_class: usize, vm: &str) -> Option<String> {
    if let Some(p) = refs_in(t, vm_class, vm, "cpu_pool")
        .ok()
        .and_then(|v| v.into_iter().next())
        .filter(|p| t.exists(pool_class, p))
    {
        return Some(p);
    }
    let name = t
        .get(vm_class, vm, "pool_name")
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| POOL0.to_string());
    t.refs(pool_class)
        .into_iter()
        .find(|p| name_of(t, pool_class, p) == name)
}

/// Lists `vm` in its pool's `started_VMs` while it has a domain (`live`), not otherwise.
pub fn track_started(t: &mut Inner, vm_class: usize, vm: &str, live: bool) -> Result<(), Failure> {
    let Some(pool_class) = t.model().class("cpu_pool") else {
        return Ok(());
    };
    let Some(pool) = pool_of_vm(t, vm_class, pool_class, vm) else {
        return Ok(());
    };
    set_member(t, pool_class, &pool, "started_VMs", vm, live)
}

fn set_member(
    t: &mut Inner,
    class: usize,
    r: &str,
    field: &str,
    member: &str,
    present: bool,
) -> Result<(), Failure> {
    let current = refs_in(t, class, r, field)?;
    if current.iter().any(|m| m == member) == present {
        return Ok(());
    }
    let mut next: Vec<String> = current.into_iter().filter(|m| m != member).collect();
    if present {
        next.push(member.to_string());
    }
    t.set_named(class, r, field, V::sset(next))
}

fn cpu_pool_migrate(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vm = arg_str(&ctx.args, 0)?;
    let pool = arg_str(&ctx.args, 1)?;
    let pool_class = ctx.sim.class("cpu_pool")?;
    ctx.sim.store.write(|t| {
        t.obj(ctx.class, vm)?;
        if !activated(t, pool_class, pool)? {
            return Err(bad_state(pool, true));
        }
        let state = super::vm::power_state(t, ctx.class, vm)?;
        let live = matches!(state.as_str(), "Running" | "Paused" | "Crashed");
        if let Some(old) = pool_of_vm(t, ctx.class, pool_class, vm) {
            set_member(t, pool_class, &old, "started_VMs", vm, false)?;
        }
        let name = name_of(t, pool_class, pool);
        t.set_named(ctx.class, vm, "cpu_pool", V::sset([pool]))?;
        t.set_named(ctx.class, vm, "pool_name", V::s(name))?;
        set_member(t, pool_class, pool, "started_VMs", vm, live)
    })?;
    Ok(Reply::void())
}
