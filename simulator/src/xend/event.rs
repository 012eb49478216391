//! xend's events: `event.register` / `event.unregister` as in xapi mode (an empty class
//! list registers for every class, as on xend), and `event.next` with xend's record.

use crate::behaviour::event::next_with;
use crate::behaviour::Handler;
use crate::error::Failure;
use crate::reply::Reply;
use crate::sim::{CallCtx, Sim};
use crate::store::{Change, Op};
use crate::value::{datetime_string, V};

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "next" => |ctx| next_with(ctx, xend_event),
        "register" => register,
        _ => return None,
    })
}

fn register(ctx: &CallCtx) -> Result<Reply, Failure> {
    let register = crate::behaviour::handler("event.register")
        .ok_or_else(|| Failure::internal("no event.register behaviour"))?;
    let everything = ctx
        .args
        .first()
        .and_then(V::as_set)
        .is_some_and(<[V]>::is_empty);
    if !everything {
        return register(ctx);
    }
    let all = CallCtx {
        args: vec![V::sset(["*"])],
        ..ctx.clone()
    };
    register(&all)
}

/// One change as xend reported it: `id`, `class` (the API's spelling: `VM`), `operation`,
/// `ref` and `obj_uuid` (the same UUID), `timestamp`, and `field`: the field that changed
/// (`""` for `add` and `del`).
fn xend_event(sim: &Sim, c: &Change) -> Reply {
    let class = &sim.model().classes[c.class];
    let field = match (c.op, c.field) {
        (Op::Mod, Some(fi)) => class.fields[fi].name.clone(),
        _ => String::new(),
    };
    Reply::Map(vec![
        ("id".into(), Reply::V(V::Int(c.id as i64))),
        ("class".into(), Reply::s(&class.name)),
        ("operation".into(), Reply::s(c.op.as_str())),
        ("ref".into(), Reply::s(&c.obj_ref)),
        ("obj_uuid".into(), Reply::s(&c.obj_ref)),
        (
            "timestamp".into(),
            Reply::V(V::DateTime(datetime_string(c.time))),
        ),
        ("field".into(), Reply::s(field)),
    ])
}
