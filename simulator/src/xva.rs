//! XVA archives as xapi's export writes them (a tar whose `ova.xml` is the XML-RPC value
//! `{version, objects}`), limited to the VM's metadata: the simulator has no disk contents.

use xenapi::wire::{self, WireFormat};

use crate::error::Failure;
use crate::reply::{Reply, ReplyView};
use crate::sim::{CallCtx, Endpoint, Sim};
use crate::value::V;
use std::sync::Arc;

/// The archive of VM `vm`: `HANDLE_INVALID` for an unknown VM.
pub fn export(sim: &Arc<Sim>, vm: &str) -> Result<Vec<u8>, Failure> {
    let vm_class = sim.class("VM")?;
    let rec = sim
        .store
        .read(|t| t.obj(vm_class, vm).map(|o| o.rec.clone()))?;
    let model = sim.model().clone();
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
                ("id".into(), Reply::s(vm)),
                ("snapshot".into(), Reply::Rec(vm_class, rec)),
            ])]),
        ),
    ]);
    let xml = wire::encode_value(
        WireFormat::XmlRpc,
        &ReplyView {
            model: &model,
            reply: &metadata,
        },
    )
    .map_err(|e| Failure::internal(format!("cannot encode ova.xml: {e}")))?;
    Ok(tar(&[("ova.xml", &xml)]))
}

/// The VM an archive describes: its `ova.xml` VM record, less the refs into the exporting
/// pool, halted, created with its metrics as `VM.create` does.
pub fn import(
    sim: &Arc<Sim>,
    endpoint: Endpoint,
    session: Option<String>,
    archive: &[u8],
) -> Result<String, Failure> {
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
        .map(|(k, v)| (V::s(k), crate::http::from_wire(v.clone())))
        .collect();
    let vm_class = sim.class("VM")?;
    let call = CallCtx {
        sim: sim.clone(),
        endpoint,
        class: vm_class,
        message: "create".into(),
        method: "VM.create".into(),
        session,
        args: vec![V::Map(fields)],
    };
    match crate::dispatch::execute(&call)? {
        Reply::V(V::Str(r)) => Ok(r),
        _ => Err(bad("the VM could not be made")),
    }
}

/// A ustar archive of regular files.
pub fn tar(files: &[(&str, &[u8])]) -> Vec<u8> {
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
pub fn untar<'a>(archive: &'a [u8], wanted: &str) -> Option<&'a [u8]> {
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
