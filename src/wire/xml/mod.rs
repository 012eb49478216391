//! XML-RPC: calls and responses as xapi writes and reads them.
//!
//! Encoding is byte-for-byte xapi's: an `<?xml version="1.0"?>` declaration, no whitespace,
//! results wrapped in the XenAPI struct `{Status, Value}` / `{Status, ErrorDescription}`.
//! Decoding is a single pass over the body with a hand-written scanner; it also accepts what
//! other servers send (pretty-printing, `<string>`, `<int>`/`<i8>`, CDATA, declarations).

mod de;
mod escape;
mod scan;
mod ser;

pub(crate) use ser::KeyCapture;

use serde::de::{Deserialize, DeserializeSeed};
use serde::Serialize;

use crate::error::{ApiFailure, Error};
use crate::value::Value;
use crate::wire::{Call, Param, WireFormat};
use de::XmlDeserializer;
use scan::Head;
use ser::ValueWriter;

const DECL: &[u8] = b"<?xml version=\"1.0\"?>";

/// Writes `value` as a single `<value>` element.
pub(crate) fn write_value<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), Error> {
    value.serialize(&mut ValueWriter { out })
}

pub(crate) fn encode_call<P: Serialize + ?Sized>(
    method: &str,
    session: Option<&str>,
    params: &P,
) -> Result<Vec<u8>, Error> {
    encode_call_with(method, session, &mut |out| {
        params.serialize(params::ParamsWriter { out })
    })
}

/// [`encode_call`] with parameters whose types are erased: one encoder for every call.
pub(crate) fn encode_call_params(
    method: &str,
    session: Option<&str>,
    params: &[&dyn Param],
) -> Result<Vec<u8>, Error> {
    encode_call_with(method, session, &mut |out| {
        params
            .iter()
            .try_for_each(|p| write_param(out, |out| p.write_param(WireFormat::XmlRpc, out)))
    })
}

/// Writes the envelope of a call; `write_params` writes the `<param>` elements after the
/// session's.
fn encode_call_with(
    method: &str,
    session: Option<&str>,
    write_params: &mut dyn FnMut(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DECL);
    out.extend_from_slice(b"<methodCall><methodName>");
    escape::escape_into(&mut out, method)?;
    out.extend_from_slice(b"</methodName><params>");
    if let Some(s) = session {
        write_param(&mut out, |out| write_value(out, s))?;
    }
    write_params(&mut out)?;
    out.extend_from_slice(b"</params></methodCall>");
    Ok(out)
}

/// Writes one `<param>` element around what `value` writes.
fn write_param(
    out: &mut Vec<u8>,
    value: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    out.extend_from_slice(b"<param>");
    value(out)?;
    out.extend_from_slice(b"</param>");
    Ok(())
}

pub(crate) fn encode_success<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DECL);
    out.extend_from_slice(
        b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name>",
    );
    write_value(&mut out, value)?;
    out.extend_from_slice(b"</member></struct></value></param></params></methodResponse>");
    Ok(out)
}

pub(crate) fn encode_failure(description: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DECL);
    out.extend_from_slice(
        b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Failure</value></member><member><name>ErrorDescription</name><value><array><data>",
    );
    for d in description {
        out.extend_from_slice(b"<value>");
        escape::escape_lossy_into(&mut out, d);
        out.extend_from_slice(b"</value>");
    }
    out.extend_from_slice(
        b"</data></array></value></member></struct></value></param></params></methodResponse>",
    );
    out
}

pub(crate) fn encode_fault(code: i32, string: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(DECL);
    out.extend_from_slice(
        b"<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>",
    );
    out.extend_from_slice(code.to_string().as_bytes());
    out.extend_from_slice(
        b"</int></value></member><member><name>faultString</name><value><string>",
    );
    escape::escape_lossy_into(&mut out, string);
    out.extend_from_slice(b"</string></value></member></struct></value></fault></methodResponse>");
    out
}

pub(crate) fn decode_response_seed<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    max_depth: usize,
    seed: S,
) -> Result<S::Value, Error> {
    // The result struct {Status, Value} is not counted against the limit.
    let mut de = XmlDeserializer::new(body, max_depth)?;
    de.sc.allow_envelope(1);
    response(&mut de, seed).map_err(|e| e.at_offset(de.sc.pos))
}

