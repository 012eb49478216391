//! The Rust client against xend (the simulator in xend mode), over real sockets: two-parameter
//! login, refs that are UUIDs, dynamic calls, `event.register` / `event.next`, Async tasks.

use std::time::{Duration, Instant};

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::transport::TlsVerification;
use xenapi::{Client, Error, Session, Value};

const DOM0: &str = "00000000-0000-0000-0000-000000000000";

fn xend() -> RunningSimulator {
    Simulator::builder()
        .xend()
        .vms(4)
        .seed(11)
        .task_duration(Duration::from_millis(30))
        .metrics_interval(None)
        .start()
        .expect("start a xend")
}

fn login(sim: &RunningSimulator, client: &Client) -> Session {
    let (user, password) = sim.credentials();
    client
        .login_with_password(user, password, "", "")
        .expect("login with two parameters")
}

fn is_uuid(s: &str) -> bool {
    let lens: Vec<usize> = s.split('-').map(str::len).collect();
    lens == [8, 4, 4, 4, 12] && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

fn code(e: &Error) -> &str {
    match e {
        Error::Api(f) => &f.code,
        other => panic!("expected an API failure, got {other:?}"),
    }
}

/// A halted guest's ref.
fn halted_guest(session: &Session) -> String {
    let vms: Vec<String> = session.call_as("VM.get_all", &()).unwrap();
    vms.into_iter()
        .find(|vm| {
            let rec = session
                .call("VM.get_record", &[vm.as_str().into()])
                .unwrap();
            rec.get("power_state").and_then(Value::as_str) == Some("Halted")
                && rec.get("is_a_template").and_then(Value::as_bool) == Some(false)
        })
        .expect("a halted guest")
}

#[test]
fn logs_in_with_two_parameters_and_refs_are_uuids() {
    let sim = xend();
    let client = Client::new(&sim.url()).unwrap();
    let session = login(&sim, &client);
    assert!(is_uuid(&session.session_ref()), "{}", session.session_ref());
    let vm: String = session.call_as("VM.get_by_uuid", &(DOM0,)).unwrap();
    assert_eq!(vm, DOM0);
    let rec = session.call("VM.get_record", &[DOM0.into()]).unwrap();
    assert_eq!(rec.get("uuid").and_then(Value::as_str), Some(DOM0));
    assert_eq!(
        rec.get("is_control_domain").and_then(Value::as_bool),
        Some(true)
    );
    // Ints travel as strings, as xend sent them, and still decode as numbers.
    assert_eq!(rec.get("domid").and_then(Value::as_str), Some("0"));
    let domid: i64 = session.call_as("VM.get_domid", &(DOM0,)).unwrap();
    assert_eq!(domid, 0);
    let hosts: Vec<String> = session.call_as("host.get_all", &()).unwrap();
    assert_eq!(hosts.len(), 1);
    assert!(is_uuid(&hosts[0]));
    let version: std::collections::BTreeMap<String, String> = session
        .call_as("host.get_software_version", &(hosts[0].as_str(),))
        .unwrap();
    assert!(version.contains_key("xend"), "{version:?}");
    let (user, _) = sim.credentials();
    let err = client
        .login_with_password(user, "wrong", "", "")
        .unwrap_err();
    assert_eq!(code(&err), "SESSION_AUTHENTICATION_FAILED");
    session.logout().unwrap();
}

#[test]
fn a_login_with_version_and_originator_falls_back_to_two_parameters() {
    let sim = xend();
    let client = Client::new(&sim.url()).unwrap();
    let (user, password) = sim.credentials();
    let before = sim.faults().requests_seen();
    let session = client
        .login_with_password(user, password, "1.0", "xenapi-tests")
        .expect("the login is retried with two parameters");
    assert_eq!(
        sim.faults().requests_seen() - before,
        2,
        "one refused login, one accepted"
    );
    let this_user: String = session
        .call_as("session.get_this_user", &(session.session_ref().as_str(),))
        .unwrap();
    assert_eq!(this_user, user);
    // A wrong password fails on the two-parameter attempt, and is not retried further.
    let before = sim.faults().requests_seen();
    let err = client
        .login_with_password(user, "wrong", "1.0", "xenapi-tests")
        .unwrap_err();
    assert_eq!(code(&err), "SESSION_AUTHENTICATION_FAILED");
    assert_eq!(sim.faults().requests_seen() - before, 2);
}

#[test]
fn event_register_and_next_see_the_changes() {
    let sim = xend();
    let client = Client::new(&sim.url()).unwrap();
    let watcher = login(&sim, &client);
    let actor = login(&sim, &client);
    let vm = halted_guest(&actor);
    watcher
        .call("event.register", &[Value::Array(vec!["VM".into()])])
        .unwrap();
    let thread_vm = vm.clone();
    let start = std::thread::spawn(move || {
        actor
            .call("VM.start", &[thread_vm.as_str().into(), Value::Bool(false)])
            .unwrap();
        actor
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|e: &Value| e.get("field").and_then(Value::as_str) == Some("power_state"))
    {
        assert!(Instant::now() < deadline, "no power_state event: {seen:?}");
        let events = watcher.call("event.next", &[]).unwrap();
        seen.extend(events.as_array().unwrap().iter().cloned());
    }
    let actor = start.join().unwrap();
    let e = seen
        .iter()
        .find(|e| e.get("field").and_then(Value::as_str) == Some("power_state"))
        .unwrap();
    assert_eq!(e.get("class").and_then(Value::as_str), Some("VM"));
    assert_eq!(e.get("operation").and_then(Value::as_str), Some("mod"));
    assert_eq!(e.get("ref").and_then(Value::as_str), Some(vm.as_str()));
    assert_eq!(e.get("obj_uuid").and_then(Value::as_str), Some(vm.as_str()));
    assert!(e.get("id").is_some() && e.get("timestamp").is_some());
    let state: String = actor
        .call_as("VM.get_power_state", &(vm.as_str(),))
        .unwrap();
    assert_eq!(state, "Running");
    watcher
        .call("event.unregister", &[Value::Array(vec!["VM".into()])])
        .unwrap();
    let err = watcher.call("event.next", &[]).unwrap_err();
    assert_eq!(code(&err), "SESSION_NOT_REGISTERED");
}

#[test]
fn async_calls_return_tasks() {
    let sim = xend();
    let client = Client::new(&sim.url()).unwrap();
    let session = login(&sim, &client);
    let vm = halted_guest(&session);
    let task: String = session
        .call_as("Async.VM.clone", &(vm.as_str(), "from Rust"))
        .unwrap();
    assert!(is_uuid(&task));
    let deadline = Instant::now() + Duration::from_secs(10);
    let rec = loop {
        let rec = session
            .call("task.get_record", &[task.as_str().into()])
            .unwrap();
        if rec.get("status").and_then(Value::as_str) != Some("pending") {
            break rec;
        }
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    };
    assert_eq!(rec.get("status").and_then(Value::as_str), Some("success"));
    let clone = rec.get("result").and_then(Value::as_str).unwrap();
    let name: String = session.call_as("VM.get_name_label", &(clone,)).unwrap();
    assert_eq!(name, "from Rust");
}

#[test]
fn over_https_and_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("xend-client-{}.sock", std::process::id()));
    let sim = Simulator::builder()
        .xend()
        .tls(true)
        .unix(&path)
        .metrics_interval(None)
        .start()
        .unwrap();
    let pin = TlsVerification::pin(sim.fingerprint().unwrap()).unwrap();
    let https = Client::builder(&sim.url()).tls(pin).build().unwrap();
    let session = login(&sim, &https);
    let state: String = session.call_as("VM.get_power_state", &(DOM0,)).unwrap();
    assert_eq!(state, "Running");
    let unix = Client::new(&format!("unix:{}", path.display())).unwrap();
    let session = login(&sim, &unix);
    let vms: Vec<String> = session.call_as("VM.get_all", &()).unwrap();
    assert!(vms.iter().all(|v| is_uuid(v)) && vms.contains(&DOM0.to_string()));
}
