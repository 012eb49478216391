//! A small simulated pool for the typed tests that watch objects change, and a session on it.

use std::time::Duration;

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::{Client, Session, WireFormat};

/// Both encodings, for tests that run once per wire format.
pub const FORMATS: [WireFormat; 2] = [WireFormat::XmlRpc, WireFormat::JsonRpc];

/// A standalone pool of `vms` guests on two hosts, without periodic metric updates (so the
/// only events are the test's own) and with tasks that finish within 20 ms.
pub fn simulator(vms: usize) -> RunningSimulator {
    Simulator::builder()
        .vms(vms)
        .hosts(2)
        .member(false)
        .metrics_interval(None)
        .task_duration(Duration::from_millis(20))
        .start()
        .expect("simulator starts")
}

/// A session on `sim` in `format`, logged in as the simulator's user from `program`.
pub fn login(sim: &RunningSimulator, format: WireFormat, program: &str) -> Session {
    let (user, password) = sim.credentials();
    Client::builder(&sim.url())
        .format(format)
        .build()
        .expect("client builds")
        .login_with_password(user, password, "2.23", program)
        .expect("login")
}
