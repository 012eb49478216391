//! Endpoints and the HTTP layer: TLS, the Unix socket, the pool member, xapi's request limit,
//! every kind of injected fault, and responses byte for byte in xapi's style.

mod common;

use std::time::{Duration, Instant};

use common::*;
use xapi_sim::{FaultKind, When};
use xenapi::wire::{self, WireFormat};
use xenapi::{Error, Limits, Value};

fn login_body(format: WireFormat) -> Vec<u8> {
    wire::encode_call(
        format,
        "session.login_with_password",
        None,
        &[s("root"), s("xenroot")],
        1,
    )
    .unwrap()
}

#[test]
fn https_with_the_generated_certificate() {
    let sim = xapi_sim::Simulator::builder()
        .vms(2)
        .tls(true)
        .metrics_interval(None)
        .start()
        .unwrap();
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let der = sim.certificate_der().unwrap().to_vec();
    assert!(sim
        .certificate_pem()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let expected = xapi_sim::tls::fingerprint(&der);
    assert_eq!(sim.fingerprint(), Some(expected.as_str()));
    assert_eq!(expected.len(), 32 * 3 - 1);
    let mut c = Client::login(
        Conn::tls(&addr(&sim), "127.0.0.1", &der).unwrap(),
        WireFormat::XmlRpc,
    );
    assert!(!c.ok("VM.get_all", &[]).as_array().unwrap().is_empty());
    let mut j = Client::login(
        Conn::tls(&addr(&sim), "localhost", &der).unwrap(),
        WireFormat::JsonRpc,
    );
    j.ok("VM.get_all", &[]);
    // Verification is real: another certificate is refused.
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    assert!(Conn::tls(&addr(&sim), "127.0.0.1", other.cert.der()).is_err());
}

#[test]
fn unix_socket() {
    let dir = std::env::temp_dir().join(format!("xapi-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("xapi.sock");
    let sim = xapi_sim::Simulator::builder()
        .vms(2)
        .unix(&path)
        .metrics_interval(None)
        .start()
        .unwrap();
    assert_eq!(sim.unix_path(), Some(path.as_path()));
    let mut c = Client::login(Conn::unix(&path), WireFormat::XmlRpc);
    assert!(!c.ok("VM.get_all", &[]).as_array().unwrap().is_empty());
    let mut j = Client::login(Conn::unix(&path), WireFormat::JsonRpc);
    j.ok("host.get_all", &[]);
    drop(sim);
    assert!(!path.exists(), "the socket file is removed at shutdown");
}

#[test]
fn the_pool_member_sends_logins_to_the_master() {
    let sim = sim();
    let member = sim.member_url().unwrap();
    assert_eq!(member, format!("http://127.0.0.2:{}/", sim.addr().port()));
    let member_addr = member
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut conn = Conn::tcp(&member_addr);
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot")],
        )
        .unwrap_err();
    assert_eq!(
        (f.code.as_str(), f.params.as_slice()),
        ("HOST_IS_SLAVE", &["127.0.0.1".to_string()][..])
    );
    let f = conn
        .call(
            WireFormat::JsonRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot")],
        )
        .unwrap_err();
    assert_eq!(f.code, "HOST_IS_SLAVE");
    // The address plus the URL's port is the master: logging in there works.
    let master = format!("{}:{}", f.params[0], sim.addr().port());
    let mut c = Client::login(Conn::tcp(&master), WireFormat::XmlRpc);
    // A session from the master is valid on the member, as in a pool.
    let mut m = Client {
        conn: Conn::tcp(&member_addr),
        format: WireFormat::XmlRpc,
        session: c.session.clone(),
    };
    assert_eq!(m.ok("VM.get_all", &[]), c.ok("VM.get_all", &[]));
}

#[test]
fn requests_over_300_kib_are_refused_as_xapi_does() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    // Just under the limit: served.
    let name = "n".repeat(290 * 1024);
    c.ok("VM.set_name_label", &[s(&vm), s(&name)]);
    assert_eq!(c.str("VM.get_name_label", &[s(&vm)]).len(), name.len());
    // Over it: HTTP 500 with an HTML body, and the connection is closed.
    let body = wire::encode_call(
        WireFormat::XmlRpc,
        "VM.set_name_label",
        None,
        &[s(&c.session), s(&vm), s(&"x".repeat(300 * 1024))],
        1,
    )
    .unwrap();
    assert!(body.len() > 300 * 1024);
    let mut conn = Conn::tcp(&addr(&sim));
    let r = conn.request("/", &body, "").unwrap();
    assert_eq!(r.status, 500);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(
        conn.request("/", &login_body(WireFormat::XmlRpc), "")
            .is_err(),
        "the connection was closed"
    );
}

/// Sends raw bytes on a new connection and reads the status of the answer.
fn raw_status(sim: &xapi_sim::RunningSimulator, bytes: &[u8]) -> u16 {
    use std::io::{Read, Write};
    let mut t = std::net::TcpStream::connect(sim.addr()).unwrap();
    t.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = t.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn bad_http_gets_an_error_and_leaves_the_server_serving() {
    let sim = sim();
    assert_eq!(
        raw_status(&sim, b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
        500,
        "no Content-Length"
    );
    assert_eq!(raw_status(&sim, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 501);
    assert_eq!(
        raw_status(&sim, b"POST / HTTP/1.1\r\nno colon here\r\n\r\n"),
        500
    );
    assert_eq!(
        raw_status(&sim, b"POST / HTTP/1.1\r\nContent-Length: lots\r\n\r\n"),
        500
    );
    assert_eq!(raw_status(&sim, b"garbage\r\n\r\n"), 500);
    let mut huge = b"POST / HTTP/1.1\r\n".to_vec();
    for i in 0..2000 {
        huge.extend_from_slice(format!("X-Filler-{i}: {}\r\n", "y".repeat(40)).as_bytes());
    }
    huge.extend_from_slice(b"\r\n");
    assert_eq!(raw_status(&sim, &huge), 431);
    let body = login_body(WireFormat::JsonRpc);
    assert_eq!(
        raw_status(
            &sim,
            &[b"POST /jsonrpc HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\":".as_slice()].concat()
        ),
        500
    );
    let mut c = Conn::tcp(&addr(&sim));
    assert_eq!(c.request("/jsonrpc", &body, "").unwrap().status, 200);
}

#[test]
fn expect_100_continue_is_answered() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let body = login_body(WireFormat::XmlRpc);
    let r = conn
        .request("/", &body, "Expect: 100-continue\r\n")
        .unwrap();
    assert_eq!(r.status, 100);
    let r = conn.read_response().unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn system_list_methods() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let v = conn
        .call(WireFormat::XmlRpc, "system.listMethods", &[])
        .unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(names.contains(&"VM.start") && names.contains(&"Async.VM.start"));
    assert!(!names.contains(&"Async.VM.get_name_label"));
}

#[test]
fn undecodable_requests_and_wrong_paths() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let r = conn
        .request("/", b"<methodCall><methodName>VM.get_all", "")
        .unwrap();
    assert_eq!(r.status, 500);
    // A GET is not an API call.
    let mut conn = Conn::tcp(&addr(&sim));
    use std::io::Write as _;
    let r = {
        let w = conn.raw();
        w.write_all(b"GET /xmlrpc HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        conn.read_response().unwrap()
    };
    assert_eq!(r.status, 501);
}

#[test]
fn xml_rpc_on_every_path_but_jsonrpc_as_xapi_dispatches_by_prefix() {
    let sim = sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let xml = login_body(WireFormat::XmlRpc);
    for path in ["/xmlrpc", "/nowhere/at/all", "/RPC2?x=1"] {
        let r = conn.request(path, &xml, "").unwrap();
        assert_eq!(r.status, 200, "{path}");
        let v = xenapi::wire::decode_response::<xenapi::Value>(
            WireFormat::XmlRpc,
            &r.body,
            &Limits::default(),
        )
        .unwrap();
        assert!(v.as_str().unwrap().starts_with("OpaqueRef:"), "{path}");
    }
    // Under /jsonrpc, the body is JSON-RPC: XML there is a decoding failure.
    let r = conn.request("/jsonrpc/sub", &xml, "").unwrap();
    assert_eq!(r.status, 500);
    let mut conn = Conn::tcp(&addr(&sim));
    let json = login_body(WireFormat::JsonRpc);
    let r = conn.request("/jsonrpc/sub", &json, "").unwrap();
    assert_eq!(r.status, 200);
}

#[test]
fn injected_faults() {
    let sim = sim();
    let a = addr(&sim);
    let body = login_body(WireFormat::XmlRpc);
    let limits = Limits::default();

    sim.faults().on_method(
        "session.login_with_password",
        FaultKind::Latency(Duration::from_millis(300)),
    );
    let started = Instant::now();
    let r = Conn::tcp(&a).request("/", &body, "").unwrap();
    assert_eq!(r.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
    sim.faults().clear();

    sim.faults().on_nth_request(1, FaultKind::Http500);
    let r = Conn::tcp(&a).request("/", &body, "").unwrap();
    assert_eq!(r.status, 500);
    assert!(String::from_utf8_lossy(&r.body).starts_with("<html>"));
    assert_eq!(
        Conn::tcp(&a).request("/", &body, "").unwrap().status,
        200,
        "once only"
    );

    sim.faults().on_nth_request(1, FaultKind::CloseMidResponse);
    let e = Conn::tcp(&a).request("/", &body, "").unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);

    sim.faults().on_nth_request(1, FaultKind::TruncatedBody);
    let r = Conn::tcp(&a).request("/", &body, "").unwrap();
    assert_eq!(r.status, 200);
    assert!(matches!(
        wire::decode_response::<Value>(WireFormat::XmlRpc, &r.body, &limits),
        Err(Error::Decode { .. })
    ));

    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        sim.faults().on_nth_request(1, FaultKind::MalformedBody);
        let r = Conn::tcp(&a)
            .request(format.path(), &login_body(format), "")
            .unwrap();
        assert_eq!(r.status, 200);
        let decoded = wire::decode_response::<Value>(format, &r.body, &limits);
        assert!(
            matches!(decoded, Err(Error::Decode { .. })),
            "{format:?}: {decoded:?}"
        );
    }

    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        sim.faults().add(
            When::Method("session.login_with_password".into()),
            FaultKind::OversizedBody(5_000_000),
            Some(1),
        );
        let r = Conn::tcp(&a)
            .request(format.path(), &login_body(format), "")
            .unwrap();
        assert_eq!(r.body.len(), 5_000_000);
        let v: String = wire::decode_response(format, &r.body, &limits).unwrap();
        assert!(v.len() > 4_900_000);
    }
    assert!(sim.faults().requests_seen() >= 9);
}

fn exact(
    sim: &xapi_sim::RunningSimulator,
    format: WireFormat,
    method: &str,
    params: &[Value],
) -> String {
    let body = wire::encode_call(format, method, None, params, 5).unwrap();
    let r = Conn::tcp(&addr(sim))
        .request(format.path(), &body, "")
        .unwrap();
    String::from_utf8(r.body).unwrap()
}

#[test]
fn responses_are_byte_for_byte_in_xapis_style() {
    let sim = sim();
    let mut c = xml_client(&sim);
    let vm = guest_in_state(&mut c, "Halted");
    let session = c.session.clone();
    let ok = |v: &str| {
        format!(
            "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>\
             <value>Success</value></member><member><name>Value</name>{v}</member></struct></value></param></params>\
             </methodResponse>"
        )
    };
    assert_eq!(
        exact(
            &sim,
            WireFormat::XmlRpc,
            "VM.get_power_state",
            &[s(&session), s(&vm)]
        ),
        ok("<value>Halted</value>")
    );
    assert_eq!(
        exact(
            &sim,
            WireFormat::XmlRpc,
            "VM.get_is_a_template",
            &[s(&session), s(&vm)]
        ),
        ok("<value><boolean>0</boolean></value>")
    );
    c.ok("VM.set_user_version", &[s(&vm), s("7")]);
    assert_eq!(
        exact(
            &sim,
            WireFormat::XmlRpc,
            "VM.get_user_version",
            &[s(&session), s(&vm)]
        ),
        ok("<value>7</value>")
    );
    c.ok("VM.set_tags", &[s(&vm), Value::Array(vec![s("a"), s("b")])]);
    assert_eq!(
        exact(
            &sim,
            WireFormat::XmlRpc,
            "VM.get_tags",
            &[s(&session), s(&vm)]
        ),
        ok("<value><array><data><value>a</value><value>b</value></data></array></value>")
    );
    assert_eq!(
        exact(&sim, WireFormat::XmlRpc, "session.login_with_password", &[s("root"), s("bad")]),
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct><member><name>Status</name>\
         <value>Failure</value></member><member><name>ErrorDescription</name><value><array><data>\
         <value>SESSION_AUTHENTICATION_FAILED</value><value>root</value><value>Authentication failure</value>\
         </data></array></value></member></struct></value></param></params></methodResponse>"
    );
    assert_eq!(
        exact(
            &sim,
            WireFormat::JsonRpc,
            "VM.get_power_state",
            &[s(&session), s(&vm)]
        ),
        "{\"jsonrpc\":\"2.0\",\"result\":\"Halted\",\"id\":5}"
    );
    assert_eq!(
        exact(
            &sim,
            WireFormat::JsonRpcV1,
            "VM.get_power_state",
            &[s(&session), s(&vm)]
        ),
        "{\"result\":\"Halted\",\"error\":null,\"id\":5}"
    );
}
