//! `model/xend/`: xend's API 1.0 as `xenapi-gen import-xend` derived it from libxen 4.4's model.
//! It loads like xapi's model, round-trips byte for byte, and its C facts cover every class,
//! field and message.

use serde_json::Value;
use xenapi_gen::import::to_json;
use xenapi_gen::model::{Model, Type};
use xenapi_gen::output;

fn dir() -> std::path::PathBuf {
    output::default_root().join("model/xend")
}

#[test]
fn xend_model_round_trips_byte_for_byte() {
    let model = Model::load(&dir()).expect("xend model loads");
    let on_disk = std::fs::read_to_string(dir().join(Model::JSON_FILE)).unwrap();
    assert!(
        to_json(&model) == on_disk,
        "to_json differs from model/xend/xenapi.json"
    );
}

#[test]
fn xend_model_has_libxens_classes_and_structs() {
    let model = Model::load(&dir()).unwrap();
    assert_eq!(model.api_version, [1, 0]);
    assert_eq!(model.classes.len(), 23);
    for c in ["cpu_pool", "XSPolicy", "event", "VM", "host"] {
        assert!(model.class(c).is_some(), "{c} missing");
    }
    let login = model
        .class("session")
        .unwrap()
        .message("login_with_password")
        .unwrap();
    assert!(!login.session && !login.is_async);
    assert_eq!(login.params.len(), 2);
    let start = model.class("VM").unwrap().message("start").unwrap();
    assert_eq!(
        start.params.len(),
        2,
        "xend's VM.start takes the VM and start_paused"
    );
    assert!(start.is_async);
    let vm = model.class("VM").unwrap();
    assert!(!vm.message("get_name_label").unwrap().is_async);
    assert!(vm.message("create").unwrap().is_async);
    let get = model
        .class("XSPolicy")
        .unwrap()
        .message("get_xspolicy")
        .unwrap();
    assert_eq!(get.result, Type::Record("xs_policystate".into()));
    let state = model.struct_named("xs_policystate").unwrap();
    assert_eq!(state.fields.len(), 7);
    assert_eq!(state.fields[0].ty, Type::Ref("XSPolicy".into()));
    let power = model.enum_named("vm_power_state").unwrap();
    assert_eq!(power.values.last().map(String::as_str), Some("Unknown"));
}

#[test]
fn c_facts_cover_every_class_field_and_message() {
    let model = Model::load(&dir()).unwrap();
    let facts: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join("libxen.json")).unwrap()).unwrap();
    let has = |section: &str, class: &str, name: &str| {
        facts[section]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["class"] == class && e["name"] == name)
    };
    for c in &model.classes {
        for f in &c.fields {
            assert!(
                has("fields", &c.name, &f.name),
                "no C facts for {}.{}",
                c.name,
                f.name
            );
        }
        for m in &c.messages {
            assert!(
                has("messages", &c.name, &m.name),
                "no C facts for {}.{}",
                c.name,
                m.name
            );
        }
    }
    assert_eq!(facts["record_sizes_x86_64"]["xen_vm_record"], 312);
    assert_eq!(facts["session_struct"]["sizeof_x86_64"], 48);
    let text = std::fs::read_to_string(dir().join("libxen.json")).unwrap();
    assert!(!text.contains("\"description\"") && !text.contains("\"note\""));
}
