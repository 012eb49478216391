//! xend's host messages, and the small explicit messages of SR, PIF, VBD, VIF and session.
//!
//! `host.list_methods` lists every method served (with the `Async.` forms);
//! `host.dmesg` / `dmesg_clear` read (and clear) the hypervisor's console ring, which
//! `send_debug_keys` writes to; `get_log` is xend's log, which every login and host power
//! action writes to; `host.shutdown` / `reboot` stop every guest (a reboot starts those with
//! `auto_power_on` again); `SR.get_supported_types`; `PIF.create_VLAN`; `VBD.media_change`
//! (CD drives only); `VIF.create` gives a VIF without a MAC a random one; `console.create`
//! links the console to the record's `VM`; the session's
//! `this_user` is the user name, and on the Unix socket any credentials log in, as on xend.

use crate::dispatch::list_methods;
use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::{CallCtx, Endpoint};
use crate::value::{datetime_string, now_secs, NULL_REF, V};

use super::vm::{enter, power_state};
use crate::behaviour::Handler;

pub(super) fn handler(class: &str, message: &str) -> Option<Handler> {
    Some(match (class, message) {
        ("host", "list_methods") => |ctx| Ok(Reply::V(V::sset(list_methods(ctx.sim.model())))),
        ("host", "dmesg") => |ctx| {
            check_host(ctx)?;
            Ok(Reply::s(state(ctx).dmesg.clone()))
        },
        ("host", "dmesg_clear") => |ctx| {
            check_host(ctx)?;
            Ok(Reply::s(std::mem::take(&mut state(ctx).dmesg)))
        },
        ("host", "get_log") => |ctx| {
            check_host(ctx)?;
            Ok(Reply::s(state(ctx).log.clone()))
        },
        ("host", "send_debug_keys") => |ctx| {
            check_host(ctx)?;
            let keys = arg_str(&ctx.args, 1)?;
            let mut s = state(ctx);
            for k in keys.chars() {
                s.dmesg += &format!("(XEN) '{k}' pressed -> debug key handled\n");
            }
            Ok(Reply::void())
        },
        ("host", "shutdown") => |ctx| power_cycle(ctx, false),
        ("host", "reboot") => |ctx| power_cycle(ctx, true),
        ("SR", "get_supported_types") => {
            |_| Ok(Reply::V(V::sset(["local", "qcow_file", "tap", "nfs"])))
        }
        ("PIF", "create_VLAN") => create_vlan,
        ("VBD", "media_change") => media_change,
        ("VIF", "create") => create_vif,
        ("console", "create") => create_console,
        _ => return None,
    })
}

pub(super) fn session_handler(message: &str) -> Option<Handler> {
    (message == "login_with_password").then_some(login as Handler)
}

fn state(ctx: &CallCtx) -> std::sync::MutexGuard<'_, super::State> {
    ctx.sim.xend.lock().unwrap_or_else(|e| e.into_inner())
}

/// Appends a line to xend's log.
pub fn log(ctx: &CallCtx, line: &str) {
    let stamp = datetime_string(now_secs());
    state(ctx).log += &format!("[{stamp}] {line}\n");
}

fn check_host(ctx: &CallCtx) -> Result<(), Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| t.obj(ctx.class, host).map(drop))
}

fn login(ctx: &CallCtx) -> Result<Reply, Failure> {
    let login = crate::behaviour::handler("session.login_with_password")
        .ok_or_else(|| Failure::internal("no login behaviour"))?;
    let user = arg_str(&ctx.args, 0)?.to_string();
    let reply = if ctx.endpoint == Endpoint::Local {
        // xend checked credentials over TCP only: on its Unix socket any login succeeds.
        let password = ctx
            .sim
            .password
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        login(&CallCtx {
            args: vec![V::s(&ctx.sim.config.user), V::s(password)],
            ..ctx.clone()
        })?
    } else {
        login(ctx)?
    };
    if let Reply::V(V::Str(session)) = &reply {
        ctx.sim
            .store
            .write(|t| t.set_named(ctx.class, session, "this_user", V::s(&user)))?;
        log(ctx, &format!("session {session} opened for {user}"));
    }
    Ok(reply)
}

