//! The Xen security policy (ACM) and resource labels.
//!
//! One policy at most: `XSPolicy.set_xspolicy(type, repr, flags, overwrite)` loads it (an
//! `XSPolicy` object whose `repr` is the policy XML), `reset_xspolicy` removes it,
//! `get_xspolicy` describes it. These three answer an `xs_policystate` struct
//! (`xs_ref`, `xserr`, `repr`, `type`, `flags`, `version`, `errors`) whose `xserr` carries
//! the outcome, as xend did: `XSERR_POLICY_TYPE_UNSUPPORTED` for a type other than ACM (1),
//! `XSERR_BAD_XML` for a repr that is not XML, `XSERR_POLICY_LOADED` when a policy is loaded
//! and `overwrite` is false. Labels are `ACM:<policy>:<label>`; setting one needs a loaded
//! policy and the current label as `old_label`, else `SECURITY_ERROR [xserr, message]`.

use crate::error::Failure;
use crate::generic::{arg, arg_str};
use crate::reply::Reply;
use crate::sim::CallCtx;
use crate::store::Inner;
use crate::value::V;

use crate::behaviour::Handler;

/// `xs_type` of the ACM policy, the only type xend knew.
const XS_POLICY_ACM: i64 = 1;
/// `xs_instantiationflags`: the policy is installed for the next boot.
const XS_INST_BOOT: i64 = 1;
/// `xs_instantiationflags`: the policy is loaded into the hypervisor.
const XS_INST_LOAD: i64 = 2;

const XSERR_SUCCESS: i64 = 0;
const XSERR_GENERAL_FAILURE: i64 = 4097;
const XSERR_BAD_XML: i64 = 4098;
const XSERR_BAD_LABEL_FORMAT: i64 = 4103;
const XSERR_RESOURCE_ACCESS: i64 = 4119;
const XSERR_POLICY_LOADED: i64 = 4110;
const XSERR_POLICY_TYPE_UNSUPPORTED: i64 = 4111;

pub(super) fn handler(class: &str, message: &str) -> Option<Handler> {
    if class != "XSPolicy" {
        return None;
    }
    Some(match message {
        "get_xstype" => |_| Ok(Reply::V(V::Int(XS_POLICY_ACM))),
        "set_xspolicy" => set_xspolicy,
        "reset_xspolicy" => reset_xspolicy,
        "get_xspolicy" => |ctx| Ok(ctx.sim.store.read(|t| state(t, ctx, XSERR_SUCCESS))),
        "get_labeled_resources" => get_labeled_resources,
        "set_resource_label" => set_resource_label,
        "get_resource_label" => |ctx| {
            let resource = arg_str(&ctx.args, 0)?;
            Ok(Reply::s(label_of(ctx, resource)))
        },
        "rm_xsbootpolicy" => rm_xsbootpolicy,
        "activate_xspolicy" => activate_xspolicy,
        "can_run" => can_run,
        _ => return None,
    })
}

/// `VDI` / `VIF` `set_security_label` and `get_security_label`.
pub(super) fn label_handler(message: &str) -> Option<Handler> {
    Some(match message {
        "set_security_label" => set_object_label,
        "get_security_label" => |ctx| {
            let key = object_key(ctx)?;
            Ok(Reply::s(label_of(ctx, &key)))
        },
        _ => return None,
    })
}

fn security_error(xserr: i64, message: &str) -> Failure {
    Failure::new("SECURITY_ERROR", [xserr.to_string().as_str(), message])
}

/// The loaded policy's ref.
fn policy(t: &Inner, class: usize) -> Option<String> {
    t.refs(class).into_iter().next()
}

fn text_of(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..start + len].trim().to_string())
}

