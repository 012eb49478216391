//! The explicit messages real programs call, through real sockets: their effects on the pool
//! and xapi's errors for wrong states.

mod common;

use common::*;
use xenapi::Value;

fn smap(entries: &[(&str, &str)]) -> Value {
    Value::Struct(entries.iter().map(|(k, v)| (k.to_string(), s(v))).collect())
}

fn int(c: &mut Client, method: &str, r: &str) -> i64 {
    c.ok(method, &[s(r)]).as_i64().unwrap()
}

/// The first element of `method`'s set result.
fn first(c: &mut Client, method: &str, params: &[Value]) -> String {
    c.ok(method, params)
        .index(0)
        .unwrap()
        .as_str()
        .unwrap()
        .to_string()
}

fn hosts(c: &mut Client) -> Vec<String> {
    c.ok("host.get_all", &[])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn blobs_are_created_and_attached_to_their_owner() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let b = c.str("blob.create", &[s("text/plain")]);
    assert_eq!(c.str("blob.get_mime_type", &[s(&b)]), "text/plain");
    assert_eq!(c.ok("blob.get_public", &[s(&b)]).as_bool(), Some(false));
    let vm = guest_in_state(&mut c, "Halted");
    let nb = c.str(
        "VM.create_new_blob",
        &[s(&vm), s("notes"), s("text/plain"), Value::Bool(true)],
    );
    let blobs = c.ok("VM.get_blobs", &[s(&vm)]);
    assert_eq!(
        blobs.get("notes").and_then(Value::as_str),
        Some(nb.as_str())
    );
    assert_eq!(c.str("blob.get_name_label", &[s(&nb)]), "notes");
    assert_eq!(c.ok("blob.get_public", &[s(&nb)]).as_bool(), Some(true));
    let f = c.fail("VM.create_new_blob", &[s(&vm), s("notes"), s("text/plain")]);
    assert_eq!(f[0], "MAP_DUPLICATE_KEY");
    c.ok("blob.destroy", &[s(&b)]);
    assert_eq!(c.fail("blob.get_mime_type", &[s(&b)])[0], "HANDLE_INVALID");
}

#[test]
fn free_memory_accounts_for_resident_vms() {
    let sim = xapi_sim::Simulator::builder()
        .vms(6)
        .hosts(1)
        .metrics_interval(None)
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let host = hosts(&mut c)[0].clone();
    let before = int(&mut c, "host.compute_free_memory", &host);
    let metrics = c.str("host.get_metrics", &[s(&host)]);
    let total = int(&mut c, "host_metrics.get_memory_total", &metrics);
    assert!(before > 0 && before < total);
    let vm = guest_in_state(&mut c, "Halted");
    let need =
        int(&mut c, "VM.get_memory_target", &vm) + int(&mut c, "VM.get_memory_overhead", &vm);
    c.ok(
        "VM.start",
        &[s(&vm), Value::Bool(false), Value::Bool(false)],
    );
    assert_eq!(
        int(&mut c, "host.compute_free_memory", &host),
        before - need
    );
    assert_eq!(
        int(&mut c, "host.compute_memory_overhead", &host),
        int(&mut c, "host.get_memory_overhead", &host)
    );
}

#[test]
fn messages_are_created_listed_since_a_time_and_destroyed() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let uuid = c.str("VM.get_uuid", &[s(&vm)]);
    let m = c.str(
        "message.create",
        &[s("VM_STARTED"), Value::Int(3), s("VM"), s(&uuid), s("body")],
    );
    let since = c.ok("message.get_since", &[s("20000101T00:00:00Z")]);
    let rec = since.get(&m).expect("the new message");
    assert_eq!(rec.get("name").and_then(Value::as_str), Some("VM_STARTED"));
    assert_eq!(
        rec.get("obj_uuid").and_then(Value::as_str),
        Some(uuid.as_str())
    );
    let later = c.ok("message.get_since", &[s("29990101T00:00:00Z")]);
    assert!(later.as_struct().unwrap().is_empty());
    let about = c.ok("message.get", &[s("VM"), s(&uuid), s("20000101T00:00:00Z")]);
    assert_eq!(about.as_struct().unwrap().len(), 1);
    let f = c.fail(
        "message.create",
        &[s("X"), Value::Int(1), s("VM"), s("no-such-uuid"), s("")],
    );
    assert_eq!(f[0], "UUID_INVALID");
    let f = c.fail(
        "message.destroy_many",
        &[Value::Array(vec![s(&m), s("OpaqueRef:x")])],
    );
    assert_eq!(f[0], "HANDLE_INVALID");
    c.ok("message.destroy_many", &[Value::Array(vec![s(&m)])]);
    assert!(c.ok("message.get_all", &[]).as_array().unwrap().is_empty());
}

