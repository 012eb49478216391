//! The typed functions put the right method and parameters on the wire and decode the
//! answers, in every wire format: checked with a transport that decodes each request with the
//! server-side codec and answers from a script.

use std::sync::{Arc, Mutex};

use serde_json::json;
use xenapi::api::*;
use xenapi::transport::Transport;
use xenapi::typed::{EventWatcher, WaitOptions};
use xenapi::wire::{decode_call, encode_failure, encode_success, Call, WireFormat};
use xenapi::{Client, Error, Limits, Session, Value};

const FORMATS: [WireFormat; 3] = [
    WireFormat::XmlRpc,
    WireFormat::JsonRpc,
    WireFormat::JsonRpcV1,
];

/// What the scripted server answers.
enum Answer {
    Value(serde_json::Value),
    Failure(Vec<&'static str>),
}

type Script = dyn Fn(&Call, usize) -> Answer + Send + Sync;

/// Records every call and answers it from the script (given the call and how many calls of
/// the same method came before).
#[derive(Clone)]
struct Scripted {
    calls: Arc<Mutex<Vec<Call>>>,
    script: Arc<Script>,
}

impl Transport for Scripted {
    fn post(&self, _path: &str, body: &[u8], limits: &Limits) -> xenapi::Result<Vec<u8>> {
        let call = decode_call(WireFormat::XmlRpc, body, limits)
            .or_else(|_| decode_call(WireFormat::JsonRpc, body, limits))?;
        let mut calls = self.calls.lock().unwrap();
        let seen = calls.iter().filter(|c| c.method == call.method).count();
        let answer = (self.script)(&call, seen);
        calls.push(call.clone());
        Ok(match answer {
            Answer::Value(v) => encode_success(call.format, &v, call.id.as_ref())?,
            Answer::Failure(d) => {
                let d: Vec<String> = d.into_iter().map(String::from).collect();
                encode_failure(call.format, &d, call.id.as_ref())
            }
        })
    }
}

fn setup(
    format: WireFormat,
    script: impl Fn(&Call, usize) -> Answer + Send + Sync + 'static,
) -> (Session, Arc<Mutex<Vec<Call>>>) {
    let scripted = Scripted {
        calls: Arc::default(),
        script: Arc::new(script),
    };
    let calls = scripted.calls.clone();
    let client = Client::builder_with_transport(scripted)
        .format(format)
        .build()
        .unwrap();
    (client.session_from_ref("OpaqueRef:session"), calls)
}

fn ok(v: serde_json::Value) -> Answer {
    Answer::Value(v)
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn custom_message_sends_session_then_parameters_in_order() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("")));
        let vm = VmRef::new("OpaqueRef:vm");
        Vm::start(&session, &vm, false, true).unwrap();
        let calls = calls.lock().unwrap();
        assert_eq!(calls[0].method, "VM.start");
        assert_eq!(
            calls[0].params,
            [
                Value::from("OpaqueRef:session"),
                Value::from("OpaqueRef:vm"),
                Value::Bool(false),
                Value::Bool(true)
            ],
            "{format:?}"
        );
    }
}

