//! xend mode over real sockets: xend's API 1.0 as xend served it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use xenapi::wire::WireFormat;
use xenapi::Value;

fn xend_sim() -> xapi_sim::RunningSimulator {
    xapi_sim::Simulator::builder()
        .xend()
        .vms(6)
        .seed(5)
        .task_duration(Duration::from_millis(250))
        .metrics_interval(None)
        .start()
        .expect("start a xend")
}

/// Logs in with xend's two parameters.
fn login(conn: Conn) -> Client {
    Client::login_with(conn, WireFormat::XmlRpc, &[s("root"), s("xenroot")])
}

fn client(sim: &xapi_sim::RunningSimulator) -> Client {
    login(Conn::tcp(&addr(sim)))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn field(rec: &Value, name: &str) -> Value {
    rec.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no field {name}"))
}

/// A halted guest (not a template, not Domain-0).
fn halted_guest(c: &mut Client) -> String {
    for vm in strs(&c.ok("VM.get_all", &[])) {
        let rec = c.ok("VM.get_record", &[s(&vm)]);
        if field(&rec, "power_state").as_str() == Some("Halted")
            && field(&rec, "is_a_template").as_bool() == Some(false)
            && field(&rec, "is_control_domain").as_bool() == Some(false)
        {
            return vm;
        }
    }
    panic!("no halted guest");
}

#[test]
fn login_takes_two_parameters_and_sessions_are_uuids() {
    let sim = xend_sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot"), s("1.0")],
        )
        .unwrap_err();
    assert_eq!(f.code, "MESSAGE_PARAMETER_COUNT_MISMATCH");
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("wrong")],
        )
        .unwrap_err();
    assert_eq!(f.code, "SESSION_AUTHENTICATION_FAILED");
    let mut c = login(conn);
    assert!(is_uuid(&c.session), "session id {}", c.session);
    let rec = c.ok("session.get_record", &[s(&c.session.clone())]);
    assert_eq!(field(&rec, "uuid").as_str(), Some(c.session.as_str()));
    assert_eq!(field(&rec, "this_user").as_str(), Some("root"));
    c.ok("session.logout", &[]);
    assert_eq!(c.fail("VM.get_all", &[])[0], "SESSION_INVALID");
}

#[test]
fn refs_are_uuids_and_domain_0_has_the_zero_uuid() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let hosts = strs(&c.ok("host.get_all", &[]));
    assert_eq!(hosts.len(), 1, "xend is one host");
    let vms = strs(&c.ok("VM.get_all", &[]));
    assert!(vms.len() > 6);
    for class in [
        "VM", "host", "VBD", "VIF", "VDI", "SR", "network", "host_cpu",
    ] {
        for r in strs(&c.ok(&format!("{class}.get_all"), &[])) {
            assert!(is_uuid(&r), "{class} ref {r}");
            assert_eq!(c.str(&format!("{class}.get_uuid"), &[s(&r)]), r);
            assert_eq!(c.str(&format!("{class}.get_by_uuid"), &[s(&r)]), r);
        }
    }
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert_eq!(c.str("VM.get_by_uuid", &[s(dom0)]), dom0);
    let rec = c.ok("VM.get_record", &[s(dom0)]);
    assert_eq!(field(&rec, "is_control_domain").as_bool(), Some(true));
    assert_eq!(field(&rec, "power_state").as_str(), Some("Running"));
    assert_eq!(field(&rec, "resident_on").as_str(), Some(hosts[0].as_str()));
    let host = c.ok("host.get_record", &[s(&hosts[0])]);
    assert_eq!(field(&host, "API_version_major").as_str(), Some("1"));
    assert_eq!(field(&host, "API_version_minor").as_str(), Some("0"));
    let version = field(&host, "software_version");
    assert!(version.get("xend").is_some(), "{version:?}");
    assert!(strs(&field(&host, "resident_VMs")).contains(&dom0.to_string()));
    // A made-up UUID is an invalid handle.
    let f = c.fail(
        "VM.get_record",
        &[s("12345678-1234-1234-1234-123456789abc")],
    );
    assert_eq!(f[0], "HANDLE_INVALID");
}