#[test]
fn data_sources_of_a_running_vm() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Running");
    let list = c.ok("VM.get_data_sources", &[s(&vm)]);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d.get("name_label").and_then(Value::as_str))
        .collect();
    assert!(
        names.contains(&"cpu0") && names.contains(&"memory"),
        "{names:?}"
    );
    let target = int(&mut c, "VM.get_memory_target", &vm);
    let memory = c.ok("VM.query_data_source", &[s(&vm), s("memory")]);
    assert_eq!(memory.as_f64(), Some(target as f64));
    let cpu = c
        .ok("VM.query_data_source", &[s(&vm), s("cpu0")])
        .as_f64()
        .unwrap();
    assert!((0.0..=1.0).contains(&cpu));
    let f = c.fail("VM.query_data_source", &[s(&vm), s("nope")]);
    assert_eq!(f, ["INVALID_VALUE", "data_source", "nope"]);
    let halted = guest_in_state(&mut c, "Halted");
    assert!(c
        .ok("VM.get_data_sources", &[s(&halted)])
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        c.fail("VM.query_data_source", &[s(&halted), s("memory")])[0],
        "VM_BAD_POWER_STATE"
    );
    let host = hosts(&mut c)[0].clone();
    c.ok("host.query_data_source", &[s(&host), s("cpu_avg")]);
}

#[test]
fn revert_restores_the_snapshot_configuration() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    c.ok("VM.set_name_description", &[s(&vm), s("before")]);
    let vbds_before = c.ok("VM.get_VBDs", &[s(&vm)]).as_array().unwrap().len();
    let snap = c.str("VM.snapshot", &[s(&vm), s("snap")]);
    c.ok("VM.set_name_description", &[s(&vm), s("after")]);
    c.ok("VM.set_VCPUs_max", &[s(&vm), Value::Int(7)]);
    c.ok(
        "VM.start",
        &[s(&vm), Value::Bool(false), Value::Bool(false)],
    );
    c.ok("VM.revert", &[s(&snap)]);
    assert_eq!(c.str("VM.get_name_description", &[s(&vm)]), "before");
    assert_ne!(int(&mut c, "VM.get_VCPUs_max", &vm), 7);
    assert_eq!(c.str("VM.get_power_state", &[s(&vm)]), "Halted");
    assert_ne!(
        c.str("VM.get_name_label", &[s(&vm)]),
        "snap",
        "the name stays"
    );
    assert_eq!(
        c.ok("VM.get_VBDs", &[s(&vm)]).as_array().unwrap().len(),
        vbds_before
    );
    assert_eq!(c.fail("VM.revert", &[s(&vm)])[0], "VM_REVERT_FAILED");
}

#[test]
fn vm_import_fetches_an_export_url() {
    let source = sim();
    let mut src = xml_client(&source);
    let vm = guest_in_state(&mut src, "Running");
    let name = src.str("VM.get_name_label", &[s(&vm)]);
    let url = format!(
        "http://{}/export?session_id={}&ref={vm}",
        addr(&source),
        src.session
    );
    let target = sim();
    let mut c = xml_client(&target);
    let sr = first(&mut c, "SR.get_all", &[]);
    let no = Value::Bool(false);
    let vms = c.ok("VM.import", &[s(&url), s(&sr), no.clone(), no.clone()]);
    let new_vm = vms.index(0).unwrap().as_str().unwrap().to_string();
    assert_eq!(c.str("VM.get_name_label", &[s(&new_vm)]), name);
    assert_eq!(c.str("VM.get_power_state", &[s(&new_vm)]), "Halted");
    let bad =
        |c: &mut Client, url: &str| c.fail("VM.import", &[s(url), s(&sr), no.clone(), no.clone()]);
    assert_eq!(bad(&mut c, "ftp://x/y")[0], "IMPORT_ERROR");
    assert_eq!(bad(&mut c, "http://127.0.0.1:1/export")[0], "IMPORT_ERROR");
    let wrong_session = url.replace(&src.session, "OpaqueRef:nope");
    let f = bad(&mut c, &wrong_session);
    assert!(f[1].contains("HTTP 401"), "{f:?}");
    assert_eq!(
        c.fail("VM.import", &[s(&url), s("OpaqueRef:x"), no.clone(), no])[0],
        "HANDLE_INVALID"
    );
}

