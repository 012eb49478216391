//! The typed API against the simulator over real sockets, in XML-RPC and JSON-RPC: a sample of
//! every kind of message (field getters of each type kind, setters, set and map updates,
//! create, destroy, lookups, get_all_records, custom messages, async calls with task waiting,
//! event.from with snapshots, the old event API).

#[path = "support/live_sim.rs"]
mod live_sim;

use std::time::Duration;

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::api::*;
use xenapi::typed::{EventWatcher, WaitOptions};
use xenapi::{Error, Session, WireFormat};

use live_sim::FORMATS;

fn simulator() -> RunningSimulator {
    live_sim::simulator(4)
}

fn login(sim: &RunningSimulator, format: WireFormat) -> Session {
    live_sim::login(sim, format, "typed-live-tests")
}

fn wait() -> WaitOptions {
    WaitOptions {
        timeout: Some(Duration::from_secs(30)),
        first_poll: Duration::from_millis(5),
        max_poll: Duration::from_millis(100),
    }
}

/// A guest (not a template, not dom0) in `state`.
fn guest(session: &Session, state: VmPowerState) -> (VmRef, VmRecord) {
    Vm::get_all_records(session)
        .unwrap()
        .into_iter()
        .find(|(_, r)| !r.is_a_template && !r.is_control_domain && r.power_state == state)
        .unwrap_or_else(|| panic!("no {state} guest"))
}

#[test]
fn getters_and_setters_of_every_type_kind() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let (vm, record) = guest(&session, VmPowerState::Halted);
        // string
        Vm::set_name_label(&session, &vm, "typed <&> name").unwrap();
        assert_eq!(Vm::get_name_label(&session, &vm).unwrap(), "typed <&> name");
        // int
        Vm::set_user_version(&session, &vm, 1 << 40).unwrap();
        assert_eq!(Vm::get_user_version(&session, &vm).unwrap(), 1 << 40);
        // float
        Vm::set_hvm_shadow_multiplier(&session, &vm, 2.5).unwrap();
        assert_eq!(Vm::get_hvm_shadow_multiplier(&session, &vm).unwrap(), 2.5);
        // bool
        Vm::set_is_a_template(&session, &vm, true).unwrap();
        assert!(Vm::get_is_a_template(&session, &vm).unwrap());
        Vm::set_is_a_template(&session, &vm, false).unwrap();
        assert!(!Vm::get_is_a_template(&session, &vm).unwrap());
        // enum
        Vm::set_actions_after_shutdown(&session, &vm, OnNormalExit::Restart).unwrap();
        assert_eq!(
            Vm::get_actions_after_shutdown(&session, &vm).unwrap(),
            OnNormalExit::Restart
        );
        // datetime
        assert_eq!(
            Vm::get_snapshot_time(&session, &vm).unwrap(),
            record.snapshot_time
        );
        // ref
        let hosts = Host::get_all(&session).unwrap();
        Vm::set_affinity(&session, &vm, &hosts[1]).unwrap();
        assert_eq!(Vm::get_affinity(&session, &vm).unwrap(), hosts[1]);
        // ref set
        assert_eq!(Vm::get_vbds(&session, &vm).unwrap(), record.vbds);
        // set add / remove
        Vm::add_tags(&session, &vm, "typed").unwrap();
        assert!(Vm::get_tags(&session, &vm)
            .unwrap()
            .contains(&"typed".to_owned()));
        Vm::remove_tags(&session, &vm, "typed").unwrap();
        assert!(!Vm::get_tags(&session, &vm)
            .unwrap()
            .contains(&"typed".to_owned()));
        // map add_to / remove_from
        Vm::add_to_other_config(&session, &vm, "typed-key", "v1").unwrap();
        assert_eq!(
            Vm::get_other_config(&session, &vm)
                .unwrap()
                .get("typed-key")
                .map(String::as_str),
            Some("v1")
        );
        Vm::remove_from_other_config(&session, &vm, "typed-key").unwrap();
        assert!(!Vm::get_other_config(&session, &vm)
            .unwrap()
            .contains_key("typed-key"));
        // the record agrees with the getters
        let after = Vm::get_record(&session, &vm).unwrap();
        assert_eq!(after.name_label, "typed <&> name");
        assert_eq!(after.affinity, hosts[1]);
        assert_eq!(after.actions_after_shutdown, OnNormalExit::Restart);
        session.logout().unwrap();
    }
}