#[test]
fn records_carry_ints_as_strings_and_there_is_no_json_rpc() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let dom0 = "00000000-0000-0000-0000-000000000000";
    let body = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>VM.get_record</methodName><params>\
         <param><value><string>{}</string></value></param>\
         <param><value><string>{dom0}</string></value></param></params></methodCall>",
        c.session
    );
    let r = c.conn.request("/", body.as_bytes(), "").unwrap();
    let xml = String::from_utf8(r.body).unwrap();
    let member = |name: &str| {
        let at = xml.find(&format!("<name>{name}</name>")).unwrap();
        xml[at..].split("</value>").next().unwrap().to_string()
    };
    // `<value>0</value>`: a string to XML-RPC, as xend sent ints.
    assert!(member("domid").ends_with("<value>0"), "{}", member("domid"));
    assert!(!xml.contains("<i4>") && !xml.contains("<int>"), "{xml}");
    let mut conn = Conn::tcp(&addr(&sim));
    let r = conn
        .request(
            "/jsonrpc",
            br#"{"jsonrpc":"2.0","method":"VM.get_all","params":[],"id":1}"#,
            "",
        )
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(
        c.fail(
            "event.from",
            &[Value::Array(vec![]), s(""), Value::Float(0.0)]
        )[0],
        "MESSAGE_METHOD_UNKNOWN"
    );
}

#[test]
fn serves_https_and_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("xend-sim-{}.sock", std::process::id()));
    let sim = xapi_sim::Simulator::builder()
        .xend()
        .tls(true)
        .unix(&path)
        .metrics_interval(None)
        .start()
        .unwrap();
    assert!(sim.member_url().is_none(), "xend has no pool member");
    let tls = Conn::tls(&addr(&sim), "localhost", sim.certificate_der().unwrap()).unwrap();
    let mut c = login(tls);
    assert_eq!(strs(&c.ok("host.get_all", &[])).len(), 1);
    let mut u = login(Conn::unix(&path));
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert_eq!(u.str("VM.get_power_state", &[s(dom0)]), "Running");
    // xend checked credentials over TCP only.
    let mut conn = Conn::unix(&path);
    let session = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("alice"), s("anything")],
        )
        .expect("any login on the Unix socket");
    let this_user = conn
        .call(
            WireFormat::XmlRpc,
            "session.get_this_user",
            &[session.clone(), session],
        )
        .unwrap();
    assert_eq!(this_user.as_str(), Some("alice"));
    let f = c
        .conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("alice"), s("anything")],
        )
        .unwrap_err();
    assert_eq!(f.code, "SESSION_AUTHENTICATION_FAILED");
}

fn power(c: &mut Client, vm: &str) -> String {
    c.str("VM.get_power_state", &[s(vm)])
}

fn domid(c: &mut Client, vm: &str) -> i64 {
    c.str("VM.get_domid", &[s(vm)]).parse().unwrap()
}

#[test]
fn the_vm_lifecycle_with_xends_states_and_errors() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let vm = halted_guest(&mut c);
    assert_eq!(domid(&mut c, &vm), -1);
    let f = c.fail("VM.pause", &[s(&vm)]);
    assert_eq!(f, ["VM_BAD_POWER_STATE", &vm, "Running", "Halted"]);
    c.ok("VM.start", &[s(&vm), Value::Bool(true)]);
    assert_eq!(power(&mut c, &vm), "Paused");
    c.ok("VM.unpause", &[s(&vm)]);
    assert_eq!(power(&mut c, &vm), "Running");
    let first = domid(&mut c, &vm);
    assert!(first > 0);
    c.ok("VM.clean_reboot", &[s(&vm)]);
    assert!(domid(&mut c, &vm) > first, "a reboot makes a new domain");
    c.ok("VM.suspend", &[s(&vm)]);
    assert_eq!(power(&mut c, &vm), "Suspended");
    assert_eq!(domid(&mut c, &vm), -1);
    assert_eq!(
        c.fail("VM.start", &[s(&vm), Value::Bool(false)]),
        ["VM_BAD_POWER_STATE", &vm, "Halted", "Suspended"]
    );
    c.ok("VM.resume", &[s(&vm), Value::Bool(false)]);
    assert_eq!(power(&mut c, &vm), "Running");
    let vbds = strs(&c.ok("VM.get_VBDs", &[s(&vm)]));
    assert!(!vbds.is_empty());
    for vbd in &vbds {
        assert_eq!(
            c.ok("VBD.get_currently_attached", &[s(vbd)]),
            Value::Bool(true)
        );
    }
    assert_eq!(
        c.fail("VM.destroy", &[s(&vm)]),
        ["VM_BAD_POWER_STATE", &vm, "Halted", "Running"]
    );
    assert_eq!(
        c.fail("VM.clone", &[s(&vm), s("no")]),
        ["VM_BAD_POWER_STATE", &vm, "Halted", "Running"]
    );
    let host = strs(&c.ok("host.get_all", &[]))[0].clone();
    assert_eq!(c.str("VM.get_resident_on", &[s(&vm)]), host);
    c.ok("VM.clean_shutdown", &[s(&vm)]);
    assert_eq!(power(&mut c, &vm), "Halted");
    assert_eq!(c.str("VM.get_resident_on", &[s(&vm)]), "OpaqueRef:NULL");
    for vbd in &vbds {
        assert_eq!(
            c.ok("VBD.get_currently_attached", &[s(vbd)]),
            Value::Bool(false)
        );
    }
    c.ok("VM.destroy", &[s(&vm)]);
    assert_eq!(c.fail("VM.get_record", &[s(&vm)])[0], "HANDLE_INVALID");
    assert_eq!(
        c.fail("VBD.get_record", &[s(&vbds[0])])[0],
        "HANDLE_INVALID"
    );
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert_eq!(c.fail("VM.pause", &[s(dom0)])[0], "OPERATION_NOT_ALLOWED");
    assert_eq!(
        c.fail("VM.hard_shutdown", &[s(dom0)])[0],
        "OPERATION_NOT_ALLOWED"
    );
    let template = strs(&c.ok("VM.get_all", &[]))
        .into_iter()
        .find(|v| c.ok("VM.get_is_a_template", &[s(v)]) == Value::Bool(true))
        .expect("a template");
    assert_eq!(
        c.fail("VM.start", &[s(&template), Value::Bool(false)]),
        ["VM_IS_TEMPLATE", &template]
    );
}