#[test]
fn getters_decode_each_kind_of_type() {
    for format in FORMATS {
        let (session, _) = setup(format, |call, _| match call.method.as_str() {
            "VM.get_power_state" => ok(json!("Paused")),
            "VM.get_VBDs" => ok(json!(["OpaqueRef:b1", "OpaqueRef:b2"])),
            "VM.get_allowed_operations" => ok(json!(["start", "hibernate"])),
            "VM.get_memory_static_max" => ok(json!(4_294_967_296_i64)),
            "VM.get_is_a_template" => ok(json!(true)),
            "VM.get_resident_on" => ok(json!("OpaqueRef:host")),
            "VM.get_other_config" => ok(json!({"a": "1"})),
            "VM.get_current_operations" => ok(json!({"OpaqueRef:t": "clean_shutdown"})),
            "VM_metrics.get_VCPUs_CPU" => ok(json!({"0": 2, "1": 3})),
            "host.get_API_version_vendor_implementation" => ok(json!({})),
            "task.get_progress" => ok(json!(0.25)),
            other => panic!("unexpected {other}"),
        });
        let vm = VmRef::new("OpaqueRef:vm");
        assert_eq!(
            Vm::get_power_state(&session, &vm).unwrap(),
            VmPowerState::Paused
        );
        assert_eq!(
            Vm::get_vbds(&session, &vm).unwrap(),
            [VbdRef::new("OpaqueRef:b1"), VbdRef::new("OpaqueRef:b2")]
        );
        assert_eq!(
            Vm::get_allowed_operations(&session, &vm).unwrap(),
            [
                VmOperations::Start,
                VmOperations::Unknown("hibernate".into())
            ]
        );
        assert_eq!(
            Vm::get_memory_static_max(&session, &vm).unwrap(),
            4_294_967_296
        );
        assert!(Vm::get_is_a_template(&session, &vm).unwrap());
        assert_eq!(
            Vm::get_resident_on(&session, &vm).unwrap(),
            HostRef::new("OpaqueRef:host")
        );
        assert_eq!(Vm::get_other_config(&session, &vm).unwrap()["a"], "1");
        assert_eq!(
            Vm::get_current_operations(&session, &vm).unwrap()["OpaqueRef:t"],
            VmOperations::CleanShutdown
        );
        let metrics = VmMetricsRef::new("OpaqueRef:m");
        assert_eq!(VmMetrics::get_vcpus_cpu(&session, &metrics).unwrap()[&1], 3);
        let task = TaskRef::new("OpaqueRef:t");
        assert_eq!(Task::get_progress(&session, &task).unwrap(), 0.25);
    }
}

#[test]
fn setters_and_collection_updates_send_typed_values() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("")));
        let vm = VmRef::new("OpaqueRef:vm");
        Vm::set_actions_after_crash(&session, &vm, OnCrashBehaviour::Restart).unwrap();
        Vm::set_memory_limits(&session, &vm, 1, 2, 3, 4).unwrap();
        Vm::add_tags(&session, &vm, "blue").unwrap();
        Vm::remove_from_other_config(&session, &vm, "k").unwrap();
        Vm::set_affinity(&session, &vm, &HostRef::null()).unwrap();
        Vm::set_tags(&session, &vm, &["a".to_owned(), "b".to_owned()]).unwrap();
        let calls = calls.lock().unwrap();
        let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
        assert_eq!(
            methods,
            [
                "VM.set_actions_after_crash",
                "VM.set_memory_limits",
                "VM.add_tags",
                "VM.remove_from_other_config",
                "VM.set_affinity",
                "VM.set_tags"
            ]
        );
        assert_eq!(calls[0].params[2], Value::from("restart"));
        assert_eq!(
            calls[1].params[2..]
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(calls[2].params[2], Value::from("blue"));
        assert_eq!(calls[4].params[2], Value::from("OpaqueRef:NULL"));
        assert_eq!(strings(&calls[5].params[2]), ["a", "b"]);
    }
}

#[test]
fn create_sends_the_record_with_wire_names() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("OpaqueRef:new")));
        let record = VbdRecord {
            vm: VmRef::new("OpaqueRef:vm"),
            vdi: VdiRef::new("OpaqueRef:vdi"),
            userdevice: "1".into(),
            r#type: VbdType::Disk,
            mode: VbdMode::Rw,
            ..VbdRecord::default()
        };
        assert_eq!(
            Vbd::create(&session, &record).unwrap(),
            VbdRef::new("OpaqueRef:new")
        );
        let calls = calls.lock().unwrap();
        let sent = &calls[0].params[1];
        assert_eq!(sent.get("VM"), Some(&Value::from("OpaqueRef:vm")));
        assert_eq!(sent.get("type"), Some(&Value::from("Disk")));
        assert_eq!(sent.get("mode"), Some(&Value::from("RW")));
        assert_eq!(sent.get("userdevice"), Some(&Value::from("1")));
    }
}

