//! A small HTTP/1.1 server over std sockets (one thread per connection, keep-alive), with the
//! low-level control that fault injection needs.
//!
//! As on xapi: JSON-RPC on `POST /jsonrpc`, XML-RPC on every other path; a request must
//! carry `Content-Length`; a body over 300 KiB, a body that cannot be decoded, or a missing
//! length is answered `500 Internal Error` with an HTML body and the connection is closed.
//! `GET /export` and `PUT /import` move VMs (see the `transfer` module).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::sync::Arc;

use xenapi::wire::{self, WireFormat};
use xenapi::Limits;

use crate::dispatch;
use crate::encode;
use crate::faults::FaultKind;
use crate::model::Dialect;
use crate::sim::{Endpoint, Sim};
use crate::value::V;

mod transfer;

/// xapi's limit on a request body.
pub const MAX_REQUEST_BYTES: usize = 300 * 1024;
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What a connection needs.
pub struct ConnCtx {
    /// The simulator.
    pub sim: Arc<Sim>,
    /// The fault control.
    pub faults: Arc<crate::faults::Faults>,
    /// Which endpoint this is.
    pub endpoint: Endpoint,
}

struct Request {
    method: String,
    path: String,
    query: String,
    close: bool,
    content_length: Option<usize>,
    expect_continue: bool,
}

enum Head {
    Request(Request),
    Closed,
    TooLarge,
    Malformed,
}

/// Serves requests on one connection until it closes or asks to.
pub fn serve<S: Read + Write>(stream: S, ctx: &ConnCtx) {
    let mut reader = BufReader::with_capacity(64 * 1024, stream);
    loop {
        if ctx.sim.is_stopping() {
            return;
        }
        let req = match read_head(&mut reader) {
            Ok(Head::Request(r)) => r,
            Ok(Head::Closed) | Err(_) => return,
            Ok(Head::TooLarge) => {
                let _ = error_page(
                    reader.get_mut(),
                    431,
                    "Request Header Fields Too Large",
                    "The request headers are too large.",
                );
                return;
            }
            Ok(Head::Malformed) => {
                let _ = error_page(
                    reader.get_mut(),
                    500,
                    "Internal Error",
                    "The HTTP headers could not be parsed.",
                );
                return;
            }
        };
        match handle(&mut reader, req, ctx) {
            Ok(true) => continue,
            Ok(false) | Err(_) => return,
        }
    }
}

fn read_head<R: BufRead>(r: &mut R) -> io::Result<Head> {
    let mut line = Vec::new();
    let mut total = 0usize;
    // Skip blank lines between requests, as servers do.
    loop {
        line.clear();
        if r.take(MAX_HEADER_BYTES as u64)
            .read_until(b'\n', &mut line)?
            == 0
        {
            return Ok(Head::Closed);
        }
        total += line.len();
        if !trim_eol(&line).is_empty() {
            break;
        }
        if total > MAX_HEADER_BYTES {
            return Ok(Head::TooLarge);
        }
    }
    let request_line = String::from_utf8_lossy(trim_eol(&line)).into_owned();
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Ok(Head::Malformed);
    };
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let mut req = Request {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        close: version == "HTTP/1.0",
        content_length: None,
        expect_continue: false,
    };
    loop {
        line.clear();
        let n = r
            .take(MAX_HEADER_BYTES as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Head::Closed);
        }
        total += n;
        if total > MAX_HEADER_BYTES {
            return Ok(Head::TooLarge);
        }
        let h = trim_eol(&line);
        if h.is_empty() {
            return Ok(Head::Request(req));
        }
        let h = String::from_utf8_lossy(h);
        let Some((name, value)) = h.split_once(':') else {
            return Ok(Head::Malformed);
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => match value.parse() {
                Ok(n) => req.content_length = Some(n),
                Err(_) => return Ok(Head::Malformed),
            },
            "expect" if value.eq_ignore_ascii_case("100-continue") => req.expect_continue = true,
            "connection" if value.eq_ignore_ascii_case("close") => req.close = true,
            "connection" if value.eq_ignore_ascii_case("keep-alive") => req.close = false,
            _ => {}
        }
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let Some((&last, rest)) = l.split_last() {
        if last == b'\n' || last == b'\r' {
            l = rest;
        } else {
            break;
        }
    }
    l
}

