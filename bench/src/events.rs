//! Events per second through `event.from`: every VM of the pool is modified once (so the
//! server has one event per object to deliver), then the events are drained from the token
//! taken before the modifications. The typed drain decodes each snapshot to a `VmRecord`;
//! the baseline drain takes the same stream as dynamic `Value`s.

use std::time::{Duration, Instant};

use xenapi::api::{Event, Vm, VmRecord};
use xenapi::{Client, Session, Value, WireFormat};

/// How the drained batches are decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Snapshots {
    /// `Event::from`, each VM snapshot decoded to a `VmRecord`.
    Typed,
    /// `session.call("event.from")` into a `Value`.
    Dynamic,
}

/// The outcome of one drain.
pub struct EventRate {
    /// Events received.
    pub events: usize,
    /// Events per second while draining.
    pub per_second: f64,
}

/// Modifies every VM once, then drains and times the `event.from` stream.
pub fn drain_rate(url: &str, format: WireFormat, snapshots: Snapshots) -> EventRate {
    let client = Client::builder(url)
        .format(format)
        .build()
        .expect("bench client");
    let session = client
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login");
    let classes = vec!["vm".to_string()];
    let mut token = Event::from(&session, &classes, "", 0.0)
        .expect("initial event.from")
        .token;
    let vms = Vm::get_all(&session).expect("VM.get_all");
    for (i, vm) in vms.iter().enumerate() {
        Vm::set_name_description(
            &session,
            vm,
            &format!("bench modification {i} {snapshots:?}"),
        )
        .expect("VM.set_name_description");
    }
    let mut events = 0usize;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    while events < vms.len() && Instant::now() < deadline {
        let (received, next) = match snapshots {
            Snapshots::Typed => typed_batch(&session, &classes, &token),
            Snapshots::Dynamic => dynamic_batch(&session, &token),
        };
        events += received;
        token = next;
    }
    let per_second = events as f64 / start.elapsed().as_secs_f64();
    session.logout().expect("bench logout");
    EventRate { events, per_second }
}

fn typed_batch(session: &Session, classes: &[String], token: &str) -> (usize, String) {
    let batch = Event::from(session, classes, token, 1.0).expect("event.from");
    for event in &batch.events {
        if let Some(record) = event.snapshot_of::<Vm>() {
            let record: VmRecord = record.expect("VM snapshot decodes");
            std::hint::black_box(record);
        }
    }
    (batch.events.len(), batch.token)
}

fn dynamic_batch(session: &Session, token: &str) -> (usize, String) {
    let params = [
        Value::Array(vec![Value::String("vm".into())]),
        Value::String(token.into()),
        Value::Float(1.0),
    ];
    let batch = session.call("event.from", &params).expect("event.from");
    let events = batch
        .get("events")
        .and_then(Value::as_array)
        .map_or(0, |e| e.len());
    let token = batch
        .get("token")
        .and_then(Value::as_str)
        .expect("a token")
        .to_string();
    (events, token)
}