/// The `xs_policystate` of the loaded policy (zeros when none), with `xserr`.
fn state(t: &Inner, ctx: &CallCtx, xserr: i64) -> Reply {
    let class = ctx.class;
    let (r, repr, ty, flags) = match policy(t, class) {
        Some(r) => {
            let get = |f: &str| t.get(class, &r, f).unwrap_or(V::Nil);
            let repr = get("repr").as_str().unwrap_or("").to_string();
            (
                r.clone(),
                repr,
                get("type").as_int().unwrap_or(0),
                get("flags").as_int().unwrap_or(0),
            )
        }
        None => (String::new(), String::new(), 0, 0),
    };
    let version = text_of(&repr, "Version").unwrap_or_default();
    let errors = if xserr == XSERR_SUCCESS {
        String::new()
    } else {
        format!("error {xserr}")
    };
    Reply::Map(vec![
        ("xs_ref".into(), Reply::s(r)),
        ("xserr".into(), Reply::V(V::Int(xserr))),
        ("repr".into(), Reply::s(repr)),
        ("type".into(), Reply::V(V::Int(ty))),
        ("flags".into(), Reply::V(V::Int(flags))),
        ("version".into(), Reply::s(version)),
        ("errors".into(), Reply::s(errors)),
    ])
}

fn set_xspolicy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let ty = arg(&ctx.args, 0)?.as_int().unwrap_or(0);
    let repr = arg_str(&ctx.args, 1)?.to_string();
    let flags = arg(&ctx.args, 2)?.as_int().unwrap_or(0) & (XS_INST_BOOT | XS_INST_LOAD);
    let overwrite = arg(&ctx.args, 3)?.as_bool().unwrap_or(false);
    let class = ctx.class;
    Ok(ctx.sim.store.write(|t| {
        if ty != XS_POLICY_ACM {
            return state(t, ctx, XSERR_POLICY_TYPE_UNSUPPORTED);
        }
        if !repr.trim_start().starts_with('<') {
            return state(t, ctx, XSERR_BAD_XML);
        }
        let existing = policy(t, class);
        if existing.is_some() && !overwrite {
            return state(t, ctx, XSERR_POLICY_LOADED);
        }
        let model = t.model().clone();
        let c = &model.classes[class];
        let fill = |rec: &mut Vec<V>| {
            for (name, v) in [
                ("repr", V::s(&repr)),
                ("type", V::Int(ty)),
                ("flags", V::Int(flags)),
            ] {
                if let Some(fi) = c.field(name) {
                    rec[fi] = v;
                }
            }
        };
        match existing {
            Some(r) => {
                let _ = t.modify(class, &r, fill);
            }
            None => {
                let mut rec = t.default_record(class);
                fill(&mut rec);
                let r = t.new_ref();
                t.insert(class, r, rec);
            }
        }
        state(t, ctx, XSERR_SUCCESS)
    }))
}

fn reset_xspolicy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let ty = arg(&ctx.args, 0)?.as_int().unwrap_or(0);
    Ok(ctx.sim.store.write(|t| {
        if ty != XS_POLICY_ACM {
            return state(t, ctx, XSERR_POLICY_TYPE_UNSUPPORTED);
        }
        if let Some(r) = policy(t, ctx.class) {
            let _ = t.remove(ctx.class, &r);
        }
        state(t, ctx, XSERR_SUCCESS)
    }))
}

fn rm_xsbootpolicy(ctx: &CallCtx) -> Result<Reply, Failure> {
    ctx.sim.store.write(|t| {
        let Some(r) = policy(t, ctx.class) else {
            return Err(security_error(XSERR_GENERAL_FAILURE, "no policy is loaded"));
        };
        let flags = t.get(ctx.class, &r, "flags")?.as_int().unwrap_or(0);
        t.set_named(ctx.class, &r, "flags", V::Int(flags & !XS_INST_BOOT))
    })?;
    Ok(Reply::void())
}

fn activate_xspolicy(ctx: &CallCtx) -> Result<Reply, Failure> {
    let r = arg_str(&ctx.args, 0)?;
    let wanted = arg(&ctx.args, 1)?.as_int().unwrap_or(0) & (XS_INST_BOOT | XS_INST_LOAD);
    let flags = ctx.sim.store.write(|t| {
        let flags = t.get(ctx.class, r, "flags")?.as_int().unwrap_or(0) | wanted;
        t.set_named(ctx.class, r, "flags", V::Int(flags))?;
        Ok::<_, Failure>(flags)
    })?;
    Ok(Reply::V(V::Int(flags)))
}

