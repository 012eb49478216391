//! The store is a parameter of the model: xend's API 1.0 (libxen 4.4's data model, built in as
//! `Model::xend()`) is served by the same code, and a model of API 1.x is served in xend mode.

mod common;

use std::sync::Arc;

use common::*;
use xenapi::wire::WireFormat;
use xenapi::Value;

#[test]
fn serves_xends_api_1_0() {
    let model = xapi_sim::Model::xend();
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
    // Served as xend served it: one host, refs that are UUIDs.
    let hosts = c.ok("host.get_all", &[]);
    let host = hosts.as_array().unwrap()[0].as_str().unwrap().to_string();
    assert_eq!(hosts.as_array().unwrap().len(), 1);
    assert_eq!(c.str("host.get_uuid", &[s(&host)]), host);
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
