//! The pool: licensing, joining another pool, ejecting a host, the master.

use xenapi::wire::{self, WireFormat};

use crate::error::Failure;
use crate::generic::arg_str;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{NULL_REF, V};

/// The editions `apply_edition` accepts, from the most to the least featured.
const EDITIONS: &[&str] = &[
    "premium-per-socket",
    "enterprise-per-socket",
    "standard-per-socket",
    "per-socket",
    "desktop-cloud",
    "desktop-plus",
    "desktop",
    "xendesktop",
    "trial",
    "free",
];

fn hosts(t: &Inner, ctx: &CallCtx) -> Result<(usize, Vec<String>), Failure> {
    let hc = ctx.sim.class("host")?;
    Ok((hc, t.refs(hc)))
}

pub(super) fn license_state(ctx: &CallCtx) -> Result<Reply, Failure> {
    let pool = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| {
        t.obj(ctx.class, pool)?;
        let (hc, hosts) = hosts(t, ctx)?;
        let mut edition: Option<String> = None;
        let mut expiry: Option<String> = None;
        for h in hosts {
            let e = t
                .get(hc, &h, "edition")?
                .as_str()
                .unwrap_or("free")
                .to_string();
            let rank = |e: &str| {
                EDITIONS
                    .iter()
                    .position(|x| *x == e)
                    .unwrap_or(EDITIONS.len())
            };
            if edition.as_deref().is_none_or(|cur| rank(&e) > rank(cur)) {
                edition = Some(e);
            }
            if let Some(x) = t
                .get(hc, &h, "license_params")?
                .map_get("expiry")
                .and_then(V::as_str)
            {
                if expiry.as_deref().is_none_or(|cur| x < cur) {
                    expiry = Some(x.to_string());
                }
            }
        }
        Ok(Reply::V(V::smap([
            ("edition", edition.unwrap_or_else(|| "free".into())),
            ("expiry", expiry.unwrap_or_else(|| "never".into())),
        ])))
    })
}

pub(super) fn apply_edition(ctx: &CallCtx) -> Result<Reply, Failure> {
    let target = arg_str(&ctx.args, 0)?.to_string();
    let edition = arg_str(&ctx.args, 1)?.to_string();
    if !EDITIONS.contains(&edition.as_str()) {
        return Err(Failure::new("INVALID_EDITION", [edition]));
    }
    ctx.sim.store.write(|t| {
        t.obj(ctx.class, &target)?;
        let (hc, all) = hosts(t, ctx)?;
        let hosts = if hc == ctx.class { vec![target] } else { all };
        for h in hosts {
            t.set_named(hc, &h, "edition", V::s(&edition))?;
        }
        Ok::<_, Failure>(())
    })?;
    Ok(Reply::void())
}

/// `pool.join(master_address, master_username, master_password)`.
pub(super) fn join(ctx: &CallCtx) -> Result<Reply, Failure> {
    let address = arg_str(&ctx.args, 0)?.to_string();
    let user = arg_str(&ctx.args, 1)?;
    let password = arg_str(&ctx.args, 2)?;
    let none = Vec::<String>::new;
    ctx.sim.store.read(|t| {
        let (hc, hosts) = hosts(t, ctx)?;
        if hosts.len() > 1 {
            return Err(Failure::new(
                "JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS",
                none(),
            ));
        }
        let Some(vm) = t.model().class("VM") else {
            return Ok(());
        };
        for h in &hosts {
            for r in t
                .get(hc, h, "resident_VMs")?
                .as_set()
                .unwrap_or(&[])
                .iter()
                .filter_map(V::as_str)
            {
                let guest = t.get(vm, r, "is_control_domain")?.as_bool() != Some(true);
                let state = t.get(vm, r, "power_state")?;
                if guest && matches!(state.as_str(), Some("Running" | "Paused" | "Suspended")) {
                    return Err(Failure::new(
                        "JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS",
                        none(),
                    ));
                }
            }
        }
        Ok(())
    })?;
    let session = remote_login(&address, user, password)?;
    let _ = remote_call(
        &address,
        "session.logout",
        &[xenapi::Value::String(session)],
    );
    let _ = ctx.sim.joined_master.set(address);
    Ok(Reply::void())
}