#[test]
fn lookups_agree_with_get_all_records() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let all = Vm::get_all_records(&session).unwrap();
        let mut refs = Vm::get_all(&session).unwrap();
        let mut keys: Vec<VmRef> = all.keys().cloned().collect();
        refs.sort();
        keys.sort();
        assert_eq!(refs, keys);
        let (vm, record) = guest(&session, VmPowerState::Halted);
        assert_eq!(Vm::get_by_uuid(&session, &record.uuid).unwrap(), vm);
        assert!(Vm::get_by_name_label(&session, &record.name_label)
            .unwrap()
            .contains(&vm));
        assert_eq!(Vm::get_record(&session, &vm).unwrap(), all[&vm]);
        let err = Vm::get_by_uuid(&session, "00000000-0000-0000-0000-000000000000").unwrap_err();
        assert!(
            matches!(&err, Error::Api(f) if f.code() == ErrorCode::UuidInvalid),
            "{err}"
        );
    }
}

#[test]
fn create_and_destroy() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let record = NetworkRecord {
            name_label: format!("typed-net-{format:?}"),
            mtu: 9000,
            other_config: [("purpose".to_owned(), "tests".to_owned())].into(),
            ..NetworkRecord::default()
        };
        let net = Network::create(&session, &record).unwrap();
        let got = Network::get_record(&session, &net).unwrap();
        assert_eq!(got.name_label, record.name_label);
        assert_eq!(got.mtu, 9000);
        assert_eq!(got.other_config["purpose"], "tests");
        Network::destroy(&session, &net).unwrap();
        let err = Network::get_record(&session, &net).unwrap_err();
        match err {
            Error::Api(f) => {
                assert_eq!(f.code(), ErrorCode::HandleInvalid);
                assert_eq!(f.param("handle"), Some(net.as_str()));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn custom_messages_and_their_failures() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let (vm, _) = guest(&session, VmPowerState::Halted);
        Vm::start(&session, &vm, false, false).unwrap();
        assert_eq!(
            Vm::get_power_state(&session, &vm).unwrap(),
            VmPowerState::Running
        );
        let err = Vm::start(&session, &vm, false, false).unwrap_err();
        match &err {
            Error::Api(f) => {
                assert_eq!(f.code(), ErrorCode::VmBadPowerState);
                assert_eq!(f.param("vm"), Some(vm.as_str()));
            }
            other => panic!("{other:?}"),
        }
        Vm::hard_shutdown(&session, &vm).unwrap();
        assert_eq!(
            Vm::get_power_state(&session, &vm).unwrap(),
            VmPowerState::Halted
        );
    }
}

#[test]
fn async_calls_and_task_waiting() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let (vm, _) = guest(&session, VmPowerState::Halted);
        // A typed result.
        let task = Vm::async_clone(&session, &vm, "typed-clone").unwrap();
        let mut progress = Vec::new();
        let clone = task
            .wait_with_progress(&session, &wait(), |p| progress.push(p))
            .unwrap();
        assert_eq!(progress.last(), Some(&1.0));
        assert_eq!(Vm::get_name_label(&session, &clone).unwrap(), "typed-clone");
        task.destroy(&session).unwrap();
        // A void result.
        Vm::async_start(&session, &vm, false, false)
            .unwrap()
            .wait_and_destroy(&session, &wait())
            .unwrap();
        assert_eq!(
            Vm::get_power_state(&session, &vm).unwrap(),
            VmPowerState::Running
        );
        // A failure inside the task comes back as the same typed error.
        let err = Vm::async_start(&session, &vm, false, false)
            .unwrap()
            .wait_and_destroy(&session, &wait())
            .unwrap_err();
        assert!(
            matches!(&err, Error::Api(f) if f.code() == ErrorCode::VmBadPowerState),
            "{err}"
        );
        Vm::hard_shutdown(&session, &vm).unwrap();
    }
}

