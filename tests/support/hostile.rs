//! A misbehaving XenAPI server for the fault-injection tests: over TCP or a Unix socket, it
//! answers each request (numbered from 0 across all connections) as a script says, and
//! answers well-formed XenAPI successes once the script is exhausted. It counts the requests
//! it received and the response bytes it managed to write.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use xenapi::wire::{decode_call, encode_failure, encode_success, WireFormat};
use xenapi::{Limits, Value};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Act {
    /// A XenAPI success whose value is the string `OpaqueRef:good`, keeping the connection.
    Good,
    /// A XenAPI failure with this description.
    Failure(Vec<String>),
    /// Read the request and never answer (the connection stays open).
    Silent,
    /// A 200 head with a Content-Length of 1 MiB, then one byte every 100 ms.
    Drip,
    /// Read the request and close the connection without answering.
    Close,
    /// Read the first byte of the request and close with the rest unread, which resets the
    /// connection (TCP RST).
    Reset,
    /// Write these bytes and close the connection.
    Raw(Vec<u8>),
    /// A 200 chunked response streamed until the client goes away.
    Endless,
}

/// The server; dropping it stops the held connections.
pub struct Hostile {
    /// `http://127.0.0.1:PORT` or `unix:/path`.
    pub url: String,
    pub socket: Option<PathBuf>,
    requests: Arc<AtomicUsize>,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Hostile {
    /// Requests received so far (complete heads and bodies).
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// A handle for a server run elsewhere in the test (only its URL is meaningful).
    pub fn external(url: String) -> Hostile {
        make(url, None, Vec::new()).0
    }

    /// Response bytes written so far.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::SeqCst)
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

struct Shared {
    script: Vec<Act>,
    requests: Arc<AtomicUsize>,
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// A hostile server on TCP loopback.
pub fn tcp(script: Vec<Act>) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (hostile, shared) = make(url, None, script);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let shared = shared.clone();
            thread::spawn(move || serve(Conn::Tcp(stream), &shared));
        }
    });
    hostile
}

/// A hostile server on a Unix socket in a fresh directory.
pub fn unix(script: Vec<Act>) -> Hostile {
    use std::os::unix::net::UnixListener;
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xenapi-hostile-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xapi.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    let (hostile, shared) = make(format!("unix:{}", path.display()), Some(path), script);
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let shared = shared.clone();
            thread::spawn(move || serve(Conn::Unix(stream), &shared));
        }
    });
    hostile
}

fn make(url: String, socket: Option<PathBuf>, script: Vec<Act>) -> (Hostile, Arc<Shared>) {
    let shared = Arc::new(Shared {
        script,
        requests: Arc::new(AtomicUsize::new(0)),
        written: Arc::new(AtomicU64::new(0)),
        stop: Arc::new(AtomicBool::new(false)),
    });
    let hostile = Hostile {
        url,
        socket,
        requests: shared.requests.clone(),
        written: shared.written.clone(),
        stop: shared.stop.clone(),
    };
    (hostile, shared)
}

enum Conn {
    Tcp(TcpStream),
    Unix(std::os::unix::net::UnixStream),
}

impl Conn {
    fn try_clone(&self) -> Conn {
        match self {
            Conn::Tcp(s) => Conn::Tcp(s.try_clone().unwrap()),
            Conn::Unix(s) => Conn::Unix(s.try_clone().unwrap()),
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A request: its path and body.
fn read_request(r: &mut impl BufRead) -> Option<(String, Vec<u8>)> {
    let mut line = String::new();
    r.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let path = line.split(' ').nth(1)?.to_string();
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        r.read_line(&mut h).ok().filter(|n| *n > 0)?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).ok()?;
    Some((path, body))
}

fn serve(conn: Conn, shared: &Shared) {
    let mut out = conn.try_clone();
    let mut reader = BufReader::new(conn);
    loop {
        let next = shared.requests.load(Ordering::SeqCst);
        if matches!(shared.script.get(next), Some(Act::Reset)) && reader.buffer().is_empty() {
            let _ = reader.get_mut().read(&mut [0u8; 1]);
            shared.requests.fetch_add(1, Ordering::SeqCst);
            thread::sleep(Duration::from_millis(50));
            return;
        }
        let Some((path, body)) = read_request(&mut reader) else {
            // Not HTTP (e.g. a TLS hello) or closed: hold the connection until the test ends.
            hold(shared);
            return;
        };
        let n = shared.requests.fetch_add(1, Ordering::SeqCst);
        let act = shared.script.get(n).cloned().unwrap_or(Act::Good);
        let write = |out: &mut Conn, bytes: &[u8]| -> bool {
            let ok = out.write_all(bytes).is_ok();
            if ok {
                shared
                    .written
                    .fetch_add(bytes.len() as u64, Ordering::SeqCst);
            }
            ok
        };
        match act {
            Act::Good | Act::Failure(_) => {
                let format = if path.ends_with("jsonrpc") {
                    WireFormat::JsonRpc
                } else {
                    WireFormat::XmlRpc
                };
                let answer = match decode_call(format, &body, &Limits::default()) {
                    Ok(call) => match act {
                        Act::Failure(d) => encode_failure(format, &d, call.id.as_ref()),
                        _ => encode_success(
                            format,
                            &Value::String("OpaqueRef:good".into()),
                            call.id.as_ref(),
                        )
                        .unwrap(),
                    },
                    Err(e) => panic!("the client sent an undecodable request: {e}"),
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n",
                    format.content_type(),
                    answer.len()
                );
                if !write(&mut out, &[head.as_bytes(), &answer].concat()) {
                    return;
                }
            }
            Act::Silent => return hold(shared),
            Act::Drip => {
                if !write(
                    &mut out,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n",
                ) {
                    return;
                }
                while !shared.stop.load(Ordering::SeqCst) && write(&mut out, b"<") {
                    thread::sleep(Duration::from_millis(100));
                }
                return;
            }
            Act::Close => return,
            Act::Reset => unreachable!("a reset comes first on its connection"),
            Act::Raw(bytes) => {
                write(&mut out, &bytes);
                return;
            }
            Act::Endless => {
                if !write(
                    &mut out,
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                ) {
                    return;
                }
                let chunk = [b"10000\r\n".as_slice(), &[b'x'; 0x10000], b"\r\n"].concat();
                while !shared.stop.load(Ordering::SeqCst) && write(&mut out, &chunk) {}
                return;
            }
        }
    }
}

fn hold(shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        thread::sleep(Duration::from_millis(20));
    }
}
