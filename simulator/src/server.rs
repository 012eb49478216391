//! Starting and stopping a simulator: listeners (master, pool member, Unix socket), TLS, the
//! metrics ticker.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::faults::Faults;
use crate::http::{self, ConnCtx};
use crate::model::{Dialect, Model};
use crate::populate::{populate, PoolSpec};
use crate::sim::{Endpoint, Sim, SimConfig};
use crate::store::Store;
use crate::tls::{self, Tls, TlsError};
use crate::value::{now_datetime, V};

/// A failure to start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A socket could not be bound.
    #[error("cannot listen on {what}: {source}")]
    Bind {
        /// The address or path.
        what: String,
        /// The cause.
        source: io::Error,
    },
    /// The certificate could not be made.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(io::Error),
    /// The pool could not be built over the model.
    #[error("cannot build the pool: {0}")]
    Populate(String),
}

/// Entry point: `Simulator::builder()...start()`.
#[derive(Debug)]
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: 127.0.0.1 on an ephemeral port, plain HTTP, 8 VMs on 2
    /// hosts, seed 1, `root` / `xenroot`, a pool-member endpoint, tasks pending 50 ms,
    /// metrics changing every 5 s, sessions that never expire.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            vms: 8,
            hosts: 2,
            seed: 1,
            tls: false,
            unix: None,
            user: "root".into(),
            password: "xenroot".into(),
            member: true,
            task_duration: Duration::from_millis(50),
            metrics_interval: Some(Duration::from_secs(5)),
            session_timeout: None,
            model: None,
        }
    }
}

/// Settings of a simulator to start.
#[derive(Debug, Clone)]
pub struct SimulatorBuilder {
    listen: SocketAddr,
    vms: usize,
    hosts: usize,
    seed: u64,
    tls: bool,
    unix: Option<PathBuf>,
    user: String,
    password: String,
    member: bool,
    task_duration: Duration,
    metrics_interval: Option<Duration>,
    session_timeout: Option<Duration>,
    model: Option<Arc<Model>>,
}

