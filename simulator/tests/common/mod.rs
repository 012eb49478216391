//! A raw HTTP/1.1 client for the tests: real sockets, the core codec, no transport layer.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use xenapi::wire::{self, WireFormat};
use xenapi::{ApiFailure, Error, Limits, Value};

pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}

/// An HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One keep-alive connection.
pub struct Conn {
    reader: BufReader<Box<dyn Stream>>,
    pub host: String,
}

impl Conn {
    pub fn tcp(addr: &str) -> Conn {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(Box::new(s)),
            host: addr.to_string(),
        }
    }

    pub fn unix(path: &std::path::Path) -> Conn {
        let s = UnixStream::connect(path).expect("connect unix");
        Conn {
            reader: BufReader::new(Box::new(s)),
            host: "localhost".into(),
        }
    }

    /// TLS, trusting exactly `cert_der`, checking the name `server_name`.
    pub fn tls(addr: &str, server_name: &str, cert_der: &[u8]) -> Result<Conn, std::io::Error> {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(rustls::pki_types::CertificateDer::from(cert_der.to_vec()))
            .unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(server_name.to_string()).unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let tcp = TcpStream::connect(addr)?;
        let mut s = rustls::StreamOwned::new(conn, tcp);
        // Complete the handshake now, so that a bad certificate shows up here.
        while s.conn.is_handshaking() {
            s.conn.complete_io(&mut s.sock)?;
        }
        Ok(Conn {
            reader: BufReader::new(Box::new(s)),
            host: addr.to_string(),
        })
    }

    /// Sends a raw request (`extra` headers are added verbatim) and reads the response.
    /// The stream, to write raw bytes.
    pub fn raw(&mut self) -> &mut Box<dyn Stream> {
        self.reader.get_mut()
    }

    pub fn request(&mut self, path: &str, body: &[u8], extra: &str) -> std::io::Result<Response> {
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n{extra}\r\n",
            self.host,
            body.len()
        );
        let w = self.reader.get_mut();
        w.write_all(head.as_bytes())?;
        w.write_all(body)?;
        w.flush()?;
        self.read_response()
    }

    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let mut line = String::new();
        if self.reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line");
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (k, v) = l.split_once(':').expect("header");
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
        let len: usize = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; len];
        self.reader.read_exact(&mut body)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// A call in `format`; the session (if any) is the first parameter.
    pub fn call(
        &mut self,
        format: WireFormat,
        method: &str,
        params: &[Value],
    ) -> Result<Value, ApiFailure> {
        let body = wire::encode_call(format, method, None, params, 1).unwrap();
        let resp = self
            .request(format.path(), &body, "")
            .expect("HTTP round trip");
        assert_eq!(
            resp.status,
            200,
            "HTTP status for {method}: {}",
            String::from_utf8_lossy(&resp.body)
        );
        match wire::decode_response::<Value>(format, &resp.body, &Limits::default()) {
            Ok(v) => Ok(v),
            Err(Error::Api(f)) => Err(f),
            Err(e) => panic!(
                "{method}: cannot decode the response: {e}\n{}",
                String::from_utf8_lossy(&resp.body)
            ),
        }
    }
}

/// A logged-in XML-RPC (or JSON-RPC) client.
pub struct Client {
    pub conn: Conn,
    pub format: WireFormat,
    pub session: String,
}

impl Client {
    pub fn login(conn: Conn, format: WireFormat) -> Client {
        Client::login_with(
            conn,
            format,
            &[s("root"), s("xenroot"), s("2.23"), s("tests")],
        )
    }

    /// Logs in with `session.login_with_password(params...)`.
    pub fn login_with(conn: Conn, format: WireFormat, params: &[Value]) -> Client {
        let mut conn = conn;
        let session = conn
            .call(format, "session.login_with_password", params)
            .expect("login")
            .as_str()
            .unwrap()
            .to_string();
        Client {
            conn,
            format,
            session,
        }
    }

    /// `method(session, params...)`.
    pub fn call(&mut self, method: &str, params: &[Value]) -> Result<Value, ApiFailure> {
        let mut all = vec![s(&self.session)];
        all.extend_from_slice(params);
        self.conn.call(self.format, method, &all)
    }

    pub fn ok(&mut self, method: &str, params: &[Value]) -> Value {
        self.call(method, params)
            .unwrap_or_else(|f| panic!("{method} failed: {f:?}"))
    }

    pub fn fail(&mut self, method: &str, params: &[Value]) -> Vec<String> {
        match self.call(method, params) {
            Ok(v) => panic!("{method} succeeded with {v:?}, a failure was expected"),
            Err(f) => {
                let mut d = vec![f.code];
                d.extend(f.params);
                d
            }
        }
    }

    pub fn str(&mut self, method: &str, params: &[Value]) -> String {
        self.ok(method, params)
            .as_str()
            .unwrap_or_else(|| panic!("{method}: not a string"))
            .to_string()
    }
}

pub fn s(x: &str) -> Value {
    Value::String(x.to_string())
}

pub fn sim() -> xapi_sim::RunningSimulator {
    xapi_sim::Simulator::builder()
        .vms(6)
        .hosts(2)
        .seed(3)
        .metrics_interval(None)
        .start()
        .expect("start")
}

pub fn addr(sim: &xapi_sim::RunningSimulator) -> String {
    sim.addr().to_string()
}

pub fn xml_client(sim: &xapi_sim::RunningSimulator) -> Client {
    Client::login(Conn::tcp(&addr(sim)), WireFormat::XmlRpc)
}

pub fn json_client(sim: &xapi_sim::RunningSimulator) -> Client {
    Client::login(Conn::tcp(&addr(sim)), WireFormat::JsonRpc)
}

/// The ref of a VM by name.
pub fn vm_by_name(c: &mut Client, name: &str) -> String {
    let refs = c.ok("VM.get_by_name_label", &[s(name)]);
    refs.as_array()
        .and_then(|a| a.first())
        .and_then(Value::as_str)
        .expect("a VM with that name")
        .to_string()
}

/// The first non-template, non-control-domain VM in `state`.
pub fn guest_in_state(c: &mut Client, state: &str) -> String {
    let all = c.ok("VM.get_all_records", &[]);
    for (r, rec) in all.as_struct().unwrap() {
        let get = |k: &str| rec.get(k).cloned().unwrap_or(Value::Nil);
        if get("is_a_template").as_bool() == Some(false)
            && get("is_control_domain").as_bool() == Some(false)
            && get("power_state").as_str() == Some(state)
        {
            return r.clone();
        }
    }
    panic!("no guest in state {state}");
}
