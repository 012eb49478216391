//! Events of one class with snapshots decoded straight into records (`Event::from_class`,
//! `ClassWatcher`), against the simulator over real sockets in XML-RPC and JSON-RPC: additions,
//! modifications, deletions, a snapshot that is not a record of the class, server failures.

#[path = "support/live_sim.rs"]
mod live_sim;

use xapi_sim::{RunningSimulator, V};
use xenapi::api::*;
use xenapi::typed::ClassWatcher;
use xenapi::{Error, Session, WireFormat};

use live_sim::FORMATS;

fn simulator() -> RunningSimulator {
    live_sim::simulator(16)
}

fn login(sim: &RunningSimulator, format: WireFormat) -> Session {
    live_sim::login(sim, format, "typed-events-tests")
}

/// Halted guests (neither templates nor dom0), which may be changed and destroyed.
fn halted_guests(session: &Session) -> Vec<VmRef> {
    let mut guests: Vec<VmRef> = Vm::get_all_records(session)
        .unwrap()
        .into_iter()
        .filter(|(_, r)| {
            !r.is_a_template && !r.is_control_domain && r.power_state == VmPowerState::Halted
        })
        .map(|(vm, _)| vm)
        .collect();
    guests.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    guests
}

#[test]
fn from_the_empty_token_every_object_is_added_with_its_record() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let records = Vm::get_all_records(&session).unwrap();
        let batch = Event::from_class::<Vm>(&session, "", 0.0).unwrap();
        assert_eq!(batch.events.len(), records.len(), "{format:?}");
        assert_eq!(
            batch.valid_ref_counts.get("vm"),
            Some(&(records.len() as i64))
        );
        assert!(!batch.token.is_empty());
        for event in batch.events {
            assert_eq!(event.operation, EventOperation::Add);
            let snapshot = event.snapshot.expect("an added object has a snapshot");
            assert_eq!(
                &snapshot.unwrap(),
                &records[&event.object],
                "{format:?}: the snapshot of {} is its record",
                event.object.as_str()
            );
        }
    }
}

#[test]
fn typed_snapshots_equal_those_decoded_through_values() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let typed = Event::from_class::<Host>(&session, "", 0.0).unwrap();
        let dynamic = Event::from(&session, &["host".to_string()], "", 0.0).unwrap();
        assert_eq!(typed.events.len(), dynamic.events.len());
        assert_eq!(typed.token, dynamic.token);
        for (t, d) in typed.events.into_iter().zip(&dynamic.events) {
            assert_eq!(t.id, d.id);
            assert_eq!(Some(t.object), d.object_ref::<Host>());
            assert_eq!(
                t.snapshot.unwrap().unwrap(),
                d.snapshot_of::<Host>().unwrap().unwrap()
            );
        }
    }
}

#[test]
fn modifications_and_deletions_follow_the_token() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let token = Event::from_class::<Vm>(&session, "", 0.0).unwrap().token;
        let guests = halted_guests(&session);
        let (renamed, destroyed) = (&guests[0], &guests[1]);
        Vm::set_name_label(&session, renamed, "seen by typed events").unwrap();
        Vm::destroy(&session, destroyed).unwrap();

        let batch = Event::from_class::<Vm>(&session, &token, 5.0).unwrap();
        let modified = batch
            .events
            .iter()
            .find(|e| &e.object == renamed)
            .expect("an event for the renamed VM");
        assert_eq!(modified.operation, EventOperation::Mod);
        let record = modified.snapshot.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(record.name_label, "seen by typed events");
        let deleted = batch
            .events
            .iter()
            .find(|e| &e.object == destroyed)
            .expect("an event for the destroyed VM");
        assert_eq!(deleted.operation, EventOperation::Del);
        assert!(
            deleted.snapshot.is_none(),
            "{format:?}: a deletion carries no record"
        );

        let quiet = Event::from_class::<Vm>(&session, &batch.token, 0.0).unwrap();
        assert!(
            quiet.events.is_empty(),
            "{format:?}: nothing since: {quiet:?}"
        );
    }
}

#[test]
fn a_snapshot_that_is_not_a_record_fails_its_event_and_keeps_the_batch() {
    let sim = simulator();
    let vm_class = sim.sim().class("VM").unwrap();
    for format in FORMATS {
        let session = login(&sim, format);
        let token = Event::from_class::<Vm>(&session, "", 0.0).unwrap().token;
        let guests = halted_guests(&session);
        let (good, odd) = (&guests[0], &guests[1]);
        Vm::set_name_description(&session, good, "still decodes").unwrap();
        // An integer field holding a word: no VM record has that.
        sim.store()
            .write(|t| t.set_named(vm_class, odd.as_str(), "memory_static_max", V::s("lots")))
            .unwrap();

        let batch = Event::from_class::<Vm>(&session, &token, 5.0).unwrap();
        assert_eq!(batch.events.len(), 2, "{format:?}: {batch:?}");
        let of = |vm: &VmRef| batch.events.iter().find(|e| &e.object == vm).unwrap();
        let record = of(good).snapshot.as_ref().unwrap().as_ref().unwrap();
        assert_eq!(record.name_description, "still decodes");
        match of(odd).snapshot.as_ref().unwrap() {
            Err(Error::Decode { .. }) => {}
            other => panic!("{format:?}: expected a decode error, got {other:?}"),
        }
        assert!(batch.valid_ref_counts.contains_key("vm"));
        let quiet = Event::from_class::<Vm>(&session, &batch.token, 0.0).unwrap();
        assert!(quiet.events.is_empty(), "{format:?}: the token moved on");

        // Put it right for the next format.
        sim.store()
            .write(|t| t.set_named(vm_class, odd.as_str(), "memory_static_max", V::Int(1 << 30)))
            .unwrap();
    }
}

#[test]
fn server_failures_are_errors_of_the_call() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        match Event::from_class::<Vm>(&session, "not a token", 0.0) {
            Err(Error::Api(failure)) => {
                assert_eq!(failure.code, "EVENT_FROM_TOKEN_PARSE_FAILURE")
            }
            other => panic!("{format:?}: expected an API failure, got {other:?}"),
        }
    }
}

#[test]
fn the_class_watcher_yields_the_current_state_then_changes() {
    let sim = simulator();
    for format in FORMATS {
        let session = login(&sim, format);
        let hosts = Host::get_all(&session).unwrap();
        let mut watcher = ClassWatcher::<Host>::new(&session).with_poll_timeout(5.0);
        let initial: Vec<HostRef> = watcher
            .by_ref()
            .take(hosts.len())
            .map(|e| e.unwrap().object)
            .collect();
        assert_eq!(initial.len(), hosts.len());
        assert!(hosts.iter().all(|h| initial.contains(h)));
        let description = format!("watched over {format:?}");
        Host::set_name_description(&session, &hosts[0], &description).unwrap();
        let event = watcher.next().unwrap().unwrap();
        assert_eq!(event.object, hosts[0]);
        assert_eq!(event.operation, EventOperation::Mod);
        assert_eq!(
            event.snapshot.unwrap().unwrap().name_description,
            description
        );
        assert!(!watcher.token().is_empty());
    }
}

#[test]
fn the_class_watcher_ends_after_an_error() {
    let sim = simulator();
    let session = login(&sim, WireFormat::JsonRpc);
    let mut watcher = ClassWatcher::<Vm>::from_token(&session, "garbage").with_poll_timeout(0.0);
    assert!(matches!(watcher.next(), Some(Err(Error::Api(_)))));
    assert!(watcher.next().is_none());
}
