//! End to end: `VM.get_all_records` of the whole pool over loopback, each client logged in
//! once and then calling repeatedly, side by side on the same simulator, and where the time of
//! one call goes.
//!
//! Every contender is a [`Contender`]: a name and a closure that makes one call and returns
//! its seconds. The runs alternate (one call of each contender per round, the order rotated
//! each round), so a burst of load on the shared machine hits every contender alike; ratios
//! are medians of the per-round ratios. A client in another language joins with
//! [`Contender::external`] (a child process speaking a one-line protocol), pushed onto the list
//! in [`figures`].
//!
//! A call's time runs up to its result in hand: every contender frees its result after the
//! clock stops (a garbage-collected client frees later too). The breakdown times the freeing of
//! our decoded records apart.

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::ptr;
use std::sync::Arc;
use std::time::Instant;

use xapi_sim::http::{serve, ConnCtx};
use xapi_sim::sim::Endpoint;
use xapi_sim::{Faults, RunningSimulator};
use xenapi::api::{Vm, VmRecord, VmRef};
use xenapi::wire::{decode_response, WireFormat};
use xenapi::{Client, Limits, Session, Value};
use xenserver::ext_transport::{
    xenapi_ext_call_func, xenapi_ext_transport, xenapi_ext_transport_free,
    xenapi_ext_transport_new, xenapi_ext_transport_use_json_rpc,
};
use xenserver::generated::containers::xen_vm_xen_vm_record_map_free;
use xenserver::generated::xen_vm::xen_vm_get_all_records;
use xenserver::login::{xen_session_login_with_password, xen_session_logout};
use xenserver::session::xen_session;

use crate::timing::{median, min_max};

/// One client in the race: a name and one timed call.
pub struct Contender {
    /// What is measured, as printed.
    pub name: String,
    call: Box<dyn FnMut() -> f64>,
}

impl Contender {
    /// A contender whose `call` makes one call and returns its seconds.
    pub fn new(name: impl Into<String>, call: impl FnMut() -> f64 + 'static) -> Contender {
        Contender {
            name: name.into(),
            call: Box::new(call),
        }
    }

    /// A contender timed here: the wall time of `work` up to its result in hand; freeing the
    /// result comes after the clock stops (as for every contender: what a garbage collector
    /// does later is not in a call's time either; the breakdown times the freeing apart).
    pub fn timed<R>(name: impl Into<String>, mut work: impl FnMut() -> R + 'static) -> Contender {
        Contender::new(name, move || {
            let t = Instant::now();
            let result = std::hint::black_box(work());
            let elapsed = t.elapsed().as_secs_f64();
            drop(result);
            elapsed
        })
    }

    /// A client in another process. The protocol: the child logs in, prints a line `ready`;
    /// then for each line `call` on its standard input it makes one call and prints on a line
    /// its seconds up to the result in hand (freeing the result after the clock stops); at the
    /// end of its input it logs out and exits.
    pub fn external(name: impl Into<String>, mut command: Command) -> Result<Contender, String> {
        let name = name.into();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot start {command:?}: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let first = read_line(&mut stdout);
        if first.as_deref() != Some("ready") {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{name}: the client did not start (said {first:?})"));
        }
        let mut peer = Peer {
            child,
            stdin: Some(stdin),
            stdout,
        };
        let label = name.clone();
        Ok(Contender::new(name, move || peer.call(&label)))
    }
}