#[test]
fn migrate_send_moves_the_vm_and_its_disks() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Running");
    let from = c.str("VM.get_resident_on", &[s(&vm)]);
    let to = hosts(&mut c).into_iter().find(|h| *h != from).unwrap();
    let network = first(&mut c, "network.get_all", &[]);
    let dest = c.ok("host.migrate_receive", &[s(&to), s(&network), smap(&[])]);
    assert_eq!(dest.get("host").and_then(Value::as_str), Some(to.as_str()));
    let vbd = first(&mut c, "VM.get_VBDs", &[s(&vm)]);
    let vdi = c.str("VBD.get_VDI", &[s(&vbd)]);
    let sr = c.str("VDI.get_SR", &[s(&vdi)]);
    let other_sr = c
        .ok("SR.get_all", &[])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .find(|x| *x != sr)
        .unwrap();
    let vdi_map = Value::Struct([(vdi.clone(), s(&other_sr))].into_iter().collect());
    let empty = smap(&[]);
    let args = [
        s(&vm),
        dest.clone(),
        Value::Bool(true),
        vdi_map,
        empty.clone(),
        empty.clone(),
    ];
    c.ok("VM.assert_can_migrate", &args);
    assert_eq!(
        c.str("VM.get_resident_on", &[s(&vm)]),
        from,
        "assert_can_migrate moves nothing"
    );
    assert_eq!(c.str("VM.migrate_send", &args), vm);
    assert_eq!(c.str("VM.get_resident_on", &[s(&vm)]), to);
    assert_eq!(c.str("VDI.get_SR", &[s(&vdi)]), other_sr);
    let f = c.fail(
        "VM.migrate_send",
        &[
            s(&vm),
            empty.clone(),
            Value::Bool(true),
            empty.clone(),
            empty.clone(),
            empty,
        ],
    );
    assert_eq!(f[0], "VM_MIGRATE_CONTACT_REMOTE_SERVICE_FAILED");
}

#[test]
fn evacuate_moves_running_guests_to_other_hosts() {
    let sim = xapi_sim::Simulator::builder()
        .vms(12)
        .hosts(3)
        .metrics_interval(None)
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Running");
    let host = c.str("VM.get_resident_on", &[s(&vm)]);
    c.ok("host.assert_can_evacuate", &[s(&host)]);
    assert!(c
        .ok("host.get_vms_which_prevent_evacuation", &[s(&host)])
        .as_struct()
        .unwrap()
        .is_empty());
    c.ok("host.disable", &[s(&host)]);
    c.ok("host.evacuate", &[s(&host)]);
    let left: Vec<String> = c
        .ok("host.get_resident_VMs", &[s(&host)])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .filter(|r| c.ok("VM.get_is_control_domain", &[s(r)]).as_bool() == Some(false))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_ne!(c.str("VM.get_resident_on", &[s(&vm)]), host);
    // With the host empty of guests it may shut down; a lone host cannot be evacuated.
    c.ok("host.shutdown", &[s(&host)]);
    let lone = xapi_sim::Simulator::builder()
        .vms(6)
        .hosts(1)
        .start()
        .unwrap();
    let mut c = xml_client(&lone);
    let h = hosts(&mut c)[0].clone();
    assert_eq!(c.fail("host.evacuate", &[s(&h)]), ["NO_HOSTS_AVAILABLE"]);
    assert_eq!(c.fail("host.shutdown", &[s(&h)]), ["HOST_NOT_DISABLED"]);
}

