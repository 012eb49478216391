//! xapi's HTTP handlers for moving VMs: `GET /export` answers an XVA archive of the VM (its
//! `ova.xml` metadata; the simulator has no disk contents), `PUT /import` makes a VM from an
//! archive's `ova.xml`. As on xapi, both take `session_id`, and `task_id` to report through a
//! task (the result of an import: the new VM's ref, XML-RPC-encoded); an import needs a
//! `Content-Length` (`IMPORT_ERROR_CANNOT_HANDLE_CHUNKED` otherwise).

use std::io::{self, BufRead, BufReader, Read, Write};

use xenapi::wire::{self, WireFormat};

use super::{continue_if_expected, error_page, ConnCtx, Request};
use crate::error::Failure;
use crate::value::{now_datetime, V};

/// How much of an import body is kept to find `ova.xml` (which comes first); the rest (disk
/// contents) is read and dropped.
const KEPT_IMPORT_BYTES: usize = 4 << 20;

/// Serves `req` if it is an export or an import; `None` when it is not one.
pub(super) fn route<S: Read + Write>(
    reader: &mut BufReader<S>,
    req: &Request,
    ctx: &ConnCtx,
) -> io::Result<Option<bool>> {
    match (req.method.as_str(), req.path.as_str()) {
        ("GET", "/export") => export(reader, req, ctx).map(Some),
        ("PUT", "/import") => import(reader, req, ctx).map(Some),
        _ => Ok(None),
    }
}

fn query<'a>(req: &'a Request, key: &str) -> Option<&'a str> {
    req.query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// The session check; the refusal as xapi answers it (401, connection closed).
fn authorised<W: Write>(out: &mut W, req: &Request, ctx: &ConnCtx) -> io::Result<bool> {
    let session = query(req, "session_id").unwrap_or_default();
    if ctx.sim.check_session(session).is_ok() {
        return Ok(true);
    }
    error_page(out, 401, "Unauthorised", "The session_id is not valid.")?;
    Ok(false)
}

/// Reports the outcome through the task named by `task_id`, if any.
fn finish_task(ctx: &ConnCtx, req: &Request, outcome: Result<String, Failure>) {
    let (Some(task), Some(tc)) = (query(req, "task_id"), ctx.sim.model().class("task")) else {
        return;
    };
    let model = ctx.sim.model().clone();
    let c = &model.classes[tc];
    let _ = ctx.sim.store.write(|t| {
        t.modify(tc, task, |rec| {
            let mut put = |name: &str, v: V| {
                if let Some(fi) = c.field(name) {
                    rec[fi] = v;
                }
            };
            put("progress", V::Float(1.0));
            put("finished", now_datetime());
            match &outcome {
                Ok(result) => {
                    put("status", V::s("success"));
                    put("result", V::s(result));
                }
                Err(f) => {
                    put("status", V::s("failure"));
                    put("error_info", V::sset(f.0.iter().map(String::as_str)));
                }
            }
        })
    });
}

fn export<S: Read + Write>(
    reader: &mut BufReader<S>,
    req: &Request,
    ctx: &ConnCtx,
) -> io::Result<bool> {
    let out = reader.get_mut();
    if !authorised(out, req, ctx)? {
        return Ok(false);
    }
    let Ok(vm_class) = ctx.sim.class("VM") else {
        error_page(out, 404, "Not Found", "This model has no VMs.")?;
        return Ok(false);
    };
    let found = ctx.sim.store.read(|t| {
        let r = match (query(req, "ref"), query(req, "uuid")) {
            (Some(r), _) => r.to_string(),
            (None, Some(u)) => t.by_uuid(vm_class, u).ok()?,
            _ => return None,
        };
        t.exists(vm_class, &r).then_some(r)
    });
    let Some(vm) = found else {
        finish_task(ctx, req, Err(Failure::new("HANDLE_INVALID", ["VM"])));
        error_page(out, 404, "Not Found", "No such VM.")?;
        return Ok(false);
    };
    let body = match crate::xva::export(&ctx.sim, &vm) {
        Ok(a) => a,
        Err(e) => {
            error_page(out, 500, "Internal Error", &e.to_string())?;
            return Ok(false);
        }
    };
    finish_task(ctx, req, Ok(String::new()));
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\
         Connection: {}\r\n\r\n",
        body.len(),
        if req.close { "close" } else { "keep-alive" }
    )?;
    out.write_all(&body)?;
    out.flush()?;
    Ok(!req.close)
}

fn import<S: Read + Write>(
    reader: &mut BufReader<S>,
    req: &Request,
    ctx: &ConnCtx,
) -> io::Result<bool> {
    if !authorised(reader.get_mut(), req, ctx)? {
        return Ok(false);
    }
    let Some(len) = req.content_length else {
        let f = Failure::new("IMPORT_ERROR_CANNOT_HANDLE_CHUNKED", Vec::<String>::new());
        finish_task(ctx, req, Err(f));
        error_page(
            reader.get_mut(),
            500,
            "Internal Error",
            "A Content-Length is required.",
        )?;
        return Ok(false);
    };
    continue_if_expected(reader.get_mut(), req)?;
    let mut kept = Vec::with_capacity(len.min(KEPT_IMPORT_BYTES));
    let mut left = len;
    while left > 0 {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(false);
        }
        let n = chunk.len().min(left);
        let room = KEPT_IMPORT_BYTES.saturating_sub(kept.len());
        kept.extend_from_slice(&chunk[..n.min(room)]);
        reader.consume(n);
        left -= n;
    }
    let outcome = check_sr(ctx, req).and_then(|_| {
        crate::xva::import(
            &ctx.sim,
            ctx.endpoint,
            query(req, "session_id").map(String::from),
            &kept,
        )
    });
    let ok = outcome.is_ok();
    let result = outcome.and_then(|vm| {
        wire::encode_value(WireFormat::XmlRpc, &V::sset([vm]))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| Failure::internal(e.to_string()))
    });
    finish_task(ctx, req, result);
    let out = reader.get_mut();
    if !ok {
        error_page(
            out,
            500,
            "Internal Error",
            "The import failed: see the task.",
        )?;
        return Ok(false);
    }
    write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: {}\r\n\r\n",
        if req.close { "close" } else { "keep-alive" }
    )?;
    out.flush()?;
    Ok(!req.close)
}

/// The `sr_id` an import names must exist.
fn check_sr(ctx: &ConnCtx, req: &Request) -> Result<(), Failure> {
    if let (Some(sr), Ok(sc)) = (query(req, "sr_id"), ctx.sim.class("SR")) {
        ctx.sim.store.read(|t| t.obj(sc, sr).map(|_| ()))?;
    }
    Ok(())
}
