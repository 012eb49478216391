//! Small calls on loopback: `VM.get_power_state` per second, with the connection kept alive
//! versus a new connection for every call (what the C SDK's sample `call_func` does).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use xenapi::api::{Vm, VmRef};
use xenapi::{Client, Session, WireFormat};

/// How connections are used.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Connections {
    /// One client: its pooled keep-alive connections serve every call.
    Reused,
    /// A new client, hence a new TCP connection, for each call.
    NewPerCall,
}

/// Calls per second over `duration`, from `threads` threads sharing one session.
pub fn calls_per_second(
    url: &str,
    format: WireFormat,
    threads: usize,
    connections: Connections,
    duration: Duration,
) -> f64 {
    let client = client(url, format);
    let session = client
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login");
    let vm: VmRef = Vm::get_all(&session)
        .expect("VM.get_all")
        .into_iter()
        .next()
        .expect("the bench pool has VMs");
    let calls = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while start.elapsed() < duration {
                    match connections {
                        Connections::Reused => call(&session, &vm),
                        Connections::NewPerCall => {
                            let fresh =
                                client_for(url, format).session_from_ref(session.session_ref());
                            call(&fresh, &vm);
                        }
                    }
                    calls.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let rate = calls.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64();
    session.logout().expect("bench logout");
    rate
}

fn call(session: &Session, vm: &VmRef) {
    std::hint::black_box(Vm::get_power_state(session, vm).expect("VM.get_power_state"));
}

fn client(url: &str, format: WireFormat) -> Client {
    client_for(url, format)
}

fn client_for(url: &str, format: WireFormat) -> Client {
    Client::builder(url)
        .format(format)
        .build()
        .expect("bench client")
}
