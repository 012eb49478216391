//! Fault injection: a misbehaving server (tests/support/hostile.rs) against the Rust client,
//! over XML-RPC and JSON-RPC, TCP and a Unix socket. Each case asserts a precise error within
//! a time bound, that the server saw the call no more often than it was sent, and that the
//! same session then works for the next good call. `--nocapture` prints one line per case
//! (name, time, error) for the record.

#[path = "support/hostile.rs"]
mod hostile;
mod support;

use std::time::{Duration, Instant};

use hostile::Act;
use xenapi::transport::Timeouts;
use xenapi::{Client, Error, Limits, Session, Value, WireFormat};

const FORMATS: [WireFormat; 2] = [WireFormat::XmlRpc, WireFormat::JsonRpc];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Net {
    Tcp,
    Unix,
}

fn server(net: Net, script: Vec<Act>) -> hostile::Hostile {
    // The first request of every case is the login, which succeeds.
    let script = std::iter::once(Act::Good).chain(script).collect();
    match net {
        Net::Tcp => hostile::tcp(script),
        Net::Unix => hostile::unix(script),
    }
}

fn timeouts() -> Timeouts {
    Timeouts {
        io: Some(Duration::from_millis(500)),
        call: Some(Duration::from_millis(1500)),
        ..Timeouts::default()
    }
}

fn session(url: &str, format: WireFormat, limits: Limits) -> Session {
    session_with(url, format, limits, timeouts())
}

fn session_with(url: &str, format: WireFormat, limits: Limits, timeouts: Timeouts) -> Session {
    Client::builder(url)
        .format(format)
        .timeouts(timeouts)
        .limits(limits)
        .build()
        .unwrap()
        .login_with_password("root", "pw", "1.0", "faults")
        .unwrap()
}

/// Runs one case: the call after login meets `act`; its error must satisfy `check` within
/// `bound`; then the same session makes a good call. Returns the server for more checks.
fn case(
    name: &str,
    net: Net,
    format: WireFormat,
    acts: Vec<Act>,
    limits: Limits,
    bound: Duration,
    check: impl Fn(&Error) -> bool,
) -> hostile::Hostile {
    case_with(name, net, format, acts, limits, timeouts(), bound, check)
}

/// [`case`] with these timeouts.
#[allow(clippy::too_many_arguments)]
fn case_with(
    name: &str,
    net: Net,
    format: WireFormat,
    acts: Vec<Act>,
    limits: Limits,
    timeouts: Timeouts,
    bound: Duration,
    check: impl Fn(&Error) -> bool,
) -> hostile::Hostile {
    let server = server(net, acts);
    let s = session_with(&server.url, format, limits, timeouts);
    let started = Instant::now();
    let result = s.call("VM.get_all", &[]);
    let took = started.elapsed();
    let err = match result {
        Err(e) => e,
        Ok(v) => panic!("{name} {net:?} {format:?}: expected an error, got {v:?}"),
    };
    println!(
        "{name:<22} {net:?}/{format:?} {took:>10.1?}  {}",
        err.report()
    );
    assert!(
        check(&err),
        "{name} {net:?} {format:?}: unexpected error: {err}"
    );
    assert!(
        took <= bound,
        "{name} {net:?} {format:?}: took {took:?} (bound {bound:?}): {err}"
    );
    let next = s.call("VM.get_all", &[]);
    assert_eq!(
        next.ok(),
        Some(Value::String("OpaqueRef:good".into())),
        "{name} {net:?} {format:?}: the next good call failed"
    );
    server
}

fn text(e: &Error) -> String {
    e.report()
}