#[test]
fn a_crashed_guest_follows_actions_after_crash() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let vm = halted_guest(&mut c);
    c.ok("VM.set_actions_after_crash", &[s(&vm), s("preserve")]);
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    let before = domid(&mut c, &vm);
    c.ok("VM.send_sysrq", &[s(&vm), s("c")]);
    assert_eq!(power(&mut c, &vm), "Crashed");
    assert_eq!(
        domid(&mut c, &vm),
        before,
        "a preserved crash keeps its domain"
    );
    assert_eq!(
        c.fail("VM.clean_shutdown", &[s(&vm)]),
        ["VM_BAD_POWER_STATE", &vm, "Running", "Crashed"]
    );
    c.ok("VM.hard_reboot", &[s(&vm)]);
    assert_eq!(power(&mut c, &vm), "Running");
    assert!(domid(&mut c, &vm) > before);
    c.ok("VM.send_sysrq", &[s(&vm), s("c")]);
    c.ok("VM.hard_shutdown", &[s(&vm)]);
    assert_eq!(power(&mut c, &vm), "Halted");

    // restart: the guest comes back at once, in a new domain.
    c.ok(
        "VM.set_actions_after_crash",
        &[s(&vm), s("coredump_and_restart")],
    );
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    let before = domid(&mut c, &vm);
    c.ok("VM.send_sysrq", &[s(&vm), s("c")]);
    assert_eq!(power(&mut c, &vm), "Running");
    assert!(domid(&mut c, &vm) > before);
    let dumps = strs(&c.ok("VM.get_crash_dumps", &[s(&vm)]));
    assert_eq!(dumps.len(), 1, "coredump_* leaves a crash dump");
    // destroy: it halts.
    c.ok("VM.set_actions_after_crash", &[s(&vm), s("destroy")]);
    c.ok("VM.send_sysrq", &[s(&vm), s("c")]);
    assert_eq!(power(&mut c, &vm), "Halted");
    // Other keys and triggers.
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    c.ok("VM.send_sysrq", &[s(&vm), s("s")]);
    c.ok("VM.send_trigger", &[s(&vm), s("nmi")]);
    assert_eq!(power(&mut c, &vm), "Running");
    c.ok("VM.send_trigger", &[s(&vm), s("power")]);
    assert_eq!(power(&mut c, &vm), "Halted");
    assert_eq!(
        c.fail("VM.send_sysrq", &[s(&vm), s("c")]),
        ["VM_BAD_POWER_STATE", &vm, "Running", "Halted"]
    );
}

