//! Blobs: `blob.create` and `<class>.create_new_blob`.

use crate::error::Failure;
use crate::generic::arg_str;
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::{now_datetime, V};

fn new_blob(t: &mut Inner, blob: usize, name: &str, mime: &str, public: bool) -> String {
    let model = t.model().clone();
    let c = &model.classes[blob];
    let mut rec = t.default_record(blob);
    for (f, v) in [
        ("name_label", V::s(name)),
        ("mime_type", V::s(mime)),
        ("public", V::Bool(public)),
        ("last_updated", now_datetime()),
        ("size", V::Int(0)),
    ] {
        if let Some(fi) = c.field(f) {
            rec[fi] = v;
        }
    }
    let r = t.new_ref();
    t.insert(blob, r, rec)
}

/// `blob.create(mime_type, public?)`.
pub(super) fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let mime = arg_str(&ctx.args, 0)?.to_string();
    let public = ctx.args.get(1).and_then(V::as_bool).unwrap_or(false);
    let r = ctx
        .sim
        .store
        .write(|t| new_blob(t, ctx.class, "", &mime, public));
    Ok(Reply::s(r))
}

/// `<class>.create_new_blob(self, name, mime_type, public?)`.
pub(super) fn create_new_blob(ctx: &CallCtx) -> Result<Reply, Failure> {
    let owner = arg_str(&ctx.args, 0)?.to_string();
    let name = arg_str(&ctx.args, 1)?.to_string();
    let mime = arg_str(&ctx.args, 2)?.to_string();
    let public = ctx.args.get(3).and_then(V::as_bool).unwrap_or(false);
    let blob = ctx.sim.class("blob")?;
    let r = ctx.sim.store.write(|t| {
        let blobs = t.field_index(ctx.class, "blobs")?;
        if t.field(ctx.class, &owner, blobs)?.map_get(&name).is_some() {
            let uuid = t.get(ctx.class, &owner, "uuid")?;
            return Err(Failure::new(
                "MAP_DUPLICATE_KEY",
                [
                    ctx.sim.model().classes[ctx.class].name.as_str(),
                    "blobs",
                    uuid.as_str().unwrap_or_default(),
                    &name,
                ],
            ));
        }
        let r = new_blob(t, blob, &name, &mime, public);
        t.modify(ctx.class, &owner, |rec| match &mut rec[blobs] {
            V::Map(m) => m.push((V::s(&name), V::s(&r))),
            other => *other = V::smap([(name.as_str(), r.as_str())]),
        })?;
        Ok(r)
    })?;
    Ok(Reply::s(r))
}
