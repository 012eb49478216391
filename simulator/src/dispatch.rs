//! From a method name and wire parameters to a result: the checks xapi makes (method known,
//! parameter count, session valid, parameter types), then either a behaviour of
//! [`crate::behaviour`] or the generic implicit message the model describes.

use crate::error::Failure;
use std::borrow::Cow;

use crate::model::{Dialect, Message, Model, Param, Ty};
use crate::reply::Reply;
use crate::sim::{CallCtx, Endpoint, Sim};
use crate::value::V;
use std::sync::Arc;

/// A parsed method name.
pub struct Target<'m> {
    /// The class index.
    pub class: usize,
    /// The message (xapi's `get_all_records_where`, absent from the model, is made up here).
    pub message: Cow<'m, Message>,
    /// Whether it was called as `Async.<Class>.<message>`.
    pub is_async: bool,
}

/// Finds the class and message a wire method name designates, or `MESSAGE_METHOD_UNKNOWN`.
pub fn resolve<'m>(model: &'m Model, method: &str) -> Result<Target<'m>, Failure> {
    let (is_async, rest) = match method.strip_prefix("Async.") {
        Some(rest) => (true, rest),
        None => (false, method),
    };
    // As xapi: the name without `Async.`.
    let unknown = || Failure::method_unknown(rest);
    let (class_name, msg_name) = rest.split_once('.').ok_or_else(unknown)?;
    let class = model.class(class_name).ok_or_else(unknown)?;
    let c = &model.classes[class];
    let message = match c.messages.get(msg_name) {
        Some(m) => Cow::Borrowed(m),
        None if msg_name == "get_all_records_where"
            && c.messages.contains_key("get_all_records") =>
        {
            Cow::Owned(Message {
                name: msg_name.to_string(),
                implicit: true,
                session: true,
                is_async: false,
                params: vec![Param {
                    name: "expr".into(),
                    ty: Ty::String,
                    required: true,
                }],
                result: c.messages["get_all_records"].result.clone(),
                removed: false,
            })
        }
        None => return Err(unknown()),
    };
    Ok(Target {
        class,
        message,
        is_async,
    })
}

/// Handles one call end to end.
pub fn call(
    sim: &Arc<Sim>,
    endpoint: Endpoint,
    method: &str,
    params: Vec<V>,
) -> Result<Reply, Failure> {
    let model = sim.model().clone();
    if method == "system.listMethods" {
        return Ok(Reply::V(V::sset(list_methods(&model))));
    }
    let target = resolve(&model, method)?;
    let msg = &*target.message;
    let n = params.len();
    if n < msg.min_wire_params() || n > msg.max_wire_params() {
        // As xapi: the sync name, and counts without the session.
        let session = usize::from(msg.session);
        return Err(Failure::new(
            "MESSAGE_PARAMETER_COUNT_MISMATCH",
            [
                format!("{}.{}", model.classes[target.class].name, msg.name),
                msg.mandatory_params().to_string(),
                n.saturating_sub(session).to_string(),
            ],
        ));
    }
    let mut params = params.into_iter();
    let session = if msg.session {
        let s = params.next().expect("count checked");
        let s = match s {
            V::Str(s) => s,
            _ => return Err(Failure::field_type("session_id")),
        };
        sim.check_session(&s)?;
        Some(s)
    } else {
        None
    };
    if msg.removed {
        return Err(Failure::new("MESSAGE_REMOVED", Vec::<String>::new()));
    }
    let mut args = Vec::with_capacity(msg.params.len());
    for (p, v) in msg.params.iter().zip(params) {
        args.push(coerce(&model, &p.ty, v).ok_or_else(|| Failure::field_type(&p.name))?);
    }
    let ctx = CallCtx {
        sim: sim.clone(),
        endpoint,
        class: target.class,
        message: msg.name.clone(),
        method: format!("{}.{}", model.classes[target.class].name, msg.name),
        session,
        args,
    };
    if target.is_async {
        if !msg.is_async {
            // What xapi's dispatcher answers (a "Fault" failure), after the other checks.
            return Err(Failure::new(
                "Fault",
                [format!(
                    "No async mode for this operation (rpc: {})",
                    ctx.method
                )],
            ));
        }
        return crate::behaviour::task::run_async(ctx);
    }
    execute(&ctx)
}

