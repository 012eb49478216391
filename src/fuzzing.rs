//! Entry points of the fuzz targets in `fuzz/` (cargo-fuzz, libFuzzer), shared with the test
//! `fuzz_replay`, which runs every corpus file and every past crash through them in a normal
//! `cargo test`. Each takes bytes that may be anything and must return (a decode error is the
//! expected outcome), never panic, hang or exhaust memory.

use std::collections::HashMap;

use crate::api::{VmRecord, VmRef};
use crate::wire::{decode_call, decode_response, WireFormat};
use crate::{Limits, Value};

/// Limits small enough that a fuzzer's inputs reach them.
fn limits() -> Limits {
    Limits {
        max_response_bytes: 1 << 20,
        max_depth: 32,
    }
}

/// An XML-RPC response into [`Value`].
pub fn xml_response_value(data: &[u8]) {
    let _ = decode_response::<Value>(WireFormat::XmlRpc, data, &limits());
}

/// A JSON-RPC response into [`Value`].
pub fn json_response_value(data: &[u8]) {
    let _ = decode_response::<Value>(WireFormat::JsonRpc, data, &limits());
}

/// An XML-RPC response into the typed result of `VM.get_all_records`.
pub fn xml_vm_records(data: &[u8]) {
    let _ = decode_response::<HashMap<VmRef, VmRecord>>(WireFormat::XmlRpc, data, &limits());
}

/// A JSON-RPC response into the typed result of `VM.get_all_records`.
pub fn json_vm_records(data: &[u8]) {
    let _ = decode_response::<HashMap<VmRef, VmRecord>>(WireFormat::JsonRpc, data, &limits());
}

/// A request, as the simulator decodes it: XML-RPC when it starts with `<`, else JSON-RPC.
pub fn request(data: &[u8]) {
    let format = match data.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => WireFormat::XmlRpc,
        _ => WireFormat::JsonRpc,
    };
    let _ = decode_call(format, data, &limits());
}

/// A fuzz target's entry point.
pub type Entry = fn(&[u8]);

/// The targets by name, as `fuzz/` and the replay test know them.
pub const TARGETS: &[(&str, Entry)] = &[
    ("xml_response_value", xml_response_value),
    ("json_response_value", json_response_value),
    ("xml_vm_records", xml_vm_records),
    ("json_vm_records", json_vm_records),
    ("request", request),
];
