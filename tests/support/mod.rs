//! A loopback HTTP/1.1 server the tests control: over TCP (IPv4 or IPv6), TLS with a
//! self-signed certificate made at test time, or a Unix socket. It counts connections and
//! requests, and answers each request as the test's handler says (normal, chunked, delayed,
//! cut off, huge, an error status).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How to answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with a Content-Length.
    Ok(Vec<u8>),
    /// 200, chunked in pieces of this size.
    Chunked(Vec<u8>, usize),
    /// This status with this body and a Content-Length.
    Status(u16, &'static str, Vec<u8>),
    /// Wait, then answer.
    Delay(Duration, Box<Reply>),
    /// Declare a Content-Length, send this much of the body, then close.
    CloseMidBody { declared: u64, sent: Vec<u8> },
    /// 200 with a Content-Length, then close the connection without saying so.
    OkThenClose(Vec<u8>),
    /// Close without answering.
    Close,
    /// 200 with a Content-Length of this many bytes, streamed until the client goes away.
    Huge(u64),
    /// 200 chunked, streamed until the client goes away (no length announced).
    HugeChunked,
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// Counters shared with the test.
#[derive(Default)]
pub struct Stats {
    pub connections: AtomicUsize,
    pub requests: AtomicUsize,
    /// Bytes of huge bodies actually written before the client stopped reading.
    pub huge_bytes_written: AtomicUsize,
    pub last_request: Mutex<Option<Request>>,
}

impl Stats {
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
    pub fn last_request(&self) -> Request {
        self.last_request
            .lock()
            .unwrap()
            .clone()
            .expect("no request received")
    }
}

/// A running server (its threads live until the test process ends).
pub struct Server {
    /// `http://127.0.0.1:PORT`, `https://[::1]:PORT`, or `unix:/path`.
    pub url: String,
    pub stats: Arc<Stats>,
    /// For TLS servers: the certificate (PEM) and its DER.
    pub cert_pem: Option<String>,
    pub cert_der: Option<Vec<u8>>,
    /// For Unix servers: the socket path.
    pub socket: Option<PathBuf>,
    tls: Option<Arc<Mutex<Arc<rustls::ServerConfig>>>>,
}

fn listen_tcp(ipv6: bool) -> TcpListener {
    TcpListener::bind(if ipv6 { "[::1]:0" } else { "127.0.0.1:0" }).expect("bind loopback")
}

/// Plain HTTP on 127.0.0.1 (or `[::1]`).
pub fn http(ipv6: bool, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    serve_http(listen_tcp(ipv6), handler)
}

/// Plain HTTP on a given address (`127.0.0.2:PORT`); `None` when it cannot be bound.
pub fn http_at(
    addr: &str,
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Option<Server> {
    TcpListener::bind(addr).ok().map(|l| serve_http(l, handler))
}

fn serve_http(
    listener: TcpListener,
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> Server {
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let handler: Arc<Handler> = Arc::new(handler);
    let st = stats.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // Replies go out in several writes: without this, Nagle's algorithm and delayed
            // ACKs add 40 ms to every response.
            let _ = stream.set_nodelay(true);
            st.connections.fetch_add(1, Ordering::SeqCst);
            let (st, handler) = (st.clone(), handler.clone());
            thread::spawn(move || serve(stream, &*handler, &st));
        }
    });
    Server {
        url: format!("http://{addr}"),
        stats,
        cert_pem: None,
        cert_der: None,
        socket: None,
        tls: None,
    }
}

/// A fresh self-signed certificate for `localhost`, 127.0.0.1 and ::1: (DER, PEM, config).
fn self_signed() -> (Vec<u8>, String, Arc<rustls::ServerConfig>) {
    let certified = rcgen::generate_simple_self_signed(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .expect("generate a certificate");
    let cert_der = certified.cert.der().to_vec();
    let cert_pem = certified.cert.pem();
    let key_der = certified.signing_key.serialize_der();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(cert_der.clone())],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into()),
        )
        .expect("server TLS config");
    (cert_der, cert_pem, Arc::new(config))
}

/// HTTPS with a fresh self-signed certificate for `localhost`, 127.0.0.1 and ::1.
pub fn https(ipv6: bool, handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    let (cert_der, cert_pem, config) = self_signed();
    let current = Arc::new(Mutex::new(config));
    let listener = listen_tcp(ipv6);
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let handler: Arc<Handler> = Arc::new(handler);
    let st = stats.clone();
    let configs = current.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let _ = stream.set_nodelay(true);
            st.connections.fetch_add(1, Ordering::SeqCst);
            let config = configs.lock().unwrap().clone();
            let (st, handler) = (st.clone(), handler.clone());
            thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                serve(rustls::StreamOwned::new(conn, stream), &*handler, &st);
            });
        }
    });
    Server {
        url: format!("https://{addr}"),
        stats,
        cert_pem: Some(cert_pem),
        cert_der: Some(cert_der),
        socket: None,
        tls: Some(current),
    }
}