#[test]
fn live_setters_and_migration() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let vm = halted_guest(&mut c);
    assert_eq!(
        c.fail("VM.set_VCPUs_number_live", &[s(&vm), s("1")])[0],
        "VM_BAD_POWER_STATE"
    );
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    let max: i64 = c.str("VM.get_VCPUs_max", &[s(&vm)]).parse().unwrap();
    c.ok("VM.set_VCPUs_number_live", &[s(&vm), s("1")]);
    assert_eq!(c.str("VM.get_VCPUs_at_startup", &[s(&vm)]), "1");
    let too_many = (max + 1).to_string();
    assert_eq!(
        c.fail("VM.set_VCPUs_number_live", &[s(&vm), s(&too_many)])[0],
        "VALUE_NOT_SUPPORTED"
    );
    c.ok(
        "VM.add_to_VCPUs_params_live",
        &[s(&vm), s("weight"), s("512")],
    );
    c.ok(
        "VM.add_to_VCPUs_params_live",
        &[s(&vm), s("weight"), s("256")],
    );
    let params = c.ok("VM.get_VCPUs_params", &[s(&vm)]);
    assert_eq!(params.get("weight").and_then(Value::as_str), Some("256"));
    let smin = c.str("VM.get_memory_static_min", &[s(&vm)]);
    c.ok("VM.set_memory_dynamic_max_live", &[s(&vm), s(&smin)]);
    assert_eq!(c.str("VM.get_memory_dynamic_max", &[s(&vm)]), smin);
    assert_eq!(
        c.fail("VM.set_memory_dynamic_min_live", &[s(&vm), s("1")])[0],
        "MEMORY_CONSTRAINT_VIOLATION"
    );
    // To this host: a new domain; elsewhere: the VM leaves this xend.
    let before = domid(&mut c, &vm);
    c.ok(
        "VM.migrate",
        &[
            s(&vm),
            s("localhost"),
            Value::Bool(true),
            Value::Struct(Default::default()),
        ],
    );
    assert_eq!(power(&mut c, &vm), "Running");
    assert!(domid(&mut c, &vm) > before);
    c.ok(
        "VM.migrate",
        &[
            s(&vm),
            s("10.0.0.9"),
            Value::Bool(true),
            Value::Struct(Default::default()),
        ],
    );
    assert_eq!(c.fail("VM.get_record", &[s(&vm)])[0], "HANDLE_INVALID");
}

/// Waits for a task to finish; returns its record.
fn wait_task(c: &mut Client, task: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rec = c.ok("task.get_record", &[s(task)]);
        if !matches!(
            field(&rec, "status").as_str(),
            Some("pending" | "cancelling")
        ) {
            return rec;
        }
        assert!(Instant::now() < deadline, "the task never finished");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn async_calls_run_as_tasks() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let vm = halted_guest(&mut c);
    let task = c.str("Async.VM.start", &[s(&vm), Value::Bool(false)]);
    assert!(is_uuid(&task));
    let pending = c.ok("task.get_record", &[s(&task)]);
    assert_eq!(field(&pending, "status").as_str(), Some("pending"));
    assert_eq!(
        field(&pending, "session").as_str(),
        Some(c.session.as_str())
    );
    assert_eq!(
        power(&mut c, &vm),
        "Halted",
        "nothing happens before the task runs"
    );
    let done = wait_task(&mut c, &task);
    assert_eq!(field(&done, "status").as_str(), Some("success"));
    assert_eq!(field(&done, "progress").as_str(), Some("100"));
    assert_eq!(field(&done, "result").as_str(), Some(""));
    assert_eq!(power(&mut c, &vm), "Running");
    // A result is the plain value: the clone's UUID.
    c.ok("VM.hard_shutdown", &[s(&vm)]);
    let task = c.str("Async.VM.clone", &[s(&vm), s("copy of it")]);
    let done = wait_task(&mut c, &task);
    let clone = field(&done, "result").as_str().unwrap().to_string();
    assert!(is_uuid(&clone), "{done:?}");
    assert_eq!(c.str("VM.get_name_label", &[s(&clone)]), "copy of it");
    // A failure lands in error_info.
    let task = c.str("Async.VM.unpause", &[s(&vm)]);
    let done = wait_task(&mut c, &task);
    assert_eq!(field(&done, "status").as_str(), Some("failure"));
    assert_eq!(
        strs(&field(&done, "error_info")),
        ["VM_BAD_POWER_STATE", &vm, "Paused", "Halted"]
    );
    // Cancelled while pending.
    let task = c.str("Async.VM.start", &[s(&vm), Value::Bool(false)]);
    c.ok("task.cancel", &[s(&task)]);
    assert_eq!(
        field(&wait_task(&mut c, &task), "status").as_str(),
        Some("cancelled")
    );
    assert_eq!(power(&mut c, &vm), "Halted");
    assert!(strs(&c.ok("task.get_all", &[])).len() >= 4);
    // Accessors and the session have no Async form.
    assert_eq!(c.fail("Async.VM.get_name_label", &[s(&vm)])[0], "Fault");
}

