//! Hosts: the clock, and enabling or disabling a host.

use crate::generic::arg_str;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::value::{now_datetime, V};

use super::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "get_servertime" | "get_server_localtime" => |ctx| {
            let host = arg_str(&ctx.args, 0)?;
            ctx.sim
                .store
                .read(|t| t.obj(ctx.class, host).map(|_| Reply::V(now_datetime())))
        },
        "enable" => |ctx| set_enabled(ctx, true),
        "disable" => |ctx| set_enabled(ctx, false),
        _ => return None,
    })
}

fn set_enabled(ctx: &CallCtx, enabled: bool) -> Result<Reply, crate::error::Failure> {
    let host = arg_str(&ctx.args, 0)?;
    ctx.sim
        .store
        .write(|t| t.set_named(ctx.class, host, "enabled", V::Bool(enabled)))?;
    Ok(Reply::void())
}
