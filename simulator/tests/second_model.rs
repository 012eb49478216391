//! The store is a parameter of the model: xend's API 1.0 (libxen 4.4's data model, derived to
//! the compact form by `xenapi-gen`'s importer) is served by the same code.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::*;
use xenapi::wire::WireFormat;
use xenapi::Value;

/// The shared data-model folder: `$XENAPI_SHARED/datamodel`, else `shared/` beside the
/// repository (as CI lays it out), else `/work/shared`.
fn datamodel_dir() -> PathBuf {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let candidates = [
        std::env::var_os("XENAPI_SHARED").map(|s| PathBuf::from(s).join("datamodel")),
        Some(repo.join("../shared/datamodel")),
        Some(PathBuf::from("/work/shared/datamodel")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("libxen-4.4.json").exists())
        .expect("libxen-4.4.json not found: set XENAPI_SHARED to the shared/ folder")
}

fn xend_model() -> xapi_sim::Model {
    let src = datamodel_dir();
    let dir = std::env::temp_dir().join(format!("xapi-sim-xend-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(src.join("errors.tsv"), dir.join("errors.tsv")).unwrap();
    // xend's Async forms are not what this test is about: every message is declared sync.
    let mut upstream: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("libxen-4.4.json")).unwrap())
            .unwrap();
    // The security-policy classes use record types the importer does not take (yet).
    upstream
        .as_array_mut()
        .unwrap()
        .retain(|c| !matches!(c["name"].as_str(), Some("XSPolicy" | "ACMPolicy")));
    std::fs::write(dir.join("xenapi.json"), upstream.to_string()).unwrap();
    let mut asyncs = String::from("# class\tmessage\tasync\tsource\n");
    for class in upstream.as_array().unwrap() {
        for m in class["messages"].as_array().unwrap() {
            asyncs += &format!(
                "{}\t{}\tsync\ttest\n",
                class["name"].as_str().unwrap(),
                m["name"].as_str().unwrap()
            );
        }
    }
    std::fs::write(dir.join("async.tsv"), asyncs).unwrap();
    let compact = xenapi_gen::import::derive(&dir).expect("derive the xend model");
    xapi_sim::Model::from_json(&xenapi_gen::import::to_json(&compact))
        .expect("the simulator reads it")
}

#[test]
fn serves_xends_api_1_0() {
    let model = xend_model();
    assert!(model.class("VM").is_some() && model.class("host").is_some());
    let sim = xapi_sim::Simulator::builder()
        .model(Arc::new(model))
        .vms(4)
        .metrics_interval(None)
        .start()
        .unwrap();
    // xend's login takes exactly the user and the password.
    let mut conn = Conn::tcp(&addr(&sim));
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot"), s("1.0"), s("x")],
        )
        .unwrap_err();
    assert_eq!(f.code, "MESSAGE_PARAMETER_COUNT_MISMATCH");
    let session = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot")],
        )
        .unwrap();
    let mut c = Client {
        conn,
        format: WireFormat::XmlRpc,
        session: session.as_str().unwrap().to_string(),
    };
    let vms = c.ok("VM.get_all", &[]);
    assert!(!vms.as_array().unwrap().is_empty());
    // API 1.0 has no get_all_records: look at each record.
    assert_eq!(
        c.fail("VM.get_all_records", &[])[0],
        "MESSAGE_METHOD_UNKNOWN"
    );
    let vm = vms
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .find(|v| {
            let r = c.ok("VM.get_record", &[s(v)]);
            r.get("power_state").and_then(Value::as_str) == Some("Halted")
                && r.get("is_a_template").and_then(Value::as_bool) == Some(false)
        })
        .expect("a halted guest");
    c.ok("VM.set_name_label", &[s(&vm), s("xend guest")]);
    assert_eq!(c.str("VM.get_name_label", &[s(&vm)]), "xend guest");
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    assert_eq!(c.str("VM.get_power_state", &[s(&vm)]), "Running");
}
