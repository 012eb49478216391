//! The Unix-socket transport and the caller-supplied-function transport.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Reply, Request};
use xenapi::transport::{FnTransport, Timeouts, Transport, UnixTransport};
use xenapi::{Error, Limits};

fn echo(req: &Request) -> Reply {
    let mut body = format!("{} {} ", req.method, req.path).into_bytes();
    body.extend_from_slice(&req.body);
    Reply::Ok(body)
}

fn unix(server: &support::Server) -> UnixTransport {
    UnixTransport::new(server.socket.as_ref().unwrap(), Timeouts::default())
}

#[test]
fn posts_and_reuses_one_connection() {
    let server = support::unix(echo);
    let t = unix(&server);
    for i in 0..20 {
        let got = t
            .post("/jsonrpc", format!("c{i}").as_bytes(), &Limits::default())
            .unwrap();
        assert_eq!(got, format!("POST /jsonrpc c{i}").into_bytes());
    }
    assert_eq!(server.stats.connections(), 1);
    let last = server.stats.last_request();
    assert_eq!(last.header("content-type"), Some("application/json"));
    assert_eq!(last.header("content-length"), Some("3"));
}

#[test]
fn many_threads_share_a_transport() {
    let server = support::unix(echo);
    let t = Arc::new(unix(&server));
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let t = t.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    let got = t
                        .post("/", format!("{n}-{i}").as_bytes(), &Limits::default())
                        .unwrap();
                    assert_eq!(got, format!("POST / {n}-{i}").into_bytes());
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    assert_eq!(server.stats.requests(), 200);
    assert!(server.stats.connections() <= 8);
}

#[test]
fn chunked_bodies_are_reassembled_and_limited() {
    let body: Vec<u8> = (0..50_000u32).map(|i| (i % 13) as u8 + b'a').collect();
    let expected = body.clone();
    let server = support::unix(move |_| Reply::Chunked(body.clone(), 1000));
    let t = unix(&server);
    assert_eq!(t.post("/", b"x", &Limits::default()).unwrap(), expected);
    let small = Limits {
        max_response_bytes: 10_000,
        ..Limits::default()
    };
    assert!(matches!(
        t.post("/", b"x", &small),
        Err(Error::TooLarge { limit: 10_000 })
    ));
    // The transport stays usable after a refusal.
    assert_eq!(t.post("/", b"x", &Limits::default()).unwrap(), expected);
}

#[test]
fn a_huge_body_is_refused_without_being_buffered() {
    let server = support::unix(|_| Reply::Huge(2 << 30));
    let t = unix(&server);
    let limits = Limits {
        max_response_bytes: 1 << 20,
        ..Limits::default()
    };
    assert!(matches!(
        t.post("/", b"x", &limits),
        Err(Error::TooLarge { .. })
    ));
    let server = support::unix(|_| Reply::HugeChunked);
    let t = unix(&server);
    assert!(matches!(
        t.post("/", b"x", &limits),
        Err(Error::TooLarge { .. })
    ));
    let written = server
        .stats
        .huge_bytes_written
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(written < 256 << 20, "the server wrote {written} bytes");
}

#[test]
fn http_errors_become_status_errors() {
    let server = support::unix(|_| {
        Reply::Status(500, "Internal Server Error", b"<html>boom</html>".to_vec())
    });
    let t = unix(&server);
    match t.post("/", b"x", &Limits::default()) {
        Err(Error::Http {
            url,
            status,
            body_excerpt,
            ..
        }) => {
            assert_eq!(status, 500);
            assert_eq!(url, server.url);
            assert_eq!(body_excerpt, "<html>boom</html>");
        }
        other => panic!("expected an HTTP status error, got {other:?}"),
    }
}

#[test]
fn a_connection_closed_by_the_server_is_replaced() {
    let server = support::unix(|req| Reply::OkThenClose(req.body.clone()));
    let t = unix(&server);
    for i in 0..5 {
        let body = format!("again {i}");
        assert_eq!(
            t.post("/", body.as_bytes(), &Limits::default()).unwrap(),
            body.as_bytes()
        );
    }
    assert_eq!(server.stats.requests(), 5);
}

