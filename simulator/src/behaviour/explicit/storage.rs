//! Storage repositories: `SR.create`/`SR.make` with the PBDs that connect them to hosts.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::value::V;

use super::hosts::USUAL_SR_TYPES;

/// `SR.create(host, device_config, physical_size, name_label, name_description, type,
/// content_type, shared, sm_config?)`: the SR, plugged on `host` (a shared one on every host).
fn create_sr(ctx: &CallCtx) -> Result<String, Failure> {
    let host = arg_str(&ctx.args, 0)?.to_string();
    let device_config = arg(&ctx.args, 1)?.clone();
    let ty = arg_str(&ctx.args, 5)?.to_string();
    let (hc, pbd) = (ctx.sim.class("host")?, ctx.sim.class("PBD")?);
    let model = ctx.sim.model().clone();
    let msg = &model.classes[ctx.class].messages[&ctx.message];
    // `SR.make` has no `shared`.
    let shared = msg
        .params
        .iter()
        .position(|p| p.name == "shared")
        .and_then(|i| ctx.args.get(i))
        .and_then(V::as_bool)
        .unwrap_or(false);
    ctx.sim.store.write(|t| {
        t.obj(hc, &host)?;
        let known: Vec<String> = match t.model().class("SM") {
            Some(sm) if !t.refs(sm).is_empty() => t
                .refs(sm)
                .iter()
                .filter_map(|r| t.get(sm, r, "type").ok())
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => USUAL_SR_TYPES.iter().map(|s| s.to_string()).collect(),
        };
        if !known.contains(&ty) {
            return Err(Failure::new("SR_UNKNOWN_DRIVER", [ty.as_str()]));
        }
        let sr = super::create_from_params(t, ctx.class, msg, &ctx.args)?;
        let hosts = if shared {
            t.refs(hc)
        } else {
            vec![host.clone()]
        };
        for h in hosts {
            let mut rec = t.default_record(pbd);
            for (f, v) in [
                ("host", V::s(&h)),
                ("SR", V::s(&sr)),
                ("device_config", device_config.clone()),
                ("currently_attached", V::Bool(true)),
            ] {
                if let Some(fi) = t.model().classes[pbd].field(f) {
                    rec[fi] = v;
                }
            }
            let r = t.new_ref();
            t.insert(pbd, r, rec);
        }
        Ok(sr)
    })
}

pub(super) fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    create_sr(ctx).map(Reply::s)
}

/// `SR.make`: the same, answering the new SR's uuid.
pub(super) fn make(ctx: &CallCtx) -> Result<Reply, Failure> {
    let sr = create_sr(ctx)?;
    let uuid = ctx.sim.store.read(|t| t.get(ctx.class, &sr, "uuid"))?;
    Ok(Reply::V(uuid))
}
