//! Tasks (`Async.` calls, cancel) and both event APIs, through real sockets.

mod common;

use std::time::{Duration, Instant};

use common::*;
use xenapi::Value;

fn wait_task(c: &mut Client, task: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = c.str("task.get_status", &[s(task)]);
        if status != "pending" && status != "cancelling" {
            return status;
        }
        assert!(Instant::now() < deadline, "task {task} still {status}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn async_calls_make_tasks_with_xapi_style_results() {
    let sim = sim();
    for format in [
        xenapi::wire::WireFormat::XmlRpc,
        xenapi::wire::WireFormat::JsonRpc,
    ] {
        let mut c = Client::login(Conn::tcp(&addr(&sim)), format);
        let vm = guest_in_state(&mut c, "Halted");
        let task = c.str("Async.VM.clone", &[s(&vm), s("async-clone")]);
        assert!(task.starts_with("OpaqueRef:"));
        assert_eq!(c.str("task.get_status", &[s(&task)]), "pending");
        assert_eq!(c.str("task.get_name_label", &[s(&task)]), "Async.VM.clone");
        assert_eq!(wait_task(&mut c, &task), "success");
        assert_eq!(c.ok("task.get_progress", &[s(&task)]).as_f64(), Some(1.0));
        // The result is XML-RPC, whatever the wire of the call.
        let result = c.str("task.get_result", &[s(&task)]);
        let new_vm = result
            .strip_prefix("<value>")
            .and_then(|r| r.strip_suffix("</value>"))
            .expect(&result);
        assert_eq!(c.str("VM.get_name_label", &[s(new_vm)]), "async-clone");
        // A failing call: the task fails with xapi's error in error_info.
        let task = c.str("Async.VM.clean_shutdown", &[s(&vm)]);
        assert_eq!(wait_task(&mut c, &task), "failure");
        let info = c.ok("task.get_error_info", &[s(&task)]);
        assert_eq!(
            info,
            Value::Array(vec![
                s("VM_BAD_POWER_STATE"),
                s(&vm),
                s("running"),
                s("halted")
            ])
        );
        // A void result is the empty string.
        let task = c.str(
            "Async.VM.start",
            &[s(&vm), Value::Bool(false), Value::Bool(false)],
        );
        assert_eq!(wait_task(&mut c, &task), "success");
        assert_eq!(c.str("task.get_result", &[s(&task)]), "");
        assert_eq!(c.str("VM.get_power_state", &[s(&vm)]), "Running");
        c.ok("VM.hard_shutdown", &[s(&vm)]);
    }
}

#[test]
fn tasks_can_be_cancelled_while_pending() {
    let sim = xapi_sim::Simulator::builder()
        .vms(4)
        .metrics_interval(None)
        .task_duration(Duration::from_secs(2))
        .start()
        .unwrap();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let task = c.str(
        "Async.VM.start",
        &[s(&vm), Value::Bool(false), Value::Bool(false)],
    );
    c.ok("task.cancel", &[s(&task)]);
    assert_eq!(wait_task(&mut c, &task), "cancelled");
    assert_eq!(
        c.ok("task.get_error_info", &[s(&task)]),
        Value::Array(vec![s("TASK_CANCELLED"), s(&task)])
    );
    assert_eq!(
        c.str("VM.get_power_state", &[s(&vm)]),
        "Halted",
        "a cancelled start does nothing"
    );
    assert_eq!(
        c.fail("task.cancel", &[s(&task)])[0],
        "OPERATION_NOT_ALLOWED"
    );
    // Messages without an Async form get xapi's "Fault" failure.
    assert_eq!(
        c.fail("Async.VM.get_name_label", &[s(&vm)]),
        [
            "Fault",
            "No async mode for this operation (rpc: VM.get_name_label)"
        ]
    );
}

fn events(batch: &Value) -> Vec<Value> {
    batch
        .get("events")
        .and_then(Value::as_array)
        .expect("events")
        .to_vec()
}

#[test]
fn event_from_blocks_until_a_change_and_reports_it() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    // From the start: every VM, as "add", with valid_ref_counts.
    let all = c.ok(
        "event.from",
        &[Value::Array(vec![s("vm")]), s(""), Value::Float(0.0)],
    );
    let n = c.ok("VM.get_all", &[]).as_array().unwrap().len();
    assert_eq!(events(&all).len(), n);
    assert!(events(&all)
        .iter()
        .all(|e| e.get("operation").and_then(Value::as_str) == Some("add")));
    assert_eq!(
        all.get("valid_ref_counts")
            .and_then(|m| m.get("vm"))
            .and_then(Value::as_i64),
        Some(n as i64)
    );
    let token = all
        .get("token")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();

    // Nothing new: returns after the timeout, empty, with a token.
    let started = Instant::now();
    let quiet = c.ok(
        "event.from",
        &[Value::Array(vec![s("vm")]), s(&token), Value::Float(0.3)],
    );
    assert!(events(&quiet).is_empty());
    assert!(started.elapsed() >= Duration::from_millis(250));

    // A blocked event.from wakes on a change made by another connection.
    let addr = addr(&sim);
    let vm2 = vm.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut w = Client::login(Conn::tcp(&addr), xenapi::wire::WireFormat::JsonRpc);
        w.ok("VM.set_name_label", &[s(&vm2), s("changed-while-watching")]);
    });
    let batch = c.ok(
        "event.from",
        &[Value::Array(vec![s("VM")]), s(&token), Value::Float(30.0)],
    );
    writer.join().unwrap();
    let evs = events(&batch);
    let e = evs
        .iter()
        .find(|e| e.get("ref").and_then(Value::as_str) == Some(vm.as_str()))
        .expect("an event for the VM");
    assert_eq!(e.get("class").and_then(Value::as_str), Some("vm"));
    assert_eq!(e.get("operation").and_then(Value::as_str), Some("mod"));
    let snapshot = e.get("snapshot").expect("snapshot");
    assert_eq!(
        snapshot.get("name_label").and_then(Value::as_str),
        Some("changed-while-watching")
    );
    let token2 = batch
        .get("token")
        .and_then(Value::as_str)
        .unwrap()
        .to_string();
    assert_ne!(token2, token);

    // Deletions come as "del"; other classes are not reported.
    let clone = c.str("VM.clone", &[s(&vm), s("short-lived")]);
    let t3 = c.ok(
        "event.from",
        &[Value::Array(vec![s("vm")]), s(&token2), Value::Float(1.0)],
    );
    let t3 = t3.get("token").and_then(Value::as_str).unwrap().to_string();
    c.ok("VM.destroy", &[s(&clone)]);
    let batch = c.ok(
        "event.from",
        &[Value::Array(vec![s("vm")]), s(&t3), Value::Float(5.0)],
    );
    let del = events(&batch);
    assert!(del.iter().any(
        |e| e.get("operation").and_then(Value::as_str) == Some("del")
            && e.get("ref").and_then(Value::as_str) == Some(clone.as_str())
    ));
    assert!(del
        .iter()
        .all(|e| e.get("class").and_then(Value::as_str) == Some("vm")));
    assert_eq!(
        c.fail(
            "event.from",
            &[Value::Array(vec![s("vm")]), s("garbage"), Value::Float(0.0)]
        ),
        ["EVENT_FROM_TOKEN_PARSE_FAILURE", "garbage"]
    );
}

