//! `xapi-sim`: run the simulator until interrupted.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

const USAGE: &str =
    "usage: xapi-sim [--listen ADDR:PORT] [--unix PATH] [--tls] [--vms N] [--hosts H] [--seed S] \
                     [--user NAME --password PW] [--no-member] [--model xapi|xend]";

/// xend's XML-RPC port, where `--model xend` listens unless told otherwise.
const XEND_PORT: u16 = 9363;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xapi-sim: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let mut b = xapi_sim::Simulator::builder();
    let mut args = std::env::args().skip(1);
    let mut user = None;
    let mut password = None;
    let mut listen = None;
    let mut xend = false;
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--listen" => {
                let v = value("--listen")?;
                let addr: SocketAddr = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
                listen = Some(addr);
            }
            "--model" => match value("--model")?.as_str() {
                "xapi" => xend = false,
                "xend" => xend = true,
                other => return Err(format!("--model {other:?}: xapi or xend\n{USAGE}")),
            },
            "--unix" => b = b.unix(value("--unix")?),
            "--tls" => b = b.tls(true),
            "--no-member" => b = b.member(false),
            "--vms" => b = b.vms(number(&value("--vms")?)? as usize),
            "--hosts" => b = b.hosts(number(&value("--hosts")?)? as usize),
            "--seed" => b = b.seed(number(&value("--seed")?)?),
            "--user" => user = Some(value("--user")?),
            "--password" => password = Some(value("--password")?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if xend {
        b = b.xend();
    }
    match (listen, xend) {
        (Some(addr), _) => b = b.listen(addr),
        (None, true) => b = b.listen(SocketAddr::from(([127, 0, 0, 1], XEND_PORT))),
        (None, false) => {}
    }
    if user.is_some() || password.is_some() {
        b = b.credentials(
            user.as_deref().unwrap_or("root"),
            password.as_deref().unwrap_or("xenroot"),
        );
    }
    let started = Instant::now();
    let sim = b.start().map_err(|e| e.to_string())?;
    println!(
        "xapi-sim: pool built and listening in {:.3} s",
        started.elapsed().as_secs_f64()
    );
    println!("XML-RPC:  {}", sim.url());
    if !xend {
        println!("JSON-RPC: {}", sim.jsonrpc_url());
    }
    if let Some(m) = sim.member_url() {
        println!("member:   {m} (HOST_IS_SLAVE {})", sim.master_address());
    }
    if let Some(p) = sim.unix_path() {
        println!("unix:     {}", p.display());
    }
    if let Some(f) = sim.fingerprint() {
        println!("certificate SHA-256 fingerprint: {f}");
    }
    let (u, _) = sim.credentials();
    println!("user:     {u}");
    loop {
        std::thread::park();
    }
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}
