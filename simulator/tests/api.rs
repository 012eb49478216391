//! The simulator through real sockets and the core codec: generic messages, xapi's errors,
//! the VM lifecycle, tasks, sessions, both wire formats.

mod common;

use common::*;
use xenapi::wire::WireFormat;
use xenapi::Value;

#[test]
fn login_over_both_formats_and_bad_credentials() {
    let sim = sim();
    let mut c = xml_client(&sim);
    assert!(c.session.starts_with("OpaqueRef:"));
    let j = json_client(&sim);
    assert!(j.session.starts_with("OpaqueRef:"));
    // Version and originator may be left off.
    let mut conn = Conn::tcp(&addr(&sim));
    let r = conn.call(
        WireFormat::XmlRpc,
        "session.login_with_password",
        &[s("root"), s("xenroot")],
    );
    assert!(r.unwrap().as_str().unwrap().starts_with("OpaqueRef:"));
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("nope")],
        )
        .unwrap_err();
    assert_eq!(f.code, "SESSION_AUTHENTICATION_FAILED");
    assert_eq!(f.params, ["root", "Authentication failure"]);
    // The session works, then logout ends it.
    let this_host = c.str("session.get_this_host", &[s(&c.session.clone())]);
    assert!(this_host.starts_with("OpaqueRef:"));
    c.ok("session.logout", &[]);
    assert_eq!(
        c.fail("VM.get_all", &[]),
        ["SESSION_INVALID", c.session.as_str()]
    );
}

#[test]
fn hosts_report_api_version_2_23() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let hosts = c.ok("host.get_all", &[]);
    let h = hosts.as_array().unwrap()[0].as_str().unwrap().to_string();
    assert_eq!(
        c.ok("host.get_API_version_major", &[s(&h)]).as_i64(),
        Some(2)
    );
    assert_eq!(
        c.ok("host.get_API_version_minor", &[s(&h)]).as_i64(),
        Some(23)
    );
    assert_eq!(hosts.as_array().unwrap().len(), 2);
    let pools = c.ok("pool.get_all", &[]);
    assert_eq!(pools.as_array().unwrap().len(), 1);
}

#[test]
fn getters_and_setters_of_every_kind_of_type() {
    let sim = sim();
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let mut c = Client::login(Conn::tcp(&addr(&sim)), format);
        let vm = guest_in_state(&mut c, "Halted");
        let v = || s(&vm);
        // string
        c.ok("VM.set_name_label", &[v(), s("renamed <&>")]);
        assert_eq!(c.str("VM.get_name_label", &[v()]), "renamed <&>");
        // int, sent as a string (as XML-RPC clients do) and as an int
        c.ok("VM.set_user_version", &[v(), s("42")]);
        assert_eq!(c.ok("VM.get_user_version", &[v()]).as_i64(), Some(42));
        c.ok("VM.set_user_version", &[v(), Value::Int(43)]);
        assert_eq!(c.ok("VM.get_user_version", &[v()]).as_i64(), Some(43));
        // float
        c.ok("VM.set_HVM_shadow_multiplier", &[v(), Value::Float(2.5)]);
        assert_eq!(
            c.ok("VM.get_HVM_shadow_multiplier", &[v()]).as_f64(),
            Some(2.5)
        );
        // bool
        c.ok("VM.set_is_a_template", &[v(), Value::Bool(true)]);
        assert_eq!(c.ok("VM.get_is_a_template", &[v()]).as_bool(), Some(true));
        c.ok("VM.set_is_a_template", &[v(), Value::Bool(false)]);
        // enum, matched case-insensitively and stored in the model's spelling
        c.ok("VM.set_actions_after_shutdown", &[v(), s("RESTART")]);
        assert_eq!(c.str("VM.get_actions_after_shutdown", &[v()]), "restart");
        assert_eq!(
            c.fail("VM.set_actions_after_shutdown", &[v(), s("explode")]),
            ["FIELD_TYPE_ERROR", "value"]
        );
        // datetime
        let t = c.ok("VM.get_snapshot_time", &[v()]);
        assert_eq!(t.as_datetime().map(|d| d.unix_seconds()), Some(0), "{t:?}");
        // ref
        let host = c.ok("host.get_all", &[]).as_array().unwrap()[1]
            .as_str()
            .unwrap()
            .to_string();
        c.ok("VM.set_affinity", &[v(), s(&host)]);
        assert_eq!(c.str("VM.get_affinity", &[v()]), host);
        // map: add_to / remove_from / set
        c.ok("VM.add_to_other_config", &[v(), s("k"), s("v1")]);
        assert_eq!(
            c.ok("VM.get_other_config", &[v()])
                .get("k")
                .and_then(Value::as_str),
            Some("v1")
        );
        c.ok("VM.remove_from_other_config", &[v(), s("k")]);
        assert!(c.ok("VM.get_other_config", &[v()]).get("k").is_none());
        let mut m = xenapi::Struct::new();
        m.insert("a".into(), s("1"));
        c.ok("VM.set_other_config", &[v(), Value::Struct(m)]);
        assert_eq!(
            c.ok("VM.get_other_config", &[v()])
                .as_struct()
                .unwrap()
                .len(),
            1
        );
        // set: add / remove (adding twice keeps one)
        c.ok("VM.add_tags", &[v(), s("blue")]);
        c.ok("VM.add_tags", &[v(), s("blue")]);
        assert_eq!(c.ok("VM.get_tags", &[v()]), Value::Array(vec![s("blue")]));
        c.ok("VM.remove_tags", &[v(), s("blue")]);
        assert_eq!(c.ok("VM.get_tags", &[v()]), Value::Array(vec![]));
        // a wrong type for a parameter
        assert_eq!(
            c.fail("VM.set_user_version", &[v(), s("many")]),
            ["FIELD_TYPE_ERROR", "value"]
        );
    }
}

