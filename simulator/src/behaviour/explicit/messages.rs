//! The `message` class: alerts about objects, created, listed since a time, destroyed.

use crate::error::Failure;
use crate::generic::{arg, arg_str, records_reply};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{datetime_string, now_datetime, V};

/// A datetime as comparable digits (`YYYYMMDDHHMMSS`), whichever of xapi's spellings it has
/// (`20210728T13:20:00Z`, ISO 8601 with dashes, or Unix seconds as `"1627478400."`).
fn instant(v: &V) -> String {
    let s = v.as_str().unwrap_or_default().trim();
    let unix = if s.contains('T') {
        None
    } else {
        s.parse::<f64>().ok()
    };
    let s = match unix {
        Some(secs) => datetime_string(secs as i64),
        None => s.to_string(),
    };
    let digits: String = s.chars().filter(char::is_ascii_digit).take(14).collect();
    format!("{digits:0<14}")
}

pub(super) fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let name = arg_str(&ctx.args, 0)?.to_string();
    let priority = arg(&ctx.args, 1)?.clone();
    let cls = arg_str(&ctx.args, 2)?.to_string();
    let obj_uuid = arg_str(&ctx.args, 3)?.to_string();
    let body = arg_str(&ctx.args, 4)?.to_string();
    let r = ctx.sim.store.write(|t| {
        // The object must exist, as xapi checks.
        if let Some(oc) = t.model().class_ignore_case(&cls) {
            t.by_uuid(oc, &obj_uuid)?;
        }
        let model = t.model().clone();
        let c = &model.classes[ctx.class];
        let mut rec = t.default_record(ctx.class);
        for (f, v) in [
            ("name", V::s(&name)),
            ("priority", priority),
            ("cls", V::s(&cls)),
            ("obj_uuid", V::s(&obj_uuid)),
            ("timestamp", now_datetime()),
            ("body", V::s(&body)),
        ] {
            if let Some(fi) = c.field(f) {
                rec[fi] = v;
            }
        }
        let r = t.new_ref();
        Ok::<_, Failure>(t.insert(ctx.class, r, rec))
    })?;
    Ok(Reply::s(r))
}

fn select(
    ctx: &CallCtx,
    keep: impl Fn(&Inner, &crate::store::Record) -> bool,
) -> Result<Reply, Failure> {
    let all = ctx.sim.store.read(|t| {
        t.records(ctx.class)
            .into_iter()
            .filter(|(_, rec)| keep(t, rec))
            .collect::<Vec<_>>()
    });
    Ok(records_reply(ctx.class, all))
}

fn field_of(t: &Inner, class: usize, rec: &crate::store::Record, name: &str) -> V {
    t.model().classes[class]
        .field(name)
        .map(|fi| rec[fi].clone())
        .unwrap_or(V::Nil)
}

pub(super) fn get_since(ctx: &CallCtx) -> Result<Reply, Failure> {
    let since = instant(arg(&ctx.args, 0)?);
    select(ctx, |t, rec| {
        instant(&field_of(t, ctx.class, rec, "timestamp")) > since
    })
}

pub(super) fn get(ctx: &CallCtx) -> Result<Reply, Failure> {
    let cls = arg_str(&ctx.args, 0)?.to_string();
    let uuid = arg_str(&ctx.args, 1)?.to_string();
    let since = instant(arg(&ctx.args, 2)?);
    select(ctx, |t, rec| {
        field_of(t, ctx.class, rec, "cls").as_str() == Some(cls.as_str())
            && field_of(t, ctx.class, rec, "obj_uuid").as_str() == Some(uuid.as_str())
            && instant(&field_of(t, ctx.class, rec, "timestamp")) > since
    })
}

pub(super) fn destroy_many(ctx: &CallCtx) -> Result<Reply, Failure> {
    let refs = arg(&ctx.args, 0)?.strings();
    ctx.sim.store.write(|t| {
        for r in &refs {
            t.obj(ctx.class, r)?;
        }
        for r in &refs {
            if t.exists(ctx.class, r) {
                t.remove(ctx.class, r)?;
            }
        }
        Ok::<_, Failure>(())
    })?;
    Ok(Reply::void())
}

pub(super) fn destroy_all(ctx: &CallCtx) -> Result<Reply, Failure> {
    let filters: Vec<(String, String)> = match arg(&ctx.args, 0)? {
        V::Map(m) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.key_str().unwrap_or_default().into_owned(),
                    v.key_str().unwrap_or_default().into_owned(),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    ctx.sim.store.write(|t| {
        let doomed: Vec<String> = t
            .records(ctx.class)
            .into_iter()
            .filter(|(_, rec)| {
                filters.iter().all(|(k, want)| {
                    let stamp = || instant(&field_of(t, ctx.class, rec, "timestamp"));
                    match k.as_str() {
                        "before" => stamp() < instant(&V::s(want)),
                        "after" => stamp() > instant(&V::s(want)),
                        f => {
                            field_of(t, ctx.class, rec, f).key_str().as_deref()
                                == Some(want.as_str())
                        }
                    }
                })
            })
            .map(|(r, _)| r)
            .collect();
        for r in doomed {
            t.remove(ctx.class, &r)?;
        }
        Ok::<_, Failure>(())
    })?;
    Ok(Reply::void())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_compare_across_spellings() {
        let a = instant(&V::s("20210728T13:20:00Z"));
        assert_eq!(a, "20210728132000");
        assert_eq!(instant(&V::s("2021-07-28T13:20:00Z")), a);
        assert_eq!(instant(&V::s("1627478400.")), "20210728132000");
        assert_eq!(instant(&V::s("1627478400")), a);
        assert!(instant(&V::s("20210728T13:20:01Z")) > a);
    }
}
