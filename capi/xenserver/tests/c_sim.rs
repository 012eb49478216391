//! The C ABI against the simulator (`xapi-sim`, in-process on an ephemeral port), driven by a
//! C program over libcurl: login, getters of every kind, setters, maps, enums, records,
//! create and destroy, Async + task polling, event.from, failures.

mod support;

use std::time::Duration;

use xapi_sim::Simulator;

fn check(valgrind: bool) {
    let sim = Simulator::builder()
        .vms(6)
        .task_duration(Duration::from_millis(20))
        .start()
        .expect("simulator starts");
    let (user, password) = sim.credentials();
    let exe = support::build("sim", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[&sim.url(), user, password], valgrind);
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
    sim.shutdown();
}

/// Over HTTPS through the built-in transport extension, verifying the simulator's
/// self-signed certificate as the only trusted one.
#[test]
fn c_program_over_verified_tls_with_the_extension_transport() {
    let sim = Simulator::builder()
        .vms(4)
        .tls(true)
        .task_duration(Duration::from_millis(20))
        .start()
        .expect("simulator starts");
    let pem = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sim-ca.pem");
    std::fs::write(&pem, sim.certificate_pem().expect("TLS simulator")).unwrap();
    let (user, password) = sim.credentials();
    let exe = support::build("sim", &["support.c"], &["-lcurl"]);
    let url = sim.url();
    assert!(url.starts_with("https://"));
    let out = support::run(&exe, &[&url, user, password, pem.to_str().unwrap()], false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
    sim.shutdown();
}

#[test]
fn c_program_against_the_simulator() {
    check(false);
}

#[test]
fn c_program_against_the_simulator_under_valgrind() {
    check(true);
}

/// Verification is on by default: a self-signed server is refused.
#[test]
fn extension_transport_refuses_an_untrusted_certificate() {
    let sim = Simulator::builder()
        .vms(1)
        .tls(true)
        .start()
        .expect("simulator starts");
    let exe = support::build("tls_refused", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[&sim.url()], false);
    let text = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        text.contains("refused:") && text.contains("certificate"),
        "{text}"
    );
    sim.shutdown();
}