#[test]
fn read_only_fields_have_no_setter() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    assert_eq!(
        c.fail("VM.set_power_state", &[s(&vm), s("Running")]),
        ["MESSAGE_METHOD_UNKNOWN", "VM.set_power_state"]
    );
    assert_eq!(
        c.fail("VM.no_such_message", &[]),
        ["MESSAGE_METHOD_UNKNOWN", "VM.no_such_message"]
    );
    assert_eq!(
        c.fail("Nope.get_all", &[]),
        ["MESSAGE_METHOD_UNKNOWN", "Nope.get_all"]
    );
}

#[test]
fn lookups_and_handle_errors() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Running");
    let uuid = c.str("VM.get_uuid", &[s(&vm)]);
    assert_eq!(c.str("VM.get_by_uuid", &[s(&uuid)]), vm);
    assert_eq!(
        c.fail("VM.get_by_uuid", &[s("not-a-uuid")]),
        ["UUID_INVALID", "VM", "not-a-uuid"]
    );
    assert_eq!(
        c.fail("VM.get_name_label", &[s("OpaqueRef:missing")]),
        ["HANDLE_INVALID", "VM", "OpaqueRef:missing"]
    );
    let rec = c.ok("VM.get_record", &[s(&vm)]);
    assert_eq!(rec.get("uuid").and_then(Value::as_str), Some(uuid.as_str()));
    let name = rec
        .get("name_label")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    assert_eq!(vm_by_name(&mut c, &name), vm);
    let all = c.ok("VM.get_all", &[]).as_array().unwrap().len();
    let records = c.ok("VM.get_all_records", &[]).as_struct().unwrap().len();
    assert_eq!(all, records);
    let running = c.ok(
        "VM.get_all_records_where",
        &[s(
            r#"field "power_state" = "Running" and field "is_control_domain" = "false""#,
        )],
    );
    let running = running.as_struct().unwrap();
    assert!(running.contains_key(&vm));
    assert!(running
        .values()
        .all(|r| r.get("power_state").and_then(Value::as_str) == Some("Running")));
}

#[test]
fn parameter_count_mismatch_as_xapi_reports_it() {
    let sim = sim();
    let mut c = xml_client(&sim);
    assert_eq!(
        c.fail("VM.get_name_label", &[]),
        [
            "MESSAGE_PARAMETER_COUNT_MISMATCH",
            "VM.get_name_label",
            "1",
            "0"
        ]
    );
    // Async calls report the sync name; counts leave the session out.
    assert_eq!(
        c.fail("Async.VM.start", &[s("OpaqueRef:x")]),
        ["MESSAGE_PARAMETER_COUNT_MISMATCH", "VM.start", "3", "1"]
    );
    let mut conn = Conn::tcp(&addr(&sim));
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root")],
        )
        .unwrap_err();
    assert_eq!(
        (f.code.as_str(), f.params.as_slice()),
        (
            "MESSAGE_PARAMETER_COUNT_MISMATCH",
            &[
                "session.login_with_password".to_string(),
                "2".into(),
                "1".into()
            ][..]
        )
    );
}