/// Handles one request; `Ok(true)` to keep the connection.
fn handle<S: Read + Write>(
    reader: &mut BufReader<S>,
    req: Request,
    ctx: &ConnCtx,
) -> io::Result<bool> {
    if let Some(keep) = transfer::route(reader, &req, ctx)? {
        return Ok(keep);
    }
    let format = match (req.method.as_str(), req.path.as_str()) {
        // xapi dispatches by the longest registered prefix: `/jsonrpc...` is JSON-RPC, and
        // every other path falls to `/`, XML-RPC (Xen Orchestra posts to `/xmlrpc`). xend
        // spoke XML-RPC only.
        ("POST", p) if p.starts_with("/jsonrpc") => {
            if ctx.sim.model().dialect != Dialect::Xapi {
                error_page(
                    reader.get_mut(),
                    404,
                    "Not Found",
                    "There is no API at this path.",
                )?;
                return Ok(false);
            }
            WireFormat::JsonRpc
        }
        ("POST", _) => WireFormat::XmlRpc,
        _ => {
            error_page(
                reader.get_mut(),
                501,
                "Method not implemented",
                "Only POST is served.",
            )?;
            return Ok(false);
        }
    };
    let Some(len) = req.content_length else {
        error_page(
            reader.get_mut(),
            500,
            "Internal Error",
            "A Content-Length header is required.",
        )?;
        return Ok(false);
    };
    if len > MAX_REQUEST_BYTES {
        ctx.faults.next("");
        error_page(
            reader.get_mut(),
            500,
            "Internal Error",
            "The request body is over the 300 KiB limit.",
        )?;
        return Ok(false);
    }
    continue_if_expected(reader.get_mut(), &req)?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let limits = Limits::default();
    if ctx.sim.model().dialect == Dialect::Xend {
        body = crate::xend::libxen_wire::normalise(&body).unwrap_or(body);
    }
    let call = match wire::decode_call(format, &body, &limits) {
        Ok(c) => c,
        Err(e) => {
            ctx.faults.next("");
            error_page(
                reader.get_mut(),
                500,
                "Internal Error",
                &format!("The request could not be decoded: {e}"),
            )?;
            return Ok(false);
        }
    };
    let fault = ctx.faults.next(&call.method);
    let params = call.params.into_iter().map(from_wire).collect();
    let result = dispatch::call(&ctx.sim, ctx.endpoint, &call.method, params);
    let model = ctx.sim.model();
    let response = match &result {
        Ok(reply) => encode::success(
            model,
            &ctx.sim.encoded,
            call.format,
            reply,
            call.id.as_ref(),
        ),
        Err(f) => Ok(encode::Body::Whole(wire::encode_failure(
            call.format,
            &f.0,
            call.id.as_ref(),
        ))),
    };
    let body = match response {
        Ok(b) => b,
        Err(e) => {
            error_page(
                reader.get_mut(),
                500,
                "Internal Error",
                &format!("The response could not be encoded: {e}"),
            )?;
            return Ok(false);
        }
    };
    let out = reader.get_mut();
    match fault {
        None => send(out, call.format, &body, req.close).map(|_| !req.close),
        Some(FaultKind::Latency(d)) => {
            std::thread::sleep(d);
            send(out, call.format, &body, req.close).map(|_| !req.close)
        }
        Some(FaultKind::Http500) => {
            error_page(out, 500, "Internal Error", "An injected fault.")?;
            Ok(false)
        }
        Some(FaultKind::CloseMidResponse) => {
            let body = body.to_vec();
            write_head(out, call.format, body.len(), false)?;
            out.write_all(&body[..body.len() / 2])?;
            out.flush()?;
            Ok(false)
        }
        Some(FaultKind::TruncatedBody) => {
            let body = body.to_vec();
            respond(out, call.format, &body[..body.len() / 2], req.close).map(|_| !req.close)
        }
        Some(FaultKind::MalformedBody) => {
            let bad = malformed(call.format, &body.to_vec());
            respond(out, call.format, &bad, req.close).map(|_| !req.close)
        }
        Some(FaultKind::OversizedBody(n)) => {
            oversized(out, call.format, n, call.id.as_ref())?;
            Ok(!req.close)
        }
    }
}

/// A wire value as the store's untyped value (typing by the model happens in dispatch).
pub fn from_wire(v: xenapi::Value) -> V {
    use xenapi::Value as W;
    match v {
        W::String(s) => V::Str(s),
        W::Int(i) => V::Int(i),
        W::Float(f) => V::Float(f),
        W::Bool(b) => V::Bool(b),
        W::DateTime(d) => V::DateTime(crate::value::datetime_string(d.unix_seconds())),
        W::Array(items) => V::Set(items.into_iter().map(from_wire).collect()),
        W::Struct(m) => V::Map(
            m.into_iter()
                .map(|(k, v)| (V::Str(k), from_wire(v)))
                .collect(),
        ),
        W::Nil => V::Nil,
    }
}

