//! The wire codecs: XML-RPC and JSON-RPC (v1 and v2), client and server side.
//!
//! Every path goes through serde: [`crate::Value`], generated typed records and seeds all
//! decode straight from the response bytes, front to back, with no intermediate tree.

pub(crate) mod float;
pub(crate) mod json;
pub(crate) mod xml;

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::Serialize;

use crate::error::Error;
use crate::limits::Limits;
use crate::value::Value;

/// Wraps a deserializer so that it reads XenAPI's looser spellings (see `json::lenient`).
pub(crate) fn lenient<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> impl serde::Deserializer<'de, Error = D::Error> {
    json::lenient::Lenient {
        inner: d,
        depth: 0,
        max_depth: usize::MAX,
    }
}

/// How calls and responses are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WireFormat {
    /// XML-RPC, on `POST /` (xapi and xend).
    #[default]
    XmlRpc,
    /// JSON-RPC 2.0, on `POST /jsonrpc` (xapi).
    JsonRpc,
    /// JSON-RPC 1.0 (no `jsonrpc` member), on `POST /jsonrpc` (xapi).
    JsonRpcV1,
}

impl WireFormat {
    /// The HTTP path a server serves this format on: `/` or `/jsonrpc`.
    pub fn path(self) -> &'static str {
        match self {
            WireFormat::XmlRpc => "/",
            WireFormat::JsonRpc | WireFormat::JsonRpcV1 => "/jsonrpc",
        }
    }

    /// The request and response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            WireFormat::XmlRpc => "text/xml",
            WireFormat::JsonRpc | WireFormat::JsonRpcV1 => "application/json",
        }
    }
}

/// A decoded request (the server side).
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The method name, e.g. `VM.get_all_records`.
    pub method: String,
    /// The parameters, the session reference first for messages that take one.
    pub params: Vec<Value>,
    /// The JSON-RPC request id exactly as given, to echo in the response; `None` for XML-RPC
    /// (and for a JSON request without one).
    pub id: Option<serde_json::Value>,
    /// The format the request actually used: for JSON, `JsonRpc` when it carried a
    /// `jsonrpc` member, else `JsonRpcV1`. Answer in this format.
    pub format: WireFormat,
}

/// Encodes a call. `params` must serialize as a sequence (a tuple, a slice, a `Vec<Value>`;
/// `()` for none); `session`, when given, is sent as the first parameter. `id` is the
/// JSON-RPC request id (unused by XML-RPC).
pub fn encode_call<P: Serialize + ?Sized>(
    format: WireFormat,
    method: &str,
    session: Option<&str>,
    params: &P,
    id: u64,
) -> Result<Vec<u8>, Error> {
    match format {
        WireFormat::XmlRpc => xml::encode_call(method, session, params),
        WireFormat::JsonRpc => json::encode_call(true, method, session, params, id),
        WireFormat::JsonRpcV1 => json::encode_call(false, method, session, params, id),
    }
}

/// One parameter of a call, its type erased: calls that pass their parameters as
/// `&[&dyn Param]` share one encoder (see [`encode_call_params`]) instead of compiling one per
/// tuple of parameter types, which the thousands of generated calls would.
pub(crate) trait Param {
    /// Writes the parameter as one value in `format`.
    fn write_param(&self, format: WireFormat, out: &mut Vec<u8>) -> Result<(), Error>;
}

impl<T: Serialize> Param for T {
    fn write_param(&self, format: WireFormat, out: &mut Vec<u8>) -> Result<(), Error> {
        match format {
            WireFormat::XmlRpc => xml::write_value(out, self),
            WireFormat::JsonRpc | WireFormat::JsonRpcV1 => json::write_value(out, self),
        }
    }
}

/// [`encode_call`] with type-erased parameters; the bytes are the same as for a tuple of
/// them.
pub(crate) fn encode_call_params(
    format: WireFormat,
    method: &str,
    session: Option<&str>,
    params: &[&dyn Param],
    id: u64,
) -> Result<Vec<u8>, Error> {
    match format {
        WireFormat::XmlRpc => xml::encode_call_params(method, session, params),
        WireFormat::JsonRpc => json::encode_call_params(true, method, session, params, id),
        WireFormat::JsonRpcV1 => json::encode_call_params(false, method, session, params, id),
    }
}

