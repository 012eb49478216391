//! Events per second through `event.from`: every VM of the pool is modified once after a
//! token is taken, so that the server has one event per VM (with its record) to deliver, then
//! each client drains `event.from` from that token. The stream does not change between drains
//! (nothing else is modified), so every drain gets the same events; the clients take turns,
//! round after round, and each figure is a median over the rounds.

use std::time::{Duration, Instant};

use xenapi::api::{Event, Vm, VmRecord};
use xenapi::{Client, Session, Value, WireFormat};

use crate::timing::{median, min_max};
use crate::xo::XoClient;

/// The pause before each drain.
const SETTLE: Duration = Duration::from_millis(100);

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

/// What a drain received, kept until its clock has stopped.
type Kept = Vec<Box<dyn std::any::Any>>;

/// One drain's figures.
pub struct Drained {
    /// Events received.
    pub events: usize,
    /// Time up to the last batch's results in hand (what XO's figure is: its garbage collector
    /// frees later).
    pub in_hand: Duration,
    /// Time to free what was received, after the clock stopped.
    pub freeing: Duration,
}

/// Drains the stream once. As in the e2e section, the results are kept until the clock has
/// stopped and then freed, and the freeing is timed apart.
pub fn drain(session: &Session, stream: &Stream, how: Drain) -> Drained {
    let mut token = stream.token.clone();
    let mut events = 0usize;
    let mut kept: Kept = Vec::new();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(60);
    while events < stream.events && Instant::now() < deadline {
        let (received, next) = match how {
            Drain::Typed => typed_batch(session, &token, &mut kept),
            Drain::TypedViaValue => via_value_batch(session, &token, &mut kept),
            Drain::Dynamic => dynamic_batch(session, &token, &mut kept),
        };
        events += received;
        token = next;
    }
    let in_hand = start.elapsed();
    let freeing_start = Instant::now();
    drop(std::hint::black_box(kept));
    Drained {
        events,
        in_hand,
        freeing: freeing_start.elapsed(),
    }
}

/// Drains the stream once through Xen Orchestra's client (timed by its script up to the
/// parsed batches in hand).
pub fn drain_xo(xo: &mut XoClient, stream: &Stream) -> Result<Drained, String> {
    let (events, seconds) = xo.drain(&stream.token, stream.events)?;
    Ok(Drained {
        events,
        in_hand: Duration::from_secs_f64(seconds),
        freeing: Duration::ZERO,
    })
}

fn typed_batch(session: &Session, token: &str, kept: &mut Kept) -> (usize, String) {
    let batch = Event::from_class::<Vm>(session, token, 1.0).expect("event.from");
    let received = batch.events.len();
    let records: Vec<VmRecord> = batch
        .events
        .into_iter()
        .filter_map(|event| event.snapshot)
        .map(|record| record.expect("VM snapshot decodes"))
        .collect();
    kept.push(Box::new(records));
    (received, batch.token)
}

fn via_value_batch(session: &Session, token: &str, kept: &mut Kept) -> (usize, String) {
    let classes = ["vm".to_string()];
    let batch = Event::from(session, &classes, token, 1.0).expect("event.from");
    let records: Vec<VmRecord> = batch
        .events
        .iter()
        .filter_map(|event| event.snapshot_of::<Vm>())
        .map(|record| record.expect("VM snapshot decodes"))
        .collect();
    let received = batch.events.len();
    let token = batch.token.clone();
    kept.push(Box::new((batch, records)));
    (received, token)
}

fn dynamic_batch(session: &Session, token: &str, kept: &mut Kept) -> (usize, String) {
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
    kept.push(Box::new(batch));
    (events, token)
}

/// The figures of one client: events per second of each round.
struct Rates {
    name: String,
    /// Up to the results in hand.
    per_round: Vec<f64>,
    /// Counting the freeing of the results too (the same as `per_round` for XO, whose
    /// garbage collector frees later).
    with_freeing: Vec<f64>,
}

impl Rates {
    fn median(&self) -> f64 {
        median(&self.per_round)
    }
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
            with_freeing: Vec::new(),
        })
        .collect();
    if let Some((_, label)) = &xo {
        rates.push(Rates {
            name: label.clone(),
            per_round: Vec::new(),
            with_freeing: Vec::new(),
        });
    }
    let clients = rates.len();
    for round in 0..=rounds {
        for k in 0..clients {
            let client = (k + round) % clients;
            // A pause first, so that one client's background work (node's garbage
            // collector) does not land in the next one's time.
            std::thread::sleep(SETTLE);
            let drained = match (ours.get(client), xo.as_mut()) {
                (Some(&how), _) => drain(&session, &stream, how),
                (None, Some((xo, _))) => drain_xo(xo, &stream).expect("XO drain"),
                (None, None) => unreachable!("XO is the last client, when there is one"),
            };
            assert_eq!(
                drained.events, stream.events,
                "{} drained {} of {} events",
                rates[client].name, drained.events, stream.events
            );
            if round > 0 {
                let events = drained.events as f64;
                let rates = &mut rates[client];
                rates.per_round.push(events / drained.in_hand.as_secs_f64());
                rates
                    .with_freeing
                    .push(events / (drained.in_hand + drained.freeing).as_secs_f64());
            }
        }
    }
    session.logout().expect("bench logout");
    println!(
        "# events: {} VM modifications drained from one token (event.from, JSON-RPC) by each client in turn, {rounds} rounds; median [min-max] events/s up to the results in hand, and counting their freeing",
        stream.events
    );
    for r in &rates {
        let (lo, hi) = min_max(&r.per_round);
        let (flo, fhi) = min_max(&r.with_freeing);
        println!(
            "events {}: {:.0}/s [{lo:.0}-{hi:.0}]; counting the freeing {:.0}/s [{flo:.0}-{fhi:.0}]",
            r.name,
            r.median(),
            median(&r.with_freeing)
        );
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
        let (lo, hi) = min_max(&ratios);
        line.push_str(&format!(
            "; {:.2}x the {:.0}/s of {} (per round {lo:.2}-{hi:.2}x)",
            typed.median() / other.median(),
            other.median(),
            other.name
        ));
    }
    println!("{line}");
    if let Some(xo) = rates.get(ours.len()) {
        let ratios: Vec<f64> = typed
            .with_freeing
            .iter()
            .zip(&xo.per_round)
            .map(|(t, o)| t / o)
            .collect();
        let (lo, hi) = min_max(&ratios);
        println!(
            "events: typed counting its freeing {:.0}/s = {:.2}x the {:.0}/s of {} (per round {lo:.2}-{hi:.2}x)",
            median(&typed.with_freeing),
            median(&typed.with_freeing) / xo.median(),
            xo.median(),
            xo.name
        );
    }
}