/// Checks a label's form and that a policy is loaded: the `xserr` of what is wrong.
fn check_label(ctx: &CallCtx, label: &str) -> Result<(), (i64, &'static str)> {
    let loaded = ctx
        .sim
        .class("XSPolicy")
        .ok()
        .is_some_and(|c| ctx.sim.store.read(|t| policy(t, c).is_some()));
    if !loaded {
        return Err((XSERR_GENERAL_FAILURE, "no security policy is loaded"));
    }
    let parts: Vec<&str> = label.split(':').collect();
    if parts.len() != 3 || parts[0] != "ACM" || parts.iter().any(|p| p.is_empty()) {
        return Err((XSERR_BAD_LABEL_FORMAT, "labels are ACM:<policy>:<label>"));
    }
    Ok(())
}

fn can_run(ctx: &CallCtx) -> Result<Reply, Failure> {
    let label = arg_str(&ctx.args, 0)?;
    let xserr = match check_label(ctx, label) {
        Ok(()) => XSERR_SUCCESS,
        Err((e, _)) => e,
    };
    Ok(Reply::V(V::Int(xserr)))
}

fn labels(ctx: &CallCtx) -> std::sync::MutexGuard<'_, super::State> {
    ctx.sim.xend.lock().unwrap_or_else(|e| e.into_inner())
}

fn label_of(ctx: &CallCtx, resource: &str) -> String {
    labels(ctx)
        .labels
        .get(resource)
        .cloned()
        .unwrap_or_default()
}

/// Sets `resource`'s label to `label` if its current one is `old`; returns the label's
/// ssidref (its position among the labels in use, from 1).
fn relabel(ctx: &CallCtx, resource: &str, label: &str, old: &str) -> Result<i64, Failure> {
    if !label.is_empty() {
        check_label(ctx, label).map_err(|(e, m)| security_error(e, m))?;
    }
    let mut state = labels(ctx);
    let current = state.labels.get(resource).cloned().unwrap_or_default();
    if current != old {
        return Err(security_error(
            XSERR_RESOURCE_ACCESS,
            &format!("the current label of {resource} is {current:?}, not {old:?}"),
        ));
    }
    if label.is_empty() {
        state.labels.remove(resource);
        return Ok(0);
    }
    state.labels.insert(resource.to_string(), label.to_string());
    let mut distinct: Vec<&String> = state.labels.values().collect();
    distinct.sort();
    distinct.dedup();
    Ok(distinct.iter().position(|l| *l == label).unwrap_or(0) as i64 + 1)
}

fn set_resource_label(ctx: &CallCtx) -> Result<Reply, Failure> {
    let resource = arg_str(&ctx.args, 0)?;
    let label = arg_str(&ctx.args, 1)?;
    let old = arg_str(&ctx.args, 2)?;
    relabel(ctx, resource, label, old)?;
    Ok(Reply::void())
}

fn get_labeled_resources(ctx: &CallCtx) -> Result<Reply, Failure> {
    let all = labels(ctx).labels.clone();
    Ok(Reply::V(V::smap(all)))
}

/// The resource name of a VDI or VIF: `vdi:<uuid>` / `vif:<uuid>`.
fn object_key(ctx: &CallCtx) -> Result<String, Failure> {
    let r = arg_str(&ctx.args, 0)?;
    ctx.sim.store.read(|t| t.obj(ctx.class, r).map(|_| ()))?;
    Ok(format!(
        "{}:{r}",
        ctx.sim.model().classes[ctx.class].name.to_ascii_lowercase()
    ))
}

fn set_object_label(ctx: &CallCtx) -> Result<Reply, Failure> {
    let key = object_key(ctx)?;
    let label = arg_str(&ctx.args, 1)?;
    let old = arg_str(&ctx.args, 2)?;
    relabel(ctx, &key, label, old).map(|ssidref| Reply::V(V::Int(ssidref)))
}