/// Logs in to the master at `address` (`host` or `host:port`, plain HTTP, port 80 by
/// default): the master's refusal comes back as is.
fn remote_login(address: &str, user: &str, password: &str) -> Result<String, Failure> {
    let v = remote_call(
        address,
        "session.login_with_password",
        &[
            xenapi::Value::String(user.into()),
            xenapi::Value::String(password.into()),
        ],
    )?;
    v.as_str()
        .map(String::from)
        .ok_or_else(|| Failure::new("JOINING_HOST_CONNECTION_FAILED", Vec::<String>::new()))
}

fn remote_call(
    address: &str,
    method: &str,
    params: &[xenapi::Value],
) -> Result<xenapi::Value, Failure> {
    let failed = || Failure::new("JOINING_HOST_CONNECTION_FAILED", Vec::<String>::new());
    let body =
        wire::encode_call(WireFormat::XmlRpc, method, None, params, 1).map_err(|_| failed())?;
    let (status, resp) =
        crate::http_client::request(address, "POST", "/", &body).map_err(|_| failed())?;
    if status != 200 {
        return Err(failed());
    }
    match wire::decode_response::<xenapi::Value>(
        WireFormat::XmlRpc,
        &resp,
        &xenapi::Limits::default(),
    ) {
        Ok(v) => Ok(v),
        Err(xenapi::Error::Api(f)) => Err(Failure(f.description())),
        Err(_) => Err(failed()),
    }
}

/// `pool.eject(host)`.
pub(super) fn eject(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?.to_string();
    let master = ctx.sim.master_host();
    ctx.sim.store.write(|t| {
        let (hc, _) = hosts(t, ctx)?;
        t.obj(hc, &host)?;
        if host == master {
            return Err(Failure::new(
                "OPERATION_NOT_ALLOWED",
                ["Cannot eject the pool master"],
            ));
        }
        let vm = ctx.sim.class("VM")?;
        let resident = super::hosts::resident(t, hc, &host);
        for (r, guest) in &resident {
            let state = t.get(vm, r, "power_state")?;
            if *guest && matches!(state.as_str(), Some("Running" | "Paused")) {
                return Err(Failure::new("HOST_IN_USE", [host.as_str(), "VM", r]));
            }
        }
        for (r, guest) in resident {
            if !guest {
                t.remove(vm, &r)?;
            }
        }
        for (class, set) in [("PIF", "PIFs"), ("PBD", "PBDs"), ("host_cpu", "host_CPUs")] {
            let Some(dc) = t.model().class(class) else {
                continue;
            };
            let Ok(list) = t.get(hc, &host, set) else {
                continue;
            };
            for d in list.as_set().unwrap_or(&[]).iter().filter_map(V::as_str) {
                if t.exists(dc, d) {
                    t.remove(dc, d)?;
                }
            }
        }
        if let (Some(mc), Ok(m)) = (t.model().class("host_metrics"), t.get(hc, &host, "metrics")) {
            let m = m.as_str().unwrap_or(NULL_REF).to_string();
            if t.exists(mc, &m) {
                t.remove(mc, &m)?;
            }
        }
        t.remove(hc, &host)
    })?;
    Ok(Reply::void())
}

/// `pool.designate_new_master(host)`.
pub(super) fn designate_new_master(ctx: &CallCtx) -> Result<Reply, Failure> {
    let host = arg_str(&ctx.args, 0)?.to_string();
    ctx.sim.store.write(|t| {
        let (hc, _) = hosts(t, ctx)?;
        t.obj(hc, &host)?;
        if t.get(hc, &host, "enabled")?.as_bool() == Some(false) {
            return Err(Failure::new("HOST_DISABLED", [host.as_str()]));
        }
        for pool in t.refs(ctx.class) {
            t.set_named(ctx.class, &pool, "master", V::s(&host))?;
        }
        Ok(())
    })?;
    Ok(Reply::void())
}

fn host_count(ctx: &CallCtx) -> Result<i64, Failure> {
    let hc = ctx.sim.class("host")?;
    Ok(ctx.sim.store.read(|t| t.refs(hc).len()) as i64)
}

pub(super) fn max_failures(ctx: &CallCtx) -> Result<Reply, Failure> {
    Ok(Reply::V(V::Int((host_count(ctx)? - 1).max(0))))
}

pub(super) fn plan_exists(ctx: &CallCtx) -> Result<Reply, Failure> {
    let n = crate::generic::arg(&ctx.args, 0)?.as_int().unwrap_or(0);
    Ok(Reply::V(V::Bool(n < host_count(ctx)?)))
}
