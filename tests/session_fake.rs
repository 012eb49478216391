//! Client and Session against a canned XenAPI responder on loopback sockets.

#[path = "support/fake_xapi.rs"]
mod fake_xapi;
mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;

use fake_xapi::{FakeXapi, PASSWORD, USER};
use xenapi::transport::{CertFingerprint, FnTransport, TlsVerification};
use xenapi::wire::WireFormat;
use xenapi::{Client, Error, Value};

fn fake_server() -> (Arc<FakeXapi>, support::Server) {
    let fake = FakeXapi::new();
    let server = support::http(false, fake.handler());
    (fake, server)
}

fn api_code(e: &Error) -> &str {
    match e {
        Error::Api(f) => &f.code,
        other => panic!("expected an API failure, got {other:?}"),
    }
}

#[test]
fn login_call_logout_in_every_format() {
    for format in [
        WireFormat::XmlRpc,
        WireFormat::JsonRpc,
        WireFormat::JsonRpcV1,
    ] {
        let (fake, server) = fake_server();
        let client = Client::builder(&server.url).format(format).build().unwrap();
        let session = client
            .login_with_password(USER, PASSWORD, "1.0", "tests")
            .unwrap();
        assert!(session.session_ref().starts_with("OpaqueRef:session-"));
        let expected_path = if format == WireFormat::XmlRpc {
            "/"
        } else {
            "/jsonrpc"
        };
        assert_eq!(
            server.stats.last_request().path,
            expected_path,
            "{format:?}"
        );

        let vms: Vec<String> = session.call_as("VM.get_all", &()).unwrap();
        assert_eq!(vms, ["OpaqueRef:vm-1", "OpaqueRef:vm-2"], "{format:?}");
        let dynamic = session.call("VM.get_all", &[]).unwrap();
        assert_eq!(
            dynamic,
            Value::Array(vec!["OpaqueRef:vm-1".into(), "OpaqueRef:vm-2".into()])
        );
        let echoed = session
            .call("test.echo", &["a".into(), Value::Bool(true)])
            .unwrap();
        assert_eq!(
            echoed,
            Value::Array(vec!["a".into(), Value::Bool(true)]),
            "{format:?}"
        );

        let reused = session.client();
        session.logout().unwrap();
        assert!(fake.sessions.lock().unwrap().is_empty());
        let after = reused
            .session_from_ref("OpaqueRef:session-0")
            .call("VM.get_all", &[]);
        assert_eq!(api_code(&after.unwrap_err()), "SESSION_INVALID");
        assert_eq!(
            server.stats.connections(),
            1,
            "{format:?}: one kept-alive connection"
        );
    }
}