#[test]
fn removed_messages_say_so() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    assert_eq!(
        c.fail("VM.get_is_snapshot_from_vmpp", &[s(&vm)]),
        ["MESSAGE_REMOVED"]
    );
}

#[test]
fn map_duplicate_key() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    c.ok("VM.add_to_other_config", &[s(&vm), s("dup"), s("1")]);
    assert_eq!(
        c.fail("VM.add_to_other_config", &[s(&vm), s("dup"), s("2")]),
        [
            "MAP_DUPLICATE_KEY",
            "VM",
            "other_config",
            vm.as_str(),
            "dup"
        ]
    );
}

#[test]
fn create_and_destroy_keep_paired_fields() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let net = c.ok("network.get_all", &[]).as_array().unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    let before = c.ok("VM.get_VIFs", &[s(&vm)]).as_array().unwrap().len();
    let mut rec = xenapi::Struct::new();
    rec.insert("VM".into(), s(&vm));
    rec.insert("network".into(), s(&net));
    rec.insert("device".into(), s("5"));
    rec.insert("MAC".into(), s("02:00:00:00:00:05"));
    rec.insert("MTU".into(), s("1500"));
    rec.insert("other_config".into(), Value::Struct(xenapi::Struct::new()));
    rec.insert("qos_algorithm_type".into(), s(""));
    rec.insert(
        "qos_algorithm_params".into(),
        Value::Struct(xenapi::Struct::new()),
    );
    let vif = c.str("VIF.create", &[Value::Struct(rec.clone())]);
    let vifs = c.ok("VM.get_VIFs", &[s(&vm)]);
    assert_eq!(vifs.as_array().unwrap().len(), before + 1);
    assert!(vifs.as_array().unwrap().contains(&s(&vif)));
    assert!(c
        .ok("network.get_VIFs", &[s(&net)])
        .as_array()
        .unwrap()
        .contains(&s(&vif)));
    assert_eq!(c.ok("VIF.get_MTU", &[s(&vif)]).as_i64(), Some(1500));
    // Fields the record left out take the model's defaults.
    assert_eq!(c.str("VIF.get_locking_mode", &[s(&vif)]), "network_default");
    c.ok("VIF.destroy", &[s(&vif)]);
    assert!(!c
        .ok("VM.get_VIFs", &[s(&vm)])
        .as_array()
        .unwrap()
        .contains(&s(&vif)));
    assert!(!c
        .ok("network.get_VIFs", &[s(&net)])
        .as_array()
        .unwrap()
        .contains(&s(&vif)));
    assert_eq!(
        c.fail("VIF.get_MTU", &[s(&vif)]),
        ["HANDLE_INVALID", "VIF", vif.as_str()]
    );
    // A record naming a VM that does not exist.
    rec.insert("VM".into(), s("OpaqueRef:ghost"));
    assert_eq!(
        c.fail("VIF.create", &[Value::Struct(rec)]),
        ["HANDLE_INVALID", "VM", "OpaqueRef:ghost"]
    );
}