#[test]
fn event_register_next_unregister() {
    let sim = sim();
    let mut c = xml_client(&sim);
    assert_eq!(
        c.fail("event.next", &[]),
        ["SESSION_NOT_REGISTERED", c.session.as_str()]
    );
    c.ok("event.register", &[Value::Array(vec![s("vm")])]);
    let vm = guest_in_state(&mut c, "Halted");
    c.ok("VM.set_name_label", &[s(&vm), s("first")]);
    c.ok("VM.set_name_label", &[s(&vm), s("second")]);
    let evs = c.ok("event.next", &[]);
    let evs = evs.as_array().unwrap();
    assert_eq!(evs.len(), 2);
    // Each event carries the record as it was then.
    let names: Vec<_> = evs
        .iter()
        .map(|e| {
            e.get("snapshot")
                .and_then(|s| s.get("name_label"))
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["first", "second"]);
    assert_eq!(evs[0].get("class").and_then(Value::as_str), Some("vm"));
    assert!(
        evs[0].get("id").and_then(Value::as_i64).unwrap()
            < evs[1].get("id").and_then(Value::as_i64).unwrap()
    );

    // event.next blocks until something happens.
    let addr = addr(&sim);
    let vm2 = vm.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        let mut w = Client::login(Conn::tcp(&addr), xenapi::wire::WireFormat::XmlRpc);
        w.ok("VM.set_name_label", &[s(&vm2), s("third")]);
    });
    let evs = c.ok("event.next", &[]);
    writer.join().unwrap();
    assert_eq!(evs.as_array().unwrap().len(), 1);

    // Falling behind the log loses events.
    let vm_class = sim.store().model().class("VM").unwrap();
    sim.store().write(|t| {
        for i in 0..25_000 {
            t.set_named(vm_class, &vm, "name_label", xapi_sim::V::s(format!("n{i}")))
                .unwrap();
        }
    });
    assert_eq!(c.fail("event.next", &[]), ["EVENTS_LOST"]);
    c.ok("event.unregister", &[Value::Array(vec![s("vm")])]);
    assert_eq!(c.fail("event.next", &[])[0], "SESSION_NOT_REGISTERED");
}