#[test]
fn license_state_and_editions() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let pool = first(&mut c, "pool.get_all", &[]);
    let state = c.ok("pool.get_license_state", &[s(&pool)]);
    assert_eq!(state.get("edition").and_then(Value::as_str), Some("free"));
    assert!(state.get("expiry").and_then(Value::as_str).is_some());
    let h = hosts(&mut c)[0].clone();
    c.ok(
        "host.apply_edition",
        &[s(&h), s("enterprise-per-socket"), Value::Bool(false)],
    );
    assert_eq!(c.str("host.get_edition", &[s(&h)]), "enterprise-per-socket");
    let state = c.ok("pool.get_license_state", &[s(&pool)]);
    assert_eq!(
        state.get("edition").and_then(Value::as_str),
        Some("free"),
        "the lowest"
    );
    c.ok(
        "pool.apply_edition",
        &[s(&pool), s("enterprise-per-socket")],
    );
    let state = c.ok("pool.get_license_state", &[s(&pool)]);
    assert_eq!(
        state.get("edition").and_then(Value::as_str),
        Some("enterprise-per-socket")
    );
    assert_eq!(
        c.fail("pool.apply_edition", &[s(&pool), s("gold")]),
        ["INVALID_EDITION", "gold"]
    );
}

#[test]
fn host_plugins() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let h = hosts(&mut c)[0].clone();
    let out = c.str(
        "host.call_plugin",
        &[s(&h), s("echo"), s("main"), smap(&[("a", "1"), ("b", "x")])],
    );
    assert_eq!(out, r#"{"a":"1","b":"x"}"#);
    assert_eq!(
        c.fail(
            "host.call_plugin",
            &[s(&h), s("nope.py"), s("main"), smap(&[])]
        ),
        ["XENAPI_MISSING_PLUGIN", "nope.py"]
    );
}

#[test]
fn pool_join_logs_in_to_the_master_then_the_joiner_is_a_member() {
    let master = sim();
    let joiner = xapi_sim::Simulator::builder()
        .vms(0)
        .hosts(1)
        .member(false)
        .start()
        .unwrap();
    let mut c = xml_client(&joiner);
    let at = addr(&master);
    let f = c.fail("pool.join", &[s(&at), s("root"), s("wrong")]);
    assert_eq!(f[0], "SESSION_AUTHENTICATION_FAILED");
    let f = c.fail("pool.join", &[s("127.0.0.1:1"), s("root"), s("xenroot")]);
    assert_eq!(f, ["JOINING_HOST_CONNECTION_FAILED"]);
    c.ok("pool.join", &[s(&at), s("root"), s("xenroot")]);
    // The session it had still works; new logins are sent to the master.
    c.ok("VM.get_all", &[]);
    let mut conn = Conn::tcp(&addr(&joiner));
    let f = conn
        .call(
            xenapi::wire::WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot")],
        )
        .unwrap_err();
    assert_eq!(f.code, "HOST_IS_SLAVE");
    assert_eq!(f.params, std::slice::from_ref(&at));
    // A pool of several hosts cannot join another.
    let mut m = xml_client(&master);
    let f = m.fail("pool.join", &[s(&at), s("root"), s("xenroot")]);
    assert_eq!(f, ["JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS"]);
}

#[test]
fn inferred_effects_change_the_pool() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let h = hosts(&mut c)[0].clone();
    c.ok("host.enable_ssh", &[s(&h)]);
    assert_eq!(c.ok("host.get_ssh_enabled", &[s(&h)]).as_bool(), Some(true));
    c.ok("host.disable_ssh", &[s(&h)]);
    assert_eq!(
        c.ok("host.get_ssh_enabled", &[s(&h)]).as_bool(),
        Some(false)
    );
    let sr = c.str(
        "SR.introduce",
        &[
            s("9d1f3f6e-0000-4000-8000-000000000001"),
            s("nfs"),
            s("d"),
            s("nfs"),
            s("user"),
            Value::Bool(true),
            smap(&[]),
        ],
    );
    assert_eq!(c.str("SR.get_name_label", &[s(&sr)]), "nfs");
    assert_eq!(c.ok("SR.get_shared", &[s(&sr)]).as_bool(), Some(true));
    assert_eq!(
        c.str(
            "SR.get_by_uuid",
            &[s("9d1f3f6e-0000-4000-8000-000000000001")]
        ),
        sr
    );
    c.ok("SR.forget", &[s(&sr)]);
    assert_eq!(c.fail("SR.get_name_label", &[s(&sr)])[0], "HANDLE_INVALID");
    assert_eq!(
        c.fail("SR.forget", &[s("OpaqueRef:nope")])[0],
        "HANDLE_INVALID"
    );
    assert_eq!(c.str("host.get_management_interface", &[s(&h)]), {
        let pifs = c.ok("host.get_PIFs", &[s(&h)]);
        pifs.as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .find(|p| c.ok("PIF.get_management", &[s(p)]).as_bool() == Some(true))
            .unwrap()
    });
}