#[test]
fn events_have_xends_record() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let mut watcher = client(&sim);
    let vm = halted_guest(&mut c);
    assert_eq!(watcher.fail("event.next", &[])[0], "SESSION_NOT_REGISTERED");
    watcher.ok("event.register", &[Value::Array(vec![s("VM")])]);
    c.ok("VM.set_name_label", &[s(&vm), s("watched")]);
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while seen.len() < 2 && Instant::now() < deadline {
        let events = watcher.ok("event.next", &[]);
        seen.extend(events.as_array().unwrap().iter().cloned());
    }
    let mine: Vec<&Value> = seen
        .iter()
        .filter(|e| field(e, "ref").as_str() == Some(vm.as_str()))
        .collect();
    assert!(mine.len() >= 2, "{seen:?}");
    let e = mine[0];
    let mut keys: Vec<&str> = e.as_struct().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "class",
            "field",
            "id",
            "obj_uuid",
            "operation",
            "ref",
            "timestamp"
        ]
    );
    assert_eq!(field(e, "class").as_str(), Some("VM"));
    assert_eq!(field(e, "operation").as_str(), Some("mod"));
    assert_eq!(field(e, "obj_uuid").as_str(), Some(vm.as_str()));
    assert_eq!(field(e, "field").as_str(), Some("name_label"));
    assert_eq!(field(mine[1], "field").as_str(), Some("power_state"));
    let ids: Vec<i64> = seen
        .iter()
        .map(|e| field(e, "id").as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Only the registered classes; add and del have no field.
    let host = strs(&c.ok("host.get_all", &[]))[0].clone();
    c.ok("host.set_name_label", &[s(&host), s("not watched")]);
    c.ok("VM.hard_shutdown", &[s(&vm)]);
    let clone = c.str("VM.clone", &[s(&vm), s("new one")]);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !seen
        .iter()
        .any(|e: &Value| field(e, "operation").as_str() == Some("add"))
        && Instant::now() < deadline
    {
        seen.extend(
            watcher
                .ok("event.next", &[])
                .as_array()
                .unwrap()
                .iter()
                .cloned(),
        );
    }
    assert!(seen
        .iter()
        .all(|e| field(e, "class").as_str() == Some("VM")));
    let add = seen
        .iter()
        .find(|e| field(e, "operation").as_str() == Some("add"))
        .expect("an add event");
    assert_eq!(field(add, "ref").as_str(), Some(clone.as_str()));
    assert_eq!(field(add, "field").as_str(), Some(""));
    watcher.ok("event.unregister", &[Value::Array(vec![s("VM")])]);
    // An empty list registers for every class.
    watcher.ok("event.register", &[Value::Array(vec![])]);
    c.ok("host.set_name_label", &[s(&host), s("watched now")]);
    let events = watcher.ok("event.next", &[]);
    let e = &events.as_array().unwrap()[0];
    assert_eq!(field(e, "class").as_str(), Some("host"));
    assert_eq!(field(e, "field").as_str(), Some("name_label"));
    watcher.ok("event.unregister", &[Value::Array(vec![s("*")])]);
    assert_eq!(watcher.fail("event.next", &[])[0], "SESSION_NOT_REGISTERED");
}

fn pool_named(c: &mut Client, name: &str) -> String {
    strs(&c.ok("cpu_pool.get_by_name_label", &[s(name)]))
        .pop()
        .expect("a pool with that name")
}

