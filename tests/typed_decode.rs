//! Decoding into the generated typed API, from crafted and real (XenServer 7.2) responses, over
//! both wire formats: records, enums (known and unknown), maps keyed by refs and enums, missing
//! and unknown fields, event batches with snapshots, task results, error codes.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use xenapi::api::*;
use xenapi::typed::{decode_task_result, EventBatch};
use xenapi::types::{DateTime, Ref};
use xenapi::wire::{decode_response, WireFormat};
use xenapi::Limits;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18 && b[8] == b'T' && b[17] == b'Z' && b[..8].iter().all(u8::is_ascii_digit)
}

/// Writes JSON as xapi writes XML-RPC: bare strings, `<boolean>`, `<dateTime.iso8601>`.
fn to_xml(v: &Json, out: &mut String) {
    out.push_str("<value>");
    match v {
        Json::String(s) if is_datetime(s) => {
            out.push_str(&format!("<dateTime.iso8601>{s}</dateTime.iso8601>"))
        }
        Json::String(s) => out.push_str(&escape(s)),
        Json::Bool(b) => out.push_str(&format!("<boolean>{}</boolean>", u8::from(*b))),
        Json::Number(n) if n.is_i64() => out.push_str(&n.to_string()),
        Json::Number(n) => out.push_str(&format!("<double>{n}</double>")),
        Json::Array(items) => {
            out.push_str("<array><data>");
            items.iter().for_each(|i| to_xml(i, out));
            out.push_str("</data></array>");
        }
        Json::Object(members) => {
            out.push_str("<struct>");
            for (k, v) in members {
                out.push_str(&format!("<member><name>{}</name>", escape(k)));
                to_xml(v, out);
                out.push_str("</member>");
            }
            out.push_str("</struct>");
        }
        Json::Null => out.push_str("<nil/>"),
    }
    out.push_str("</value>");
}

fn xml_success(value: &Json) -> Vec<u8> {
    let mut v = String::new();
    to_xml(value, &mut v);
    format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name>{v}</member></struct></value></param></params></methodResponse>"
    )
    .into_bytes()
}

fn json_success(value: &Json) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"jsonrpc": "2.0", "result": value, "id": 1})).unwrap()
}

/// Decodes `value` sent as the result of a call over XML-RPC.
fn decode_xml<T: DeserializeOwned>(value: &Json) -> T {
    decode_response(WireFormat::XmlRpc, &xml_success(value), &Limits::default()).unwrap()
}

/// Decodes `value` sent as the result of a call, over XML-RPC and over JSON-RPC, and checks
/// both decode to the same thing.
fn decode_both<T: DeserializeOwned + PartialEq + std::fmt::Debug>(value: &Json) -> T {
    let limits = Limits::default();
    let xml: T = decode_response(WireFormat::XmlRpc, &xml_success(value), &limits).unwrap();
    let json: T = decode_response(WireFormat::JsonRpc, &json_success(value), &limits).unwrap();
    assert_eq!(xml, json);
    xml
}

/// Whether a typed value, serialized back to JSON, says the same as the fixture (which spells
/// integers as strings, as xapi's XML-RPC does).
fn same(fixture: &Json, typed: &Json) -> bool {
    match (fixture, typed) {
        (Json::String(s), Json::Number(n)) => s.parse::<f64>().ok() == n.as_f64(),
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, x)| b.get(k).is_some_and(|y| same(x, y)))
        }
        (a, b) => a == b,
    }
}

/// The fields the model marks removed (left out of the typed records), as `class.field`.
fn removed_fields() -> Vec<String> {
    let path = format!("{}/model/xenapi.json", env!("CARGO_MANIFEST_DIR"));
    let model: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut out = Vec::new();
    for class in model["classes"].as_array().unwrap() {
        for field in class["fields"].as_array().unwrap() {
            if field["lifecycle"] == "removed" {
                out.push(format!(
                    "{}.{}",
                    class["name"].as_str().unwrap(),
                    field["name"].as_str().unwrap()
                ));
            }
        }
    }
    out
}