#[test]
fn json_ids_increase_per_client() {
    let (_fake, server) = fake_server();
    let client = Client::builder(&server.url)
        .format(WireFormat::JsonRpc)
        .build()
        .unwrap();
    let session = client.login_with_password(USER, PASSWORD, "", "").unwrap();
    let mut ids = Vec::new();
    for _ in 0..5 {
        session.call("VM.get_all", &[]).unwrap();
        let body: serde_json::Value =
            serde_json::from_slice(&server.stats.last_request().body).unwrap();
        assert_eq!(body["jsonrpc"], "2.0");
        ids.push(body["id"].as_u64().expect("a numeric id"));
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
}

#[test]
fn a_wrong_password_fails_and_never_shows() {
    let (fake, server) = fake_server();
    let client = Client::new(&server.url).unwrap();
    let err = client
        .login_with_password(USER, "wrong-password-xyz", "1.0", "t")
        .unwrap_err();
    assert_eq!(api_code(&err), "SESSION_AUTHENTICATION_FAILED");
    assert!(!format!("{err} {err:?}").contains("wrong-password-xyz"));
    assert_eq!(fake.logins.load(Ordering::SeqCst), 0);
}

#[test]
fn debug_output_never_contains_the_password() {
    let (_fake, server) = fake_server();
    let client = Client::builder(&server.url).relogin(true).build().unwrap();
    let session = client
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    let shown = format!("{session:?} {session:#?} {client:?}");
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
    assert!(shown.contains(USER), "{shown}");
}

#[test]
fn login_sends_only_the_parameters_given() {
    let (fake, server) = fake_server();
    let client = Client::new(&server.url).unwrap();
    client.login_with_password(USER, PASSWORD, "", "").unwrap();
    client
        .login_with_password(USER, PASSWORD, "1.0", "")
        .unwrap();
    client
        .login_with_password(USER, PASSWORD, "1.0", "xenapi-tests")
        .unwrap();
    assert_eq!(*fake.login_arities.lock().unwrap(), [2, 3, 4]);
}

/// A slave at 127.0.0.1:PORT that names `slave_says` as its master, and the fake `master`
/// makes served at `master_host`:PORT, the same port.
fn slave_and_master(
    slave_says: &str,
    master_host: &str,
    master: impl Fn() -> Arc<FakeXapi>,
) -> Option<(
    Arc<FakeXapi>,
    support::Server,
    Arc<FakeXapi>,
    support::Server,
)> {
    for _ in 0..20 {
        let slave = FakeXapi::slave_of(slave_says);
        let slave_server = support::http(false, slave.handler());
        let port: u16 = slave_server
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let master = master();
        if let Some(master_server) =
            support::http_at(&format!("{master_host}:{port}"), master.handler())
        {
            return Some((slave, slave_server, master, master_server));
        }
    }
    None
}

#[test]
fn host_is_slave_redirects_the_login_and_later_calls_to_the_master() {
    let Some((slave, slave_server, master, master_server)) =
        slave_and_master("127.0.0.2", "127.0.0.2", FakeXapi::new)
    else {
        eprintln!("skipped: cannot bind 127.0.0.2");
        return;
    };
    let client = Client::new(&slave_server.url).unwrap();
    let session = client
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    assert!(format!("{:?}", session.client()).contains("127.0.0.2"));
    session.call("VM.get_all", &[]).unwrap();
    session.call("VM.get_all", &[]).unwrap();
    assert_eq!(
        slave.calls.load(Ordering::SeqCst),
        1,
        "only the first login hits the slave"
    );
    assert_eq!(master.calls.load(Ordering::SeqCst), 3);
    assert_eq!(master_server.stats.requests(), 3);
}

#[test]
fn the_master_gets_the_client_headers_too() {
    let Some((_slave, slave_server, _master, master_server)) =
        slave_and_master("127.0.0.2", "127.0.0.2", FakeXapi::new)
    else {
        eprintln!("skipped: cannot bind 127.0.0.2");
        return;
    };
    let client = Client::builder(&slave_server.url)
        .header("Test-ID", "redirected")
        .build()
        .unwrap();
    let session = client
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    session.call("VM.get_all", &[]).unwrap();
    let at_slave = slave_server.stats.last_request();
    assert_eq!(at_slave.header("Test-ID"), Some("redirected"));
    let at_master = master_server.stats.last_request();
    assert_eq!(at_master.header("Test-ID"), Some("redirected"));
}

#[test]
fn a_slave_local_login_stays_on_the_member() {
    let slave = FakeXapi::slave_of("127.0.0.2");
    let server = support::http(false, slave.handler());
    let client = Client::new(&server.url).unwrap();
    let session = client
        .slave_local_login_with_password(USER, PASSWORD)
        .unwrap();
    assert_eq!(
        session
            .call("VM.get_all", &[])
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    session.local_logout().unwrap();
    assert!(slave.sessions.lock().unwrap().is_empty());
    assert_eq!(
        *slave.methods.lock().unwrap(),
        [
            "session.slave_local_login_with_password",
            "VM.get_all",
            "session.local_logout"
        ]
    );
}

#[test]
fn host_is_slave_with_an_ipv6_master() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: no IPv6 loopback");
        return;
    }
    let Some((_slave, slave_server, master, _ms)) = slave_and_master("::1", "[::1]", FakeXapi::new)
    else {
        eprintln!("skipped: cannot bind [::1] on the same port");
        return;
    };
    let session = Client::new(&slave_server.url)
        .unwrap()
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    assert!(format!("{:?}", session.client()).contains("[::1]"));
    assert_eq!(master.logins.load(Ordering::SeqCst), 1);
}

#[test]
fn host_is_slave_loops_are_bounded() {
    let Some((a, a_server, b, _b_server)) =
        slave_and_master("127.0.0.2", "127.0.0.2", || FakeXapi::slave_of("127.0.0.1"))
    else {
        eprintln!("skipped: cannot bind 127.0.0.2");
        return;
    };
    let err = Client::new(&a_server.url)
        .unwrap()
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap_err();
    assert_eq!(api_code(&err), "HOST_IS_SLAVE");
    let total = a.calls.load(Ordering::SeqCst) + b.calls.load(Ordering::SeqCst);
    assert!(
        total <= 1 + xenapi::session::MAX_REDIRECTS,
        "{total} logins"
    );
}

#[test]
fn relogin_after_the_session_is_invalidated() {
    let (fake, server) = fake_server();
    let client = Client::builder(&server.url).relogin(true).build().unwrap();
    let session = client
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    let first = session.session_ref();
    fake.invalidate_sessions();
    session.call("VM.get_all", &[]).unwrap();
    assert_ne!(session.session_ref(), first);
    assert_eq!(fake.logins.load(Ordering::SeqCst), 2);

    // Many threads hitting SESSION_INVALID together log in once.
    fake.invalidate_sessions();
    let session = Arc::new(session);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            std::thread::spawn(move || s.call("VM.get_all", &[]).unwrap())
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(fake.logins.load(Ordering::SeqCst), 3);
}