#[test]
fn cpu_pools() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let pool0 = pool_named(&mut c, "Pool-0");
    let cpus = strs(&c.ok("host_cpu.get_all", &[]));
    let rec = c.ok("cpu_pool.get_record", &[s(&pool0)]);
    assert_eq!(field(&rec, "activated"), Value::Bool(true));
    assert_eq!(strs(&field(&rec, "host_CPUs")).len(), cpus.len());
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert!(strs(&field(&rec, "started_VMs")).contains(&dom0.to_string()));
    assert_eq!(
        strs(&c.ok("host_cpu.get_unassigned_cpus", &[])),
        Vec::<String>::new()
    );
    let host = strs(&c.ok("host.get_all", &[]))[0].clone();
    assert_eq!(
        strs(&c.ok("host.get_resident_cpu_pools", &[s(&host)])),
        [pool0.as_str()]
    );
    assert_eq!(
        c.fail("cpu_pool.deactivate", &[s(&pool0)])[0],
        "POOL_BAD_STATE"
    );

    let mut record = xenapi::Struct::new();
    record.insert("name_label".into(), s("batch"));
    record.insert("ncpu".into(), s("2"));
    record.insert("sched_policy".into(), s("credit"));
    let pool = c.str("cpu_pool.create", &[Value::Struct(record)]);
    assert!(is_uuid(&pool));
    assert_eq!(
        c.ok("cpu_pool.get_activated", &[s(&pool)]),
        Value::Bool(false)
    );
    assert_eq!(c.str("cpu_pool.get_resident_on", &[s(&pool)]), host);
    c.ok("cpu_pool.activate", &[s(&pool)]);
    let mine = strs(&c.ok("cpu_pool.get_host_CPUs", &[s(&pool)]));
    assert_eq!(mine.len(), 2);
    assert_eq!(
        strs(&c.ok("cpu_pool.get_host_CPUs", &[s(&pool0)])).len(),
        cpus.len() - 2
    );
    assert_eq!(
        strs(&c.ok("host_cpu.get_cpu_pool", &[s(&mine[0])])),
        [pool.as_str()]
    );
    assert_eq!(
        c.fail("cpu_pool.activate", &[s(&pool)])[0],
        "POOL_BAD_STATE"
    );
    // Live CPU moves.
    let spare = strs(&c.ok("cpu_pool.get_host_CPUs", &[s(&pool0)]))[0].clone();
    c.ok("cpu_pool.add_host_CPU_live", &[s(&pool), s(&spare)]);
    assert_eq!(c.str("cpu_pool.get_ncpu", &[s(&pool)]), "3");
    c.ok("cpu_pool.remove_host_CPU_live", &[s(&pool), s(&spare)]);
    assert_eq!(
        c.fail("cpu_pool.remove_host_CPU_live", &[s(&pool), s(&spare)])[0],
        "INVALID_CPU"
    );
    // A VM moves in; the pool cannot be deactivated while it runs there.
    let vm = halted_guest(&mut c);
    c.ok("VM.cpu_pool_migrate", &[s(&vm), s(&pool)]);
    assert_eq!(c.str("VM.get_pool_name", &[s(&vm)]), "batch");
    c.ok("VM.start", &[s(&vm), Value::Bool(false)]);
    assert_eq!(
        strs(&c.ok("cpu_pool.get_started_VMs", &[s(&pool)])),
        [vm.as_str()]
    );
    assert_eq!(
        c.fail("cpu_pool.deactivate", &[s(&pool)])[0],
        "POOL_BAD_STATE"
    );
    assert_eq!(c.fail("cpu_pool.destroy", &[s(&pool)])[0], "POOL_BAD_STATE");
    c.ok("VM.hard_shutdown", &[s(&vm)]);
    assert!(strs(&c.ok("cpu_pool.get_started_VMs", &[s(&pool)])).is_empty());
    c.ok("cpu_pool.deactivate", &[s(&pool)]);
    assert_eq!(
        strs(&c.ok("cpu_pool.get_host_CPUs", &[s(&pool0)])).len(),
        cpus.len(),
        "the CPUs went back to Pool-0"
    );
    // Asking for more CPUs than Pool-0 can spare.
    c.ok("cpu_pool.set_ncpu", &[s(&pool), s(&cpus.len().to_string())]);
    assert_eq!(
        c.fail("cpu_pool.activate", &[s(&pool)])[0],
        "INSUFFICIENT_CPUS"
    );
    c.ok("cpu_pool.destroy", &[s(&pool)]);
    assert_eq!(
        c.fail("cpu_pool.get_record", &[s(&pool)])[0],
        "HANDLE_INVALID"
    );
}

const POLICY: &str = "<?xml version=\"1.0\"?><SecurityPolicyDefinition><PolicyHeader>\
    <PolicyName>sim-policy</PolicyName><Version>1.2</Version></PolicyHeader>\
    </SecurityPolicyDefinition>";