fn write_head<W: Write>(
    out: &mut W,
    format: WireFormat,
    len: usize,
    close: bool,
) -> io::Result<()> {
    let head = format!(
        "HTTP/1.1 200 OK\r\nConnection: {}\r\nCache-Control: no-cache, no-store\r\nContent-Type: {}\r\n\
         Access-Control-Allow-Origin: *\r\nAccess-Control-Allow-Headers: X-Requested-With\r\nContent-Length: {len}\r\n\r\n",
        if close { "close" } else { "keep-alive" },
        format.content_type(),
    );
    out.write_all(head.as_bytes())
}

fn respond<W: Write>(out: &mut W, format: WireFormat, body: &[u8], close: bool) -> io::Result<()> {
    // One write for small responses keeps a keep-alive round trip to one segment.
    if body.len() <= 16 * 1024 {
        let mut buf = Vec::with_capacity(body.len() + 256);
        write_head(&mut buf, format, body.len(), close)?;
        buf.extend_from_slice(body);
        out.write_all(&buf)?;
    } else {
        write_head(out, format, body.len(), close)?;
        out.write_all(body)?;
    }
    out.flush()
}

/// Sends a response body, a spliced one in vectored writes straight from its pieces.
fn send<W: Write>(
    out: &mut W,
    format: WireFormat,
    body: &encode::Body,
    close: bool,
) -> io::Result<()> {
    match body {
        encode::Body::Whole(b) => respond(out, format, b, close),
        spliced => {
            let mut head = Vec::with_capacity(256);
            write_head(&mut head, format, spliced.len(), close)?;
            spliced.write_to(out, &head)?;
            out.flush()
        }
    }
}

/// Answers `Expect: 100-continue` when the request asked: libcurl asks before sending a large
/// body, and would otherwise wait a second.
fn continue_if_expected<W: Write>(out: &mut W, req: &Request) -> io::Result<()> {
    if req.expect_continue {
        out.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        out.flush()?;
    }
    Ok(())
}

/// An HTML error response, as xapi's HTTP server sends them; the connection closes after it.
pub fn error_page<W: Write>(out: &mut W, code: u16, reason: &str, detail: &str) -> io::Result<()> {
    let body = format!(
        "<html><body><h1>HTTP {code} {}</h1>{}</body></html>",
        reason.to_ascii_lowercase(),
        escape(detail)
    );
    let head = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: text/html\r\nConnection: close\r\nCache-Control: no-cache, no-store\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body.as_bytes())?;
    out.flush()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The same length as `body`, but not well-formed: a closing tag misspelt (XML) or the
/// closing brace replaced (JSON).
fn malformed(format: WireFormat, body: &[u8]) -> Vec<u8> {
    let mut b = body.to_vec();
    match format {
        WireFormat::XmlRpc => {
            let needle = b"</methodResponse>";
            if let Some(pos) = b.windows(needle.len()).position(|w| w == needle) {
                b[pos + 2] = b'X';
            } else if let Some(last) = b.last_mut() {
                *last = b'<';
            }
        }
        _ => {
            if let Some(pos) = b.iter().rposition(|&c| c == b'}') {
                b[pos] = b'[';
            }
        }
    }
    b
}

/// Streams a valid success response of exactly `n` bytes (or the smallest possible one when
/// `n` is smaller), without holding it in memory.
fn oversized<W: Write>(
    out: &mut W,
    format: WireFormat,
    n: u64,
    id: Option<&serde_json::Value>,
) -> io::Result<()> {
    let (prefix, suffix) = match format {
        WireFormat::XmlRpc => (
            "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>".to_string(),
            "</value></member></struct></value></param></params></methodResponse>".to_string(),
        ),
        WireFormat::JsonRpc => (
            "{\"jsonrpc\":\"2.0\",\"result\":\"".to_string(),
            format!("\",\"id\":{}}}", id.map(|v| v.to_string()).unwrap_or_else(|| "null".into())),
        ),
        WireFormat::JsonRpcV1 => (
            "{\"result\":\"".to_string(),
            format!("\",\"error\":null,\"id\":{}}}", id.map(|v| v.to_string()).unwrap_or_else(|| "null".into())),
        ),
    };
    let fixed = (prefix.len() + suffix.len()) as u64;
    let fill = n.saturating_sub(fixed);
    write_head(out, format, (fixed + fill) as usize, false)?;
    out.write_all(prefix.as_bytes())?;
    let chunk = vec![b'x'; 64 * 1024];
    let mut left = fill;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..k])?;
        left -= k as u64;
    }
    out.write_all(suffix.as_bytes())?;
    out.flush()
}
