//! `model/xenapi.json` is exactly what `xenapi-gen import` writes for the model it holds, so a
//! re-import from upstream only shows real changes.

use xenapi_gen::import::to_json;
use xenapi_gen::model::{Model, Type};
use xenapi_gen::output;

#[test]
fn model_json_round_trips_byte_for_byte() {
    let dir = output::default_root().join("model");
    let model = Model::load(&dir).expect("model loads");
    let on_disk = std::fs::read_to_string(dir.join(Model::JSON_FILE)).unwrap();
    assert!(
        to_json(&model) == on_disk,
        "to_json differs from model/xenapi.json"
    );
}

#[test]
fn model_has_the_expected_shape() {
    let model = Model::load(&output::default_root().join("model")).unwrap();
    assert_eq!(model.classes.len(), 72);
    assert_eq!(model.enums.len(), 73);
    assert!(model.errors.len() > 600);
    let vm = model.class("VM").unwrap();
    let start = vm.message("start").unwrap();
    assert!(start.session && start.is_async && !start.implicit);
    assert_eq!(start.params.len(), 3);
    assert_eq!(start.params[0].ty, Type::Ref("VM".into()));
    assert_eq!(
        vm.field("power_state").unwrap().ty,
        Type::Enum("vm_power_state".into())
    );
    let bad = model.error("VM_BAD_POWER_STATE").unwrap();
    assert_eq!(bad.params, ["vm", "expected", "actual"]);
    let login = model
        .class("session")
        .unwrap()
        .message("login_with_password")
        .unwrap();
    assert!(!login.session);
}
