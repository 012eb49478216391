//! `xapi-sim`: run the simulator until interrupted.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

/// xend's XML-RPC port, where `--model xend` listens unless told otherwise.
const XEND_PORT: u16 = 9363;
const USAGE: &str = "usage: xapi-sim [OPTIONS]   (xapi-sim --help lists them)";

/// Every flag with its default; the credentials are appended by [`help`].
const FLAGS: &str =
    "  --model xapi|xend        serve xapi's API 2.x, or xend's API 1.0 with UUID refs, XML-RPC
                           only (default xapi)
  --listen ADDR:PORT       address to serve on (default 127.0.0.1:0, an ephemeral port;
                           127.0.0.1:9363, xend's port, with --model xend)
  --unix PATH              also serve plain HTTP on a Unix socket (default: none)
  --tls                    HTTPS with a self-signed certificate (default: plain HTTP)
  --vms N                  guest VMs in the pool (default 8)
  --hosts H                hosts in the pool (default 2)
  --seed S                 seed of refs, uuids and states: same seed, same pool (default 1)
  --user NAME              user name logins accept (default root)
  --password PW            password logins accept (default xenroot)
  --session-timeout SECS   sessions unused this long expire: SESSION_INVALID, then log in
                           again (default: never)
  --no-member              no pool-member endpoint (default: one on 127.0.0.2, same port,
                           whose logins answer HOST_IS_SLAVE)
  -h, --help               this help";

fn help(user: &str, password: &str) -> String {
    format!(
        "xapi-sim: a simulated XenServer/XCP-ng pool serving the XenAPI \
         (XML-RPC on every path but /jsonrpc, JSON-RPC on /jsonrpc)\n\n\
         usage: xapi-sim [OPTIONS]\n\n{FLAGS}\n\n\
         credentials accepted: user {user:?}, password {password:?}\n"
    )
}

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
    let mut show_help = false;
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
            "--session-timeout" => {
                let secs = number(&value("--session-timeout")?)?;
                b = b.session_timeout(Some(std::time::Duration::from_secs(secs)));
            }
            "--user" => user = Some(value("--user")?),
            "--password" => password = Some(value("--password")?),
            "-h" | "--help" => show_help = true,
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
    let (user, password) = (
        user.unwrap_or_else(|| "root".into()),
        password.unwrap_or_else(|| "xenroot".into()),
    );
    if show_help {
        print!("{}", help(&user, &password));
        return Ok(());
    }
    b = b.credentials(&user, &password);
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
    let (u, p) = sim.credentials();
    println!("login:    user {u:?}, password {p:?}");
    loop {
        std::thread::park();
    }
}

fn number(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("not a number: {s:?}"))
}
