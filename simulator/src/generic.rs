//! The messages xapi derives from a class's fields, served for every class of the model from
//! the model alone: getters, setters, map and set editors, create, destroy, and the lookups.

use std::sync::Arc;

use crate::error::Failure;
use crate::model::{Qualifier, Ty};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::{Inner, Record};
use crate::value::V;

/// A field access a message name designates.
enum FieldOp {
    Get,
    Set,
    AddToMap,
    RemoveFromMap,
    AddToSet,
    RemoveFromSet,
}

/// Runs a message of the model that has no behaviour of its own.
pub fn execute(ctx: &CallCtx) -> Result<Reply, Failure> {
    let model = ctx.sim.model().clone();
    let class = &model.classes[ctx.class];
    let c = ctx.class;
    let store = &ctx.sim.store;
    let a = &ctx.args;
    match ctx.message.as_str() {
        "get_record" | "get_boot_record" => {
            let r = arg_str(a, 0)?;
            return store.read(|t| Ok(Reply::Rec(c, t.obj(c, r)?.rec.clone())));
        }
        "get_by_uuid" => {
            let u = arg_str(a, 0)?;
            return store.read(|t| t.by_uuid(c, u)).map(Reply::s);
        }
        "get_all" => return Ok(Reply::V(V::sset(store.read(|t| t.refs(c))))),
        "get_all_records" => return Ok(records_reply(c, store.read(|t| t.records(c)))),
        "get_all_records_where" => {
            let expr = crate::query::parse(arg_str(a, 0)?)?;
            let all = store.read(|t| t.records(c));
            let kept = all
                .into_iter()
                .filter(|(_, rec)| expr.matches(class, rec))
                .collect();
            return Ok(records_reply(c, kept));
        }
        "get_by_name_label" => {
            let label = arg_str(a, 0)?;
            let Some(fi) = class.field("name_label") else {
                return crate::behaviour::explicit::execute(ctx);
            };
            let refs = store.read(|t| {
                t.tables[c]
                    .objs
                    .iter()
                    .filter(|(_, o)| o.rec[fi].as_str() == Some(label))
                    .map(|(r, _)| r.clone())
                    .collect::<Vec<_>>()
            });
            return Ok(Reply::V(V::sset(refs)));
        }
        "create" if ctx.args.len() == 1 && matches!(ctx.args[0], V::Map(_)) => {
            let fields = match &a[0] {
                V::Map(m) => m.clone(),
                _ => unreachable!(),
            };
            return store.write(|t| create(t, c, &fields)).map(Reply::s);
        }
        "destroy" if ctx.args.len() == 1 => {
            let r = arg_str(a, 0)?;
            return store.write(|t| t.remove(c, r)).map(|_| Reply::void());
        }
        _ => {}
    }
    let Some((op, fi)) = field_op(class, &ctx.message) else {
        return crate::behaviour::explicit::execute(ctx);
    };
    let r = arg_str(a, 0)?;
    let field = &class.fields[fi];
    match op {
        FieldOp::Get => store.read(|t| t.field(c, r, fi).cloned()).map(Reply::V),
        FieldOp::Set => {
            let v = a
                .get(1)
                .cloned()
                .ok_or_else(|| Failure::field_type("value"))?;
            store.write(|t| t.set(c, r, fi, v)).map(|_| Reply::void())
        }
        FieldOp::AddToMap => {
            let (key, value) = (arg(a, 1)?.clone(), arg(a, 2)?.clone());
            store.write(|t| {
                let current = t.field(c, r, fi)?;
                let key_s = key.key_str().unwrap_or_default().into_owned();
                if current.map_get(&key_s).is_some() {
                    return Err(Failure::new(
                        "MAP_DUPLICATE_KEY",
                        [class.name.as_str(), field.name.as_str(), r, &key_s],
                    ));
                }
                t.modify(c, r, |rec| match &mut rec[fi] {
                    V::Map(m) => m.push((key, value)),
                    other => *other = V::Map(vec![(key, value)]),
                })
            })?;
            Ok(Reply::void())
        }
        FieldOp::RemoveFromMap => {
            let key = arg(a, 1)?.key_str().unwrap_or_default().into_owned();
            store.write(|t| {
                if t.field(c, r, fi)?.map_get(&key).is_none() {
                    return Ok(());
                }
                t.modify(c, r, |rec| {
                    if let V::Map(m) = &mut rec[fi] {
                        m.retain(|(k, _)| k.key_str().as_deref() != Some(key.as_str()));
                    }
                })
            })?;
            Ok(Reply::void())
        }
        FieldOp::AddToSet => {
            let item = arg(a, 1)?.clone();
            store.write(|t| {
                if t.field(c, r, fi)?
                    .as_set()
                    .is_some_and(|s| s.contains(&item))
                {
                    return Ok(());
                }
                t.modify(c, r, |rec| match &mut rec[fi] {
                    V::Set(s) => s.push(item),
                    other => *other = V::Set(vec![item]),
                })
            })?;
            Ok(Reply::void())
        }
        FieldOp::RemoveFromSet => {
            let item = arg(a, 1)?.clone();
            store.write(|t| {
                if !t
                    .field(c, r, fi)?
                    .as_set()
                    .is_some_and(|s| s.contains(&item))
                {
                    return Ok(());
                }
                t.modify(c, r, |rec| {
                    if let V::Set(s) = &mut rec[fi] {
                        s.retain(|x| x != &item);
                    }
                })
            })?;
            Ok(Reply::void())
        }
    }
}