#[test]
fn declared_field_changes() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let pool = first(&mut c, "pool.get_all", &[]);
    assert_eq!(c.fail("pool.disable_ha", &[]), ["HA_NOT_ENABLED"]);
    c.ok(
        "pool.enable_ha",
        &[Value::Array(vec![]), smap(&[("timeout", "60")])],
    );
    assert_eq!(
        c.ok("pool.get_ha_enabled", &[s(&pool)]).as_bool(),
        Some(true)
    );
    let conf = c.ok("pool.get_ha_configuration", &[s(&pool)]);
    assert_eq!(conf.get("timeout").and_then(Value::as_str), Some("60"));
    assert_eq!(
        c.fail("pool.enable_ha", &[Value::Array(vec![]), smap(&[])]),
        ["HA_IS_ENABLED"]
    );
    c.ok("pool.disable_ha", &[]);
    assert_eq!(
        c.ok("pool.get_ha_enabled", &[s(&pool)]).as_bool(),
        Some(false)
    );

    let h = hosts(&mut c)[0].clone();
    let pif = first(&mut c, "host.get_PIFs", &[s(&h)]);
    c.ok(
        "PIF.reconfigure_ip",
        &[
            s(&pif),
            s("Static"),
            s("10.0.0.5"),
            s("255.255.255.0"),
            s("10.0.0.1"),
            s("10.0.0.2"),
        ],
    );
    assert_eq!(c.str("PIF.get_IP", &[s(&pif)]), "10.0.0.5");
    assert_eq!(c.str("PIF.get_ip_configuration_mode", &[s(&pif)]), "Static");
    c.ok("PIF.set_property", &[s(&pif), s("gro"), s("off")]);
    let props = c.ok("PIF.get_properties", &[s(&pif)]);
    assert_eq!(props.get("gro").and_then(Value::as_str), Some("off"));

    let vm = guest_in_state(&mut c, "Halted");
    let vif = first(&mut c, "VM.get_VIFs", &[s(&vm)]);
    let net = c
        .ok("network.get_all", &[])
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .as_str()
        .unwrap()
        .to_string();
    c.ok("VIF.move", &[s(&vif), s(&net)]);
    assert_eq!(c.str("VIF.get_network", &[s(&vif)]), net);
    c.ok(
        "VIF.configure_ipv4",
        &[s(&vif), s("Static"), s("192.168.1.9/24"), s("192.168.1.1")],
    );
    let addrs = c.ok("VIF.get_ipv4_addresses", &[s(&vif)]);
    assert_eq!(
        addrs.index(0).and_then(Value::as_str),
        Some("192.168.1.9/24")
    );
    // Optional arguments left off change nothing.
    c.ok("VIF.configure_ipv4", &[s(&vif), s("DHCP")]);
    assert_eq!(c.str("VIF.get_ipv4_gateway", &[s(&vif)]), "192.168.1.1");
    assert_eq!(c.str("VIF.get_ipv4_configuration_mode", &[s(&vif)]), "DHCP");

    let display = c.str("host.disable_display", &[s(&h)]);
    assert_eq!(display, "disable_on_reboot");
    assert_eq!(c.str("host.get_display", &[s(&h)]), display);
    let methods = c.ok("host.list_methods", &[]);
    assert!(methods
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m.as_str() == Some("VM.start")));
}