#[test]
fn vm_power_lifecycle() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let v = || s(&vm);
    let state = |c: &mut Client| c.str("VM.get_power_state", &[s(&vm)]);
    assert_eq!(
        c.fail("VM.clean_shutdown", &[v()]),
        ["VM_BAD_POWER_STATE", vm.as_str(), "running", "halted"]
    );
    c.ok("VM.start", &[v(), Value::Bool(false), Value::Bool(false)]);
    assert_eq!(state(&mut c), "Running");
    assert!(c
        .str("VM.get_resident_on", &[v()])
        .starts_with("OpaqueRef:"));
    assert!(c.ok("VM.get_domid", &[v()]).as_i64().unwrap() > 0);
    assert_eq!(
        c.fail("VM.start", &[v(), Value::Bool(false), Value::Bool(false)]),
        ["VM_BAD_POWER_STATE", vm.as_str(), "halted", "running"]
    );
    c.ok("VM.pause", &[v()]);
    assert_eq!(state(&mut c), "Paused");
    c.ok("VM.unpause", &[v()]);
    c.ok("VM.clean_reboot", &[v()]);
    c.ok("VM.hard_reboot", &[v()]);
    c.ok("VM.suspend", &[v()]);
    assert_eq!(state(&mut c), "Suspended");
    c.ok("VM.resume", &[v(), Value::Bool(false), Value::Bool(false)]);
    c.ok("VM.clean_shutdown", &[v()]);
    assert_eq!(state(&mut c), "Halted");
    assert_eq!(c.str("VM.get_resident_on", &[v()]), "OpaqueRef:NULL");
    c.ok("VM.start", &[v(), Value::Bool(true), Value::Bool(false)]);
    assert_eq!(state(&mut c), "Paused");
    c.ok("VM.hard_shutdown", &[v()]);
    let host = c.ok("host.get_all", &[]).as_array().unwrap()[1]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(
        "VM.start_on",
        &[v(), s(&host), Value::Bool(false), Value::Bool(false)],
    );
    assert_eq!(c.str("VM.get_resident_on", &[v()]), host);
    assert!(c
        .ok("host.get_resident_VMs", &[s(&host)])
        .as_array()
        .unwrap()
        .contains(&v()));
    // Templates do not start.
    let tpl = vm_by_name(&mut c, "Debian Bookworm 12");
    assert_eq!(
        c.fail(
            "VM.start",
            &[s(&tpl), Value::Bool(false), Value::Bool(false)]
        ),
        ["VM_IS_TEMPLATE", tpl.as_str()]
    );
}

#[test]
fn clone_snapshot_and_destroy() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let tpl = vm_by_name(&mut c, "Debian Bookworm 12");
    let new = c.str("VM.clone", &[s(&tpl), s("from-template")]);
    assert_eq!(c.str("VM.get_name_label", &[s(&new)]), "from-template");
    assert_eq!(
        c.ok("VM.get_is_a_template", &[s(&new)]).as_bool(),
        Some(true)
    );
    c.ok("VM.set_is_a_template", &[s(&new), Value::Bool(false)]);
    c.ok("VM.provision", &[s(&new)]);
    c.ok(
        "VM.start",
        &[s(&new), Value::Bool(false), Value::Bool(false)],
    );

    let vm = guest_in_state(&mut c, "Halted");
    let vbds = c.ok("VM.get_VBDs", &[s(&vm)]).as_array().unwrap().len();
    let copy = c.str("VM.clone", &[s(&vm), s("a-clone")]);
    let copy_vbds = c.ok("VM.get_VBDs", &[s(&copy)]);
    assert_eq!(copy_vbds.as_array().unwrap().len(), vbds);
    // Disks are new VDIs, each listing the new VBD.
    for vbd in copy_vbds
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
    {
        let vdi = c.str("VBD.get_VDI", &[s(vbd)]);
        if c.str("VBD.get_type", &[s(vbd)]) == "Disk" {
            let users = c.ok("VDI.get_VBDs", &[s(&vdi)]);
            assert_eq!(users.as_array().unwrap(), &[s(vbd)]);
        }
    }
    let snap = c.str("VM.snapshot", &[s(&vm), s("snap"), Value::Array(vec![])]);
    assert_eq!(
        c.ok("VM.get_is_a_snapshot", &[s(&snap)]).as_bool(),
        Some(true)
    );
    assert_eq!(c.str("VM.get_snapshot_of", &[s(&snap)]), vm);
    assert!(c
        .ok("VM.get_snapshots", &[s(&vm)])
        .as_array()
        .unwrap()
        .contains(&s(&snap)));
    // A running VM cannot be destroyed; a halted one takes its devices with it.
    let running = guest_in_state(&mut c, "Running");
    assert_eq!(
        c.fail("VM.destroy", &[s(&running)]),
        ["VM_BAD_POWER_STATE", running.as_str(), "halted", "running"]
    );
    let vbd = copy_vbds.as_array().unwrap()[0].clone();
    c.ok("VM.destroy", &[s(&copy)]);
    assert_eq!(c.fail("VM.get_uuid", &[s(&copy)])[0], "HANDLE_INVALID");
    assert_eq!(c.fail("VBD.get_uuid", &[vbd])[0], "HANDLE_INVALID");
}

