//! Client and Session against the xapi simulator (`xapi-sim`), in process on loopback.

use std::sync::Arc;
use std::time::Duration;

use xapi_sim::{FaultKind, RunningSimulator, Simulator};
use xenapi::transport::{FnTransport, HttpOptions, TlsVerification, Transport};
use xenapi::{Client, Error, Limits, Value, WireFormat};

fn sim() -> RunningSimulator {
    Simulator::builder()
        .vms(5)
        .hosts(2)
        .seed(1)
        .start()
        .expect("start the simulator")
}

fn login(sim: &RunningSimulator, client: &Client) -> xenapi::Session {
    let (user, password) = sim.credentials();
    client
        .login_with_password(user, password, "1.0", "xenapi-tests")
        .expect("login")
}

/// A JSON-RPC client that logs in again when its session is invalidated.
fn relogin_client(sim: &RunningSimulator) -> Client {
    Client::builder(&sim.url())
        .format(WireFormat::JsonRpc)
        .relogin(true)
        .build()
        .unwrap()
}

fn code(e: &Error) -> &str {
    match e {
        Error::Api(f) => &f.code,
        other => panic!("expected an API failure, got {other:?}"),
    }
}

fn vm_count(session: &xenapi::Session) -> usize {
    let vms: Vec<String> = session.call_as("VM.get_all", &()).unwrap();
    vms.len()
}

#[test]
fn login_succeeds_and_a_wrong_password_fails() {
    let sim = sim();
    let client = Client::new(&sim.url()).unwrap();
    let session = login(&sim, &client);
    assert!(session.session_ref().starts_with("OpaqueRef:"));
    let (user, _) = sim.credentials();
    let err = client
        .login_with_password(user, "not-the-password", "1.0", "t")
        .unwrap_err();
    assert_eq!(code(&err), "SESSION_AUTHENTICATION_FAILED");
    assert!(!format!("{err:?}").contains("not-the-password"));
    session.logout().unwrap();
}

#[test]
fn every_format_sees_the_same_pool() {
    let sim = sim();
    let mut seen = Vec::new();
    for format in [
        WireFormat::XmlRpc,
        WireFormat::JsonRpc,
        WireFormat::JsonRpcV1,
    ] {
        let client = Client::builder(&sim.url()).format(format).build().unwrap();
        let session = login(&sim, &client);
        let records = session.call("VM.get_all_records", &[]).unwrap();
        let records = records.as_struct().expect("a map of VM records");
        let mut names: Vec<String> = records
            .values()
            .map(|r| {
                r.get("name_label")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            })
            .collect();
        names.sort();
        assert_eq!(names.len(), vm_count(&session), "{format:?}");
        seen.push(names);
        session.logout().unwrap();
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "formats disagree: {seen:?}"
    );
}

#[test]
fn a_pool_member_redirects_to_the_master() {
    let sim = Simulator::builder().vms(3).member(true).start().unwrap();
    let member = sim.member_url().expect("the simulator runs a pool member");
    let client = Client::new(&member).unwrap();
    let session = login(&sim, &client);
    let master = sim.master_address();
    assert!(
        format!("{:?}", session.client()).contains(&master),
        "{:?}",
        session.client()
    );
    assert!(vm_count(&session) >= 3);
    session.logout().unwrap();
}

#[test]
fn relogin_after_the_session_is_invalidated() {
    let sim = sim();
    let client = relogin_client(&sim);
    let session = login(&sim, &client);
    let first = session.session_ref();
    // Log the session out behind its back.
    let other = Client::new(&sim.url()).unwrap();
    other
        .call("session.logout", &[Value::String(first.clone())])
        .unwrap();
    assert!(vm_count(&session) > 0);
    assert_ne!(session.session_ref(), first);

    let strict = Client::new(&sim.url()).unwrap();
    let plain = login(&sim, &strict);
    other
        .call("session.logout", &[Value::String(plain.session_ref())])
        .unwrap();
    let err = plain.call("VM.get_all", &[]).unwrap_err();
    assert_eq!(code(&err), "SESSION_INVALID");
}

