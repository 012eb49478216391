//! Optional parameters against the simulator: a `None` is not sent, so a call works with a
//! server older than the parameter (simulated by a model without it), which refuses the
//! longer call with `MESSAGE_PARAMETER_COUNT_MISMATCH` as xapi does.

use std::sync::Arc;

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::api::*;
use xenapi::{Client, Error, Session, WireFormat};

/// The model with the optional parameters of `VM.snapshot` and `host.disable` removed: what a
/// server from before they were added serves.
fn older_model() -> xapi_sim::Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/model/xenapi.json");
    let mut model: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut trimmed = 0;
    for class in model["classes"].as_array_mut().unwrap() {
        let name = class["name"].as_str().unwrap().to_owned();
        for m in class["messages"].as_array_mut().unwrap() {
            let message = m["name"].as_str().unwrap();
            if matches!(
                (name.as_str(), message),
                ("VM", "snapshot") | ("host", "disable")
            ) {
                let params = m["params"].as_array_mut().unwrap();
                let before = params.len();
                params.retain(|p| p["required"] == true);
                trimmed += before - params.len();
            }
        }
    }
    assert_eq!(
        trimmed, 2,
        "VM.snapshot's ignore_vdis, host.disable's auto_enable"
    );
    xapi_sim::Model::from_json(&model.to_string()).unwrap()
}

fn start(model: Option<xapi_sim::Model>) -> RunningSimulator {
    let mut builder = Simulator::builder().vms(3).hosts(1).seed(3);
    if let Some(model) = model {
        builder = builder.model(Arc::new(model));
    }
    builder.start().expect("start the simulator")
}

fn login(sim: &RunningSimulator, format: WireFormat) -> Session {
    let url = match format {
        WireFormat::XmlRpc => sim.url(),
        _ => sim.jsonrpc_url(),
    };
    let client = Client::builder(&url).format(format).build().unwrap();
    let (user, password) = sim.credentials();
    client
        .login_with_password(user, password, "2.23", "optional-params")
        .unwrap()
}

fn a_vm(session: &Session) -> VmRef {
    Vm::get_all_records(session)
        .unwrap()
        .into_iter()
        .find(|(_, r)| !r.is_a_template && !r.is_control_domain && !r.is_a_snapshot)
        .map(|(vm, _)| vm)
        .expect("a VM")
}

fn failure_code(e: Error) -> String {
    match e {
        Error::Api(f) => f.code,
        other => panic!("expected an API failure, got {other:?}"),
    }
}

#[test]
fn left_out_optional_parameters_work_with_an_older_server() {
    let sim = start(Some(older_model()));
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let session = login(&sim, format);
        let vm = a_vm(&session);
        let snapshot = Vm::snapshot(&session, &vm, "before", None).unwrap();
        assert_eq!(Vm::get_name_label(&session, &snapshot).unwrap(), "before");
        let err = Vm::snapshot(&session, &vm, "again", Some(&[])).unwrap_err();
        assert_eq!(failure_code(err), "MESSAGE_PARAMETER_COUNT_MISMATCH");

        let host = Host::get_all(&session).unwrap().remove(0);
        Host::disable(&session, &host, None).unwrap();
        assert!(!Host::get_enabled(&session, &host).unwrap());
        let err = Host::disable(&session, &host, Some(false)).unwrap_err();
        assert_eq!(failure_code(err), "MESSAGE_PARAMETER_COUNT_MISMATCH");
        Host::enable(&session, &host).unwrap();
    }
}

#[test]
fn given_optional_parameters_reach_a_current_server() {
    let sim = start(None);
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let session = login(&sim, format);
        let vm = a_vm(&session);
        let snapshot = Vm::snapshot(&session, &vm, "with", Some(&[])).unwrap();
        assert_eq!(Vm::get_name_label(&session, &snapshot).unwrap(), "with");
        let snapshot = Vm::snapshot(&session, &vm, "without", None).unwrap();
        assert_eq!(Vm::get_name_label(&session, &snapshot).unwrap(), "without");
        let host = Host::get_all(&session).unwrap().remove(0);
        Host::disable(&session, &host, Some(false)).unwrap();
        assert!(!Host::get_enabled(&session, &host).unwrap());
        Host::enable(&session, &host).unwrap();
    }
}