/// Every wire method name: `Class.message`, and `Async.Class.message` where there is one.
pub fn list_methods(model: &Model) -> Vec<String> {
    let mut names = Vec::new();
    for c in &model.classes {
        let mut messages: Vec<&Message> = c.messages.values().collect();
        messages.sort_by(|a, b| a.name.cmp(&b.name));
        for m in messages {
            names.push(format!("{}.{}", c.name, m.name));
            if m.is_async {
                names.push(format!("Async.{}.{}", c.name, m.name));
            }
        }
    }
    names
}

/// Runs a resolved, checked call: its behaviour if it has one, else the generic message.
pub fn execute(ctx: &CallCtx) -> Result<Reply, Failure> {
    let xend = match ctx.sim.model().dialect {
        Dialect::Xend => crate::xend::handler(&ctx.method),
        Dialect::Xapi => None,
    };
    if let Some(handler) = xend.or_else(|| crate::behaviour::handler(&ctx.method)) {
        return handler(ctx);
    }
    crate::generic::execute(ctx)
}

/// Converts a wire value to the type the model declares; `None` when it does not fit.
///
/// Clients send 64-bit ints as XML-RPC strings, so strings convert to numbers; enum values
/// match case-insensitively and come out in the model's spelling.
pub fn coerce(model: &Model, ty: &Ty, v: V) -> Option<V> {
    Some(match (ty, v) {
        (Ty::String | Ty::Ref(_), V::Str(s)) => V::Str(s),
        (Ty::Int, V::Int(i)) => V::Int(i),
        (Ty::Int, V::Str(s)) => V::Int(s.trim().parse().ok()?),
        (Ty::Float, V::Float(f)) => V::Float(f),
        (Ty::Float, V::Int(i)) => V::Float(i as f64),
        (Ty::Float, V::Str(s)) => V::Float(parse_float(&s)?),
        (Ty::Bool, V::Bool(b)) => V::Bool(b),
        (Ty::Bool, V::Str(s)) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => V::Bool(true),
            "false" | "0" => V::Bool(false),
            _ => return None,
        },
        (Ty::DateTime, V::DateTime(s) | V::Str(s)) => V::DateTime(s),
        (Ty::Enum(e), V::Str(s)) => V::Str(model.enum_value(*e, &s)?.to_string()),
        (Ty::Set(inner), V::Set(items)) => V::Set(
            items
                .into_iter()
                .map(|x| coerce(model, inner, x))
                .collect::<Option<Vec<_>>>()?,
        ),
        (Ty::Map(k, val), V::Map(entries)) => V::Map(
            entries
                .into_iter()
                .map(|(a, b)| Some((coerce(model, k, a)?, coerce(model, val, b)?)))
                .collect::<Option<Vec<_>>>()?,
        ),
        (Ty::Record(_) | Ty::AnyRecord, V::Map(entries)) => V::Map(entries),
        (Ty::Option(_), V::Nil) => V::Nil,
        (Ty::Option(inner), v) => coerce(model, inner, v)?,
        _ => return None,
    })
}

fn parse_float(s: &str) -> Option<f64> {
    match s.trim() {
        "inf" | "Infinity" => Some(f64::INFINITY),
        "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        "nan" | "NaN" => Some(f64::NAN),
        t => t.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_sync_and_async_names() {
        let m = Model::xenapi();
        assert!(resolve(&m, "VM.start").is_ok());
        assert!(resolve(&m, "Async.VM.start").unwrap().is_async);
        assert_eq!(
            resolve(&m, "VM.nope").err().unwrap().0,
            ["MESSAGE_METHOD_UNKNOWN", "VM.nope"]
        );
        assert!(
            !resolve(&m, "Async.VM.get_name_label")
                .unwrap()
                .message
                .is_async
        );
        assert_eq!(
            resolve(&m, "Async.VM.nope").err().unwrap().0,
            ["MESSAGE_METHOD_UNKNOWN", "VM.nope"]
        );
        assert!(
            resolve(&m, "VM.set_power_state").is_err(),
            "read-only fields have no setter"
        );
    }

    #[test]
    fn coerces_like_xapi() {
        let m = Model::xenapi();
        let ps = match &m.classes[m.class("VM").unwrap()].fields[m.classes[m.class("VM").unwrap()]
            .field("power_state")
            .unwrap()]
        .ty
        {
            Ty::Enum(e) => Ty::Enum(*e),
            _ => unreachable!(),
        };
        assert_eq!(coerce(&m, &Ty::Int, V::s("42")), Some(V::Int(42)));
        assert_eq!(coerce(&m, &ps, V::s("running")), Some(V::s("Running")));
        assert_eq!(coerce(&m, &ps, V::s("flying")), None);
        assert_eq!(coerce(&m, &Ty::String, V::Int(1)), None);
    }
}