#[test]
fn vlans_and_bonds_make_their_interfaces() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let net = c.str("network.create", &[smap(&[("name_label", "vlan 42")])]);
    let pifs_before = c.ok("PIF.get_all", &[]).as_array().unwrap().len();
    let made = c.ok("pool.create_VLAN", &[s("eth0"), s(&net), Value::Int(42)]);
    let made = made.as_array().unwrap();
    assert_eq!(made.len(), 2, "one per host");
    assert_eq!(
        c.ok("PIF.get_all", &[]).as_array().unwrap().len(),
        pifs_before + 2
    );
    let p = made[0].as_str().unwrap();
    assert_eq!(c.ok("PIF.get_VLAN", &[s(p)]).as_i64(), Some(42));
    assert_eq!(c.str("PIF.get_network", &[s(p)]), net);
    let vlan = c.str("PIF.get_VLAN_master_of", &[s(p)]);
    assert_eq!(c.ok("VLAN.get_tag", &[s(&vlan)]).as_i64(), Some(42));
    let tagged = c.str("VLAN.get_tagged_PIF", &[s(&vlan)]);
    assert_eq!(
        c.fail("VLAN.create", &[s(&tagged), Value::Int(42), s(&net)])[0],
        "PIF_VLAN_EXISTS"
    );
    assert_eq!(
        c.fail("VLAN.create", &[s(&tagged), Value::Int(5000), s(&net)])[0],
        "VLAN_TAG_INVALID"
    );
    assert_eq!(
        c.fail("VLAN.create", &[s(p), Value::Int(7), s(&net)])[0],
        "PIF_IS_VLAN"
    );

    let h = hosts(&mut c)[0].clone();
    let physical: Vec<String> = c
        .ok("host.get_PIFs", &[s(&h)])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .filter(|p| c.ok("PIF.get_physical", &[s(p)]).as_bool() == Some(true))
        .collect();
    let members = Value::Array(physical.iter().take(2).map(|p| s(p)).collect());
    assert_eq!(physical.len(), 2, "eth0 and eth1");
    {
        let bond_net = c.str("network.create", &[smap(&[("name_label", "bond")])]);
        let bond = c.str("Bond.create", &[s(&bond_net), members.clone(), s("")]);
        let master = c.str("Bond.get_master", &[s(&bond)]);
        assert_eq!(c.str("PIF.get_network", &[s(&master)]), bond_net);
        assert_eq!(
            c.ok("Bond.get_slaves", &[s(&bond)])
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(c.str("PIF.get_bond_slave_of", &[s(&physical[0])]), bond);
        assert_eq!(
            c.fail("Bond.create", &[s(&bond_net), members, s("")])[0],
            "PIF_ALREADY_BONDED"
        );
    }
    assert_eq!(
        c.fail(
            "Bond.create",
            &[s(&net), Value::Array(vec![s(&physical[0])]), s("")]
        ),
        ["PIF_BOND_NEEDS_MORE_MEMBERS"]
    );
    let sriov_net = c.str("network.create", &[smap(&[("name_label", "sriov")])]);
    let h2 = hosts(&mut c)[1].clone();
    let nic = c
        .ok("host.get_PIFs", &[s(&h2)])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .find(|p| c.ok("PIF.get_physical", &[s(p)]).as_bool() == Some(true))
        .unwrap();
    let sriov = c.str("network_sriov.create", &[s(&nic), s(&sriov_net)]);
    let logical = c.str("network_sriov.get_logical_PIF", &[s(&sriov)]);
    assert_eq!(c.str("PIF.get_network", &[s(&logical)]), sriov_net);
    assert_eq!(c.str("PIF.get_host", &[s(&logical)]), h2);
    let f = c.fail("network_sriov.create", &[s(&logical), s(&sriov_net)]);
    assert_eq!(f[0], "NETWORK_SRIOV_ENABLE_FAILED");
}

fn http(conn: &mut Conn, head: &str, body: &[u8]) -> Response {
    use std::io::Write as _;
    let w = conn.raw();
    w.write_all(head.as_bytes()).unwrap();
    w.write_all(body).unwrap();
    w.flush().unwrap();
    conn.read_response().unwrap()
}

