//! `xenapi-gen import` on a small upstream folder: what it keeps, what it drops, what it refuses.

use std::path::PathBuf;

use xenapi_gen::import::{derive, import};
use xenapi_gen::model::{Lifecycle, Model, Qualifier, Type};

fn upstream(name: &str, classes: &str, asyncs: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xenapi-gen-import-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("xenapi.json"), classes).unwrap();
    std::fs::write(dir.join("async.tsv"), asyncs).unwrap();
    std::fs::write(
        dir.join("errors.tsv"),
        "# code\tparams\nHANDLE_INVALID\tclass|handle\nVM_IS_TEMPLATE\tvm\n",
    )
    .unwrap();
    dir
}

const CLASSES: &str = r#"[{"name": "VM", "description": "prose to drop", "tag": "",
  "lifecycle": {"state": "Published_s", "transitions": []},
  "enums": [{"name": "vm_power_state", "description": "x",
             "values": [{"name": "Halted", "doc": "y"}, {"name": "Running", "doc": "z"}]}],
  "fields": [
    {"name": "power_state", "description": "d", "type": "enum vm_power_state",
     "qualifier": "RO/runtime", "tag": "", "lifecycle": {"state": "Published_s"}},
    {"name": "tags", "description": "d", "type": "string set", "qualifier": "RW", "tag": "",
     "lifecycle": {"state": "Deprecated_s"}, "default": "{}"}],
  "messages": [
    {"name": "start", "description": "d", "result": ["void"], "roles": [], "tag": "",
     "params": [{"type": "session ref", "name": "session_id", "doc": "d", "required": true},
                {"type": "VM ref", "name": "vm", "doc": "d", "required": true},
                {"type": "bool", "name": "force", "doc": "d", "required": false}],
     "errors": [{"name": "VM_IS_TEMPLATE", "doc": "d"}],
     "lifecycle": {"state": "Prototyped_s"}, "implicit": false},
    {"name": "get_all_records", "description": "d", "result": ["(VM ref -> VM record) map", "d"],
     "params": [{"type": "session ref", "name": "session_id", "doc": "d", "required": true}],
     "errors": [], "lifecycle": {"state": "Published_s"}, "implicit": true}]}]"#;

const ASYNC: &str = "# class\tmessage\tasync\tsource\nVM\tstart\tasync\tsdk\nVM\tget_all_records\tsync\timplicit-rule\n";

#[test]
fn keeps_the_facts_and_strips_the_session_parameter() {
    let dir = upstream("ok", CLASSES, ASYNC);
    let model = derive(&dir).unwrap();
    assert_eq!(model.enums[0].values, ["Halted", "Running"]);
    let vm = model.class("VM").unwrap();
    let tags = vm.field("tags").unwrap();
    assert_eq!(tags.qualifier, Qualifier::ReadWrite);
    assert_eq!(tags.lifecycle, Lifecycle::Deprecated);
    assert_eq!(tags.default.as_deref(), Some("{}"));
    let start = vm.message("start").unwrap();
    assert!(start.session && start.is_async);
    assert_eq!(start.lifecycle, Lifecycle::Prototyped);
    assert_eq!(start.params.len(), 2);
    assert!(!start.params[1].required);
    assert_eq!(start.errors, ["VM_IS_TEMPLATE"]);
    let all = vm.message("get_all_records").unwrap();
    assert!(!all.is_async);
    assert_eq!(
        all.result,
        Type::Map(
            Box::new(Type::Ref("VM".into())),
            Box::new(Type::Record("VM".into()))
        )
    );

    let out = dir.join("model");
    import(&dir, &out).unwrap();
    let written = std::fs::read_to_string(out.join("xenapi.json")).unwrap();
    assert!(!written.contains("prose"), "descriptions must not be kept");
    assert_eq!(Model::load(&out).unwrap().classes, model.classes);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn refuses_inconsistent_upstreams() {
    let missing_async = upstream("noasync", CLASSES, "VM\tstart\tasync\tsdk\n");
    let err = derive(&missing_async).unwrap_err().to_string();
    assert!(
        err.contains("VM.get_all_records is missing from async.tsv"),
        "{err}"
    );

    let bad_type = CLASSES.replace("\"string set\"", "\"string sett\"");
    let dir = upstream("badtype", &bad_type, ASYNC);
    let err = derive(&dir).unwrap_err().to_string();
    assert!(err.contains("malformed type `string sett`"), "{err}");

    let unknown_error = CLASSES.replace("\"VM_IS_TEMPLATE\", \"doc\"", "\"NO_SUCH_CODE\", \"doc\"");
    let dir2 = upstream("badcode", &unknown_error, ASYNC);
    let err = derive(&dir2).unwrap_err().to_string();
    assert!(err.contains("unknown error NO_SUCH_CODE"), "{err}");
    for d in [missing_async, dir, dir2] {
        std::fs::remove_dir_all(d).unwrap();
    }
}