#[test]
fn get_all_records_is_a_map_from_ref_to_record() {
    for format in FORMATS {
        let (session, _) = setup(format, |_, _| {
            ok(json!({
                "OpaqueRef:n1": {"uuid": "u1", "name_label": "net1", "MTU": 1500, "bridge": "xenbr0"},
                "OpaqueRef:n2": {"uuid": "u2", "name_label": "net2", "MTU": 9000,
                                 "purpose": ["nbd", "something_new"]}
            }))
        });
        let all = Network::get_all_records(&session).unwrap();
        assert_eq!(all.len(), 2);
        let n2 = &all[&NetworkRef::new("OpaqueRef:n2")];
        assert_eq!(n2.name_label, "net2");
        assert_eq!(n2.mtu, 9000);
        assert_eq!(
            n2.purpose,
            [
                NetworkPurpose::Nbd,
                NetworkPurpose::Unknown("something_new".into())
            ]
        );
        assert_eq!(all[&NetworkRef::new("OpaqueRef:n1")].bridge, "xenbr0");
    }
}

#[test]
fn failures_carry_typed_codes_and_named_parameters() {
    for format in FORMATS {
        let (session, _) = setup(format, |_, _| {
            Answer::Failure(vec![
                "VM_BAD_POWER_STATE",
                "OpaqueRef:vm",
                "halted",
                "running",
            ])
        });
        let err = Vm::start(&session, &VmRef::new("OpaqueRef:vm"), false, false).unwrap_err();
        let Error::Api(failure) = err else {
            panic!("{err:?}")
        };
        assert_eq!(failure.code(), ErrorCode::VmBadPowerState);
        assert_eq!(failure.param("actual"), Some("running"));
        assert_eq!(
            failure.to_string(),
            "VM_BAD_POWER_STATE(vm=OpaqueRef:vm, expected=halted, actual=running)"
        );
    }
}

#[test]
fn messages_without_a_session_go_through_the_client() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("OpaqueRef:s2")));
        let client = session.client();
        let s =
            SessionClass::login_with_password(&client, "root", "pw", Some("2.23"), Some("tests"))
                .unwrap();
        assert_eq!(s, SessionRef::new("OpaqueRef:s2"));
        let calls = calls.lock().unwrap();
        assert_eq!(calls[0].method, "session.login_with_password");
        assert_eq!(
            strings(&Value::Array(calls[0].params.clone())),
            ["root", "pw", "2.23", "tests"]
        );
    }
}

#[test]
fn calls_with_more_than_sixteen_parameters() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("OpaqueRef:pif")));
        let none = NetworkRef::null();
        let pif = Pif::db_introduce(
            &session,
            "eth9",
            &none,
            &HostRef::new("OpaqueRef:h"),
            "00:11:22:33:44:55",
            1500,
            -1,
            true,
            IpConfigurationMode::Dhcp,
            "",
            "",
            "",
            "",
            &BondRef::null(),
            &VlanRef::null(),
            false,
            &Default::default(),
            Some(false),
            Some(Ipv6ConfigurationMode::None),
            Some(&[]),
            Some(""),
            Some(PrimaryAddressType::Ipv4),
            Some(true),
            Some(&Default::default()),
        )
        .unwrap();
        assert_eq!(pif, PifRef::new("OpaqueRef:pif"));
        let calls = calls.lock().unwrap();
        assert_eq!(calls[0].params.len(), 24);
        assert_eq!(calls[0].params[1], Value::from("eth9"));
        assert_eq!(calls[0].params[8], Value::from("DHCP"));
        assert_eq!(calls[0].params[21], Value::from("IPv4"));
    }
}

#[test]
fn optional_parameters_left_out_are_not_sent() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("")));
        let host = HostRef::new("OpaqueRef:h");
        let network = NetworkRef::new("OpaqueRef:n");
        Host::evacuate(&session, &host, None, None).unwrap();
        Host::evacuate(&session, &host, Some(&network), None).unwrap();
        Host::evacuate(&session, &host, Some(&network), Some(4)).unwrap();
        let calls = calls.lock().unwrap();
        let sent: Vec<Vec<Value>> = calls.iter().map(|c| c.params.clone()).collect();
        assert_eq!(sent[0].len(), 2, "{format:?}: session and host only");
        assert_eq!(sent[0][1], Value::from("OpaqueRef:h"));
        assert_eq!(sent[1].len(), 3);
        assert_eq!(sent[1][2], Value::from("OpaqueRef:n"));
        assert_eq!(sent[2].len(), 4);
        assert_eq!(sent[2][3].as_i64(), Some(4));
    }
}

