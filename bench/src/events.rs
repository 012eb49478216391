//! Events per second through `event.from`: every VM of the pool is modified once (so the
//! server has one event per object to deliver), then the events are drained from the token
//! taken before the modifications, each snapshot decoded to a typed record.

use std::time::{Duration, Instant};

use xenapi::api::{Event, Vm, VmRecord};
use xenapi::{Client, WireFormat};

/// The outcome of one drain.
pub struct EventRate {
    /// Events received.
    pub events: usize,
    /// Events per second while draining.
    pub per_second: f64,
}

/// Modifies every VM once, then drains and times the `event.from` stream.
pub fn drain_rate(url: &str, format: WireFormat) -> EventRate {
    let client = Client::builder(url)
        .format(format)
        .build()
        .expect("bench client");
    let session = client
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login");
    let classes = vec!["vm".to_string()];
    let token = Event::from(&session, &classes, "", 0.0)
        .expect("initial event.from")
        .token;
    let vms = Vm::get_all(&session).expect("VM.get_all");
    for (i, vm) in vms.iter().enumerate() {
        Vm::set_name_description(&session, vm, &format!("bench modification {i}"))
            .expect("VM.set_name_description");
    }
    let mut token = token;
    let mut events = 0usize;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    while events < vms.len() && Instant::now() < deadline {
        let batch = Event::from(&session, &classes, &token, 1.0).expect("event.from");
        for event in &batch.events {
            if let Some(record) = event.snapshot_of::<Vm>() {
                let record: VmRecord = record.expect("VM snapshot decodes");
                std::hint::black_box(record);
            }
        }
        events += batch.events.len();
        token = batch.token;
    }
    let per_second = events as f64 / start.elapsed().as_secs_f64();
    session.logout().expect("bench logout");
    EventRate { events, per_second }
}