/// Whether [`execute`] serves `msg` itself (the rest goes to [`crate::behaviour::explicit`]).
pub fn serves(class: &crate::model::Class, msg: &crate::model::Message) -> bool {
    let one_map = msg.params.len() == 1 && matches!(msg.params[0].ty, Ty::Record(_) | Ty::Map(..));
    match msg.name.as_str() {
        "get_record"
        | "get_boot_record"
        | "get_by_uuid"
        | "get_all"
        | "get_all_records"
        | "get_all_records_where" => true,
        "get_by_name_label" => class.field("name_label").is_some(),
        "create" if one_map => true,
        "destroy" if msg.params.len() == 1 => true,
        m => field_op(class, m).is_some(),
    }
}

/// `{ref: record, ...}`.
pub fn records_reply(class: usize, records: Vec<(String, Arc<Record>)>) -> Reply {
    Reply::Map(
        records
            .into_iter()
            .map(|(r, rec)| (r, Reply::Rec(class, rec)))
            .collect(),
    )
}

fn field_op(class: &crate::model::Class, message: &str) -> Option<(FieldOp, usize)> {
    let is_map = |fi: usize| matches!(class.fields[fi].ty, Ty::Map(..));
    let is_set = |fi: usize| matches!(class.fields[fi].ty, Ty::Set(_));
    if let Some(f) = message.strip_prefix("get_") {
        return class.field(f).map(|fi| (FieldOp::Get, fi));
    }
    if let Some(f) = message.strip_prefix("set_") {
        return class.field(f).map(|fi| (FieldOp::Set, fi));
    }
    if let Some(fi) = message
        .strip_prefix("add_to_")
        .and_then(|f| class.field(f))
        .filter(|&fi| is_map(fi))
    {
        return Some((FieldOp::AddToMap, fi));
    }
    if let Some(fi) = message
        .strip_prefix("remove_from_")
        .and_then(|f| class.field(f))
        .filter(|&fi| is_map(fi))
    {
        return Some((FieldOp::RemoveFromMap, fi));
    }
    if let Some(fi) = message
        .strip_prefix("add_")
        .and_then(|f| class.field(f))
        .filter(|&fi| is_set(fi))
    {
        return Some((FieldOp::AddToSet, fi));
    }
    if let Some(fi) = message
        .strip_prefix("remove_")
        .and_then(|f| class.field(f))
        .filter(|&fi| is_set(fi))
    {
        return Some((FieldOp::RemoveFromSet, fi));
    }
    None
}

/// Creates an object from a record sent by a client: the fields a client may give (RW and
/// RO/constructor) are taken from it, type-checked; the others take their default.
pub fn create(t: &mut Inner, class: usize, fields: &[(V, V)]) -> Result<String, Failure> {
    let model = t.model().clone();
    let c = &model.classes[class];
    let mut rec = t.default_record(class);
    for (k, v) in fields {
        let Some(name) = k.as_str() else { continue };
        let Some(fi) = c.field(name) else { continue };
        let f = &c.fields[fi];
        if f.qualifier == Qualifier::RoRuntime {
            continue;
        }
        rec[fi] = crate::dispatch::coerce(&model, &f.ty, v.clone())
            .ok_or_else(|| Failure::field_type(&f.name))?;
    }
    for (fi, f) in c.fields.iter().enumerate() {
        if let (Ty::Ref(target), Some(r)) = (&f.ty, rec[fi].as_str()) {
            if r == crate::value::NULL_REF || r.is_empty() || f.qualifier == Qualifier::RoRuntime {
                continue;
            }
            // A ref to a stored class must name an existing object, as xapi checks.
            if let Some(tc) = model.class(target) {
                if model.classes[tc].has_objects() && !t.exists(tc, r) {
                    return Err(Failure::new("HANDLE_INVALID", [target.as_str(), r]));
                }
            }
        }
    }
    let r = t.new_ref();
    Ok(t.insert(class, r, rec))
}

/// The `i`-th argument (present when the model's message has it: behaviour written for one
/// model fails cleanly on another).
pub fn arg(a: &[V], i: usize) -> Result<&V, Failure> {
    a.get(i)
        .ok_or_else(|| Failure::internal(format!("argument {i} is missing")))
}

/// The `i`-th argument as a string (refs, uuids, labels).
pub fn arg_str(a: &[V], i: usize) -> Result<&str, Failure> {
    a.get(i)
        .and_then(V::as_str)
        .ok_or_else(|| Failure::internal(format!("argument {i} is not a string")))
}
