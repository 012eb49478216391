//! xend's events: `event.register` / `event.unregister` as in xapi mode, and `event.next`
//! with xend's record.

use crate::behaviour::event::next_with;
use crate::behaviour::Handler;
use crate::reply::Reply;
use crate::sim::Sim;
use crate::store::{Change, Op};
use crate::value::{datetime_string, V};

pub(super) fn handler(message: &str) -> Option<Handler> {
    (message == "next").then_some((|ctx| next_with(ctx, xend_event)) as Handler)
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