#[test]
fn an_optional_parameter_left_out_before_a_given_one_is_refused_unsent() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("")));
        let host = HostRef::new("OpaqueRef:h");
        let err = Host::evacuate(&session, &host, None, Some(4)).unwrap_err();
        let Error::Encode(why) = &err else {
            panic!("{err:?}")
        };
        assert!(why.contains("host.evacuate"), "{why}");
        assert!(why.contains("`evacuate_batch_size`"), "{why}");
        assert!(why.contains("`network`"), "{why}");
        let err = Host::async_evacuate(&session, &host, None, Some(4)).unwrap_err();
        assert!(matches!(err, Error::Encode(_)), "{err:?}");
        assert!(
            calls.lock().unwrap().is_empty(),
            "nothing may reach the server"
        );
    }
}

#[test]
fn optional_parameters_of_async_calls_and_long_calls() {
    for format in FORMATS {
        let (session, calls) = setup(format, |_, _| ok(json!("OpaqueRef:x")));
        let vm = VmRef::new("OpaqueRef:vm");
        Vm::async_snapshot(&session, &vm, "before", None).unwrap();
        let ignored = [VdiRef::new("OpaqueRef:vdi")];
        Vm::snapshot(&session, &vm, "before", Some(&ignored)).unwrap();
        let pif = Pif::db_introduce(
            &session,
            "eth9",
            &NetworkRef::null(),
            &HostRef::new("OpaqueRef:h"),
            "00:11:22:33:44:55",
            1500,
            -1,
            true,
            IpConfigurationMode::Dhcp,
            "",
            "",
            "",
            "",
            &BondRef::null(),
            &VlanRef::null(),
            false,
            &Default::default(),
            Some(true),
            None,
            None,
            None,
            None,
            None,
            None,
        )
        .unwrap();
        assert_eq!(pif, PifRef::new("OpaqueRef:x"));
        let calls = calls.lock().unwrap();
        assert_eq!(calls[0].method, "Async.VM.snapshot");
        assert_eq!(calls[0].params.len(), 3);
        assert_eq!(calls[1].method, "VM.snapshot");
        assert_eq!(
            calls[1].params[3],
            Value::Array(vec![Value::from("OpaqueRef:vdi")])
        );
        assert_eq!(
            calls[2].params.len(),
            18,
            "session, 16 required, disallow_unplug"
        );
        assert_eq!(calls[2].params[17], Value::Bool(true));
    }
}

fn task_record(status: &str, progress: f64, result: &str, error: &[&str]) -> Answer {
    ok(
        json!({"uuid": "t", "status": status, "progress": progress, "result": result,
              "error_info": error}),
    )
}

#[test]
fn async_calls_return_a_task_that_waits_for_a_typed_result() {
    for format in FORMATS {
        let (session, calls) = setup(format, |call, seen| match call.method.as_str() {
            "Async.VM.clone" => ok(json!("OpaqueRef:task")),
            "task.get_record" if seen < 2 => task_record("pending", 0.5, "", &[]),
            "task.get_record" => task_record("success", 1.0, "<value>OpaqueRef:clone</value>", &[]),
            "task.destroy" => ok(json!("")),
            other => panic!("unexpected {other}"),
        });
        let task = Vm::async_clone(&session, &VmRef::new("OpaqueRef:vm"), "copy").unwrap();
        assert_eq!(task.task(), &TaskRef::new("OpaqueRef:task"));
        let options = WaitOptions {
            first_poll: std::time::Duration::from_millis(1),
            ..WaitOptions::default()
        };
        let mut progress = Vec::new();
        let clone = task
            .wait_with_progress(&session, &options, |p| progress.push(p))
            .unwrap();
        assert_eq!(clone, VmRef::new("OpaqueRef:clone"));
        assert_eq!(progress, [0.5, 0.5, 1.0]);
        task.destroy(&session).unwrap();
        let calls = calls.lock().unwrap();
        assert_eq!(calls[0].method, "Async.VM.clone");
        assert_eq!(
            calls[0].params[1..],
            [Value::from("OpaqueRef:vm"), Value::from("copy")]
        );
        assert_eq!(calls.last().unwrap().method, "task.destroy");
    }
}

