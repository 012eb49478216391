//! Fault injection: make chosen requests misbehave the way networks and servers do.
//!
//! ```no_run
//! # let sim = xapi_sim::Simulator::builder().start().unwrap();
//! use xapi_sim::{FaultKind, When};
//! use std::time::Duration;
//! sim.faults().on_method("VM.get_all_records", FaultKind::Latency(Duration::from_millis(200)));
//! sim.faults().on_nth_request(1, FaultKind::Http500); // the next request, once
//! sim.faults().add(When::Always, FaultKind::TruncatedBody, Some(3)); // the next 3 requests
//! sim.faults().clear();
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// The response is sent after this delay.
    Latency(Duration),
    /// The headers (with the full `Content-Length`) and half the body are sent, then the
    /// connection is closed.
    CloseMidResponse,
    /// `HTTP/1.1 500 Internal Error` with an HTML body, then the connection is closed.
    Http500,
    /// A well-framed response whose body is the first half of the real one.
    TruncatedBody,
    /// A well-framed response whose body is not well-formed XML (or JSON).
    MalformedBody,
    /// A valid success response whose body is this many bytes (a huge string), streamed.
    OversizedBody(u64),
}

/// Which requests a fault hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    /// Calls of this method (`VM.get_all`, `Async.VM.start`, ...).
    Method(String),
    /// The request with this sequence number (see [`Faults::requests_seen`]; 1 is the first).
    Request(u64),
    /// Every request.
    Always,
}

#[derive(Debug, Clone)]
struct Rule {
    when: When,
    kind: FaultKind,
    remaining: Option<u64>,
}

/// The fault-injection control of a running simulator.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<Rule>>,
    seen: AtomicU64,
}

impl Faults {
    /// Adds a fault: `kind` for requests matching `when`, `times` times (`None`: until cleared).
    pub fn add(&self, when: When, kind: FaultKind, times: Option<u64>) {
        self.lock().push(Rule {
            when,
            kind,
            remaining: times,
        });
    }

    /// `kind` for every call of `method`, until cleared.
    pub fn on_method(&self, method: &str, kind: FaultKind) {
        self.add(When::Method(method.to_string()), kind, None);
    }

    /// `kind` for the `n`-th request from now (1: the next one), once.
    pub fn on_nth_request(&self, n: u64, kind: FaultKind) {
        let at = self.seen.load(Ordering::SeqCst) + n;
        self.add(When::Request(at), kind, Some(1));
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// How many requests have been received so far (on every endpoint).
    pub fn requests_seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    /// Counts a request and returns the fault to apply to it, if any. `method` is `""` for a
    /// request that could not be decoded.
    pub(crate) fn next(&self, method: &str) -> Option<FaultKind> {
        let n = self.seen.fetch_add(1, Ordering::SeqCst) + 1;
        let mut rules = self.lock();
        let i = rules.iter().position(|r| match &r.when {
            When::Method(m) => m == method,
            When::Request(k) => *k == n,
            When::Always => true,
        })?;
        let kind = rules[i].kind.clone();
        if let Some(left) = &mut rules[i].remaining {
            *left -= 1;
            if *left == 0 {
                rules.remove(i);
            }
        }
        Some(kind)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Rule>> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_match_and_expire() {
        let f = Faults::default();
        f.on_nth_request(2, FaultKind::Http500);
        f.on_method("VM.get_all", FaultKind::TruncatedBody);
        assert_eq!(f.next("host.get_all"), None);
        assert_eq!(f.next("host.get_all"), Some(FaultKind::Http500));
        assert_eq!(f.next("host.get_all"), None);
        assert_eq!(f.next("VM.get_all"), Some(FaultKind::TruncatedBody));
        assert_eq!(f.next("VM.get_all"), Some(FaultKind::TruncatedBody));
        f.clear();
        assert_eq!(f.next("VM.get_all"), None);
        assert_eq!(f.requests_seen(), 6);
    }
}
