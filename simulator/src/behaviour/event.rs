//! Events, both APIs.
//!
//! `event.from(classes, token, timeout)` works as xapi's: every object of the classes changed
//! since `token` is reported once, with its current record (`add` if created since, else
//! `mod`), and every deletion as `del`; it blocks until there is something or `timeout`
//! seconds pass. Tokens are the store's generation, `"%020d,%020d"` as xapi spells them (the
//! second number, xapi's message generation, is always 0 here); `""` means "from the start".
//!
//! `event.register` / `event.next` / `event.unregister` deliver each change in order, with the
//! record as it was then, from a bounded log: a subscriber that falls behind it gets
//! `EVENTS_LOST` (and its cursor moves to now).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::{CallCtx, Registration, Sim};
use crate::store::{Change, Inner, Op};
use crate::value::{datetime_string, now_datetime, V};

use super::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "from" => from,
        "register" => register,
        "unregister" => unregister,
        "next" => next,
        "get_current_id" => |ctx| Ok(Reply::V(V::Int(ctx.sim.store.read(|t| t.gen) as i64))),
        "inject" => inject,
        _ => return None,
    })
}

/// Which objects a subscription covers.
#[derive(Debug, Clone)]
enum Filter {
    All,
    Class(usize),
    Object(usize, String),
}

fn filters(sim: &Sim, classes: &[V]) -> Vec<Filter> {
    let model = sim.model();
    classes
        .iter()
        .filter_map(V::as_str)
        .filter_map(|c| {
            if c == "*" {
                return Some(Filter::All);
            }
            match c.split_once('/') {
                Some((class, r)) => model
                    .class_ignore_case(class)
                    .map(|i| Filter::Object(i, r.to_string())),
                None => model.class_ignore_case(c).map(Filter::Class),
            }
        })
        .collect()
}

fn covers(filters: &[Filter], class: usize, r: &str) -> bool {
    filters.iter().any(|f| match f {
        Filter::All => true,
        Filter::Class(c) => *c == class,
        Filter::Object(c, o) => *c == class && o == r,
    })
}

fn covers_class(filters: &[Filter], class: usize) -> bool {
    filters.iter().any(|f| match f {
        Filter::All => true,
        Filter::Class(c) | Filter::Object(c, _) => *c == class,
    })
}

/// Parses a token: `""`, `"N"` or `"N,M"`.
fn parse_token(token: &str) -> Result<u64, Failure> {
    if token.is_empty() {
        return Ok(0);
    }
    let first = token.split(',').next().unwrap_or("");
    first
        .trim()
        .parse()
        .map_err(|_| Failure::new("EVENT_FROM_TOKEN_PARSE_FAILURE", [token]))
}

fn token_of(gen: u64) -> String {
    format!("{gen:020},{:020}", 0)
}

fn event(
    sim: &Sim,
    id: u64,
    class: usize,
    op: Op,
    r: &str,
    snapshot: Option<Reply>,
    time: V,
) -> Reply {
    let model = sim.model();
    let mut e = vec![
        ("id".to_string(), Reply::V(V::Int(id as i64))),
        ("timestamp".to_string(), Reply::V(time)),
        ("class".to_string(), Reply::s(&model.classes[class].lower)),
        ("operation".to_string(), Reply::s(op.as_str())),
        ("ref".to_string(), Reply::s(r)),
    ];
    if let Some(s) = snapshot {
        e.push(("snapshot".to_string(), s));
    }
    Reply::Map(e)
}

fn changed_since(t: &Inner, filters: &[Filter], since: u64) -> bool {
    t.tables
        .iter()
        .enumerate()
        .any(|(c, table)| table.last_change > since && covers_class(filters, c))
}