impl SimulatorBuilder {
    /// The address to listen on (port 0: an ephemeral port).
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }
    /// The number of guest VMs.
    pub fn vms(mut self, n: usize) -> Self {
        self.vms = n;
        self
    }
    /// The number of hosts (at least 1).
    pub fn hosts(mut self, n: usize) -> Self {
        self.hosts = n.max(1);
        self
    }
    /// The seed: the same seed builds the same pool (refs, uuids, states).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Serve HTTPS (a self-signed certificate made at start) instead of HTTP.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }
    /// Also serve on a Unix socket at `path` (plain HTTP, as xapi's local socket).
    pub fn unix(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix = Some(path.into());
        self
    }
    /// The credentials `session.login_with_password` accepts.
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        self.user = user.into();
        self.password = password.into();
        self
    }
    /// Whether to start the pool-member endpoint (on by default).
    pub fn member(mut self, on: bool) -> Self {
        self.member = on;
        self
    }
    /// How long `Async.` tasks stay pending before they run.
    pub fn task_duration(mut self, d: Duration) -> Self {
        self.task_duration = d;
        self
    }
    /// How often metrics objects change (`None`: never).
    pub fn metrics_interval(mut self, every: Option<Duration>) -> Self {
        self.metrics_interval = every;
        self
    }
    /// Sessions unused for longer than this expire: the next call with one answers
    /// `SESSION_INVALID` and the session is destroyed, so that clients can test their relogin
    /// (`None`, the default: sessions last until logout).
    pub fn session_timeout(mut self, idle: Option<Duration>) -> Self {
        self.session_timeout = idle;
        self
    }
    /// Serve another data model than the embedded xapi one (a model of API 1.x is served
    /// as xend served it: see [`crate::xend`]).
    pub fn model(mut self, model: Arc<Model>) -> Self {
        self.model = Some(model);
        self
    }

    /// xend mode: xend's API 1.0 ([`Model::xend`]), on one host without a pool member
    /// (xend had no pools), as any model of API 1.x is served.
    pub fn xend(self) -> Self {
        self.model(Arc::new(Model::xend()))
    }

    /// Builds the pool, binds the sockets and starts serving.
    pub fn start(self) -> Result<RunningSimulator, StartError> {
        let model = self.model.unwrap_or_else(|| Arc::new(Model::xenapi()));
        // xend served one host and had no pools.
        let xend = model.dialect == Dialect::Xend;
        let bind_err = |what: String| move |source| StartError::Bind { what, source };
        let listener = TcpListener::bind(self.listen).map_err(bind_err(self.listen.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(bind_err(self.listen.to_string()))?;
        let master_ip = if addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        };

        // The member endpoint: on 127.0.0.2 with the master's port when the master is on
        // 127.0.0.1, so that HOST_IS_SLAVE can name the master by address only, as xapi
        // does (a client swaps the host and keeps the port); otherwise on an ephemeral
        // port, and HOST_IS_SLAVE names `address:port`.
        let mut master_address = master_ip.to_string();
        let member = if self.member && !xend {
            let same_port = (master_ip == IpAddr::V4(Ipv4Addr::LOCALHOST))
                .then(|| TcpListener::bind((Ipv4Addr::new(127, 0, 0, 2), addr.port())).ok())
                .flatten();
            match same_port {
                Some(l) => Some(l),
                None => {
                    let l = TcpListener::bind((master_ip, 0))
                        .map_err(bind_err(format!("{master_ip}:0")))?;
                    master_address = SocketAddr::new(master_ip, addr.port()).to_string();
                    Some(l)
                }
            }
        } else {
            None
        };
        let member_addr = member.as_ref().and_then(|l| l.local_addr().ok());

        let config = SimConfig {
            user: self.user,
            password: self.password,
            task_duration: self.task_duration,
            metrics_interval: self.metrics_interval,
            session_timeout: self.session_timeout,
        };
        let sim = Arc::new(Sim::new(model, self.seed, config));
        let _ = sim.master_address.set(master_address);
        let spec = PoolSpec {
            vms: self.vms,
            hosts: if xend { 1 } else { self.hosts },
            master_address: master_ip.to_string(),
        };
        sim.store.write(|t| populate(t, &spec));
        if sim.model().dialect == Dialect::Xend {
            sim.store
                .write(|t| crate::xend::populate::extend(&sim, t))
                .map_err(|f| StartError::Populate(f.to_string()))?;
        }

        let tls = if self.tls {
            Some(tls::self_signed(&[master_ip.to_string()])?)
        } else {
            None
        };
        let faults = Arc::new(Faults::default());
        let conns = Arc::new(Conns::default());
        let mut threads = Vec::new();
        let spawn = |name: &str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(f)
                .map_err(StartError::Thread)
        };
        {
            let (sim, faults, conns, tls) =
                (sim.clone(), faults.clone(), conns.clone(), tls.clone());
            threads.push(spawn(
                "xapi-sim-accept",
                Box::new(move || accept_tcp(listener, sim, faults, conns, tls, Endpoint::Master)),
            )?);
        }
        if let Some(l) = member {
            let (sim, faults, conns, tls) =
                (sim.clone(), faults.clone(), conns.clone(), tls.clone());
            threads.push(spawn(
                "xapi-sim-member",
                Box::new(move || accept_tcp(l, sim, faults, conns, tls, Endpoint::Member)),
            )?);
        }
        if let Some(path) = &self.unix {
            if path.exists() {
                let _ = std::fs::remove_file(path);
            }
            let l = UnixListener::bind(path).map_err(bind_err(path.display().to_string()))?;
            let (sim, faults, conns) = (sim.clone(), faults.clone(), conns.clone());
            threads.push(spawn(
                "xapi-sim-unix",
                Box::new(move || accept_unix(l, sim, faults, conns)),
            )?);
        }
        if let Some(every) = sim.config.metrics_interval {
            let sim = sim.clone();
            threads.push(spawn(
                "xapi-sim-metrics",
                Box::new(move || tick_metrics(sim, every)),
            )?);
        }
        Ok(RunningSimulator {
            sim,
            faults,
            addr,
            member_addr,
            unix: self.unix,
            tls,
            threads,
            conns,
        })
    }
}

/// Open connections, so that shutdown can close them.
#[derive(Default)]
struct Conns {
    next: AtomicU64,
    open: Mutex<HashMap<u64, Sock>>,
}

