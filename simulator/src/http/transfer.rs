//! xapi's HTTP handlers for moving VMs: `GET /export` answers an XVA archive of the VM (its
//! `ova.xml` metadata; the simulator has no disk contents), `PUT /import` makes a VM from an
//! archive's `ova.xml`. As on xapi, both take `session_id`, and `task_id` to report through a
//! task (the result of an import: the new VM's ref, XML-RPC-encoded); an import needs a
//! `Content-Length` (`IMPORT_ERROR_CANNOT_HANDLE_CHUNKED` otherwise).

use std::io::{self, BufRead, BufReader, Read, Write};

use xenapi::wire::{self, WireFormat};

use super::{error_page, ConnCtx, Request};
use crate::error::Failure;
use crate::reply::{Reply, ReplyView};
use crate::sim::CallCtx;
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
        t.obj(vm_class, &r).ok().map(|o| (r.clone(), o.rec.clone()))
    });
    let Some((vm, rec)) = found else {
        finish_task(ctx, req, Err(Failure::new("HANDLE_INVALID", ["VM"])));
        error_page(out, 404, "Not Found", "No such VM.")?;
        return Ok(false);
    };
    let model = ctx.sim.model().clone();
    let (major, minor) = model.api_version;
    let metadata = Reply::Map(vec![
        (
            "version".into(),
            Reply::V(V::Map(vec![
                (V::s("hostname"), V::s("xapi-sim")),
                (V::s("product_version"), V::s("8.4.0")),
                (V::s("xapi_major"), V::Int(major)),
                (V::s("xapi_minor"), V::Int(minor)),
                (V::s("export_vsn"), V::Int(2)),
            ])),
        ),
        (
            "objects".into(),
            Reply::List(vec![Reply::Map(vec![
                ("class".into(), Reply::s("VM")),
                ("id".into(), Reply::s(&vm)),
                ("snapshot".into(), Reply::Rec(vm_class, rec)),
            ])]),
        ),
    ]);
    let xml = match wire::encode_value(
        WireFormat::XmlRpc,
        &ReplyView {
            model: &model,
            reply: &metadata,
        },
    ) {
        Ok(x) => x,
        Err(e) => {
            error_page(out, 500, "Internal Error", &e.to_string())?;
            return Ok(false);
        }
    };
    let body = tar(&[("ova.xml", &xml)]);
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
    if req.expect_continue {
        let out = reader.get_mut();
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        out.flush()?;
    }
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
    let outcome = make_vm(ctx, req, &kept);
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

/// The VM an archive describes: its `ova.xml` VM record, less the refs into the exporting
/// pool, halted, created with its metrics as `VM.create` does.
fn make_vm(ctx: &ConnCtx, req: &Request, archive: &[u8]) -> Result<String, Failure> {
    let bad = |m: &str| Failure::new("IMPORT_ERROR", [m]);
    let xml = untar(archive, "ova.xml").ok_or_else(|| bad("no ova.xml in the archive"))?;
    let wrapped = [
        b"<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member>\
          <name>Status</name><value>Success</value></member><member><name>Value</name>"
            .as_slice(),
        xml,
        b"</member></struct></value></param></params></methodResponse>",
    ]
    .concat();
    let meta: xenapi::Value =
        wire::decode_response(WireFormat::XmlRpc, &wrapped, &xenapi::Limits::default())
            .map_err(|e| bad(&format!("ova.xml: {e}")))?;
    let snapshot = meta
        .get("objects")
        .and_then(xenapi::Value::as_array)
        .and_then(|objs| {
            objs.iter()
                .find(|o| o.get("class").and_then(xenapi::Value::as_str) == Some("VM"))
        })
        .and_then(|o| o.get("snapshot"))
        .and_then(xenapi::Value::as_struct)
        .ok_or_else(|| bad("ova.xml has no VM"))?;
    let fields: Vec<(V, V)> = snapshot
        .iter()
        .filter(|(k, v)| {
            let foreign_ref =
                |v: &xenapi::Value| v.as_str().is_some_and(|s| s.starts_with("OpaqueRef:"));
            k.as_str() != "uuid"
                && k.as_str() != "power_state"
                && !foreign_ref(v)
                && !v.as_array().is_some_and(|a| a.iter().any(foreign_ref))
        })
        .map(|(k, v)| (V::s(k), super::from_wire(v.clone())))
        .collect();
    let sr = query(req, "sr_id");
    if let (Some(sr), Ok(sc)) = (sr, ctx.sim.class("SR")) {
        ctx.sim.store.read(|t| t.obj(sc, sr).map(|_| ()))?;
    }
    let vm_class = ctx.sim.class("VM")?;
    let call = CallCtx {
        sim: ctx.sim.clone(),
        endpoint: ctx.endpoint,
        class: vm_class,
        message: "create".into(),
        method: "VM.create".into(),
        session: query(req, "session_id").map(String::from),
        args: vec![V::Map(fields)],
    };
    match crate::dispatch::execute(&call)? {
        Reply::V(V::Str(r)) => Ok(r),
        _ => Err(bad("the VM could not be made")),
    }
}

/// A ustar archive of regular files.
fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in files {
        let mut h = [0u8; 512];
        h[..name.len().min(100)].copy_from_slice(&name.as_bytes()[..name.len().min(100)]);
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[148..156].copy_from_slice(b"        ");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// The contents of `wanted` in a ustar archive (as far as `archive` goes).
fn untar<'a>(archive: &'a [u8], wanted: &str) -> Option<&'a [u8]> {
    let mut at = 0;
    while at + 512 <= archive.len() {
        let h = &archive[at..at + 512];
        if h.iter().all(|&b| b == 0) {
            return None;
        }
        let name_end = h[..100].iter().position(|&b| b == 0).unwrap_or(100);
        let name = std::str::from_utf8(&h[..name_end]).ok()?;
        let size_field = std::str::from_utf8(&h[124..136]).ok()?;
        let size =
            usize::from_str_radix(size_field.trim_matches(|c: char| c == '\0' || c == ' '), 8)
                .ok()?;
        let data = at + 512;
        if name.trim_start_matches("./") == wanted {
            return archive.get(data..data + size);
        }
        at = data + size.div_ceil(512) * 512;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tar_round_trip() {
        let a = tar(&[("a.txt", b"hello"), ("ova.xml", b"<value/>")]);
        assert_eq!(a.len() % 512, 0);
        assert_eq!(untar(&a, "ova.xml"), Some(b"<value/>".as_slice()));
        assert_eq!(untar(&a, "a.txt"), Some(b"hello".as_slice()));
        assert_eq!(untar(&a, "nope"), None);
        // The checksum is what tar(1) verifies: the header's bytes with the field as spaces.
        let mut h = a[..512].to_vec();
        let stored = u32::from_str_radix(std::str::from_utf8(&h[148..154]).unwrap(), 8).unwrap();
        h[148..156].copy_from_slice(b"        ");
        assert_eq!(stored, h.iter().map(|&b| u32::from(b)).sum::<u32>());
    }
}