#[test]
fn a_cut_response_and_a_missing_socket_are_transport_errors() {
    let server = support::unix(|_| Reply::CloseMidBody {
        declared: 50,
        sent: b"partial".to_vec(),
    });
    assert!(matches!(
        unix(&server).post("/", b"x", &Limits::default()),
        Err(Error::Transport { .. })
    ));
    let server = support::unix(|_| Reply::Close);
    assert!(matches!(
        unix(&server).post("/", b"x", &Limits::default()),
        Err(Error::Transport { .. })
    ));
    let t = UnixTransport::new("/nonexistent/xapi.sock", Timeouts::default());
    match t.post("/", b"x", &Limits::default()) {
        Err(e @ Error::Transport { .. }) => {
            assert!(e.to_string().contains("/nonexistent/xapi.sock"), "{e}")
        }
        other => panic!("expected a transport error, got {other:?}"),
    }
}

#[test]
fn a_slow_server_times_out() {
    let server = support::unix(|_| {
        Reply::Delay(
            Duration::from_secs(3),
            Box::new(Reply::Ok(b"late".to_vec())),
        )
    });
    let t = UnixTransport::new(
        server.socket.as_ref().unwrap(),
        Timeouts {
            io: Some(Duration::from_millis(200)),
            ..Timeouts::default()
        },
    );
    match t.post("/", b"x", &Limits::default()) {
        Err(e @ Error::Transport { .. }) => assert!(
            e.report().contains("no data for the I/O timeout of 200ms"),
            "{e}"
        ),
        other => panic!("expected a timeout, got {other:?}"),
    }
}

#[test]
fn a_function_transport_passes_bytes_and_applies_the_limit() {
    let t = FnTransport::new(|req| {
        let mut out = b"re: ".to_vec();
        out.extend_from_slice(req);
        Ok(out)
    });
    assert_eq!(
        t.post("/", b"hello", &Limits::default()).unwrap(),
        b"re: hello"
    );
    let small = Limits {
        max_response_bytes: 5,
        ..Limits::default()
    };
    assert!(matches!(
        t.post("/", b"hello", &small),
        Err(Error::TooLarge { limit: 5 })
    ));
    let failing = FnTransport::new(|_| Err(Error::Encode("the caller's own failure".into())));
    assert!(matches!(
        failing.post("/", b"x", &Limits::default()),
        Err(Error::Encode(_))
    ));
    assert!(failing.redirect("elsewhere").unwrap().is_none());
}

#[test]
fn errors_keep_the_io_error_and_print_each_part_once() {
    use std::error::Error as _;
    let t = UnixTransport::new("/nonexistent/xapi.sock", Timeouts::default());
    let err = t.post("/", b"x", &Limits::default()).unwrap_err();
    assert_eq!(err.io_error_kind(), Some(std::io::ErrorKind::NotFound));
    // Display names the place; the cause is the source, then the typed I/O error.
    assert_eq!(
        err.to_string(),
        "transport error talking to unix:/nonexistent/xapi.sock"
    );
    let source = err.source().expect("a source");
    assert_eq!(source.to_string(), "cannot connect");
    let io = source
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    assert_eq!(io.map(|e| e.kind()), Some(std::io::ErrorKind::NotFound));
    let report = err.report();
    for part in [
        "transport error talking to",
        "cannot connect",
        "No such file",
    ] {
        assert_eq!(report.matches(part).count(), 1, "{report}");
    }
    // An API failure prints its code once, whether alone or with its chain.
    let api = Error::from(xenapi::ApiFailure::from_description(vec![
        "HANDLE_INVALID".into(),
        "VM".into(),
    ]));
    assert_eq!(
        api.report().matches("HANDLE_INVALID").count(),
        1,
        "{}",
        api.report()
    );
}