/// host.shutdown / host.reboot: every guest's domain goes; on reboot the guests marked
/// `auto_power_on` start again.
fn power_cycle(ctx: &CallCtx, reboot: bool) -> Result<Reply, Failure> {
    check_host(ctx)?;
    let vm_class = ctx.sim.class("VM")?;
    let vm_ctx = CallCtx {
        class: vm_class,
        ..ctx.clone()
    };
    ctx.sim.store.write(|t| {
        for vm in t.refs(vm_class) {
            if t.get(vm_class, &vm, "is_control_domain")?.as_bool() == Some(true) {
                continue;
            }
            let state = power_state(t, vm_class, &vm)?;
            if matches!(state.as_str(), "Running" | "Paused" | "Crashed") {
                enter(t, &vm_ctx, &vm, "Halted")?;
            }
            let auto = t
                .get(vm_class, &vm, "auto_power_on")
                .ok()
                .and_then(|v| v.as_bool())
                == Some(true);
            let template = t.get(vm_class, &vm, "is_a_template")?.as_bool() == Some(true);
            if reboot && auto && !template && power_state(t, vm_class, &vm)? == "Halted" {
                enter(t, &vm_ctx, &vm, "Running")?;
            }
        }
        Ok::<_, Failure>(())
    })?;
    log(
        ctx,
        if reboot {
            "host rebooted"
        } else {
            "host shut down"
        },
    );
    Ok(Reply::void())
}

fn create_vlan(ctx: &CallCtx) -> Result<Reply, Failure> {
    let device = arg_str(&ctx.args, 0)?.to_string();
    let network = arg_str(&ctx.args, 1)?.to_string();
    let host = arg_str(&ctx.args, 2)?.to_string();
    let vlan = arg(&ctx.args, 3)?.as_int().unwrap_or(-1);
    if !(0..=4094).contains(&vlan) {
        return Err(Failure::new("VLAN_TAG_INVALID", [vlan.to_string()]));
    }
    let (nc, hc) = (ctx.sim.class("network")?, ctx.sim.class("host")?);
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        t.obj(nc, &network)?;
        t.obj(hc, &host)?;
        let mac = t.rng.mac();
        let model = t.model().clone();
        let class = &model.classes[c];
        let mut rec = t.default_record(c);
        for (name, v) in [
            ("device", V::s(&device)),
            ("network", V::s(&network)),
            ("host", V::s(&host)),
            ("MAC", V::s(mac)),
            ("MTU", V::Int(1500)),
            ("VLAN", V::Int(vlan)),
            ("metrics", V::s(NULL_REF)),
        ] {
            if let Some(fi) = class.field(name) {
                rec[fi] = v;
            }
        }
        let r = t.new_ref();
        Ok::<_, Failure>(t.insert(c, r, rec))
    })?;
    Ok(Reply::s(r))
}

/// `VIF.create`: as xend, a VIF created without a MAC gets a random one.
fn create_vif(ctx: &CallCtx) -> Result<Reply, Failure> {
    let mut fields = match arg(&ctx.args, 0)? {
        V::Map(m) => m.clone(),
        _ => return Err(Failure::field_type("record")),
    };
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        let no_mac = fields
            .iter()
            .find(|(k, _)| k.as_str() == Some("MAC"))
            .and_then(|(_, v)| v.as_str())
            .is_none_or(str::is_empty);
        if no_mac {
            fields.retain(|(k, _)| k.as_str() != Some("MAC"));
            fields.push((V::s("MAC"), V::s(t.rng.mac())));
        }
        crate::generic::create(t, c, &fields)
    })?;
    Ok(Reply::s(r))
}

/// `console.create`: xend took the console's `VM` from the record, though the model marks it
/// read-only (the generic create leaves such fields out).
fn create_console(ctx: &CallCtx) -> Result<Reply, Failure> {
    let V::Map(fields) = arg(&ctx.args, 0)? else {
        return Err(Failure::field_type("record"));
    };
    let vm = fields
        .iter()
        .find(|(k, _)| k.as_str() == Some("VM"))
        .and_then(|(_, v)| v.as_str())
        .filter(|vm| !vm.is_empty() && *vm != NULL_REF);
    let vm_class = ctx.sim.class("VM")?;
    let c = ctx.class;
    let r = ctx.sim.store.write(|t| {
        if let Some(vm) = vm {
            t.obj(vm_class, vm)?;
        }
        let r = crate::generic::create(t, c, fields)?;
        if let Some(vm) = vm {
            t.set_named(c, &r, "VM", V::s(vm))?;
        }
        Ok(r)
    })?;
    Ok(Reply::s(r))
}

fn media_change(ctx: &CallCtx) -> Result<Reply, Failure> {
    let vbd = arg_str(&ctx.args, 0)?;
    let vdi = arg_str(&ctx.args, 1)?;
    let vdi_class = ctx.sim.class("VDI")?;
    ctx.sim.store.write(|t| {
        if t.get(ctx.class, vbd, "type")?.as_str() != Some("CD") {
            return Err(Failure::new("VBD_NOT_REMOVABLE_MEDIA", [vbd]));
        }
        if vdi != NULL_REF && !vdi.is_empty() {
            t.obj(vdi_class, vdi)?;
        }
        t.set_named(ctx.class, vbd, "VDI", V::s(vdi))
    })?;
    Ok(Reply::void())
}