fn from(ctx: &CallCtx) -> Result<Reply, Failure> {
    let sim = &ctx.sim;
    let classes = arg(&ctx.args, 0)?.as_set().unwrap_or(&[]).to_vec();
    let filters = filters(sim, &classes);
    let token = arg_str(&ctx.args, 1)?;
    let since = parse_token(token)?;
    let timeout = match arg(&ctx.args, 2)? {
        V::Float(f) if f.is_finite() && *f > 0.0 => f.min(86_400.0),
        _ => 0.0,
    };
    let deadline = Instant::now() + Duration::from_secs_f64(timeout);
    let batch = sim.store.wait_until(
        deadline,
        || sim.is_stopping(),
        |t| changed_since(t, &filters, since).then(|| collect_from(sim, t, &filters, since)),
    );
    let batch = match batch {
        Some(b) => b,
        None => sim
            .store
            .read(|t| collect_from(sim, t, &filters, since.min(t.gen))),
    };
    Ok(batch)
}

fn collect_from(sim: &Sim, t: &Inner, filters: &[Filter], since: u64) -> Reply {
    let mut found: Vec<(u64, Reply)> = Vec::new();
    let now = now_datetime();
    for (c, table) in t.tables.iter().enumerate() {
        if !covers_class(filters, c) || table.last_change <= since {
            continue;
        }
        for (r, obj) in table.objs.iter().filter(|(_, o)| o.mtime > since) {
            if !covers(filters, c, r) {
                continue;
            }
            let op = if obj.ctime > since { Op::Add } else { Op::Mod };
            let snap = Reply::Rec(c, obj.rec.clone());
            found.push((
                obj.mtime,
                event(sim, obj.mtime, c, op, r, Some(snap), now.clone()),
            ));
        }
    }
    for tomb in t.tombstones.iter().filter(|d| d.gen > since) {
        if covers(filters, tomb.class, &tomb.obj_ref) {
            found.push((
                tomb.gen,
                event(
                    sim,
                    tomb.gen,
                    tomb.class,
                    Op::Del,
                    &tomb.obj_ref,
                    None,
                    now.clone(),
                ),
            ));
        }
    }
    found.sort_by_key(|(id, _)| *id);
    let model = sim.model();
    let counts = t
        .tables
        .iter()
        .enumerate()
        .filter(|(c, _)| covers_class(filters, *c) && model.classes[*c].has_objects())
        .map(|(c, table)| {
            (
                model.classes[c].lower.clone(),
                Reply::V(V::Int(table.objs.len() as i64)),
            )
        })
        .collect();
    Reply::Map(vec![
        (
            "events".into(),
            Reply::List(found.into_iter().map(|(_, e)| e).collect()),
        ),
        ("valid_ref_counts".into(), Reply::Map(counts)),
        ("token".into(), Reply::s(token_of(t.gen))),
    ])
}