/// A running external client.
struct Peer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl Peer {
    fn call(&mut self, name: &str) -> f64 {
        let stdin = self.stdin.as_mut().expect("open until drop");
        stdin
            .write_all(b"call\n")
            .and_then(|_| stdin.flush())
            .unwrap_or_else(|e| panic!("{name}: writing to the client: {e}"));
        let line = read_line(&mut self.stdout);
        line.as_deref()
            .and_then(|l| l.parse().ok())
            .unwrap_or_else(|| panic!("{name}: expected seconds, got {line:?}"))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

fn read_line(r: &mut impl BufRead) -> Option<String> {
    let mut line = String::new();
    match r.read_line(&mut line) {
        Ok(n) if n > 0 => Some(line.trim().to_string()),
        _ => None,
    }
}

/// The seconds of each contender's calls, in contender order.
pub struct Race {
    /// Per contender, per round.
    pub seconds: Vec<Vec<f64>>,
}

/// The pause before each timed call, so that what a contender leaves running after its call
/// (a garbage collector, a process freeing memory) lands in nobody's time.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(100);

/// One warm-up call each, then `rounds` rounds of one call per contender, the order rotated
/// each round, each call after a [`SETTLE`] pause.
pub fn race(contenders: &mut [Contender], rounds: usize) -> Race {
    for c in contenders.iter_mut() {
        (c.call)();
    }
    let n = contenders.len();
    let mut seconds = vec![Vec::with_capacity(rounds); n];
    for round in 0..rounds {
        for k in 0..n {
            let i = (round + k) % n;
            std::thread::sleep(SETTLE);
            seconds[i].push((contenders[i].call)());
        }
    }
    Race { seconds }
}

/// Prints each contender's median with its range and the median of its per-round ratios to
/// the contender at `reference`.
pub fn report(contenders: &[Contender], race: &Race, reference: usize) {
    let base = &race.seconds[reference];
    for (c, s) in contenders.iter().zip(&race.seconds) {
        let (lo, hi) = min_max(s);
        let ratios: Vec<f64> = s.iter().zip(base).map(|(x, b)| x / b).collect();
        let vs = if std::ptr::eq(s, base) {
            "reference".to_string()
        } else {
            format!(
                "{:.2}x the time of {}",
                median(&ratios),
                contenders[reference].name
            )
        };
        println!(
            "e2e {}: {:.3} s/call (range {:.3}-{:.3}, {} runs) = {vs}",
            c.name,
            median(s),
            lo,
            hi,
            s.len()
        );
    }
}

/// The typed client's call.
fn typed(session: Session) -> impl FnMut() -> HashMap<VmRef, VmRecord> {
    move || Vm::get_all_records(&session).expect("VM.get_all_records")
}

/// The dynamic client's call.
fn dynamic(session: Session) -> impl FnMut() -> Value {
    move || match session.call("VM.get_all_records", &[]) {
        Ok(v @ Value::Struct(_)) => v,
        other => panic!("VM.get_all_records as a Value: {other:?}"),
    }
}

/// A logged-in session of our client.
pub fn login(url: &str, format: WireFormat) -> Session {
    Client::builder(url)
        .format(format)
        .build()
        .expect("bench client")
        .login_with_password("root", "xenroot", "2.23", "xenapi-bench")
        .expect("bench login")
}

/// Our clients: typed and dynamic, over JSON-RPC and XML-RPC. The first is the reference.
pub fn ours(url: &str) -> Vec<Contender> {
    vec![
        Contender::timed("typed JSON-RPC", typed(login(url, WireFormat::JsonRpc))),
        Contender::timed("typed XML-RPC", typed(login(url, WireFormat::XmlRpc))),
        Contender::timed("Value JSON-RPC", dynamic(login(url, WireFormat::JsonRpc))),
        Contender::timed("Value XML-RPC", dynamic(login(url, WireFormat::XmlRpc))),
    ]
}

/// The C library (libxenserver) with its built-in transport, as a C program uses it.
pub fn c_library(url: &str, format: WireFormat) -> Contender {
    let name = match format {
        WireFormat::XmlRpc => "C libxenserver XML-RPC",
        _ => "C libxenserver JSON-RPC",
    };
    let session = CSession::login(url, format);
    Contender::timed(name, move || CMap {
        map: session.get_all_records(),
    })
}

/// A C map of VM records, freed on drop.
struct CMap {
    map: *mut c_void,
}

impl Drop for CMap {
    fn drop(&mut self) {
        // SAFETY: `map` came from `xen_vm_get_all_records` and is freed once.
        unsafe { xen_vm_xen_vm_record_map_free(self.map) };
    }
}

/// A C session over the built-in transport.
struct CSession {
    transport: *mut xenapi_ext_transport,
    session: *mut xen_session,
}

impl CSession {
    fn login(url: &str, format: WireFormat) -> CSession {
        let url = CString::new(url).expect("no NUL in the URL");
        let user = CString::new("root").unwrap();
        let password = CString::new("xenroot").unwrap();
        // SAFETY: valid C strings; NULL options; the error out-pointer may be NULL.
        let transport =
            unsafe { xenapi_ext_transport_new(url.as_ptr(), ptr::null(), ptr::null_mut()) };
        assert!(!transport.is_null(), "xenapi_ext_transport_new failed");
        // SAFETY: a live transport, used by the session below until `drop`.
        unsafe {
            xenapi_ext_transport_use_json_rpc(transport, format != WireFormat::XmlRpc);
        }
        // SAFETY: the transport outlives the session (both freed in `drop`, session first).
        let session = unsafe {
            xen_session_login_with_password(
                Some(xenapi_ext_call_func),
                transport as *mut c_void,
                user.as_ptr(),
                password.as_ptr(),
                xenserver::generated::api_version::from_int(2, 23),
            )
        };
        // SAFETY: login never returns NULL.
        assert!(unsafe { (*session).ok }, "the C login failed");
        CSession { transport, session }
    }

    /// The records as a malloc'd map, which the caller frees.
    fn get_all_records(&self) -> *mut c_void {
        let mut map: *mut c_void = ptr::null_mut();
        // SAFETY: the session is live; `map` receives a malloc'd map or NULL.
        let ok = unsafe { xen_vm_get_all_records(self.session, &mut map) };
        assert!(ok && !map.is_null(), "xen_vm_get_all_records failed");
        map
    }
}

impl Drop for CSession {
    fn drop(&mut self) {
        // SAFETY: both are live and not used afterwards; the session goes first.
        unsafe {
            xen_session_logout(self.session);
            xenapi_ext_transport_free(self.transport);
        }
    }
}

/// The official Python bindings (XML-RPC only), in a child process.
pub fn python(interpreter: &Path, url: &str) -> Result<Contender, String> {
    let mut cmd = Command::new(interpreter);
    cmd.args(["-c", PYTHON_CLIENT, url]);
    Contender::external("Python XenAPI XML-RPC", cmd)
}

/// The Python side of [`Contender::external`]'s protocol.
const PYTHON_CLIENT: &str = r#"
import sys, time, XenAPI
s = XenAPI.Session(sys.argv[1])
s.xenapi.login_with_password("root", "xenroot", "1.0", "xenapi-bench")
print("ready", flush=True)
for line in sys.stdin:
    t = time.perf_counter()
    records = s.xenapi.VM.get_all_records()
    dt = time.perf_counter() - t
    assert records
    del records
    print(dt, flush=True)
s.xenapi.session.logout()
"#;

/// Where one typed call's time goes, each piece timed alone and the pieces alternated:
/// the server (dispatch, encoding and HTTP framing, over an in-memory stream), the response
/// fetched as raw bytes (server plus transport), the typed and dynamic decodes of those bytes,
/// and the whole typed call.
pub fn breakdown(sim: &RunningSimulator, format: WireFormat, rounds: usize) {
    let url = sim.url();
    let session = login(&url, format);
    let body = crate::get_all_records_request(format, &session);
    let request = [
        format!(
            "POST {} HTTP/1.1\r\nHost: bench\r\nContent-Length: {}\r\n\r\n",
            format.path(),
            body.len()
        )
        .into_bytes(),
        body.clone(),
    ]
    .concat();
    let ctx = ConnCtx {
        sim: sim.sim().clone(),
        faults: Arc::new(Faults::default()),
        endpoint: Endpoint::Master,
    };
    let client = session.client().clone();
    let bytes = client
        .transport()
        .post(format.path(), &body, client.limits())
        .expect("fetching the response");
    let limits = Limits::default();
    let server = || {
        let mut stream = Duplex {
            input: Cursor::new(&request[..]),
            written: 0,
        };
        serve(&mut stream, &ctx);
        assert!(stream.written > bytes.len(), "the server answered");
    };
    let fetch = || {
        let got = client
            .transport()
            .post(format.path(), &body, client.limits())
            .expect("fetching the response");
        assert_eq!(got.len(), bytes.len());
    };
    let decode_typed = || {
        decode_response::<HashMap<VmRef, VmRecord>>(format, &bytes, &limits).expect("typed decode")
    };
    let decode_value = || decode_response::<Value>(format, &bytes, &limits).expect("decode");
    let mut typed_call = typed(client.session_from_ref(session.session_ref()));
    // Each piece returns its seconds; the decodes' results are freed apart, timed on their own.
    let mut pieces: [Box<dyn FnMut() -> f64 + '_>; 7] = [
        Box::new(move || seconds(server)),
        Box::new(move || seconds(fetch)),
        Box::new(move || seconds(|| drop(decode_typed()))),
        Box::new(move || {
            let records = decode_typed();
            seconds(|| drop(records))
        }),
        Box::new(move || seconds(|| drop(decode_value()))),
        Box::new(move || {
            let records = decode_value();
            seconds(|| drop(records))
        }),
        Box::new(move || {
            seconds(|| {
                std::hint::black_box(typed_call());
            })
        }),
    ];
    let mut samples = vec![Vec::new(); pieces.len()];
    // Round 0 warms up.
    for round in 0..=rounds {
        for (piece, s) in pieces.iter_mut().zip(&mut samples) {
            let t = piece();
            if round > 0 {
                s.push(t);
            }
        }
    }
    let [server, fetch, typed_decode, typed_free, value_decode, value_free, whole] =
        [0, 1, 2, 3, 4, 5, 6].map(|i| median(&samples[i]));
    println!(
        "e2e breakdown {format:?} ({:.1} MB, {rounds} runs, medians): typed call {:.3} s = \
         server {:.3} s (dispatch, encode, HTTP framing; no socket) + transport {:.3} s (raw \
         post {:.3} s minus server) + typed decode {:.3} s (of which freeing the records {:.3} s) \
         + rest {:.3} s; Value decode {:.3} s (freeing {:.3} s)",
        bytes.len() as f64 / 1e6,
        whole,
        server,
        fetch - server,
        fetch,
        typed_decode,
        typed_free,
        whole - fetch - typed_decode,
        value_decode,
        value_free,
    );
}

fn seconds(work: impl FnOnce()) -> f64 {
    let start = Instant::now();
    work();
    start.elapsed().as_secs_f64()
}

/// An in-memory connection: the request bytes in; the response only counted, so that the
/// server's figure leaves out moving the bytes (the transport's share).
struct Duplex<'a> {
    input: Cursor<&'a [u8]>,
    written: usize,
}

impl Read for Duplex<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.input.read(buf)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.written += buf.len();
        Ok(buf.len())
    }

    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> std::io::Result<usize> {
        let n = bufs.iter().map(|b| b.len()).sum();
        self.written += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The e2e section: the breakdown of one call in each format, then every client raced.
pub fn figures(sim: &RunningSimulator, quick: bool, with_python: bool, with_xo: bool) {
    let rounds = if quick { 3 } else { 9 };
    for format in [WireFormat::JsonRpc, WireFormat::XmlRpc] {
        breakdown(sim, format, rounds);
    }
    let url = sim.url();
    let mut contenders = ours(&url);
    contenders.push(c_library(&url, WireFormat::JsonRpc));
    contenders.push(c_library(&url, WireFormat::XmlRpc));
    if with_python {
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
        match crate::python::interpreter(&target).and_then(|py| python(&py, &url)) {
            Ok(c) => contenders.push(c),
            Err(e) => println!("e2e Python: skipped: {e}"),
        }
    }
    if with_xo {
        match xo(&url) {
            Ok(c) => contenders.push(c),
            Err(e) => println!("e2e XO: skipped: {e}"),
        }
    }
    let results = race(&mut contenders, rounds);
    report(&contenders, &results, 0);
}

/// Xen Orchestra's client (npm `xen-api`, installed by the bench) over JSON-RPC, the transport
/// it picks first; its script times each call up to the parsed records in hand.
fn xo(url: &str) -> Result<Contender, String> {
    let modules = crate::xo::install(&crate::xo::target_dir())?;
    let mut client = crate::xo::XoClient::start(&modules, url)?;
    client.get_all_records()?;
    Ok(Contender::new("XO xen-api JSON-RPC", move || {
        let (_, seconds) = client
            .get_all_records()
            .unwrap_or_else(|e| panic!("XO VM.get_all_records: {e}"));
        seconds
    }))
}