#[test]
fn without_relogin_an_invalid_session_is_reported() {
    let (fake, server) = fake_server();
    let session = Client::new(&server.url)
        .unwrap()
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    fake.invalidate_sessions();
    let err = session.call("VM.get_all", &[]).unwrap_err();
    assert_eq!(api_code(&err), "SESSION_INVALID");
    assert_eq!(fake.logins.load(Ordering::SeqCst), 1);
}

#[test]
fn eight_threads_share_one_session() {
    let (fake, server) = fake_server();
    let client = Client::builder(&server.url)
        .format(WireFormat::JsonRpc)
        .build()
        .unwrap();
    let session = Arc::new(
        client
            .login_with_password(USER, PASSWORD, "1.0", "t")
            .unwrap(),
    );
    let threads: Vec<_> = (0..8)
        .map(|n| {
            let s = session.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let tag = format!("{n}/{i}");
                    let got: Vec<String> = s.call_as("test.echo", &(tag.as_str(),)).unwrap();
                    assert_eq!(got, [tag]);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1 + 160);
    assert!(server.stats.connections() <= 8);
}

#[test]
fn every_transport_carries_a_session() {
    let fake = FakeXapi::new();
    let mut clients = Vec::new();

    let http = support::http(false, fake.handler());
    clients.push(("http", Client::new(&http.url).unwrap()));

    let https = support::https(false, fake.handler());
    let pin = CertFingerprint::of_der(https.cert_der.as_ref().unwrap()).to_string();
    let pinned = Client::builder(&https.url)
        .tls(TlsVerification::pin(&pin).unwrap())
        .build()
        .unwrap();
    clients.push(("https pinned", pinned));

    #[cfg(feature = "curl")]
    {
        use xenapi::session::HttpBackend;
        clients.push((
            "curl http",
            Client::builder(&http.url)
                .http_backend(HttpBackend::Curl)
                .build()
                .unwrap(),
        ));
        clients.push((
            "curl https pinned",
            Client::builder(&https.url)
                .http_backend(HttpBackend::Curl)
                .tls(TlsVerification::pin(&pin).unwrap())
                .format(WireFormat::JsonRpc)
                .build()
                .unwrap(),
        ));
    }

    let unix = support::unix(fake.handler());
    clients.push(("unix", Client::new(&unix.url).unwrap()));
    let triple_slash = unix.url.replacen("unix:", "unix://", 1);
    clients.push((
        "unix://",
        Client::builder(&triple_slash)
            .format(WireFormat::JsonRpc)
            .build()
            .unwrap(),
    ));

    let direct = fake.clone();
    let function = FnTransport::new(move |body| Ok(direct.respond("/", body)));
    clients.push((
        "function",
        Client::builder_with_transport(function).build().unwrap(),
    ));

    for (name, client) in clients {
        let session = client
            .login_with_password(USER, PASSWORD, "1.0", "t")
            .unwrap();
        let vms: Vec<String> = session.call_as("VM.get_all", &()).unwrap();
        assert_eq!(vms.len(), 2, "{name}");
        session.logout().unwrap();
    }
    assert!(fake.sessions.lock().unwrap().is_empty());
}

#[test]
fn bad_client_urls_are_refused() {
    for bad in ["ftp://x/", "unix:", "http://[::1/", "not a url"] {
        assert!(
            matches!(Client::new(bad), Err(Error::Transport { .. })),
            "{bad}"
        );
    }
}

#[test]
fn errors_never_show_the_password_of_a_url() {
    for url in [
        "https://root:S3cret-PW@host.example",
        "http://root:S3cret-PW@[::1:80",
        "ftp://root:S3cret-PW@host.example/x",
        "root:S3cret-PW@host.example",
    ] {
        let err = Client::builder(url).build().unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains("S3cret-PW"), "{url}: {text}");
        assert!(text.contains("***@"), "{url}: {text}");
    }
}

#[test]
fn relogin_retries_when_the_new_session_is_logged_out_too() {
    // The first two non-login calls find their session logged out underneath (as when another
    // thread's fresh session is logged out again before this call uses it): the call must go
    // on to a third session rather than fail.
    let fake = FakeXapi::new();
    let server = fake.clone();
    let invalidations = Arc::new(std::sync::atomic::AtomicUsize::new(2));
    let left = invalidations.clone();
    let transport = FnTransport::new(move |body| {
        let is_login = std::str::from_utf8(body).is_ok_and(|b| b.contains("session.login"));
        if !is_login
            && left
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            server.invalidate_sessions();
        }
        Ok(server.respond("/", body))
    });
    let session = Client::builder_with_transport(transport)
        .relogin(true)
        .build()
        .unwrap()
        .login_with_password(USER, PASSWORD, "1.0", "t")
        .unwrap();
    let first = session.session_ref();
    session.call("VM.get_all", &[]).unwrap();
    assert_eq!(invalidations.load(Ordering::SeqCst), 0);
    assert_ne!(session.session_ref(), first);
    let logins = fake
        .methods
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.starts_with("session.login"))
        .count();
    assert_eq!(logins, 3);
}