fn response<'de, S: DeserializeSeed<'de>>(
    de: &mut XmlDeserializer<'de>,
    seed: S,
) -> Result<S::Value, Error> {
    de.sc.prolog()?;
    if de.sc.open("methodResponse")? {
        return Err(de.sc.error("<params> or <fault> inside <methodResponse>"));
    }
    let at = de.sc.pos;
    let (name, empty) = de.sc.open_tag()?;
    let outcome = match (name, empty) {
        ("params", false) => {
            if de.sc.open("param")? {
                return Err(de.sc.error("a <value> inside <param>"));
            }
            let outcome = envelope(de, seed)?;
            de.sc.close("param")?;
            de.sc.close("params")?;
            outcome
        }
        ("fault", false) => {
            let (code, string) = fault(de)?;
            de.sc.close("fault")?;
            Err(Error::Fault { code, string })
        }
        _ => {
            return Err(Error::decode(
                "<params> or <fault> inside <methodResponse>",
                format!("<{name}>"),
                at,
            ))
        }
    };
    de.sc.close("methodResponse")?;
    de.sc.end()?;
    outcome
}

#[derive(PartialEq)]
enum Status {
    Success,
    Failure,
}

/// Reads the XenAPI result struct. The outer `Result` is a malformed body; the inner one
/// the call's outcome.
fn envelope<'de, S: DeserializeSeed<'de>>(
    de: &mut XmlDeserializer<'de>,
    seed: S,
) -> Result<Result<S::Value, Error>, Error> {
    let start = de.sc.pos;
    let expected = "the XenAPI result struct {Status, Value | ErrorDescription}";
    match de.sc.head()? {
        Head::Struct { empty: false } => {}
        Head::Struct { empty: true } => {
            return Err(Error::decode(expected, "an empty struct", start))
        }
        _ => {
            return Err(Error::decode(
                expected,
                "a value that is not a struct",
                start,
            ))
        }
    }
    let mut seed = Some(seed);
    let mut status = None;
    let mut value = None;
    let mut description: Option<Vec<String>> = None;
    while let Some(name) = de.sc.member_name()? {
        match &*name {
            "Status" => {
                let at = de.sc.pos;
                let s = String::deserialize(&mut *de)?;
                status = Some(match s.as_str() {
                    "Success" => Status::Success,
                    "Failure" => Status::Failure,
                    _ => {
                        return Err(Error::decode(
                            "Status Success or Failure",
                            format!("{s:?}"),
                            at,
                        ))
                    }
                });
            }
            "Value" if status != Some(Status::Failure) && seed.is_some() => {
                let seed = seed.take().expect("checked by the guard");
                value = Some(seed.deserialize(&mut *de)?);
            }
            "ErrorDescription" => {
                let d = Vec::<Value>::deserialize(&mut *de)?;
                description = Some(d.into_iter().map(description_text).collect());
            }
            _ => de.sc.skip_value()?,
        }
        de.sc.close("member")?;
    }
    let end = de.sc.pos;
    match status {
        Some(Status::Success) => match value {
            Some(v) => Ok(Ok(v)),
            None => Err(Error::decode(
                "a Value member in the Success result",
                "none",
                end,
            )),
        },
        Some(Status::Failure) => match description {
            Some(d) => Ok(Err(Error::Api(ApiFailure::from_description(d)))),
            None => Err(Error::decode(
                "an ErrorDescription member in the Failure result",
                "none",
                end,
            )),
        },
        None => Err(Error::decode(
            "a Status member in the result struct",
            "none",
            end,
        )),
    }
}

/// An `ErrorDescription` element as text, whatever type the server gave it.
fn description_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Nil => String::new(),
        other => other.to_string(),
    }
}

fn fault(de: &mut XmlDeserializer<'_>) -> Result<(i64, String), Error> {
    let start = de.sc.pos;
    match de.sc.head()? {
        Head::Struct { empty: false } => {}
        Head::Struct { empty: true } => return Ok((0, String::new())),
        _ => {
            return Err(Error::decode(
                "the fault struct {faultCode, faultString}",
                "a value that is not a struct",
                start,
            ))
        }
    }
    let (mut code, mut string) = (0, String::new());
    while let Some(name) = de.sc.member_name()? {
        match &*name {
            "faultCode" => code = i64::deserialize(&mut *de)?,
            "faultString" => string = String::deserialize(&mut *de)?,
            _ => de.sc.skip_value()?,
        }
        de.sc.close("member")?;
    }
    Ok((code, string))
}

pub(crate) fn decode_call(body: &[u8], max_depth: usize) -> Result<Call, Error> {
    let mut de = XmlDeserializer::new(body, max_depth)?;
    call(&mut de).map_err(|e| e.at_offset(de.sc.pos))
}