/// Decodes a response body into `T`.
///
/// A XenAPI failure comes back as `Err(Error::Api(..))`, an XML-RPC fault as
/// `Err(Error::Fault {..})`, anything malformed as `Err(Error::Decode {..})` (or
/// `Error::TooDeep`), a body over `limits.max_response_bytes` as `Error::TooLarge`.
pub fn decode_response<T: DeserializeOwned>(
    format: WireFormat,
    body: &[u8],
    limits: &Limits,
) -> Result<T, Error> {
    decode_response_seed(format, body, limits, PhantomData::<T>)
}

/// Decodes a response body with a `DeserializeSeed` (e.g. the C ABI's table-driven decoder);
/// strings without escapes can be borrowed from `body`.
pub fn decode_response_seed<'de, S: DeserializeSeed<'de>>(
    format: WireFormat,
    body: &'de [u8],
    limits: &Limits,
    seed: S,
) -> Result<S::Value, Error> {
    // Transports refuse oversized bodies while reading; bodies that arrive another way (a
    // caller-supplied transport) are held to the same limit here.
    if body.len() as u64 > limits.max_response_bytes {
        return Err(Error::TooLarge {
            limit: limits.max_response_bytes,
        });
    }
    crate::value::with_budget(body.len(), || match format {
        WireFormat::XmlRpc => xml::decode_response_seed(body, limits.max_depth, seed),
        WireFormat::JsonRpc | WireFormat::JsonRpcV1 => {
            json::decode_response_seed(body, limits.max_depth, seed)
        }
    })
}

/// Decodes a request (the server side). For JSON either version is accepted whichever of
/// `JsonRpc`/`JsonRpcV1` is given; [`Call::format`] tells which one it was.
///
/// Errors give the byte offset but do not quote the request: requests carry passwords.
pub fn decode_call(format: WireFormat, body: &[u8], limits: &Limits) -> Result<Call, Error> {
    let decoded = match format {
        WireFormat::XmlRpc => xml::decode_call(body, limits.max_depth),
        WireFormat::JsonRpc | WireFormat::JsonRpcV1 => json::decode_call(body, limits.max_depth),
    };
    decoded.map_err(|e| match e {
        Error::Decode {
            expected, offset, ..
        } => Error::Decode {
            expected,
            found: "something else (request content is not quoted)".into(),
            offset,
        },
        other => other,
    })
}

/// Encodes a successful result. `id` is the request's JSON-RPC id (ignored for XML-RPC).
///
/// XML-RPC wraps the value in `{Status: "Success", Value: v}`; a `()` result is written as
/// an empty `<value></value>`.
pub fn encode_success<T: Serialize + ?Sized>(
    format: WireFormat,
    value: &T,
    id: Option<&serde_json::Value>,
) -> Result<Vec<u8>, Error> {
    match format {
        WireFormat::XmlRpc => xml::encode_success(value),
        WireFormat::JsonRpc => json::encode_success(true, value, id),
        WireFormat::JsonRpcV1 => json::encode_success(false, value, id),
    }
}

/// Encodes a XenAPI failure; `description` is the error code followed by its parameters.
/// `id` is the request's JSON-RPC id (ignored for XML-RPC).
pub fn encode_failure(
    format: WireFormat,
    description: &[String],
    id: Option<&serde_json::Value>,
) -> Vec<u8> {
    match format {
        WireFormat::XmlRpc => xml::encode_failure(description),
        WireFormat::JsonRpc => json::encode_failure(true, description, id),
        WireFormat::JsonRpcV1 => json::encode_failure(false, description, id),
    }
}

/// Encodes an XML-RPC `<fault>` (a protocol-level error, e.g. an unparsable request).
pub fn encode_fault(code: i32, string: &str) -> Vec<u8> {
    xml::encode_fault(code, string)
}

/// Encodes a single value as the format writes it inside a message: one `<value>` element
/// for XML-RPC, a JSON value otherwise.
pub fn encode_value<T: Serialize + ?Sized>(
    format: WireFormat,
    value: &T,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    match format {
        WireFormat::XmlRpc => xml::write_value(&mut out, value)?,
        WireFormat::JsonRpc | WireFormat::JsonRpcV1 => json::write_value(&mut out, value)?,
    }
    Ok(out)
}