#[test]
fn export_then_import_over_http_makes_a_copy() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let name = c.str("VM.get_name_label", &[s(&vm)]);
    let vcpus = c.ok("VM.get_VCPUs_max", &[s(&vm)]).as_i64();
    let task = c.str("task.create", &[s("export"), s("")]);
    let mut conn = Conn::tcp(&addr(&sim));
    let r = http(
        &mut conn,
        &format!(
            "GET /export?session_id={}&ref={vm}&task_id={task} HTTP/1.1\r\nHost: x\r\n\r\n",
            c.session
        ),
        b"",
    );
    assert_eq!(r.status, 200);
    let archive = r.body;
    assert_eq!(archive.len() % 512, 0);
    assert_eq!(&archive[..7], b"ova.xml");
    assert_eq!(c.str("task.get_status", &[s(&task)]), "success");
    // A bad session is refused.
    let r = http(
        &mut Conn::tcp(&addr(&sim)),
        &format!("GET /export?session_id=OpaqueRef:no&ref={vm} HTTP/1.1\r\nHost: x\r\n\r\n"),
        b"",
    );
    assert_eq!(r.status, 401);

    let before = c.ok("VM.get_all", &[]).as_array().unwrap().len();
    let task = c.str("task.create", &[s("import"), s("")]);
    let r = http(
        &mut conn,
        &format!(
            "PUT /import?session_id={}&task_id={task} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            c.session,
            archive.len()
        ),
        &archive,
    );
    assert_eq!(
        r.status,
        200,
        "{:?}",
        c.ok("task.get_error_info", &[s(&task)])
    );
    assert_eq!(c.str("task.get_status", &[s(&task)]), "success");
    let result = c.str("task.get_result", &[s(&task)]);
    let new_vm = result
        .split("<value>")
        .filter_map(|p| p.split("</value>").next())
        .find(|p| p.starts_with("OpaqueRef:"))
        .expect("the new VM in the task result")
        .to_string();
    assert_ne!(new_vm, vm);
    assert_eq!(
        c.ok("VM.get_all", &[]).as_array().unwrap().len(),
        before + 1
    );
    assert_eq!(c.str("VM.get_name_label", &[s(&new_vm)]), name);
    assert_eq!(c.ok("VM.get_VCPUs_max", &[s(&new_vm)]).as_i64(), vcpus);
    assert_eq!(c.str("VM.get_power_state", &[s(&new_vm)]), "Halted");

    // Not an archive: the task says why.
    let task = c.str("task.create", &[s("import"), s("")]);
    let r = http(
        &mut Conn::tcp(&addr(&sim)),
        &format!(
            "PUT /import?session_id={}&task_id={task} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
            c.session
        ),
        b"hello",
    );
    assert_eq!(r.status, 500);
    assert_eq!(c.str("task.get_status", &[s(&task)]), "failure");
    let info = c.ok("task.get_error_info", &[s(&task)]);
    assert_eq!(info.index(0).and_then(Value::as_str), Some("IMPORT_ERROR"));
}

#[test]
fn sr_create_connects_the_hosts() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let h = hosts(&mut c)[0].clone();
    let args = |ty: &str, shared: bool| {
        vec![
            s(&h),
            smap(&[("server", "nfs.example"), ("serverpath", "/srv")]),
            Value::Int(1 << 40),
            s("nfs store"),
            s("d"),
            s(ty),
            s("user"),
            Value::Bool(shared),
            smap(&[]),
        ]
    };
    let sr = c.str("SR.create", &args("nfs", true));
    assert_eq!(c.str("SR.get_name_label", &[s(&sr)]), "nfs store");
    assert_eq!(
        c.ok("SR.get_physical_size", &[s(&sr)]).as_i64(),
        Some(1 << 40)
    );
    let pbds = c.ok("SR.get_PBDs", &[s(&sr)]);
    assert_eq!(pbds.as_array().unwrap().len(), 2, "shared: on both hosts");
    let pbd = pbds.index(0).unwrap().as_str().unwrap().to_string();
    assert_eq!(
        c.ok("PBD.get_currently_attached", &[s(&pbd)]).as_bool(),
        Some(true)
    );
    let conf = c.ok("PBD.get_device_config", &[s(&pbd)]);
    assert_eq!(
        conf.get("server").and_then(Value::as_str),
        Some("nfs.example")
    );
    let local = c.str("SR.create", &args("ext", false));
    assert_eq!(
        c.ok("SR.get_PBDs", &[s(&local)]).as_array().unwrap().len(),
        1
    );
    assert_eq!(
        c.fail("SR.create", &args("zfs-magic", false)),
        ["SR_UNKNOWN_DRIVER", "zfs-magic"]
    );
    let uuid = c.str("SR.make", &args("nfs", false)[..7]);
    assert!(c
        .str("SR.get_by_uuid", &[s(&uuid)])
        .starts_with("OpaqueRef:"));
    assert!(c
        .str("SR.probe", &[s(&h), smap(&[]), s("nfs"), smap(&[])])
        .contains("<SRlist/>"));
}