#[test]
fn a_failed_task_returns_its_error_and_a_slow_one_times_out() {
    let (session, _) = setup(WireFormat::JsonRpc, |call, _| match call.method.as_str() {
        "Async.VM.start" => ok(json!("OpaqueRef:t1")),
        "Async.VM.clean_shutdown" => ok(json!("OpaqueRef:t2")),
        "task.get_record" if call.params[1].as_str() == Some("OpaqueRef:t1") => task_record(
            "failure",
            1.0,
            "",
            &["VM_BAD_POWER_STATE", "OpaqueRef:vm", "halted", "running"],
        ),
        "task.get_record" => task_record("pending", 0.1, "", &[]),
        "task.destroy" => ok(json!("")),
        other => panic!("unexpected {other}"),
    });
    let vm = VmRef::new("OpaqueRef:vm");
    let options = WaitOptions {
        timeout: Some(std::time::Duration::from_millis(20)),
        first_poll: std::time::Duration::from_millis(1),
        ..WaitOptions::default()
    };
    let failed = Vm::async_start(&session, &vm, false, false).unwrap();
    match failed.wait_and_destroy(&session, &options) {
        Err(Error::Api(f)) => assert_eq!(f.param("expected"), Some("halted")),
        other => panic!("{other:?}"),
    }
    let slow = Vm::async_clean_shutdown(&session, &vm).unwrap();
    match slow.wait(&session, &options) {
        Err(Error::TaskTimeout { task, .. }) => assert_eq!(task, "OpaqueRef:t2"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_event_watcher_follows_tokens_and_stops_after_an_error() {
    let (session, calls) = setup(WireFormat::XmlRpc, |call, seen| match seen {
        0 => ok(json!({"events": [
                {"id": 1, "class": "vm", "operation": "add", "ref": "OpaqueRef:a",
                 "snapshot": {"name_label": "a", "power_state": "Halted"}},
                {"id": 2, "class": "vm", "operation": "add", "ref": "OpaqueRef:b",
                 "snapshot": {"name_label": "b", "power_state": "Running"}}],
            "valid_ref_counts": {"VM": 2}, "token": "tok1"})),
        1 => {
            assert_eq!(call.params[2], Value::from("tok1"));
            ok(json!({"events": [
                {"id": 3, "class": "vm", "operation": "del", "ref": "OpaqueRef:a"}],
                "valid_ref_counts": {"VM": 1}, "token": "tok2"}))
        }
        _ => Answer::Failure(vec!["SESSION_INVALID", "OpaqueRef:session"]),
    });
    let events: Vec<_> = EventWatcher::new(&session, &["VM"]).collect();
    assert_eq!(events.len(), 4);
    let b = events[1]
        .as_ref()
        .unwrap()
        .snapshot_of::<Vm>()
        .unwrap()
        .unwrap();
    assert_eq!(
        (b.name_label.as_str(), b.power_state.clone()),
        ("b", VmPowerState::Running)
    );
    let del = events[2].as_ref().unwrap();
    assert_eq!(del.operation, EventOperation::Del);
    assert_eq!(del.object_ref::<Vm>(), Some(VmRef::new("OpaqueRef:a")));
    assert!(matches!(&events[3], Err(Error::Api(f)) if f.code() == ErrorCode::SessionInvalid));
    let calls = calls.lock().unwrap();
    assert!(calls.iter().all(|c| c.method == "event.from"));
    assert_eq!(strings(&calls[0].params[1]), ["VM"]);
    assert_eq!(calls[0].params[2], Value::from(""));
}

#[test]
#[allow(deprecated)]
fn the_old_event_api_is_typed_too() {
    let (session, calls) = setup(WireFormat::XmlRpc, |call, _| match call.method.as_str() {
        "event.register" | "event.unregister" => ok(json!("")),
        "event.next" => ok(json!([{"id": 5, "class": "host", "operation": "mod",
                                    "ref": "OpaqueRef:h", "snapshot": {"hostname": "h1"}}])),
        other => panic!("unexpected {other}"),
    });
    Event::register(&session, &["host".to_owned()]).unwrap();
    let events = Event::next(&session).unwrap();
    let host = events[0].snapshot_of::<Host>().unwrap().unwrap();
    assert_eq!(host.hostname, "h1");
    Event::unregister(&session, &["host".to_owned()]).unwrap();
    assert_eq!(calls.lock().unwrap().len(), 3);
}