#[test]
fn eight_threads_share_one_session() {
    let sim = sim();
    let client = Client::builder(&sim.url())
        .format(WireFormat::JsonRpc)
        .build()
        .unwrap();
    let session = Arc::new(login(&sim, &client));
    let expected = vm_count(&session);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let s = session.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    assert_eq!(vm_count(&s), expected);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn every_transport_reaches_the_simulator() {
    let plain = sim();
    let secure = Simulator::builder().vms(2).tls(true).start().unwrap();
    let socket = std::env::temp_dir().join(format!("xenapi-sim-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    let local = Simulator::builder().vms(2).unix(&socket).start().unwrap();
    let pin = TlsVerification::pin(secure.fingerprint().unwrap()).unwrap();

    let mut cases: Vec<(&str, &RunningSimulator, Client)> = vec![
        ("ureq http", &plain, Client::new(&plain.url()).unwrap()),
        (
            "ureq https pinned",
            &secure,
            Client::builder(&secure.url())
                .tls(pin.clone())
                .build()
                .unwrap(),
        ),
        (
            "ureq https trusted PEM",
            &secure,
            Client::builder(&secure.url())
                .tls(TlsVerification::trust_pem(secure.certificate_pem().unwrap()).unwrap())
                .build()
                .unwrap(),
        ),
        (
            "unix socket",
            &local,
            Client::new(&format!("unix:{}", local.unix_path().unwrap().display())).unwrap(),
        ),
    ];
    #[cfg(feature = "curl")]
    {
        use xenapi::session::HttpBackend;
        cases.push((
            "curl http",
            &plain,
            Client::builder(&plain.url())
                .http_backend(HttpBackend::Curl)
                .build()
                .unwrap(),
        ));
        cases.push((
            "curl https pinned",
            &secure,
            Client::builder(&secure.url())
                .http_backend(HttpBackend::Curl)
                .tls(pin.clone())
                .build()
                .unwrap(),
        ));
    }
    let inner =
        xenapi::transport::UreqTransport::new(&plain.url(), HttpOptions::default()).unwrap();
    let function = FnTransport::new(move |body| inner.post("/", body, &Limits::default()));
    cases.push((
        "function",
        &plain,
        Client::builder_with_transport(function).build().unwrap(),
    ));

    for (name, sim, client) in cases {
        let session = login(sim, &client);
        assert!(vm_count(&session) >= 2, "{name}");
        session.logout().unwrap();
    }

    // Verification stays on by default.
    let err = Client::new(&secure.url())
        .unwrap()
        .login_with_password("root", "x", "1.0", "t");
    assert!(matches!(err, Err(Error::Transport { .. })), "{err:?}");
}

#[test]
fn injected_faults_become_clear_errors() {
    let sim = sim();
    let client = Client::builder(&sim.url())
        .io_timeout(Some(Duration::from_millis(300)))
        .build()
        .unwrap();
    let session = login(&sim, &client);

    sim.faults().on_method("VM.get_all", FaultKind::Http500);
    assert!(matches!(
        session.call("VM.get_all", &[]),
        Err(Error::Http { status: 500, .. })
    ));
    sim.faults().clear();

    sim.faults()
        .on_method("VM.get_all", FaultKind::CloseMidResponse);
    assert!(matches!(
        session.call("VM.get_all", &[]),
        Err(Error::Transport { .. })
    ));
    sim.faults().clear();

    sim.faults()
        .on_method("VM.get_all", FaultKind::MalformedBody);
    assert!(matches!(
        session.call("VM.get_all", &[]),
        Err(Error::Decode { .. })
    ));
    sim.faults().clear();

    sim.faults()
        .on_method("VM.get_all", FaultKind::Latency(Duration::from_secs(3)));
    let err = session.call("VM.get_all", &[]).unwrap_err();
    assert!(
        err.report().contains("no data for the I/O timeout"),
        "{err}"
    );
    sim.faults().clear();

    let small = Client::builder(&sim.url())
        .limits(Limits {
            max_response_bytes: 64 * 1024,
            ..Limits::default()
        })
        .build()
        .unwrap();
    let small_session = small.session_from_ref(session.session_ref());
    sim.faults()
        .on_method("VM.get_all", FaultKind::OversizedBody(1 << 30));
    assert!(matches!(
        small_session.call("VM.get_all", &[]),
        Err(Error::TooLarge { .. })
    ));
    sim.faults().clear();

    // Still usable afterwards.
    assert!(vm_count(&session) > 0);
}

#[test]
fn relogin_holds_under_churn() {
    // Sessions are logged out underneath eight threads every 20 ms: every call must still
    // succeed, retrying on whichever session another thread logged in meanwhile.
    let sim = sim();
    let client = relogin_client(&sim);
    let session = Arc::new(login(&sim, &client));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churner = {
        let (session, stop, url) = (session.clone(), stop.clone(), sim.url());
        std::thread::spawn(move || {
            let other = Client::new(&url).unwrap();
            let mut logouts = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let current = session.session_ref();
                if other
                    .call("session.logout", &[Value::String(current)])
                    .is_ok()
                {
                    logouts += 1;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            logouts
        })
    };
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let session = session.clone();
            std::thread::spawn(move || {
                (0..250)
                    .filter_map(|_| session.call("VM.get_all", &[]).err())
                    .map(|e| e.report())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let failed: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let logouts = churner.join().unwrap();
    assert!(logouts >= 5, "the churn did not happen ({logouts} logouts)");
    assert!(
        failed.is_empty(),
        "{} of 2000 calls failed under {logouts} logouts: {failed:?}",
        failed.len()
    );
}