enum Sock {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Conns {
    fn add(&self, s: Sock) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, s);
        id
    }
    fn remove(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&id);
    }
    fn close_all(&self) {
        for (_, s) in self.open.lock().unwrap_or_else(|e| e.into_inner()).drain() {
            let _ = match s {
                Sock::Tcp(t) => t.shutdown(Shutdown::Both),
                Sock::Unix(u) => u.shutdown(Shutdown::Both),
            };
        }
    }
}

fn accept_tcp(
    l: TcpListener,
    sim: Arc<Sim>,
    faults: Arc<Faults>,
    conns: Arc<Conns>,
    tls: Option<Tls>,
    endpoint: Endpoint,
) {
    for stream in l.incoming() {
        if sim.is_stopping() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let _ = stream.set_nodelay(true);
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        let id = conns.add(Sock::Tcp(clone));
        let ctx = ConnCtx {
            sim: sim.clone(),
            faults: faults.clone(),
            endpoint,
        };
        let (mine, tls) = (conns.clone(), tls.clone());
        let spawned = std::thread::Builder::new()
            .name("xapi-sim-conn".into())
            .spawn(move || {
                match tls {
                    Some(tls) => {
                        if let Ok(conn) = rustls::ServerConnection::new(tls.config) {
                            http::serve(rustls::StreamOwned::new(conn, stream), &ctx);
                        }
                    }
                    None => http::serve(stream, &ctx),
                }
                mine.remove(id);
            });
        if spawned.is_err() {
            conns.remove(id);
        }
    }
}

fn accept_unix(l: UnixListener, sim: Arc<Sim>, faults: Arc<Faults>, conns: Arc<Conns>) {
    for stream in l.incoming() {
        if sim.is_stopping() {
            return;
        }
        let Ok(stream) = stream else { continue };
        let Ok(clone) = stream.try_clone() else {
            continue;
        };
        let id = conns.add(Sock::Unix(clone));
        let ctx = ConnCtx {
            sim: sim.clone(),
            faults: faults.clone(),
            endpoint: Endpoint::Local,
        };
        let mine = conns.clone();
        let spawned = std::thread::Builder::new()
            .name("xapi-sim-conn".into())
            .spawn(move || {
                http::serve(stream, &ctx);
                mine.remove(id);
            });
        if spawned.is_err() {
            conns.remove(id);
        }
    }
}

/// Changes metrics over time: every host's `host_metrics` and a rotating batch of running
/// VMs' `VM_metrics` (a few at a time, so that event watchers are not flooded).
fn tick_metrics(sim: Arc<Sim>, every: Duration) {
    const BATCH: usize = 32;
    let mut next_vm = 0usize;
    let mut round: u64 = 0;
    loop {
        let until = Instant::now() + every;
        while Instant::now() < until {
            if sim.is_stopping() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50).min(every));
        }
        round += 1;
        let model = sim.model().clone();
        let (Some(hm), Some(vmc), Some(vmm)) = (
            model.class("host_metrics"),
            model.class("VM"),
            model.class("VM_metrics"),
        ) else {
            return;
        };
        sim.store.write(|t| {
            let now = now_datetime();
            for r in t.refs(hm) {
                let total = t
                    .get(hm, &r, "memory_total")
                    .ok()
                    .and_then(|v| v.as_int())
                    .unwrap_or(0);
                let jiggle = (t.rng.below(1 << 10) as i64) << 20;
                let free = (total / 3 + jiggle).min(total);
                let _ = t.set_named(hm, &r, "memory_free", V::Int(free));
                let _ = t.set_named(hm, &r, "last_updated", now.clone());
            }
            let running: Vec<String> = t.tables[vmc]
                .objs
                .iter()
                .filter(|(_, o)| {
                    model.classes[vmc]
                        .field("power_state")
                        .is_some_and(|fi| o.rec[fi].as_str() == Some("Running"))
                })
                .map(|(r, _)| r.clone())
                .collect();
            if running.is_empty() {
                return;
            }
            for k in 0..BATCH.min(running.len()) {
                let vm = &running[(next_vm + k) % running.len()];
                let Some(m) = t
                    .get(vmc, vm, "metrics")
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                else {
                    continue;
                };
                if !t.exists(vmm, &m) {
                    continue;
                }
                let target = t
                    .get(vmc, vm, "memory_target")
                    .ok()
                    .and_then(|v| v.as_int())
                    .unwrap_or(0);
                let actual = target - ((round as i64 + k as i64) % 4) * 4096;
                let _ = t.set_named(vmm, &m, "memory_actual", V::Int(actual));
                let _ = t.set_named(vmm, &m, "last_updated", now.clone());
            }
            next_vm = (next_vm + BATCH) % running.len();
        });
    }
}