fn call(de: &mut XmlDeserializer<'_>) -> Result<Call, Error> {
    de.sc.prolog()?;
    if de.sc.open("methodCall")? {
        return Err(de.sc.error("<methodName> inside <methodCall>"));
    }
    let method = if de.sc.open("methodName")? {
        String::new()
    } else {
        let m = de.sc.text()?.into_owned();
        de.sc.close("methodName")?;
        m
    };
    let mut params = Vec::new();
    if !de.sc.at_close("methodCall") && !de.sc.open("params")? {
        while !de.sc.at_close("params") {
            if de.sc.open("param")? {
                return Err(de.sc.error("a <value> inside <param>"));
            }
            params.push(Value::deserialize(&mut *de)?);
            de.sc.close("param")?;
        }
        de.sc.close("params")?;
    }
    de.sc.close("methodCall")?;
    de.sc.end()?;
    Ok(Call {
        method: method.trim().to_owned(),
        params,
        id: None,
        format: WireFormat::XmlRpc,
    })
}

mod params {
    //! Writes a call's parameter sequence as `<param>` elements.

    use serde::ser::{self, Impossible, Serialize};

    use super::{write_param, write_value};
    use crate::error::Error;

    pub(super) struct ParamsWriter<'a> {
        pub(super) out: &'a mut Vec<u8>,
    }

    impl ParamsWriter<'_> {
        fn param<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            write_param(self.out, |out| write_value(out, v))
        }
    }

    fn not_a_sequence() -> Error {
        Error::Encode("call parameters must serialize as a sequence (a tuple, slice or Vec)".into())
    }

    macro_rules! reject {
        ($($method:ident($($arg:ty),*)),*) => {$(
            fn $method(self, $(_: $arg),*) -> Result<(), Error> {
                Err(not_a_sequence())
            }
        )*};
    }

    impl<'a> ser::Serializer for ParamsWriter<'a> {
        type Ok = ();
        type Error = Error;
        type SerializeSeq = Self;
        type SerializeTuple = Self;
        type SerializeTupleStruct = Self;
        type SerializeTupleVariant = Impossible<(), Error>;
        type SerializeMap = Impossible<(), Error>;
        type SerializeStruct = Impossible<(), Error>;
        type SerializeStructVariant = Impossible<(), Error>;

        reject!(
            serialize_bool(bool),
            serialize_i8(i8),
            serialize_i16(i16),
            serialize_i32(i32),
            serialize_i64(i64),
            serialize_u8(u8),
            serialize_u16(u16),
            serialize_u32(u32),
            serialize_u64(u64),
            serialize_f32(f32),
            serialize_f64(f64),
            serialize_char(char),
            serialize_str(&str),
            serialize_bytes(&[u8]),
            serialize_none(),
            serialize_unit_struct(&'static str),
            serialize_unit_variant(&'static str, u32, &'static str)
        );

        /// `()` is the empty parameter list.
        fn serialize_unit(self) -> Result<(), Error> {
            Ok(())
        }
        fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<(), Error> {
            v.serialize(self)
        }
        fn serialize_newtype_struct<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            v: &T,
        ) -> Result<(), Error> {
            v.serialize(self)
        }
        fn serialize_newtype_variant<T: Serialize + ?Sized>(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: &T,
        ) -> Result<(), Error> {
            Err(not_a_sequence())
        }
        fn serialize_seq(self, _: Option<usize>) -> Result<Self, Error> {
            Ok(self)
        }
        fn serialize_tuple(self, _: usize) -> Result<Self, Error> {
            Ok(self)
        }
        fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, Error> {
            Ok(self)
        }
        fn serialize_tuple_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeTupleVariant, Error> {
            Err(not_a_sequence())
        }
        fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
            Err(not_a_sequence())
        }
        fn serialize_struct(
            self,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStruct, Error> {
            Err(not_a_sequence())
        }
        fn serialize_struct_variant(
            self,
            _: &'static str,
            _: u32,
            _: &'static str,
            _: usize,
        ) -> Result<Self::SerializeStructVariant, Error> {
            Err(not_a_sequence())
        }
    }

    impl ser::SerializeSeq for ParamsWriter<'_> {
        type Ok = ();
        type Error = Error;
        fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            self.param(v)
        }
        fn end(self) -> Result<(), Error> {
            Ok(())
        }
    }

    impl ser::SerializeTuple for ParamsWriter<'_> {
        type Ok = ();
        type Error = Error;
        fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            self.param(v)
        }
        fn end(self) -> Result<(), Error> {
            Ok(())
        }
    }

    impl ser::SerializeTupleStruct for ParamsWriter<'_> {
        type Ok = ();
        type Error = Error;
        fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> Result<(), Error> {
            self.param(v)
        }
        fn end(self) -> Result<(), Error> {
            Ok(())
        }
    }
}
