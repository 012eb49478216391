//! Tasks: every `Async.` call returns one at once, which stays `pending` for the configured
//! task duration (so that it can be watched and cancelled), then runs the call and ends in
//! `success` (with the result XML-RPC-encoded in `result`, as xapi does over both wires),
//! `failure` (with `error_info`), or `cancelled`.

use std::time::Duration;

use crate::dispatch;
use crate::error::Failure;
use crate::generic::arg_str;
use crate::model::{Class, Dialect, Ty};
use crate::reply::{Reply, ReplyView};
use crate::sim::CallCtx;
use crate::value::{now_datetime, V};
use xenapi::wire::{encode_value, WireFormat};

use super::Handler;

pub(super) fn handler(message: &str) -> Option<Handler> {
    Some(match message {
        "create" => create,
        "cancel" => cancel,
        _ => return None,
    })
}

fn new_task(ctx: &CallCtx, label: &str, description: &str) -> Result<String, Failure> {
    let class = ctx.sim.class("task")?;
    let host = ctx.sim.master_host();
    Ok(ctx.sim.store.write(|t| {
        let model = t.model().clone();
        let c = &model.classes[class];
        let mut rec = t.default_record(class);
        let mut put = |name: &str, v: V| {
            if let Some(fi) = c.field(name) {
                rec[fi] = v;
            }
        };
        put("name_label", V::s(label));
        put("name_description", V::s(description));
        put("status", V::s("pending"));
        put("progress", progress(c, 0.0));
        put("created", now_datetime());
        if let (Some(s), Some(Ty::Ref(_))) =
            (&ctx.session, c.field("session").map(|fi| &c.fields[fi].ty))
        {
            put("session", V::s(s));
        }
        put("resident_on", V::s(host));
        put("allowed_operations", V::sset(["cancel"]));
        let r = t.new_ref();
        t.insert(class, r, rec)
    }))
}

/// A task's progress as its class types it: a fraction (xapi) or a percentage (xend).
fn progress(class: &Class, fraction: f64) -> V {
    match class.field("progress").map(|fi| &class.fields[fi].ty) {
        Some(Ty::Int) => V::Int((fraction * 100.0).round() as i64),
        _ => V::Float(fraction),
    }
}

fn create(ctx: &CallCtx) -> Result<Reply, Failure> {
    let label = arg_str(&ctx.args, 0)?.to_string();
    let description = arg_str(&ctx.args, 1)?.to_string();
    new_task(ctx, &label, &description).map(Reply::s)
}

fn cancel(ctx: &CallCtx) -> Result<Reply, Failure> {
    let task = arg_str(&ctx.args, 0)?;
    ctx.sim.store.write(|t| {
        let status = t.get(ctx.class, task, "status")?;
        if status.as_str() != Some("pending") {
            return Err(Failure::new(
                "OPERATION_NOT_ALLOWED",
                ["the task is no longer pending"],
            ));
        }
        t.set_named(ctx.class, task, "status", V::s("cancelling"))
    })?;
    Ok(Reply::void())
}

/// Starts `ctx` as a task and returns the task's ref.
pub fn run_async(ctx: CallCtx) -> Result<Reply, Failure> {
    let task = new_task(&ctx, &format!("Async.{}", ctx.method), "")?;
    let task_ref = task.clone();
    std::thread::Builder::new()
        .name("xapi-sim-task".into())
        .spawn(move || run(ctx, task))
        .map_err(|e| Failure::internal(format!("cannot start a task thread: {e}")))?;
    Ok(Reply::s(task_ref))
}

const STEPS: u32 = 4;

fn run(ctx: CallCtx, task: String) {
    let Ok(class) = ctx.sim.class("task") else {
        return;
    };
    let store = &ctx.sim.store;
    let step = ctx.sim.config.task_duration / STEPS;
    for i in 1..=STEPS {
        if step > Duration::ZERO {
            std::thread::sleep(step);
        }
        let cancelled = store.write(|t| {
            let status = t.get(class, &task, "status").ok();
            if status.as_ref().and_then(V::as_str) == Some("cancelling") {
                let _ = t.modify(class, &task, |_| {});
                return true;
            }
            if i < STEPS {
                let model = t.model().clone();
                let done = progress(&model.classes[class], f64::from(i) / f64::from(STEPS));
                let _ = t.set_named(class, &task, "progress", done);
            }
            false
        });
        if cancelled {
            finish(
                &ctx,
                class,
                &task,
                Err(Failure::new("TASK_CANCELLED", [task.as_str()])),
                "cancelled",
            );
            return;
        }
    }
    let outcome = dispatch::execute(&ctx);
    let status = if outcome.is_ok() {
        "success"
    } else {
        "failure"
    };
    finish(&ctx, class, &task, outcome, status);
}

fn finish(ctx: &CallCtx, class: usize, task: &str, outcome: Result<Reply, Failure>, status: &str) {
    let model = ctx.sim.model().clone();
    let is_void = model.classes[ctx.class]
        .messages
        .get(&ctx.message)
        .is_some_and(|m| m.result == Ty::Void);
    let (result, error_info) = match outcome {
        Ok(_) if is_void => (String::new(), Vec::new()),
        // xend kept the plain result (a ref is a UUID).
        Ok(Reply::V(V::Str(s))) if model.dialect == Dialect::Xend => (s, Vec::new()),
        Ok(reply) => match encode_value(
            WireFormat::XmlRpc,
            &ReplyView {
                model: &model,
                reply: &reply,
            },
        ) {
            Ok(bytes) => (String::from_utf8_lossy(&bytes).into_owned(), Vec::new()),
            Err(e) => (
                String::new(),
                Failure::internal(format!("cannot encode the result: {e}")).0,
            ),
        },
        Err(f) => (String::new(), f.0),
    };
    let c = &model.classes[class];
    let _ = ctx.sim.store.write(|t| {
        t.modify(class, task, |rec| {
            let mut put = |name: &str, v: V| {
                if let Some(fi) = c.field(name) {
                    rec[fi] = v;
                }
            };
            put("status", V::s(status));
            put("progress", progress(c, 1.0));
            put("finished", now_datetime());
            put("result", V::s(result));
            put("error_info", V::sset(error_info));
            put("allowed_operations", V::Set(Vec::new()));
        })
    });
}