fn registrations(
    sim: &Sim,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, Registration>> {
    sim.registrations.lock().unwrap_or_else(|e| e.into_inner())
}

fn class_names(ctx: &CallCtx) -> Vec<String> {
    ctx.args
        .first()
        .and_then(V::as_set)
        .unwrap_or(&[])
        .iter()
        .filter_map(V::as_str)
        .map(str::to_ascii_lowercase)
        .collect()
}

fn register(ctx: &CallCtx) -> Result<Reply, Failure> {
    let session = ctx.session.clone().unwrap_or_default();
    let mut regs = registrations(&ctx.sim);
    let reg = regs.entry(session).or_insert_with(|| {
        let cursor = ctx.sim.store.write(|t| t.subscribe());
        Registration {
            classes: Vec::new(),
            cursor,
        }
    });
    for c in class_names(ctx) {
        if !reg.classes.contains(&c) {
            reg.classes.push(c);
        }
    }
    Ok(Reply::void())
}

fn unregister(ctx: &CallCtx) -> Result<Reply, Failure> {
    let session = ctx.session.clone().unwrap_or_default();
    let gone = class_names(ctx);
    let mut regs = registrations(&ctx.sim);
    if let Some(reg) = regs.get_mut(&session) {
        reg.classes.retain(|c| !gone.contains(c));
        if reg.classes.is_empty() {
            regs.remove(&session);
            ctx.sim.store.write(|t| t.unsubscribe());
        }
    }
    Ok(Reply::void())
}

/// How long `event.next` waits before checking again that its session still exists.
const NEXT_POLL: Duration = Duration::from_secs(1);

fn next(ctx: &CallCtx) -> Result<Reply, Failure> {
    next_with(ctx, xapi_event)
}

/// One change as xapi's `event.next` reports it: the record as it was then in `snapshot`.
fn xapi_event(sim: &Sim, c: &Change) -> Reply {
    let model = sim.model();
    let uuid = model.classes[c.class]
        .field("uuid")
        .and_then(|fi| c.snapshot[fi].as_str().map(str::to_string))
        .unwrap_or_default();
    let mut e = match event(
        sim,
        c.id,
        c.class,
        c.op,
        &c.obj_ref,
        Some(Reply::Rec(c.class, Arc::clone(&c.snapshot))),
        V::DateTime(datetime_string(c.time)),
    ) {
        Reply::Map(e) => e,
        _ => unreachable!("event() builds a map"),
    };
    e.push(("obj_uuid".into(), Reply::s(uuid)));
    Reply::Map(e)
}

/// `event.next`: blocks until a change the session registered for, then returns every such
/// change in order, each shaped by `shape`.
pub(crate) fn next_with(
    ctx: &CallCtx,
    shape: fn(&Sim, &Change) -> Reply,
) -> Result<Reply, Failure> {
    let sim = &ctx.sim;
    let session = ctx.session.clone().unwrap_or_default();
    loop {
        let reg = registrations(sim)
            .get(&session)
            .cloned()
            .ok_or_else(|| Failure::new("SESSION_NOT_REGISTERED", [session.as_str()]))?;
        let names: Vec<V> = reg.classes.iter().map(V::s).collect();
        let filters = filters(sim, &names);
        let outcome = sim.store.wait_until(
            Instant::now() + NEXT_POLL,
            || sim.is_stopping(),
            |t| {
                if t.changes
                    .front()
                    .is_some_and(|first| first.id > reg.cursor + 1)
                {
                    return Some(Err(t.gen));
                }
                let events: Vec<_> = t
                    .changes
                    .iter()
                    .filter(|c| c.id > reg.cursor && covers(&filters, c.class, &c.obj_ref))
                    .cloned()
                    .collect();
                if events.is_empty() {
                    None
                } else {
                    Some(Ok((events, t.gen)))
                }
            },
        );
        match outcome {
            Some(Err(gen)) => {
                if let Some(r) = registrations(sim).get_mut(&session) {
                    r.cursor = gen;
                }
                return Err(Failure::new("EVENTS_LOST", Vec::<String>::new()));
            }
            Some(Ok((events, gen))) => {
                if let Some(r) = registrations(sim).get_mut(&session) {
                    r.cursor = gen;
                }
                let list = events.iter().map(|c| shape(sim, c)).collect();
                return Ok(Reply::List(list));
            }
            None => {
                if sim.is_stopping() {
                    return Ok(Reply::List(Vec::new()));
                }
                sim.check_session(&session)?;
            }
        }
    }
}

fn inject(ctx: &CallCtx) -> Result<Reply, Failure> {
    let class_name = arg_str(&ctx.args, 0)?;
    let r = arg_str(&ctx.args, 1)?;
    let class = ctx
        .sim
        .model()
        .class_ignore_case(class_name)
        .ok_or_else(|| Failure::new("HANDLE_INVALID", [class_name, r]))?;
    let gen = ctx
        .sim
        .store
        .write(|t| t.modify(class, r, |_| {}).map(|_| t.gen))?;
    Ok(Reply::s(token_of(gen)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        assert_eq!(parse_token("").unwrap(), 0);
        assert_eq!(parse_token(&token_of(42)).unwrap(), 42);
        assert_eq!(
            parse_token("x").unwrap_err().0,
            ["EVENT_FROM_TOKEN_PARSE_FAILURE", "x"]
        );
    }
}