#[test]
fn devices_plug_only_on_running_vms() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let running = guest_in_state(&mut c, "Running");
    let vif = c.ok("VM.get_VIFs", &[s(&running)]).as_array().unwrap()[0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        c.ok("VIF.get_currently_attached", &[s(&vif)]).as_bool(),
        Some(true)
    );
    assert_eq!(
        c.fail("VIF.plug", &[s(&vif)]),
        ["DEVICE_ALREADY_ATTACHED", vif.as_str()]
    );
    c.ok("VIF.unplug", &[s(&vif)]);
    c.ok("VIF.plug", &[s(&vif)]);
    let halted = guest_in_state(&mut c, "Halted");
    let vif = c.ok("VM.get_VIFs", &[s(&halted)]).as_array().unwrap()[0].clone();
    assert_eq!(
        c.fail("VIF.plug", &[vif]),
        ["VM_BAD_POWER_STATE", halted.as_str(), "running", "halted"]
    );
}

#[test]
fn custom_messages_check_the_power_state() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Running");
    c.ok("VM.send_sysrq", &[s(&vm), s("b")]);
    let halted = guest_in_state(&mut c, "Halted");
    assert_eq!(
        c.fail("VM.send_sysrq", &[s(&halted), s("b")]),
        ["VM_BAD_POWER_STATE", halted.as_str(), "running", "halted"]
    );
}

#[test]
fn json_rpc_echoes_the_id_in_the_requests_version() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let v2 = br#"{"jsonrpc":"2.0","method":"session.login_with_password","params":["root","xenroot"],"id":"abc"}"#;
    let r = conn.request("/jsonrpc", v2, "").unwrap();
    let j: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(j["jsonrpc"], "2.0");
    assert_eq!(j["id"], "abc");
    assert!(j["result"].as_str().unwrap().starts_with("OpaqueRef:"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v1 = br#"{"method":"session.login_with_password","params":["root","bad"],"id":17}"#;
    let r = conn.request("/jsonrpc", v1, "").unwrap();
    let j: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(j.get("jsonrpc").is_none());
    assert_eq!(j["id"], 17);
    assert_eq!(j["error"][0], "SESSION_AUTHENTICATION_FAILED");
    let bad = br#"{"jsonrpc":"2.0","method":"VM.get_all","params":["OpaqueRef:x"],"id":3}"#;
    let r = conn.request("/jsonrpc", bad, "").unwrap();
    let j: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(j["error"]["message"], "SESSION_INVALID");
    assert_eq!(j["error"]["data"][0], "OpaqueRef:x");
}

#[test]
fn xml_rpc_is_also_served_on_rpc2_and_keeps_the_connection() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let body = xenapi::wire::encode_call(
        WireFormat::XmlRpc,
        "session.login_with_password",
        None,
        &[s("root"), s("xenroot")],
        1,
    )
    .unwrap();
    for path in ["/RPC2", "/", "/RPC2"] {
        let r = conn.request(path, &body, "").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
    let r = conn.request("/", &body, "Connection: close\r\n").unwrap();
    assert_eq!(r.header("connection"), Some("close"));
}

#[test]
fn sessions_expire_after_the_session_timeout_of_inactivity() {
    use std::time::Duration;
    let sim = xapi_sim::Simulator::builder()
        .vms(2)
        .hosts(1)
        .session_timeout(Some(Duration::from_millis(400)))
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    // Use keeps it alive past the timeout.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(150));
        c.ok("VM.get_all", &[]);
    }
    std::thread::sleep(Duration::from_millis(700));
    let session = c.session.clone();
    assert_eq!(
        c.fail("VM.get_all", &[]),
        ["SESSION_INVALID", session.as_str()]
    );
    // Gone for good, as xapi destroys it; a new login works.
    assert_eq!(
        c.fail("VM.get_all", &[]),
        ["SESSION_INVALID", session.as_str()]
    );
    let mut d = xml_client(&sim);
    d.ok("VM.get_all", &[]);
    assert_eq!(
        d.fail("session.get_uuid", &[s(&session)]),
        ["HANDLE_INVALID", "session", session.as_str()]
    );
}
