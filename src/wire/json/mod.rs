//! JSON-RPC v1 and v2, as xapi speaks them on `/jsonrpc`.

mod envelope;
pub(crate) mod lenient;
mod nonfinite;
mod ser;

use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use crate::error::{ApiFailure, Error};
use crate::value::Value;
use crate::wire::{Call, Param, WireFormat};
use ser::{write_str, JsonWriter};

/// Writes `value` as JSON.
pub(crate) fn write_value<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), Error> {
    value.serialize(&mut JsonWriter { out })
}

fn write_id(out: &mut Vec<u8>, id: Option<&serde_json::Value>) -> Result<(), Error> {
    out.extend_from_slice(b"\"id\":");
    match id {
        Some(id) => write_value(out, id),
        None => {
            out.extend_from_slice(b"null");
            Ok(())
        }
    }
}

pub(crate) fn encode_call<P: Serialize + ?Sized>(
    v2: bool,
    method: &str,
    session: Option<&str>,
    params: &P,
    id: u64,
) -> Result<Vec<u8>, Error> {
    let mut list = Vec::with_capacity(128);
    write_value(&mut list, params)?;
    if list == b"null" {
        list = b"[]".to_vec();
    }
    if list.first() != Some(&b'[') {
        return Err(Error::Encode(
            "call parameters must serialize as a sequence (a tuple, slice or Vec)".into(),
        ));
    }
    Ok(encode_call_list(v2, method, session, &list, id))
}

/// [`encode_call`] with parameters whose types are erased: one encoder for every call.
pub(crate) fn encode_call_params(
    v2: bool,
    method: &str,
    session: Option<&str>,
    params: &[&dyn Param],
    id: u64,
) -> Result<Vec<u8>, Error> {
    let mut list = Vec::with_capacity(128);
    list.push(b'[');
    for (i, p) in params.iter().enumerate() {
        if i > 0 {
            list.push(b',');
        }
        p.write_param(WireFormat::JsonRpc, &mut list)?;
    }
    list.push(b']');
    Ok(encode_call_list(v2, method, session, &list, id))
}

/// Writes the envelope of a call around `list`, the parameters after the session as a JSON
/// array.
fn encode_call_list(
    v2: bool,
    method: &str,
    session: Option<&str>,
    list: &[u8],
    id: u64,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(list.len() + 96);
    out.push(b'{');
    if v2 {
        out.extend_from_slice(b"\"jsonrpc\":\"2.0\",");
    }
    out.extend_from_slice(b"\"method\":");
    write_str(&mut out, method);
    out.extend_from_slice(b",\"params\":[");
    if let Some(s) = session {
        write_str(&mut out, s);
        if list.len() > 2 {
            out.push(b',');
        }
    }
    out.extend_from_slice(&list[1..]);
    out.extend_from_slice(b",\"id\":");
    out.extend_from_slice(id.to_string().as_bytes());
    out.push(b'}');
    out
}

pub(crate) fn encode_success<T: Serialize + ?Sized>(
    v2: bool,
    value: &T,
    id: Option<&serde_json::Value>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    out.push(b'{');
    if v2 {
        out.extend_from_slice(b"\"jsonrpc\":\"2.0\",");
    }
    out.extend_from_slice(b"\"result\":");
    write_value(&mut out, value)?;
    if !v2 {
        out.extend_from_slice(b",\"error\":null");
    }
    out.push(b',');
    write_id(&mut out, id)?;
    out.push(b'}');
    Ok(out)
}

pub(crate) fn encode_failure(
    v2: bool,
    description: &[String],
    id: Option<&serde_json::Value>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let list = |out: &mut Vec<u8>, items: &[String]| {
        out.push(b'[');
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, s);
        }
        out.push(b']');
    };
    if v2 {
        let (code, params) = description
            .split_first()
            .map_or(("", &[][..]), |(c, p)| (c.as_str(), p));
        out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":1,\"message\":");
        write_str(&mut out, code);
        out.extend_from_slice(b",\"data\":");
        list(&mut out, params);
        out.extend_from_slice(b"},");
    } else {
        out.extend_from_slice(b"{\"result\":null,\"error\":");
        list(&mut out, description);
        out.push(b',');
    }
    // A `serde_json::Value` id always serializes.
    write_id(&mut out, id).expect("a JSON id serializes");
    out.push(b'}');
    out
}

pub(crate) fn decode_response_seed<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    max_depth: usize,
    seed: S,
) -> Result<S::Value, Error> {
    envelope::decode(body, max_depth, seed)?
}

#[derive(Deserialize)]
struct RawCall {
    jsonrpc: Option<String>,
    method: String,
    #[serde(default)]
    params: Option<Vec<Value>>,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

pub(crate) fn decode_call(body: &[u8], max_depth: usize) -> Result<Call, Error> {
    let fixed = if nonfinite::may_have_tokens(body) {
        nonfinite::rewrite(body)
    } else {
        None
    };
    let body = fixed.as_deref().unwrap_or(body);
    // The call object and its params array are not counted against the limit.
    let raw: RawCall = envelope::parse(body, |d| {
        RawCall::deserialize(lenient::Lenient {
            inner: d,
            depth: -2,
            max_depth,
        })
    })?;
    Ok(Call {
        method: raw.method,
        params: raw.params.unwrap_or_default(),
        id: raw.id,
        format: if raw.jsonrpc.is_some() {
            WireFormat::JsonRpc
        } else {
            WireFormat::JsonRpcV1
        },
    })
}

/// A JSON-RPC error member as an error: v1 and xapi's pre-dispatch errors are arrays
/// `[code, params...]` (XenAPI failures); v2 is `{code, message, data}`, a XenAPI failure
/// `{code: 1, message: CODE, data: [params]}` when the code is xapi's 1 (or 0, or absent),
/// else [`Error::JsonRpc`] with its code.
fn failure_from_error(error: serde_json::Value) -> Option<Error> {
    use serde_json::Value as J;
    let text = |v: J| match v {
        J::String(s) => s,
        J::Null => String::new(),
        other => other.to_string(),
    };
    let failure = match error {
        J::Null => return None,
        J::Array(items) => ApiFailure::from_description(items.into_iter().map(text).collect()),
        J::Object(mut o) => {
            let code = match o.remove("code") {
                Some(J::Number(n)) => n.as_i64(),
                Some(J::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            if let Some(code) = code.filter(|c| !XENAPI_FAILURE_CODES.contains(c)) {
                let message = o.remove("message").map(text).unwrap_or_default();
                let data = o
                    .remove("data")
                    .filter(|d| !d.is_null())
                    .map(|d| serde_json::from_value(d).unwrap_or(Value::Nil));
                return Some(Error::JsonRpc {
                    code,
                    message,
                    data,
                });
            }
            let code = o.remove("message").map(text).unwrap_or_default();
            let params = match o.remove("data") {
                Some(J::Array(items)) => items.into_iter().map(text).collect(),
                Some(J::Null) | None => Vec::new(),
                Some(other) => vec![text(other)],
            };
            ApiFailure { code, params }
        }
        other => ApiFailure {
            code: text(other),
            params: Vec::new(),
        },
    };
    Some(Error::Api(failure))
}

/// The `code` of a JSON-RPC v2 error object carrying a XenAPI failure: xapi always sends 1
/// (some JSON-RPC clients take 0 for "no error"); 0 is accepted for other servers.
const XENAPI_FAILURE_CODES: [i64; 2] = [1, 0];