fn check_class<R, C>(fixture: &Json, class: &str, removed: &[String]) -> usize
where
    R: DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
    C: xenapi::types::Class,
{
    let Some(objects) = fixture.get(class) else {
        return 0;
    };
    // The fixtures were captured over XML-RPC (integers as strings), so they are replayed so.
    let decoded: HashMap<Ref<C>, R> = decode_xml(objects);
    let objects = objects.as_object().unwrap();
    assert_eq!(decoded.len(), objects.len());
    for (reference, fields) in objects {
        let record = &decoded[&Ref::<C>::new(reference.as_str())];
        let typed = serde_json::to_value(record).unwrap();
        for (name, value) in fields.as_object().unwrap() {
            let Some(back) = typed.get(name) else {
                assert!(
                    removed.contains(&format!("{class}.{name}")),
                    "{class}.{name} lost"
                );
                continue;
            };
            assert!(
                same(value, back),
                "{class}.{name}: {value} decoded as {back}"
            );
        }
    }
    decoded.len()
}

#[test]
fn real_xenserver_records_decode_field_for_field() {
    let removed = removed_fields();
    for n in 1..=3 {
        let path = format!(
            "{}/tests/data/real-xs72-vm{n}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let fixture: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut count = 0;
        count += check_class::<VmRecord, Vm>(&fixture, "VM", &removed);
        count += check_class::<VbdRecord, Vbd>(&fixture, "VBD", &removed);
        count += check_class::<VdiRecord, Vdi>(&fixture, "VDI", &removed);
        count += check_class::<SrRecord, Sr>(&fixture, "SR", &removed);
        count += check_class::<VifRecord, Vif>(&fixture, "VIF", &removed);
        count += check_class::<NetworkRecord, Network>(&fixture, "network", &removed);
        count += check_class::<HostRecord, Host>(&fixture, "host", &removed);
        count += check_class::<VmMetricsRecord, VmMetrics>(&fixture, "VM_metrics", &removed);
        count += check_class::<VmGuestMetricsRecord, VmGuestMetrics>(
            &fixture,
            "VM_guest_metrics",
            &removed,
        );
        assert!(count >= 9, "fixture {n}: only {count} records");
    }
}

#[test]
fn real_vm_record_has_the_right_types() {
    let path = format!(
        "{}/tests/data/real-xs72-vm1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vms: HashMap<VmRef, VmRecord> = decode_xml(&fixture["VM"]);
    let (_, vm) = vms.iter().next().unwrap();
    assert_eq!(vm.power_state, VmPowerState::Running);
    assert_eq!(vm.vcpus_max, 2);
    assert_eq!(vm.memory_static_max, 2_147_483_648);
    assert_eq!(
        vm.hvm_boot_params.get("order").map(String::as_str),
        Some("dc")
    );
    assert_eq!(vm.vbds.len(), 2);
    assert!(vm.vbds[0].as_str().starts_with("OpaqueRef:"));
    assert_eq!(vm.snapshot_time, DateTime::EPOCH);
    assert!(!vm.is_a_template);
    // A field XenServer 7.2 did not have yet takes its type's default.
    assert!(vm.pending_guidances.is_empty());
}

#[test]
fn unknown_enum_values_and_fields_do_not_fail_a_record() {
    let value = serde_json::json!({
        "OpaqueRef:1": {
            "uuid": "u1",
            "name_label": "new",
            "power_state": "Hibernating",
            "allowed_operations": ["start", "teleport"],
            "current_operations": {"task1": "levitate"},
            "a_field_from_the_future": {"nested": ["x"]},
            "VCPUs_max": 4
        },
        "OpaqueRef:2": {"power_state": "Halted"}
    });
    let vms: HashMap<VmRef, VmRecord> = decode_both(&value);
    let new = &vms[&VmRef::new("OpaqueRef:1")];
    assert_eq!(new.power_state, VmPowerState::Unknown("Hibernating".into()));
    assert_eq!(new.power_state.as_str(), "Hibernating");
    assert_eq!(
        new.allowed_operations,
        [
            VmOperations::Start,
            VmOperations::Unknown("teleport".into())
        ]
    );
    assert_eq!(
        new.current_operations["task1"],
        VmOperations::Unknown("levitate".into())
    );
    assert_eq!(new.vcpus_max, 4);
    let sparse = &vms[&VmRef::new("OpaqueRef:2")];
    assert_eq!(sparse.power_state, VmPowerState::Halted);
    assert_eq!(sparse.name_label, "");
    assert!(sparse.resident_on.is_null());
    assert_eq!(sparse.memory_static_max, 0);
}

#[test]
fn maps_keyed_by_enums_refs_and_ints() {
    let value = serde_json::json!({"OpaqueRef:m": {
        "VCPUs_CPU": {"0": 3, "1": 5},
        "VCPUs_flags": {"1": ["x", "y"]}
    }});
    let metrics: HashMap<VmMetricsRef, VmMetricsRecord> = decode_both(&value);
    let m = &metrics[&VmMetricsRef::new("OpaqueRef:m")];
    assert_eq!(m.vcpus_cpu.get(&1), Some(&5));
    assert_eq!(m.vcpus_flags[&1], ["x", "y"]);

    let value = serde_json::json!({"OpaqueRef:v": "OpaqueRef:s", "OpaqueRef:w": "OpaqueRef:t"});
    let map: HashMap<VdiRef, SrRef> = decode_both(&value);
    assert_eq!(map[&VdiRef::new("OpaqueRef:w")], SrRef::new("OpaqueRef:t"));
}

#[test]
fn enums_convert_both_ways() {
    assert_eq!(VmPowerState::from("Running"), VmPowerState::Running);
    assert_eq!(
        "Paused".parse::<VmPowerState>().unwrap(),
        VmPowerState::Paused
    );
    assert_eq!(VmPowerState::Suspended.to_string(), "Suspended");
    assert_eq!(format!("[{:<8}]", VmPowerState::Halted), "[Halted  ]");
    assert_eq!(BondMode::from("balance-slb"), BondMode::BalanceSlb);
    assert_eq!(AfterApplyGuidance::RestartHvm.as_str(), "restartHVM");
    // A model value spelled "unknown" is a known variant, distinct from the catch-all.
    assert_eq!(PifIgmpStatus::from("unknown"), PifIgmpStatus::UnknownValue);
    assert_eq!(VmPowerState::VALUES.len(), 4);
    assert_eq!(
        serde_json::to_string(&VmPowerState::Unknown("Later".into())).unwrap(),
        "\"Later\""
    );
}

#[test]
fn records_serialize_with_wire_names() {
    let record = VbdRecord {
        vm: VmRef::new("OpaqueRef:vm"),
        r#type: VbdType::Disk,
        userdevice: "0".into(),
        ..VbdRecord::default()
    };
    let json = serde_json::to_value(&record).unwrap();
    assert_eq!(json["VM"], "OpaqueRef:vm");
    assert_eq!(json["type"], "Disk");
    assert_eq!(json["VDI"], "OpaqueRef:NULL");
    assert_eq!(json["userdevice"], "0");
}

#[test]
fn error_codes_know_their_parameters() {
    let code = ErrorCode::from_code("VM_BAD_POWER_STATE");
    assert_eq!(code, ErrorCode::VmBadPowerState);
    assert_eq!(code.param_names(), ["vm", "expected", "actual"]);
    assert_eq!(code.as_str(), "VM_BAD_POWER_STATE");
    let other = ErrorCode::from_code("NOT_A_CODE_YET");
    assert_eq!(other, ErrorCode::Other("NOT_A_CODE_YET".into()));
    assert!(other.param_names().is_empty());
}

#[test]
fn task_results_decode_from_their_xml_rpc_spelling() {
    let vm: VmRef = decode_task_result("<value>OpaqueRef:abc</value>").unwrap();
    assert_eq!(vm, VmRef::new("OpaqueRef:abc"));
    let refs: Vec<VdiRef> = decode_task_result(
        "<value><array><data><value>OpaqueRef:a</value><value>OpaqueRef:b</value></data></array></value>",
    )
    .unwrap();
    assert_eq!(
        refs,
        [VdiRef::new("OpaqueRef:a"), VdiRef::new("OpaqueRef:b")]
    );
    let size: i64 = decode_task_result("<value>10737418240</value>").unwrap();
    assert_eq!(size, 10_737_418_240);
    decode_task_result::<()>("").unwrap();
    let text: String = decode_task_result("<value>a &amp; b</value>").unwrap();
    assert_eq!(text, "a & b");
    assert!(decode_task_result::<i64>("<value>not a number</value>").is_err());
    assert!(decode_task_result::<VmRef>("<value>unterminated").is_err());
}

#[test]
fn event_batches_decode_with_typed_snapshots() {
    let value = serde_json::json!({
        "events": [
            {"id": 7, "timestamp": "20240102T03:04:05Z", "class": "vm", "operation": "mod",
             "ref": "OpaqueRef:vm1",
             "snapshot": {"name_label": "web", "power_state": "Running", "VCPUs_max": "8",
                          "VBDs": ["OpaqueRef:b1"], "other_config": {"k": "v"}}},
            {"id": 8, "timestamp": "20240102T03:04:06Z", "class": "VBD", "operation": "del",
             "ref": "OpaqueRef:b1"}
        ],
        "valid_ref_counts": {"VM": 3, "VBD": 5},
        "token": "00000000000000000042,00000000000000000017"
    });
    let batch: EventBatch = decode_both(&value);
    assert_eq!(batch.token, "00000000000000000042,00000000000000000017");
    assert_eq!(batch.valid_ref_counts["VBD"], 5);
    let [vm_event, vbd_event] = &batch.events[..] else {
        panic!("{} events", batch.events.len())
    };
    assert_eq!(vm_event.operation, EventOperation::Mod);
    assert_eq!(vm_event.id, 7);
    assert_eq!(
        vm_event.object_ref::<Vm>(),
        Some(VmRef::new("OpaqueRef:vm1"))
    );
    assert_eq!(vm_event.object_ref::<Vbd>(), None);
    let vm = vm_event.snapshot_of::<Vm>().unwrap().unwrap();
    assert_eq!(vm.name_label, "web");
    assert_eq!(vm.power_state, VmPowerState::Running);
    assert_eq!(vm.vcpus_max, 8);
    assert_eq!(vm.vbds, [VbdRef::new("OpaqueRef:b1")]);
    assert_eq!(vm.other_config["k"], "v");
    assert!(vm_event.snapshot_of::<Vbd>().is_none());
    assert_eq!(vbd_event.operation, EventOperation::Del);
    assert!(vbd_event.snapshot.is_empty());
    assert!(vbd_event.snapshot_of::<Vbd>().is_none());
}

#[test]
fn a_snapshot_of_the_wrong_shape_is_an_error_not_a_panic() {
    let value = serde_json::json!({"events": [
        {"id": 1, "class": "VM", "operation": "add", "ref": "OpaqueRef:x",
         "snapshot": {"VCPUs_max": "many"}}
    ], "valid_ref_counts": {}, "token": "t"});
    let batch: EventBatch = decode_both(&value);
    let err = batch.events[0].snapshot_of::<Vm>().unwrap().unwrap_err();
    assert!(err.to_string().contains("\"many\""), "{err}");
}
