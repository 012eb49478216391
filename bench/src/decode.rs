//! The decode paths measured on a `VM.get_all_records` response held in memory.

use std::collections::HashMap;

use xenapi::api::{VmRecord, VmRef};
use xenapi::wire::{decode_response, WireFormat};
use xenapi::{Limits, Value};

use crate::baseline;
use crate::capi_path::CApiDecoder;

/// Which encoding a path reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    /// XML-RPC.
    Xml,
    /// JSON-RPC.
    Json,
}

/// One way of turning the response bytes into something usable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodePath {
    /// The floor for XML: one pass of quick-xml's tokenizer.
    QuickXmlTokenizer,
    /// The floor for JSON: `serde_json::Value`.
    SerdeJsonValue,
    /// Typed records, XML-RPC.
    TypedXml,
    /// The dynamic `Value`, XML-RPC.
    ValueXml,
    /// The C ABI: `xen_vm_get_all_records` into malloc'd structs, then freed.
    CApiXml,
    /// Typed records, JSON-RPC.
    TypedJson,
    /// The dynamic `Value`, JSON-RPC.
    ValueJson,
}

impl DecodePath {
    /// Every path, floors first within each encoding.
    pub const ALL: [DecodePath; 7] = [
        DecodePath::QuickXmlTokenizer,
        DecodePath::TypedXml,
        DecodePath::ValueXml,
        DecodePath::CApiXml,
        DecodePath::SerdeJsonValue,
        DecodePath::TypedJson,
        DecodePath::ValueJson,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            DecodePath::QuickXmlTokenizer => "quick-xml tokenizer pass (floor)",
            DecodePath::SerdeJsonValue => "serde_json::Value (floor)",
            DecodePath::TypedXml => "typed XML-RPC",
            DecodePath::ValueXml => "Value XML-RPC",
            DecodePath::CApiXml => "C ABI XML-RPC",
            DecodePath::TypedJson => "typed JSON-RPC",
            DecodePath::ValueJson => "Value JSON-RPC",
        }
    }

    /// A short identifier for child processes.
    pub fn id(self) -> &'static str {
        match self {
            DecodePath::QuickXmlTokenizer => "quick-xml",
            DecodePath::SerdeJsonValue => "serde-json-value",
            DecodePath::TypedXml => "typed-xml",
            DecodePath::ValueXml => "value-xml",
            DecodePath::CApiXml => "capi-xml",
            DecodePath::TypedJson => "typed-json",
            DecodePath::ValueJson => "value-json",
        }
    }

    /// The path with identifier `id`.
    pub fn from_id(id: &str) -> Option<DecodePath> {
        DecodePath::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The encoding the path reads.
    pub fn encoding(self) -> Encoding {
        match self {
            DecodePath::QuickXmlTokenizer
            | DecodePath::TypedXml
            | DecodePath::ValueXml
            | DecodePath::CApiXml => Encoding::Xml,
            DecodePath::SerdeJsonValue | DecodePath::TypedJson | DecodePath::ValueJson => {
                Encoding::Json
            }
        }
    }

    /// The floor this path is compared with.
    pub fn baseline(self) -> DecodePath {
        match self.encoding() {
            Encoding::Xml => DecodePath::QuickXmlTokenizer,
            Encoding::Json => DecodePath::SerdeJsonValue,
        }
    }

    /// Whether this path is itself a floor.
    pub fn is_baseline(self) -> bool {
        self.baseline() == self
    }
}

/// Decodes `bytes` along `path` once, dropping the result, and returns a count of what was
/// decoded (VMs, or text bytes for the tokenizer) so the work is observable. `capi` is the
/// C-ABI session for that path.
pub fn run(path: DecodePath, bytes: &[u8], capi: Option<&CApiDecoder>) -> usize {
    let limits = Limits::default();
    match path {
        DecodePath::QuickXmlTokenizer => baseline::quick_xml_pass(bytes),
        DecodePath::SerdeJsonValue => match baseline::serde_json_value(bytes) {
            serde_json::Value::Object(envelope) => envelope.len(),
            other => panic!("a JSON-RPC response is an object, not {other}"),
        },
        DecodePath::TypedXml | DecodePath::TypedJson => {
            decode_response::<HashMap<VmRef, VmRecord>>(format(path), bytes, &limits)
                .expect("typed decode")
                .len()
        }
        DecodePath::ValueXml | DecodePath::ValueJson => {
            match decode_response::<Value>(format(path), bytes, &limits).expect("Value decode") {
                Value::Struct(members) => members.len(),
                other => panic!("get_all_records returns a struct, not {other:?}"),
            }
        }
        DecodePath::CApiXml => capi.expect("a C-ABI decoder for the C path").decode(bytes),
    }
}

fn format(path: DecodePath) -> WireFormat {
    match path.encoding() {
        Encoding::Xml => WireFormat::XmlRpc,
        Encoding::Json => WireFormat::JsonRpc,
    }
}
