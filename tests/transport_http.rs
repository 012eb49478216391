//! The HTTP transports (ureq and, with the `curl` feature, libcurl) against a loopback server.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::{Reply, Request};
use xenapi::transport::{HttpOptions, Timeouts, TlsVerification, Transport};
use xenapi::{Error, Limits};

type Make = fn(&str, HttpOptions) -> xenapi::Result<Box<dyn Transport>>;

fn kinds() -> Vec<(&'static str, Make)> {
    let mut v: Vec<(&'static str, Make)> = Vec::new();
    #[cfg(feature = "ureq")]
    v.push(("ureq", |u, o| {
        Ok(Box::new(xenapi::transport::UreqTransport::new(u, o)?) as Box<dyn Transport>)
    }));
    #[cfg(feature = "curl")]
    v.push(("curl", |u, o| {
        Ok(Box::new(xenapi::transport::CurlTransport::new(u, o)?) as Box<dyn Transport>)
    }));
    v
}

fn echo(req: &Request) -> Reply {
    let mut body = format!("{} {} ", req.method, req.path).into_bytes();
    body.extend_from_slice(&req.body);
    Reply::Ok(body)
}

fn ipv6_available() -> bool {
    std::net::TcpListener::bind("[::1]:0").is_ok()
}

#[test]
fn posts_and_reuses_one_connection() {
    for (name, make) in kinds() {
        let server = support::http(false, echo);
        let t = make(&server.url, HttpOptions::default()).unwrap();
        for i in 0..20 {
            let body = format!("call {i}");
            let got = t
                .post("/jsonrpc", body.as_bytes(), &Limits::default())
                .unwrap();
            assert_eq!(
                got,
                format!("POST /jsonrpc call {i}").into_bytes(),
                "{name}"
            );
        }
        assert_eq!(server.stats.requests(), 20, "{name}");
        assert_eq!(
            server.stats.connections(),
            1,
            "{name}: keep-alive must reuse the connection"
        );
        let last = server.stats.last_request();
        assert_eq!(
            last.header("content-type"),
            Some("application/json"),
            "{name}"
        );
        t.post("/", b"<x/>", &Limits::default()).unwrap();
        assert_eq!(
            server.stats.last_request().header("content-type"),
            Some("text/xml"),
            "{name}"
        );
    }
}

#[test]
fn many_threads_share_a_transport() {
    for (name, make) in kinds() {
        let server = support::http(false, echo);
        let t: Arc<dyn Transport> = Arc::from(make(&server.url, HttpOptions::default()).unwrap());
        let threads: Vec<_> = (0..8)
            .map(|n| {
                let t = t.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let body = format!("{n}-{i}");
                        let got = t.post("/", body.as_bytes(), &Limits::default()).unwrap();
                        assert_eq!(got, format!("POST / {n}-{i}").into_bytes());
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        assert_eq!(server.stats.requests(), 200, "{name}");
        assert!(
            server.stats.connections() <= 8,
            "{name}: {} connections",
            server.stats.connections()
        );
    }
}

#[test]
fn chunked_responses_are_reassembled() {
    for (name, make) in kinds() {
        let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let expected = body.clone();
        let server = support::http(false, move |_| Reply::Chunked(body.clone(), 777));
        let t = make(&server.url, HttpOptions::default()).unwrap();
        assert_eq!(
            t.post("/", b"x", &Limits::default()).unwrap(),
            expected,
            "{name}"
        );
        assert_eq!(
            t.post("/", b"x", &Limits::default()).unwrap(),
            expected,
            "{name}"
        );
        assert_eq!(server.stats.connections(), 1, "{name}");
    }
}

#[test]
fn http_errors_become_status_errors_with_the_url() {
    for (name, make) in kinds() {
        let page = b"<html><body><h1>500 Internal Server Error</h1></body></html>".to_vec();
        let server = support::http(false, move |_| {
            Reply::Status(500, "Internal Server Error", page.clone())
        });
        let t = make(&server.url, HttpOptions::default()).unwrap();
        match t.post("/", b"<x/>", &Limits::default()) {
            Err(Error::Http {
                url,
                status,
                body_excerpt,
                ..
            }) => {
                assert_eq!(status, 500, "{name}");
                assert_eq!(url, format!("{}/", server.url), "{name}");
                assert!(
                    body_excerpt.contains("Internal Server Error"),
                    "{name}: {body_excerpt}"
                );
            }
            other => panic!("{name}: expected an HTTP status error, got {other:?}"),
        }
    }
}

#[test]
fn a_huge_body_is_refused_without_being_buffered() {
    for (name, make) in kinds() {
        let server = support::http(false, |_| Reply::Huge(2 << 30));
        let t = make(&server.url, HttpOptions::default()).unwrap();
        let limits = Limits {
            max_response_bytes: 1 << 20,
            ..Limits::default()
        };
        match t.post("/", b"x", &limits) {
            Err(Error::TooLarge { limit }) => assert_eq!(limit, 1 << 20, "{name}"),
            other => panic!(
                "{name}: expected TooLarge, got {:?}",
                other.map(|b| b.len())
            ),
        }
        let written = server
            .stats
            .huge_bytes_written
            .load(std::sync::atomic::Ordering::SeqCst);
        assert!(
            written < 256 << 20,
            "{name}: the server wrote {written} bytes"
        );

        let server = support::http(false, |_| Reply::HugeChunked);
        let t = make(&server.url, HttpOptions::default()).unwrap();
        assert!(
            matches!(t.post("/", b"x", &limits), Err(Error::TooLarge { .. })),
            "{name}"
        );
    }
}

#[test]
fn a_body_at_the_limit_is_accepted() {
    for (name, make) in kinds() {
        let server = support::http(false, |_| Reply::Ok(vec![b'a'; 1000]));
        let t = make(&server.url, HttpOptions::default()).unwrap();
        let exact = Limits {
            max_response_bytes: 1000,
            ..Limits::default()
        };
        assert_eq!(t.post("/", b"x", &exact).unwrap().len(), 1000, "{name}");
        let under = Limits {
            max_response_bytes: 999,
            ..Limits::default()
        };
        assert!(
            matches!(t.post("/", b"x", &under), Err(Error::TooLarge { .. })),
            "{name}"
        );
    }
}

#[test]
fn a_response_cut_short_is_a_transport_error() {
    for (name, make) in kinds() {
        let server = support::http(false, |_| Reply::CloseMidBody {
            declared: 100,
            sent: b"only part".to_vec(),
        });
        let t = make(&server.url, HttpOptions::default()).unwrap();
        match t.post("/", b"x", &Limits::default()) {
            Err(Error::Transport { url, .. }) => assert!(url.starts_with(&server.url), "{name}"),
            other => panic!("{name}: expected a transport error, got {other:?}"),
        }
    }
}

#[test]
fn a_silent_server_times_out() {
    for (name, make) in kinds() {
        let (url, _stats) = support::silent();
        let options = HttpOptions {
            timeouts: Timeouts {
                connect: Some(Duration::from_secs(5)),
                io: Some(Duration::from_millis(300)),
                ..Timeouts::default()
            },
            ..HttpOptions::default()
        };
        let t = make(&url, options).unwrap();
        match t.post("/", b"x", &Limits::default()) {
            Err(e @ Error::Transport { .. }) => {
                let text = e.report().to_lowercase();
                assert!(
                    text.contains("timed out") || text.contains("i/o timeout of 300ms"),
                    "{name}: {e}"
                )
            }
            other => panic!("{name}: expected a timeout, got {other:?}"),
        }
    }
}

#[test]
fn a_refused_connection_names_the_url() {
    for (name, make) in kinds() {
        let url = format!("http://127.0.0.1:{}", support::dead_port());
        let t = make(&url, HttpOptions::default()).unwrap();
        match t.post("/", b"x", &Limits::default()) {
            Err(e @ Error::Transport { .. }) => {
                assert!(e.to_string().contains(&url), "{name}: {e}")
            }
            other => panic!("{name}: expected a transport error, got {other:?}"),
        }
    }
}

#[test]
fn ipv6_literals_work() {
    if !ipv6_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    for (name, make) in kinds() {
        let server = support::http(true, echo);
        assert!(server.url.starts_with("http://[::1]:"));
        let t = make(&server.url, HttpOptions::default()).unwrap();
        assert_eq!(
            t.post("/", b"v6", &Limits::default()).unwrap(),
            b"POST / v6",
            "{name}"
        );
        let host = server.stats.last_request();
        assert!(host.header("host").unwrap().starts_with("[::1]"), "{name}");
    }
}

#[test]
fn bad_urls_are_refused_up_front() {
    for (name, make) in kinds() {
        for bad in ["ftp://h/", "http://::1/", "http://h:70000/", "nonsense"] {
            assert!(
                matches!(
                    make(bad, HttpOptions::default()),
                    Err(Error::Transport { .. })
                ),
                "{name}: {bad}"
            );
        }
    }
}

#[test]
fn redirect_builds_the_same_transport_for_another_host() {
    for (name, make) in kinds() {
        let server = support::http(false, echo);
        let port = server.url.rsplit(':').next().unwrap().to_string();
        let t = make(&format!("http://localhost:{port}"), HttpOptions::default()).unwrap();
        let moved = t
            .redirect("127.0.0.1")
            .unwrap()
            .expect("HTTP transports redirect");
        assert!(
            moved.describe().contains(&format!("127.0.0.1:{port}")),
            "{name}"
        );
        assert_eq!(
            moved.post("/", b"m", &Limits::default()).unwrap(),
            b"POST / m",
            "{name}"
        );
        assert!(t.redirect("bad/host").is_err(), "{name}");
    }
}

mod tls {
    use super::*;

    fn with(tls: TlsVerification) -> HttpOptions {
        HttpOptions {
            tls,
            ..HttpOptions::default()
        }
    }

    fn fingerprint(der: &[u8]) -> String {
        xenapi::transport::CertFingerprint::of_der(der).to_string()
    }

    #[test]
    fn a_self_signed_certificate_is_refused_by_default() {
        for (name, make) in kinds() {
            let server = support::https(false, echo);
            let t = make(&server.url, HttpOptions::default()).unwrap();
            let err = t.post("/", b"x", &Limits::default()).unwrap_err();
            let text = err.report();
            assert!(matches!(err, Error::Transport { .. }), "{name}: {err:?}");
            assert!(text.contains("certificate"), "{name}: {text}");
            if name == "ureq" {
                assert!(
                    text.contains(&fingerprint(server.cert_der.as_ref().unwrap())),
                    "{text}"
                );
            }
            assert_eq!(server.stats.requests(), 0, "{name}: nothing may be sent");
        }
    }

    #[test]
    fn a_pinned_certificate_is_accepted_and_a_wrong_pin_refused() {
        for (name, make) in kinds() {
            let server = support::https(false, echo);
            let der = server.cert_der.clone().unwrap();
            let pin = TlsVerification::pin(&fingerprint(&der)).unwrap();
            let t = make(&server.url, with(pin)).unwrap();
            for _ in 0..3 {
                assert_eq!(
                    t.post("/", b"p", &Limits::default()).unwrap(),
                    b"POST / p",
                    "{name}"
                );
            }
            let mut wrong = der.clone();
            wrong.push(0);
            let t = make(
                &server.url,
                with(TlsVerification::pin(&fingerprint(&wrong)).unwrap()),
            )
            .unwrap();
            let err = t.post("/", b"p", &Limits::default()).unwrap_err();
            assert!(err.report().contains("pinned"), "{name}: {err}");
            assert_eq!(server.stats.requests(), 3, "{name}");
        }
    }

    #[test]
    fn a_pin_refuses_a_new_certificate_on_a_new_connection() {
        for (name, make) in kinds() {
            // Every response closes the connection, so each call makes a new handshake.
            let server = support::https(false, |req| Reply::OkThenClose(req.body.clone()));
            let pin =
                TlsVerification::pin(&fingerprint(server.cert_der.as_ref().unwrap())).unwrap();
            let t = make(&server.url, with(pin)).unwrap();
            assert_eq!(
                t.post("/", b"one", &Limits::default()).unwrap(),
                b"one",
                "{name}"
            );
            assert_eq!(
                t.post("/", b"two", &Limits::default()).unwrap(),
                b"two",
                "{name}"
            );
            server.replace_certificate();
            let err = t.post("/", b"three", &Limits::default()).unwrap_err();
            assert!(matches!(err, Error::Transport { .. }), "{name}: {err:?}");
            assert_eq!(
                server.stats.requests(),
                2,
                "{name}: nothing sent to the new certificate"
            );
        }
    }

    #[test]
    fn a_pin_works_over_ipv6() {
        if !ipv6_available() {
            eprintln!("skipped: no IPv6 loopback on this machine");
            return;
        }
        for (name, make) in kinds() {
            let server = support::https(true, echo);
            let pin =
                TlsVerification::pin(&fingerprint(server.cert_der.as_ref().unwrap())).unwrap();
            let t = make(&server.url, with(pin)).unwrap();
            assert_eq!(
                t.post("/", b"6", &Limits::default()).unwrap(),
                b"POST / 6",
                "{name}"
            );
        }
    }

    #[test]
    fn a_trusted_pem_is_accepted() {
        for (name, make) in kinds() {
            let server = support::https(false, echo);
            let trust = TlsVerification::trust_pem(server.cert_pem.as_ref().unwrap()).unwrap();
            // The certificate names localhost and 127.0.0.1: both must verify.
            let port = server.url.rsplit(':').next().unwrap();
            for url in [server.url.clone(), format!("https://localhost:{port}")] {
                let t = make(&url, with(trust.clone())).unwrap();
                assert_eq!(
                    t.post("/", b"t", &Limits::default()).unwrap(),
                    b"POST / t",
                    "{name} {url}"
                );
            }
            let other = support::https(false, echo);
            let t = make(&other.url, with(trust)).unwrap();
            assert!(
                t.post("/", b"t", &Limits::default()).is_err(),
                "{name}: another certificate"
            );
        }
    }

    #[test]
    fn the_explicit_insecure_option_accepts_anything() {
        for (name, make) in kinds() {
            let server = support::https(false, echo);
            let t = make(
                &server.url,
                with(TlsVerification::DangerAcceptAnyCertificate),
            )
            .unwrap();
            assert_eq!(
                t.post("/", b"i", &Limits::default()).unwrap(),
                b"POST / i",
                "{name}"
            );
            assert_eq!(
                t.post("/", b"i", &Limits::default()).unwrap(),
                b"POST / i",
                "{name}"
            );
            assert_eq!(
                server.stats.connections(),
                1,
                "{name}: TLS connections are reused too"
            );
        }
    }
}