#[test]
fn the_security_policy_and_labels() {
    let sim = xend_sim();
    let mut c = client(&sim);
    assert_eq!(c.str("XSPolicy.get_xstype", &[]), "1");
    let none = c.ok("XSPolicy.get_xspolicy", &[]);
    assert_eq!(field(&none, "xs_ref").as_str(), Some(""));
    // Labels need a policy.
    let vdi = strs(&c.ok("VDI.get_all", &[]))[0].clone();
    assert_eq!(
        c.fail(
            "VDI.set_security_label",
            &[s(&vdi), s("ACM:sim-policy:blue"), s("")]
        )[0],
        "SECURITY_ERROR"
    );
    let bad = c.ok(
        "XSPolicy.set_xspolicy",
        &[s("2"), s(POLICY), s("2"), Value::Bool(false)],
    );
    assert_eq!(field(&bad, "xserr").as_str(), Some("4111"));
    let bad = c.ok(
        "XSPolicy.set_xspolicy",
        &[s("1"), s("not xml"), s("2"), Value::Bool(false)],
    );
    assert_eq!(field(&bad, "xserr").as_str(), Some("4098"));
    let ok = c.ok(
        "XSPolicy.set_xspolicy",
        &[s("1"), s(POLICY), s("2"), Value::Bool(false)],
    );
    assert_eq!(field(&ok, "xserr").as_str(), Some("0"));
    assert_eq!(field(&ok, "version").as_str(), Some("1.2"));
    assert_eq!(field(&ok, "flags").as_str(), Some("2"));
    let policy = field(&ok, "xs_ref").as_str().unwrap().to_string();
    assert!(is_uuid(&policy));
    let rec = c.ok("XSPolicy.get_record", &[s(&policy)]);
    assert_eq!(field(&rec, "repr").as_str(), Some(POLICY));
    let again = c.ok(
        "XSPolicy.set_xspolicy",
        &[s("1"), s(POLICY), s("2"), Value::Bool(false)],
    );
    assert_eq!(field(&again, "xserr").as_str(), Some("4110"));
    assert_eq!(
        c.str("XSPolicy.activate_xspolicy", &[s(&policy), s("1")]),
        "3"
    );
    c.ok("XSPolicy.rm_xsbootpolicy", &[]);
    let rec = c.ok("XSPolicy.get_record", &[s(&policy)]);
    assert_eq!(field(&rec, "flags").as_str(), Some("2"));

    assert_eq!(c.str("XSPolicy.can_run", &[s("ACM:sim-policy:blue")]), "0");
    assert_eq!(c.str("XSPolicy.can_run", &[s("blue")]), "4103");
    let ssid = c.str(
        "VDI.set_security_label",
        &[s(&vdi), s("ACM:sim-policy:blue"), s("")],
    );
    assert!(ssid.parse::<i64>().unwrap() > 0);
    assert_eq!(
        c.str("VDI.get_security_label", &[s(&vdi)]),
        "ACM:sim-policy:blue"
    );
    // The old label must match.
    assert_eq!(
        c.fail(
            "VDI.set_security_label",
            &[s(&vdi), s("ACM:sim-policy:red"), s("")]
        )[0],
        "SECURITY_ERROR"
    );
    c.ok(
        "XSPolicy.set_resource_label",
        &[s("phy:/dev/sdb"), s("ACM:sim-policy:red"), s("")],
    );
    assert_eq!(
        c.str("XSPolicy.get_resource_label", &[s("phy:/dev/sdb")]),
        "ACM:sim-policy:red"
    );
    let all = c.ok("XSPolicy.get_labeled_resources", &[]);
    assert_eq!(all.as_struct().unwrap().len(), 2);
    let reset = c.ok("XSPolicy.reset_xspolicy", &[s("1")]);
    assert_eq!(field(&reset, "xs_ref").as_str(), Some(""));
    assert_eq!(
        c.fail("XSPolicy.get_record", &[s(&policy)])[0],
        "HANDLE_INVALID"
    );
}