impl Server {
    /// For TLS servers: new connections get a new self-signed certificate (and key).
    pub fn replace_certificate(&self) {
        let (_, _, config) = self_signed();
        *self.tls.as_ref().expect("a TLS server").lock().unwrap() = config;
    }
}

/// HTTP over a Unix socket in a fresh temporary directory.
#[cfg(unix)]
pub fn unix(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
    use std::os::unix::net::UnixListener;
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "xenapi-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xapi.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("bind unix socket");
    let stats = Arc::new(Stats::default());
    let handler: Arc<Handler> = Arc::new(handler);
    let st = stats.clone();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            st.connections.fetch_add(1, Ordering::SeqCst);
            let (st, handler) = (st.clone(), handler.clone());
            thread::spawn(move || serve(stream, &*handler, &st));
        }
    });
    Server {
        url: format!("unix:{}", path.display()),
        stats,
        cert_pem: None,
        cert_der: None,
        socket: Some(path),
        tls: None,
    }
}

/// A TCP port on which nothing listens (bound, then closed).
pub fn dead_port() -> u16 {
    let l = listen_tcp(false);
    l.local_addr().unwrap().port()
}

/// A TCP server that accepts connections and never says anything.
pub fn silent() -> (String, Arc<Stats>) {
    let listener = listen_tcp(false);
    let addr = listener.local_addr().unwrap();
    let stats = Arc::new(Stats::default());
    let st = stats.clone();
    thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for stream in listener.incoming().flatten() {
            st.connections.fetch_add(1, Ordering::SeqCst);
            held.push(stream);
        }
    });
    (format!("http://{addr}"), stats)
}

fn serve<S: Read + Write>(stream: S, handler: &Handler, stats: &Stats) {
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        stats.requests.fetch_add(1, Ordering::SeqCst);
        *stats.last_request.lock().unwrap() = Some(request.clone());
        let reply = handler(&request);
        if !write_reply(reader.get_mut(), reply, stats) {
            return;
        }
    }
}

fn read_request<R: BufRead>(r: &mut R) -> Option<Request> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let path = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    let len = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

/// Writes the reply; false when the connection must end.
fn write_reply<W: Write>(w: &mut W, reply: Reply, stats: &Stats) -> bool {
    let result: std::io::Result<bool> = (|| match reply {
        Reply::Ok(body) => {
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            w.write_all(&body)?;
            w.flush()?;
            Ok(true)
        }
        Reply::Chunked(body, size) => {
            write!(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            for chunk in body.chunks(size.max(1)) {
                write!(w, "{:x}\r\n", chunk.len())?;
                w.write_all(chunk)?;
                w.write_all(b"\r\n")?;
            }
            w.write_all(b"0\r\n\r\n")?;
            w.flush()?;
            Ok(true)
        }
        Reply::Status(code, reason, body) => {
            write!(
                w,
                "HTTP/1.1 {code} {reason}\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            w.write_all(&body)?;
            w.flush()?;
            Ok(true)
        }
        Reply::Delay(d, inner) => {
            thread::sleep(d);
            Ok(write_reply(w, *inner, stats))
        }
        Reply::CloseMidBody { declared, sent } => {
            write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {declared}\r\n\r\n")?;
            w.write_all(&sent)?;
            w.flush()?;
            Ok(false)
        }
        Reply::OkThenClose(body) => {
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            w.write_all(&body)?;
            w.flush()?;
            Ok(false)
        }
        Reply::Close => Ok(false),
        Reply::Huge(len) => {
            write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\n\r\n")?;
            let block = vec![b'x'; 64 * 1024];
            let mut sent = 0u64;
            while sent < len {
                let n = block.len().min((len - sent) as usize);
                w.write_all(&block[..n])?;
                sent += n as u64;
                stats.huge_bytes_written.fetch_add(n, Ordering::SeqCst);
            }
            Ok(true)
        }
        Reply::HugeChunked => {
            write!(w, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")?;
            let block = vec![b'x'; 64 * 1024];
            loop {
                write!(w, "{:x}\r\n", block.len())?;
                w.write_all(&block)?;
                w.write_all(b"\r\n")?;
                stats
                    .huge_bytes_written
                    .fetch_add(block.len(), Ordering::SeqCst);
            }
        }
    })();
    result.unwrap_or(false)
}
