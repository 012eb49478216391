//! Measures the simulator itself (reports, asserts nothing):
//! the time to build pools, the size of `VM.get_all_records` on 4,096 VMs in both formats,
//! and small-call throughput on loopback with keep-alive, with 1 and 8 client threads.
//!
//!     cargo run --release -p xapi-sim --example measure

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use xenapi::wire::{self, WireFormat};
use xenapi::{Limits, Value};

struct Conn {
    r: BufReader<TcpStream>,
}

impl Conn {
    fn new(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::with_capacity(1 << 16, s),
        }
    }

    fn post(&mut self, path: &str, body: &[u8]) -> Vec<u8> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut req = head.into_bytes();
        req.extend_from_slice(body);
        self.r.get_mut().write_all(&req).unwrap();
        let mut len = 0usize;
        let mut line = String::new();
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut out = vec![0; len];
        self.r.read_exact(&mut out).unwrap();
        out
    }

    fn call(&mut self, format: WireFormat, method: &str, params: &[Value]) -> (Value, usize) {
        let body = wire::encode_call(format, method, None, params, 1).unwrap();
        let resp = self.post(format.path(), &body);
        (
            wire::decode_response(format, &resp, &Limits::default()).unwrap(),
            resp.len(),
        )
    }
}

fn s(x: &str) -> Value {
    Value::String(x.into())
}

fn main() {
    for vms in [1_000usize, 10_000] {
        let t = Instant::now();
        let sim = xapi_sim::Simulator::builder()
            .vms(vms)
            .hosts(16)
            .metrics_interval(None)
            .start()
            .unwrap();
        println!(
            "build + start, {vms} VMs on 16 hosts: {:.3} s",
            t.elapsed().as_secs_f64()
        );
        drop(sim);
    }

    let sim = xapi_sim::Simulator::builder()
        .vms(4096 - 16 - 14)
        .hosts(16)
        .metrics_interval(None)
        .start()
        .unwrap();
    let addr = sim.addr().to_string();
    let mut c = Conn::new(&addr);
    let (session, _) = c.call(
        WireFormat::XmlRpc,
        "session.login_with_password",
        &[s("root"), s("xenroot")],
    );
    let session = session.as_str().unwrap().to_string();
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let t = Instant::now();
        let (all, bytes) = c.call(format, "VM.get_all_records", &[s(&session)]);
        let n = all.as_struct().unwrap().len();
        println!(
            "VM.get_all_records, {n} VMs, {format:?}: {:.1} MB ({:.1} KB per VM), {:.3} s round trip incl. client decode",
            bytes as f64 / 1e6,
            bytes as f64 / n as f64 / 1e3,
            t.elapsed().as_secs_f64()
        );
    }
    let (vms, _) = c.call(WireFormat::XmlRpc, "VM.get_all", &[s(&session)]);
    let vm = vms.as_array().unwrap()[0].as_str().unwrap().to_string();

    for threads in [1usize, 8] {
        let dur = Duration::from_secs(3);
        let t = Instant::now();
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (addr, session, vm) = (addr.clone(), session.clone(), vm.clone());
                std::thread::spawn(move || {
                    let mut c = Conn::new(&addr);
                    let body = wire::encode_call(
                        WireFormat::XmlRpc,
                        "VM.get_power_state",
                        None,
                        &[s(&session), s(&vm)],
                        1,
                    )
                    .unwrap();
                    let mut n = 0u64;
                    while t.elapsed() < dur {
                        let r = c.post("/", &body);
                        assert!(r.len() > 100);
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        println!(
            "VM.get_power_state, XML-RPC, keep-alive, {threads} client thread(s): {:.0} calls/s",
            total as f64 / t.elapsed().as_secs_f64()
        );
    }
}