fn each(mut f: impl FnMut(Net, WireFormat)) {
    for net in [Net::Tcp, Net::Unix] {
        for format in FORMATS {
            f(net, format);
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);

#[test]
fn a_silent_server_is_cut_off_at_the_call_deadline() {
    each(|net, format| {
        // No I/O timeout: the deadline alone must end the call.
        case_with(
            "silent",
            net,
            format,
            vec![Act::Silent],
            Limits::default(),
            Timeouts {
                io: None,
                ..timeouts()
            },
            3 * SECOND,
            |e| text(e).contains("no complete response within the call deadline of 1.5s"),
        );
    });
}

#[test]
fn a_dripping_server_is_cut_off_at_the_call_deadline() {
    each(|net, format| {
        case(
            "drip (1 byte/100ms)",
            net,
            format,
            vec![Act::Drip],
            Limits::default(),
            3 * SECOND,
            |e| text(e).contains("no complete response within the call deadline of 1.5s"),
        );
    });
}

#[test]
fn a_connection_closed_after_the_request_is_not_sent_again() {
    each(|net, format| {
        // Login and a good call first, so that the third call goes out on a reused connection.
        let server = server(net, vec![Act::Good, Act::Close]);
        let s = session(&server.url, format, Limits::default());
        s.call("VM.get_all", &[]).unwrap();
        let started = Instant::now();
        let err = s.call("VM.clone", &[]).unwrap_err();
        println!(
            "{:<22} {net:?}/{format:?} {:>10.1?}  {}",
            "closed after request",
            started.elapsed(),
            err.report()
        );
        assert_eq!(
            server.requests(),
            3,
            "{net:?} {format:?}: the call was sent again"
        );
        if net == Net::Unix {
            assert!(text(&err).contains("the call may have run"), "{err}");
        }
        assert!(matches!(err, Error::Transport { .. }), "{err}");
        s.call("VM.get_all", &[]).unwrap();
    });
}

#[test]
fn a_reset_before_the_request_was_read_is_resent_only_on_a_unix_socket() {
    each(|net, format| {
        // The server reads one byte of the call (on the connection the login left idle) and
        // closes with the rest unread, which resets the connection.
        let server = server(net, vec![Act::Reset]);
        let s = session(&server.url, format, Limits::default());
        let started = Instant::now();
        let result = s.call("VM.clone", &[]);
        let took = started.elapsed();
        match net {
            // TCP cannot tell an unread request from a processed one: an error.
            Net::Tcp => {
                let err = result.unwrap_err();
                println!(
                    "{:<22} {net:?}/{format:?} {took:>10.1?}  {}",
                    "reset",
                    err.report()
                );
                assert!(
                    text(&err).contains("the call may have run"),
                    "{}",
                    err.report()
                );
                assert_eq!(
                    err.io_error_kind(),
                    Some(std::io::ErrorKind::ConnectionReset)
                );
                assert_eq!(server.requests(), 2);
            }
            // A Unix socket resets only when the closing side left data unread: the call
            // provably did not run, and is sent once more, on a fresh connection.
            Net::Unix => {
                assert_eq!(result.unwrap(), Value::String("OpaqueRef:good".into()));
                println!(
                    "{:<22} {net:?}/{format:?} {took:>10.1?}  resent, ok",
                    "reset"
                );
                assert_eq!(server.requests(), 3);
            }
        }
        assert!(took < SECOND);
        s.call("VM.get_all", &[]).unwrap();
    });
}

#[test]
fn a_truncated_body_is_a_transport_error() {
    each(|net, format| {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<methodResp".to_vec();
        case(
            "truncated",
            net,
            format,
            vec![Act::Raw(raw)],
            Limits::default(),
            SECOND,
            |e| matches!(e, Error::Transport { .. }),
        );
    });
}

#[test]
fn an_html_error_page_is_an_http_error_with_an_excerpt() {
    each(|net, format| {
        let page = "<html><body><h1>500 Internal Server Error</h1></body></html>";
        let raw = format!(
            "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/html\r\n\
             Content-Length: {}\r\n\r\n{page}",
            page.len()
        );
        case(
            "500 with HTML",
            net,
            format,
            vec![Act::Raw(raw.into_bytes())],
            Limits::default(),
            SECOND,
            |e| {
                matches!(e, Error::Http { status: 500, body_excerpt, .. }
                    if body_excerpt.contains("500 Internal Server Error"))
            },
        );
    });
}

#[test]
fn bad_chunking_is_a_transport_error() {
    each(|net, format| {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n".to_vec();
        case(
            "bad chunk size",
            net,
            format,
            vec![Act::Raw(raw)],
            Limits::default(),
            SECOND,
            |e| text(e).contains("invalid HTTP response") && text(e).contains("chunk"),
        );
    });
}

#[test]
fn a_huge_chunk_size_is_refused_without_reading_it() {
    each(|net, format| {
        let raw =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\nabc".to_vec();
        case(
            "huge chunk size",
            net,
            format,
            vec![Act::Raw(raw)],
            Limits {
                max_response_bytes: 1 << 20,
                ..Limits::default()
            },
            SECOND,
            // ureq reads chunks as they come and stops at the limit or at the end of the
            // stream; the Unix transport refuses the declared size before reading.
            |e| match net {
                Net::Unix => matches!(e, Error::TooLarge { limit } if *limit == 1 << 20),
                Net::Tcp => text(e).contains("closed the connection before the response"),
            },
        );
    });
}

#[test]
fn an_endless_body_stops_at_the_limit() {
    each(|net, format| {
        let limit = 1 << 20;
        let server = case(
            "endless body",
            net,
            format,
            vec![Act::Endless],
            Limits {
                max_response_bytes: limit,
                ..Limits::default()
            },
            3 * SECOND,
            |e| matches!(e, Error::TooLarge { .. }),
        );
        // What the server got out is the limit plus what socket buffers hold.
        assert!(
            server.written() < limit + (16 << 20),
            "{net:?}: the client read {} bytes",
            server.written()
        );
    });
}

#[test]
fn deep_nesting_is_refused() {
    each(|net, format| {
        let depth = 100_000;
        let body = match format {
            WireFormat::XmlRpc => format!(
                "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
                 <member><name>Status</name><value>Success</value></member><member>\
                 <name>Value</name>{}{}</member></struct></value></param></params>\
                 </methodResponse>",
                "<value><array><data>".repeat(depth),
                "</data></array></value>".repeat(depth)
            ),
            _ => format!(
                "{{\"jsonrpc\":\"2.0\",\"id\":2,\"result\":{{\"x\":{}{}}}}}",
                "[".repeat(depth),
                "]".repeat(depth)
            ),
        };
        let raw = format!(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        case(
            "deep nesting",
            net,
            format,
            vec![Act::Raw(raw.into_bytes())],
            Limits::default(),
            SECOND,
            |e| matches!(e, Error::TooDeep { limit: 64, .. }),
        );
    });
}

#[test]
fn a_gzip_body_says_it_is_gzip() {
    each(|net, format| {
        let gz = [
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let raw = [
            format!(
                "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n",
                gz.len()
            )
            .as_bytes(),
            &gz,
        ]
        .concat();
        case(
            "gzip body",
            net,
            format,
            vec![Act::Raw(raw)],
            Limits::default(),
            SECOND,
            |e| text(e).contains("gzip-encoded"),
        );
    });
}

#[test]
fn a_redirect_names_its_location() {
    each(|net, format| {
        let raw = b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\n\
                    Connection: close\r\nContent-Length: 0\r\n\r\n"
            .to_vec();
        case(
            "302 with Location",
            net,
            format,
            vec![Act::Raw(raw)],
            Limits::default(),
            SECOND,
            |e| {
                matches!(e, Error::Http { status: 302, .. })
                    && text(e).contains("https://elsewhere.example/")
            },
        );
    });
}

#[test]
fn host_is_slave_loops_end() {
    each(|net, format| {
        let slave = vec!["HOST_IS_SLAVE".to_string(), "127.0.0.1".to_string()];
        let server = match net {
            Net::Tcp => hostile::tcp(vec![Act::Failure(slave.clone()); 10]),
            Net::Unix => hostile::unix(vec![Act::Failure(slave.clone()); 10]),
        };
        let client = Client::builder(&server.url)
            .format(format)
            .timeouts(timeouts())
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client
            .login_with_password("root", "pw", "1.0", "faults")
            .unwrap_err();
        let took = started.elapsed();
        println!(
            "{:<22} {net:?}/{format:?} {took:>10.1?}  {err}",
            "HOST_IS_SLAVE loop"
        );
        assert!(
            matches!(&err, Error::Api(f) if f.code == "HOST_IS_SLAVE"),
            "{err}"
        );
        assert!(server.requests() <= 1 + xenapi::session::MAX_REDIRECTS);
        assert!(took < SECOND);
    });
}

#[test]
fn https_to_a_plain_http_port_fails_fast_with_a_hint() {
    // A plain HTTP server that waits for the end of a request head (that a TLS hello never
    // has) and one that answers the hello with a 400.
    let answers_400 = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec();
    for (name, act, bound) in [
        ("https to silent http", None, 3 * SECOND),
        ("https to http (400)", Some(answers_400), SECOND),
    ] {
        let server = match act {
            None => hostile::tcp(vec![]),
            Some(raw) => raw_tcp(raw),
        };
        let url = server.url.replace("http://", "https://");
        let client = Client::builder(&url)
            .timeouts(Timeouts {
                tls_handshake: Some(SECOND),
                io: None,
                ..timeouts()
            })
            .build()
            .unwrap();
        let started = Instant::now();
        let err = client.call("VM.get_all", &[]).unwrap_err();
        let took = started.elapsed();
        println!("{name:<22} Tcp {took:>10.1?}  {}", err.report());
        assert!(
            text(&err).contains("if this port serves plain HTTP, use an http:// URL"),
            "{err}"
        );
        assert!(took <= bound, "{name}: {took:?}");
    }
}

/// A TCP server that answers whatever comes (even a TLS hello) with `raw`, then closes.
fn raw_tcp(raw: Vec<u8>) -> hostile::Hostile {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(&raw);
        }
    });
    hostile::Hostile::external(url)
}

#[test]
fn http_to_a_tls_port_says_so() {
    let server = support::https(false, |_| support::Reply::Ok(Vec::new()));
    let url = server.url.replace("https://", "http://");
    let client = Client::builder(&url).timeouts(timeouts()).build().unwrap();
    let started = Instant::now();
    let err = client.call("VM.get_all", &[]).unwrap_err();
    let took = started.elapsed();
    println!("{:<22} Tcp {took:>10.1?}  {}", "http to TLS", err.report());
    assert!(text(&err).contains("use an https:// URL"), "{err}");
    assert!(took <= SECOND, "{took:?}");
}
