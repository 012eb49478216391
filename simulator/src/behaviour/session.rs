//! Logging in and out.

use crate::error::Failure;
use crate::generic::arg_str;
use crate::reply::Reply;
use crate::sim::{CallCtx, Endpoint};
use crate::value::{now_datetime, V};

use super::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "login_with_password" => login,
        "slave_local_login_with_password" => local_login,
        "logout" | "local_logout" => logout,
        "change_password" => change_password,
        "get_all_subject_identifiers" => |_| Ok(Reply::V(V::Set(Vec::new()))),
        "logout_subject_identifier" => |_| Ok(Reply::void()),
        _ => return None,
    })
}

fn login(ctx: &CallCtx) -> Result<Reply, Failure> {
    if ctx.endpoint == Endpoint::Member {
        let master = ctx.sim.master_address.get().cloned().unwrap_or_default();
        return Err(Failure::new("HOST_IS_SLAVE", [master]));
    }
    if let Some(master) = ctx.sim.joined_master.get() {
        return Err(Failure::new("HOST_IS_SLAVE", [master]));
    }
    local_login(ctx)
}

fn local_login(ctx: &CallCtx) -> Result<Reply, Failure> {
    let user = arg_str(&ctx.args, 0)?;
    let password = arg_str(&ctx.args, 1)?;
    let ok = user == ctx.sim.config.user
        && *ctx.sim.password.lock().unwrap_or_else(|e| e.into_inner()) == password;
    if !ok {
        return Err(Failure::new(
            "SESSION_AUTHENTICATION_FAILED",
            [user, "Authentication failure"],
        ));
    }
    let originator = ctx
        .args
        .get(3)
        .and_then(V::as_str)
        .unwrap_or("")
        .to_string();
    let host = ctx.sim.master_host();
    let class = ctx.class;
    let user = user.to_string();
    let r = ctx.sim.store.write(|t| {
        let model = t.model().clone();
        let c = &model.classes[class];
        let mut rec = t.default_record(class);
        let mut put = |name: &str, v: V| {
            if let Some(fi) = c.field(name) {
                rec[fi] = v;
            }
        };
        put("this_host", V::s(&host));
        put("last_active", now_datetime());
        put("validation_time", now_datetime());
        put("is_local_superuser", V::Bool(true));
        put("auth_user_name", V::s(&user));
        put("originator", V::s(originator));
        let r = t.new_ref();
        t.insert(class, r, rec)
    });
    ctx.sim.touch_session(&r);
    Ok(Reply::s(r))
}

fn logout(ctx: &CallCtx) -> Result<Reply, Failure> {
    let session = ctx.session.clone().unwrap_or_default();
    ctx.sim.store.write(|t| t.remove(ctx.class, &session))?;
    ctx.sim.forget_session(&session);
    let registered = ctx
        .sim
        .registrations
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&session)
        .is_some();
    if registered {
        ctx.sim.store.write(|t| t.unsubscribe());
    }
    ctx.sim.store.wake_all();
    Ok(Reply::void())
}

fn change_password(ctx: &CallCtx) -> Result<Reply, Failure> {
    let old = arg_str(&ctx.args, 0)?;
    let new = arg_str(&ctx.args, 1)?;
    let mut password = ctx.sim.password.lock().unwrap_or_else(|e| e.into_inner());
    if *password != old {
        return Err(Failure::new(
            "SESSION_AUTHENTICATION_FAILED",
            [ctx.sim.config.user.as_str(), "Authentication failure"],
        ));
    }
    *password = new.to_string();
    Ok(Reply::void())
}
