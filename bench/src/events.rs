//! Events per second through `event.from`: every VM of the pool is modified once after a
//! token is taken, so that the server has one event per VM (with its record) to deliver, then
//! each client drains `event.from` from that token. The stream does not change between drains
//! (nothing else is modified), so every drain gets the same events; the clients take turns,
//! round after round, and each figure is a median over the rounds.

use std::time::{Duration, Instant};

use xenapi::api::{Event, Vm, VmRecord};
use xenapi::{Client, Session, Value, WireFormat};

use crate::xo::XoClient;

/// How a drain reads the batches.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Drain {
    /// `Event::from_class::<Vm>`: each snapshot decoded to a `VmRecord` while reading.
    Typed,
    /// `Event::from` (snapshots as `Value`s), then `EventRecord::snapshot_of::<Vm>()`.
    TypedViaValue,
    /// `session.call("event.from")` into a `Value`.
    Dynamic,
}

impl Drain {
    /// How the figure is labelled.
    pub fn name(self) -> &'static str {
        match self {
            Drain::Typed => "typed (Event::from_class)",
            Drain::TypedViaValue => "typed via Value (Event::from + snapshot_of)",
            Drain::Dynamic => "dynamic Value (session.call)",
        }
    }
}

/// Events waiting on the server since `token`.
pub struct Stream {
    /// The token taken before the modifications.
    pub token: String,
    /// How many events the stream holds (one per VM).
    pub events: usize,
}

/// A logged-in JSON-RPC session of the bench's own client.
pub fn login(url: &str) -> Session {
    Client::builder(url)
        .format(WireFormat::JsonRpc)
        .build()
        .expect("bench client")
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login")
}

/// Takes a token, then modifies every VM once.
pub fn prepare(session: &Session) -> Stream {
    let classes = vec!["vm".to_string()];
    let token = Event::from(session, &classes, "", 0.0)
        .expect("initial event.from")
        .token;
    let vms = Vm::get_all(session).expect("VM.get_all");
    for (i, vm) in vms.iter().enumerate() {
        Vm::set_name_description(session, vm, &format!("bench modification {i}"))
            .expect("VM.set_name_description");
    }
    Stream {
        token,
        events: vms.len(),
    }
}

/// Drains the stream once; the events received and the time it took.
pub fn drain(session: &Session, stream: &Stream, how: Drain) -> (usize, Duration) {
    let mut token = stream.token.clone();
    let mut events = 0usize;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    while events < stream.events && Instant::now() < deadline {
        let (received, next) = match how {
            Drain::Typed => typed_batch(session, &token),
            Drain::TypedViaValue => via_value_batch(session, &token),
            Drain::Dynamic => dynamic_batch(session, &token),
        };
        events += received;
        token = next;
    }
    (events, start.elapsed())
}

/// Drains the stream once through Xen Orchestra's client.
pub fn drain_xo(xo: &mut XoClient, stream: &Stream) -> Result<(usize, Duration), String> {
    let (events, seconds) = xo.drain(&stream.token, stream.events)?;
    Ok((events, Duration::from_secs_f64(seconds)))
}

fn typed_batch(session: &Session, token: &str) -> (usize, String) {
    let batch = Event::from_class::<Vm>(session, token, 1.0).expect("event.from");
    let received = batch.events.len();
    for event in batch.events {
        if let Some(record) = event.snapshot {
            let record: VmRecord = record.expect("VM snapshot decodes");
            std::hint::black_box(record);
        }
    }
    (received, batch.token)
}

fn via_value_batch(session: &Session, token: &str) -> (usize, String) {
    let classes = ["vm".to_string()];
    let batch = Event::from(session, &classes, token, 1.0).expect("event.from");
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

/// The figures of one client: events per second of each round.
struct Rates {
    name: String,
    per_round: Vec<f64>,
}

impl Rates {
    fn median(&self) -> f64 {
        median(&self.per_round)
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn spread(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

/// Prints the events section: `rounds` rounds in which each client (ours three ways, then
/// XO when given) drains the same stream in turn, after one untimed warm-up round; the order
/// of the clients rotates from round to round.
pub fn figures(url: &str, rounds: usize, mut xo: Option<(XoClient, String)>) {
    let session = login(url);
    let stream = prepare(&session);
    let ours = [Drain::Typed, Drain::TypedViaValue, Drain::Dynamic];
    let mut rates: Vec<Rates> = ours
        .iter()
        .map(|d| Rates {
            name: d.name().to_string(),
            per_round: Vec::new(),
        })
        .collect();
    if let Some((_, label)) = &xo {
        rates.push(Rates {
            name: label.clone(),
            per_round: Vec::new(),
        });
    }
    let clients = rates.len();
    for round in 0..=rounds {
        for k in 0..clients {
            let client = (k + round) % clients;
            let (events, took) = match (ours.get(client), xo.as_mut()) {
                (Some(&how), _) => drain(&session, &stream, how),
                (None, Some((xo, _))) => drain_xo(xo, &stream).expect("XO drain"),
                (None, None) => unreachable!("XO is the last client, when there is one"),
            };
            assert_eq!(
                events, stream.events,
                "{} drained {events} of {} events",
                rates[client].name, stream.events
            );
            if round > 0 {
                rates[client]
                    .per_round
                    .push(events as f64 / took.as_secs_f64());
            }
        }
    }
    session.logout().expect("bench logout");
    println!(
        "# events: {} VM modifications drained from one token (event.from, JSON-RPC) by each client in turn, {rounds} rounds; median [min-max] events/s",
        stream.events
    );
    for r in &rates {
        let (lo, hi) = spread(&r.per_round);
        println!("events {}: {:.0}/s [{lo:.0}-{hi:.0}]", r.name, r.median());
    }
    let typed = &rates[0];
    let mut line = format!("events: typed {:.0}/s", typed.median());
    for other in rates.iter().skip(1) {
        let ratios: Vec<f64> = typed
            .per_round
            .iter()
            .zip(&other.per_round)
            .map(|(t, o)| t / o)
            .collect();
        let (lo, hi) = spread(&ratios);
        line.push_str(&format!(
            "; {:.2}x the {:.0}/s of {} (per round {lo:.2}-{hi:.2}x)",
            typed.median() / other.median(),
            other.median(),
            other.name
        ));
    }
    println!("{line}");
}