/// A running simulator; stops (closing every connection) when dropped.
pub struct RunningSimulator {
    sim: Arc<Sim>,
    faults: Arc<Faults>,
    addr: SocketAddr,
    member_addr: Option<SocketAddr>,
    unix: Option<PathBuf>,
    tls: Option<Tls>,
    threads: Vec<JoinHandle<()>>,
    conns: Arc<Conns>,
}

impl std::fmt::Debug for RunningSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSimulator")
            .field("url", &self.url())
            .finish()
    }
}

impl RunningSimulator {
    fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    fn url_of(&self, addr: SocketAddr) -> String {
        let ip = if addr.ip().is_unspecified() {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        } else {
            addr.ip()
        };
        format!("{}://{}/", self.scheme(), SocketAddr::new(ip, addr.port()))
    }

    /// The master's URL, e.g. `http://127.0.0.1:40123/` (XML-RPC is served there).
    pub fn url(&self) -> String {
        self.url_of(self.addr)
    }

    /// The master's JSON-RPC URL (`<url>jsonrpc`).
    pub fn jsonrpc_url(&self) -> String {
        format!("{}jsonrpc", self.url())
    }

    /// The address the master listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The pool member's URL (logins there answer `HOST_IS_SLAVE`), if it was started:
    /// `http://127.0.0.2:<same port>/` when the master is on 127.0.0.1.
    pub fn member_url(&self) -> Option<String> {
        self.member_addr.map(|a| self.url_of(a))
    }

    /// What `HOST_IS_SLAVE` names: the master's IP (`127.0.0.1`) when the member shares the
    /// master's port, else `ip:port`.
    pub fn master_address(&self) -> String {
        self.sim.master_address.get().cloned().unwrap_or_default()
    }

    /// The Unix socket path, if one was asked for.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// The certificate (PEM) when serving HTTPS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.pem.as_str())
    }

    /// The certificate (DER) when serving HTTPS.
    pub fn certificate_der(&self) -> Option<&[u8]> {
        self.tls.as_ref().map(|t| t.der.as_slice())
    }

    /// The certificate's SHA-256 fingerprint (`AB:CD:...`) when serving HTTPS.
    pub fn fingerprint(&self) -> Option<&str> {
        self.tls.as_ref().map(|t| t.fingerprint.as_str())
    }

    /// Fault injection.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The object store, for tests that inspect or change state directly.
    pub fn store(&self) -> &Store {
        &self.sim.store
    }

    /// The shared state (store, configuration).
    pub fn sim(&self) -> &Arc<Sim> {
        &self.sim
    }

    /// How many connections the simulator has accepted so far, on every endpoint (tests
    /// check keep-alive with it).
    pub fn connections_accepted(&self) -> u64 {
        self.conns.next.load(Ordering::Relaxed)
    }

    /// The accepted credentials.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.sim.config.user, &self.sim.config.password)
    }

    /// Stops serving: closes the listeners and every connection, ends blocking calls.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if self.sim.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        self.sim.store.wake_all();
        let wake = |a: SocketAddr| {
            let ip = if a.ip().is_unspecified() {
                IpAddr::V4(Ipv4Addr::LOCALHOST)
            } else {
                a.ip()
            };
            let _ =
                TcpStream::connect_timeout(&SocketAddr::new(ip, a.port()), Duration::from_secs(1));
        };
        wake(self.addr);
        if let Some(a) = self.member_addr {
            wake(a);
        }
        if let Some(p) = &self.unix {
            let _ = UnixStream::connect(p);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        self.conns.close_all();
        if let Some(p) = &self.unix {
            let _ = std::fs::remove_file(p);
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.stop();
    }
}