#[test]
fn a_cancelled_task_fails_with_task_cancelled() {
    let sim = Simulator::builder()
        .vms(4)
        .member(false)
        .metrics_interval(None)
        .task_duration(Duration::from_secs(8))
        .start()
        .unwrap();
    let session = login(&sim, WireFormat::JsonRpc);
    let (vm, _) = guest(&session, VmPowerState::Halted);
    let task = Vm::async_start(&session, &vm, false, false).unwrap();
    task.cancel(&session).unwrap();
    let err = task.wait(&session, &wait()).unwrap_err();
    assert!(
        matches!(&err, Error::Api(f) if f.code() == ErrorCode::TaskCancelled),
        "{err}"
    );
    assert_eq!(
        Vm::get_power_state(&session, &vm).unwrap(),
        VmPowerState::Halted
    );
}

#[test]
fn event_from_carries_typed_snapshots() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let classes = ["vm".to_owned()];
        let first = Event::from(&session, &classes, "", 0.0).unwrap();
        let vms = Vm::get_all(&session).unwrap();
        assert_eq!(first.events.len(), vms.len());
        for event in &first.events {
            assert_eq!(event.operation, EventOperation::Add);
            let vm = event.object_ref::<Vm>().unwrap();
            let snapshot = event.snapshot_of::<Vm>().unwrap().unwrap();
            assert_eq!(snapshot.uuid, Vm::get_uuid(&session, &vm).unwrap());
        }
        let (vm, _) = guest(&session, VmPowerState::Halted);
        Vm::set_name_label(&session, &vm, "seen by events").unwrap();
        let next = Event::from(&session, &classes, &first.token, 5.0).unwrap();
        let changed = next
            .events
            .iter()
            .find(|e| e.object_ref::<Vm>() == Some(vm.clone()))
            .expect("an event for the renamed VM");
        assert_eq!(changed.operation, EventOperation::Mod);
        assert_eq!(
            changed.snapshot_of::<Vm>().unwrap().unwrap().name_label,
            "seen by events"
        );
    }
}

#[test]
fn the_watcher_yields_the_current_state_then_changes() {
    let sim = simulator();
    let session = login(&sim, WireFormat::JsonRpc);
    let hosts = Host::get_all(&session).unwrap();
    let mut watcher = EventWatcher::new(&session, &["host"]).with_poll_timeout(5.0);
    let initial: Vec<_> = watcher
        .by_ref()
        .take(hosts.len())
        .map(|e| e.unwrap().object_ref::<Host>().unwrap())
        .collect();
    assert_eq!(initial.len(), hosts.len());
    assert!(hosts.iter().all(|h| initial.contains(h)));
    Host::set_name_description(&session, &hosts[0], "watched").unwrap();
    let event = watcher.next().unwrap().unwrap();
    assert_eq!(event.object_ref::<Host>(), Some(hosts[0].clone()));
    let host = event.snapshot_of::<Host>().unwrap().unwrap();
    assert_eq!(host.name_description, "watched");
}

#[test]
#[allow(deprecated)]
fn the_old_event_api() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let classes = ["vm".to_owned()];
        Event::register(&session, &classes).unwrap();
        let (vm, _) = guest(&session, VmPowerState::Halted);
        Vm::set_name_description(&session, &vm, "via event.next").unwrap();
        let events = Event::next(&session).unwrap();
        let event = events
            .iter()
            .find(|e| e.object_ref::<Vm>() == Some(vm.clone()))
            .expect("an event for the VM");
        assert_eq!(event.operation, EventOperation::Mod);
        Event::unregister(&session, &classes).unwrap();
    }
}
