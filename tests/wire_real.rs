//! Real records from a XenServer 7.2 host survive both codecs, dynamically and typed.

use std::collections::BTreeMap;

use serde::Deserialize;
use xenapi::wire::{self, WireFormat};
use xenapi::{Class, DateTime, Limits, Ref, Value};

const FILES: [&str; 3] = [
    include_str!("data/real-xs72-vm1.json"),
    include_str!("data/real-xs72-vm2.json"),
    include_str!("data/real-xs72-vm3.json"),
];

fn classes(json: &str) -> Vec<(String, Value)> {
    let all: Value = serde_json::from_str(json).unwrap();
    all.as_struct()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[test]
fn get_all_records_round_trips_as_value_in_every_format() {
    let mut records_seen = 0;
    for json in FILES {
        for (class, records) in classes(json) {
            records_seen += records.as_struct().unwrap().len();
            for fmt in [
                WireFormat::XmlRpc,
                WireFormat::JsonRpc,
                WireFormat::JsonRpcV1,
            ] {
                let body =
                    wire::encode_success(fmt, &records, Some(&serde_json::json!(1))).unwrap();
                let back: Value = wire::decode_response(fmt, &body, &Limits::default()).unwrap();
                assert_eq!(back, records, "{class} over {fmt:?}");
            }
        }
    }
    assert!(records_seen > 20, "only {records_seen} records");
}

struct Vm;
impl Class for Vm {
    const NAME: &'static str = "VM";
}
struct Host;
impl Class for Host {
    const NAME: &'static str = "host";
}

#[derive(Debug, Deserialize, PartialEq)]
enum PowerState {
    Halted,
    Paused,
    Running,
    Suspended,
}

/// A slice of the VM record, typed as the generated code types it.
#[derive(Debug, Deserialize)]
struct VmRecord {
    uuid: String,
    name_label: String,
    power_state: PowerState,
    memory_static_max: i64,
    #[serde(rename = "VCPUs_max")]
    vcpus_max: i64,
    #[serde(rename = "HVM_shadow_multiplier")]
    hvm_shadow_multiplier: f64,
    is_a_template: bool,
    resident_on: Ref<Host>,
    parent: Ref<Vm>,
    snapshot_time: DateTime,
    other_config: BTreeMap<String, String>,
    allowed_operations: Vec<String>,
    #[serde(rename = "VBDs")]
    vbds: Vec<Ref<Vm>>,
}

#[test]
fn typed_vm_records_decode_from_xml_and_json() {
    for json in FILES {
        let all: Value = serde_json::from_str(json).unwrap();
        let vms = all.get("VM").unwrap();
        for fmt in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
            let body = wire::encode_success(fmt, vms, Some(&serde_json::json!(1))).unwrap();
            let typed: BTreeMap<Ref<Vm>, VmRecord> =
                wire::decode_response(fmt, &body, &Limits::default()).unwrap();
            assert_eq!(typed.len(), vms.as_struct().unwrap().len());
            for (r, rec) in &typed {
                let dynamic = vms.get(r.as_str()).unwrap();
                assert_eq!(rec.uuid, dynamic.get("uuid").unwrap().as_str().unwrap());
                assert_eq!(
                    rec.name_label,
                    dynamic.get("name_label").unwrap().as_str().unwrap()
                );
                assert_eq!(
                    Some(rec.memory_static_max),
                    dynamic.get("memory_static_max").unwrap().as_i64()
                );
                assert_eq!(
                    Some(rec.vcpus_max),
                    dynamic.get("VCPUs_max").unwrap().as_i64()
                );
                assert_eq!(
                    Some(rec.hvm_shadow_multiplier),
                    dynamic.get("HVM_shadow_multiplier").unwrap().as_f64()
                );
                assert_eq!(
                    Some(rec.is_a_template),
                    dynamic.get("is_a_template").unwrap().as_bool()
                );
                assert_eq!(
                    rec.resident_on.as_str(),
                    dynamic.get("resident_on").unwrap().as_str().unwrap()
                );
                assert_eq!(
                    rec.parent.is_null(),
                    dynamic.get("parent").unwrap().as_str() == Some("OpaqueRef:NULL")
                );
                assert_eq!(
                    Some(rec.snapshot_time),
                    dynamic.get("snapshot_time").unwrap().as_datetime()
                );
                assert_eq!(
                    rec.other_config.len(),
                    dynamic
                        .get("other_config")
                        .unwrap()
                        .as_struct()
                        .unwrap()
                        .len()
                );
                assert_eq!(
                    rec.allowed_operations.len(),
                    dynamic
                        .get("allowed_operations")
                        .unwrap()
                        .as_array()
                        .unwrap()
                        .len()
                );
                assert_eq!(
                    rec.vbds.len(),
                    dynamic.get("VBDs").unwrap().as_array().unwrap().len()
                );
                let ps = dynamic.get("power_state").unwrap().as_str().unwrap();
                assert_eq!(format!("{:?}", rec.power_state), ps);
            }
        }
    }
}