#[test]
fn host_messages() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let host = strs(&c.ok("host.get_all", &[]))[0].clone();
    let methods = strs(&c.ok("host.list_methods", &[]));
    for m in [
        "VM.start",
        "Async.VM.start",
        "cpu_pool.activate",
        "XSPolicy.get_xstype",
        "event.next",
    ] {
        assert!(methods.contains(&m.to_string()), "{m}");
    }
    assert!(!methods.iter().any(|m| m == "event.from"));
    let dmesg = c.str("host.dmesg", &[s(&host)]);
    assert!(dmesg.contains("Xen version"), "{dmesg}");
    c.ok("host.send_debug_keys", &[s(&host), s("q")]);
    assert!(c
        .str("host.dmesg_clear", &[s(&host)])
        .contains("'q' pressed"));
    assert_eq!(c.str("host.dmesg", &[s(&host)]), "");
    assert!(c.str("host.get_log", &[s(&host)]).contains("session"));
    assert!(!strs(&c.ok("SR.get_supported_types", &[])).is_empty());
    // A reboot stops the guests and starts those marked auto_power_on.
    let auto = halted_guest(&mut c);
    c.ok("VM.set_auto_power_on", &[s(&auto), Value::Bool(true)]);
    let running: Vec<String> = strs(&c.ok("VM.get_all", &[]))
        .into_iter()
        .filter(|v| v != "00000000-0000-0000-0000-000000000000")
        .filter(|v| c.str("VM.get_power_state", &[s(v)]) == "Running")
        .collect();
    assert!(!running.is_empty());
    c.ok("host.reboot", &[s(&host)]);
    assert_eq!(power(&mut c, &auto), "Running");
    for v in running.iter().filter(|v| **v != auto) {
        let auto_on = c.ok("VM.get_auto_power_on", &[s(v)]) == Value::Bool(true);
        assert_eq!(power(&mut c, v), if auto_on { "Running" } else { "Halted" });
    }
    assert_eq!(
        c.str(
            "VM.get_power_state",
            &[s("00000000-0000-0000-0000-000000000000")]
        ),
        "Running"
    );
    // PIF.create_VLAN and VBD.media_change.
    let pif = strs(&c.ok("PIF.get_all", &[]))[0].clone();
    let network = c.str("PIF.get_network", &[s(&pif)]);
    let vlan = c.str(
        "PIF.create_VLAN",
        &[s("eth0"), s(&network), s(&host), s("42")],
    );
    assert_eq!(c.str("PIF.get_VLAN", &[s(&vlan)]), "42");
    assert_eq!(
        c.fail(
            "PIF.create_VLAN",
            &[s("eth0"), s(&network), s(&host), s("5000")]
        )[0],
        "VLAN_TAG_INVALID"
    );
    let vbds = strs(&c.ok("VBD.get_all", &[]));
    let cd = vbds
        .iter()
        .find(|v| c.str("VBD.get_type", &[s(v)]) == "CD")
        .expect("a CD drive")
        .clone();
    let disk = vbds
        .iter()
        .find(|v| c.str("VBD.get_type", &[s(v)]) == "Disk")
        .expect("a disk")
        .clone();
    let iso = strs(&c.ok("VDI.get_all", &[]))[0].clone();
    c.ok("VBD.media_change", &[s(&cd), s(&iso)]);
    assert_eq!(c.str("VBD.get_VDI", &[s(&cd)]), iso);
    assert_eq!(
        c.fail("VBD.media_change", &[s(&disk), s(&iso)])[0],
        "VBD_NOT_REMOVABLE_MEDIA"
    );
    // A VIF created without a MAC gets one.
    let mut record = xenapi::Struct::new();
    record.insert("device".into(), s("3"));
    record.insert("network".into(), s(&network));
    record.insert("VM".into(), s(&auto));
    record.insert("MAC".into(), s(""));
    record.insert("MTU".into(), s("1500"));
    let vif = c.str("VIF.create", &[Value::Struct(record)]);
    let mac = c.str("VIF.get_MAC", &[s(&vif)]);
    assert_eq!(mac.split(':').count(), 6, "{mac}");
    assert!(strs(&c.ok("VM.get_VIFs", &[s(&auto)])).contains(&vif));
}

#[test]
fn libxens_set_parameters_are_read_as_xend_read_them() {
    let sim = xend_sim();
    let mut c = client(&sim);
    // libxen wrote sets as <array> without <data>, each element inside a <param>.
    let body = format!(
        "<?xml version=\"1.0\"?>\n<methodCall><methodName>event.register</methodName><params>\
         <param><value><string>{}</string></value></param>\
         <param><value><array><param><value><string>VM</string></value></param>\
         </array></value></param></params></methodCall>",
        c.session
    );
    let r = c.conn.request("/", body.as_bytes(), "").unwrap();
    let text = String::from_utf8_lossy(&r.body).into_owned();
    assert_eq!(r.status, 200, "{text}");
    assert!(text.contains("Success"), "{text}");
    let vm = halted_guest(&mut c);
    c.ok("VM.set_name_label", &[s(&vm), s("seen")]);
    let events = c.ok("event.next", &[]);
    assert_eq!(
        field(&events.as_array().unwrap()[0], "class").as_str(),
        Some("VM")
    );
}
