//! Large responses from the simulator over each transport: every call on one kept-alive
//! connection, and each response whole (the simulator writes large replies in vectored pieces
//! from its record cache).

use std::collections::HashMap;

use xenapi::api::{Vm, VmRecord, VmRef};
use xenapi::transport::{Timeouts, UnixTransport};
use xenapi::{Client, Value, WireFormat};

const VMS: usize = 300;

fn check_calls(client: Client, sim: &xapi_sim::RunningSimulator, name: &str) {
    let session = client
        .login_with_password("root", "xenroot", "2.23", "keepalive-test")
        .unwrap();
    let before = sim.connections_accepted();
    let first: HashMap<VmRef, VmRecord> = Vm::get_all_records(&session).unwrap();
    // The pool's guests plus a control domain per host.
    assert!(first.len() > VMS, "{name}: {} records", first.len());
    for _ in 0..4 {
        let again = Vm::get_all_records(&session).unwrap();
        assert_eq!(again.len(), first.len(), "{name}");
        for (r, rec) in &first {
            assert_eq!(again[r].uuid, rec.uuid, "{name}");
            assert_eq!(again[r].name_label, rec.name_label, "{name}");
        }
        let dynamic = session.call("VM.get_all_records", &[]).unwrap();
        let Value::Struct(m) = dynamic else {
            panic!("{name}: not a struct")
        };
        assert_eq!(m.len(), first.len(), "{name}");
    }
    assert_eq!(
        sim.connections_accepted(),
        before,
        "{name}: every call reuses the login's connection"
    );
}

#[test]
fn large_responses_reuse_one_http_connection() {
    let sim = xapi_sim::Simulator::builder()
        .vms(VMS)
        .metrics_interval(None)
        .start()
        .unwrap();
    for format in [WireFormat::JsonRpc, WireFormat::XmlRpc] {
        let client = Client::builder(&sim.url()).format(format).build().unwrap();
        check_calls(client, &sim, &format!("ureq {format:?}"));
    }
}

#[test]
fn large_responses_reuse_one_unix_connection() {
    let dir = std::env::temp_dir().join(format!("xenapi-keepalive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xapi.sock");
    let sim = xapi_sim::Simulator::builder()
        .vms(VMS)
        .metrics_interval(None)
        .unix(&path)
        .start()
        .unwrap();
    for format in [WireFormat::JsonRpc, WireFormat::XmlRpc] {
        let transport = UnixTransport::new(&path, Timeouts::default());
        let client = Client::builder_with_transport(transport)
            .format(format)
            .build()
            .unwrap();
        check_calls(client, &sim, &format!("unix {format:?}"));
    }
    drop(sim);
    let _ = std::fs::remove_dir_all(&dir);
}
