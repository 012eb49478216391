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

/// The examples in `examples/c/` build and run against the simulator.
#[test]
fn examples_run_against_the_simulator() {
    let sim = Simulator::builder()
        .vms(3)
        .task_duration(Duration::from_millis(20))
        .start()
        .expect("simulator starts");
    let (user, password) = sim.credentials();
    let url = sim.url();
    let dir = support::root().join("examples/c");
    let lib = support::lib_dir();
    let build = |name: &str| {
        let exe = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("example-{name}"));
        let out = std::process::Command::new("cc")
            .args([
                "-std=c99",
                "-D_POSIX_C_SOURCE=200809L",
                "-Wall",
                "-Wextra",
                "-Werror",
            ])
            .arg(format!("-I{}", support::root().join("include").display()))
            .arg(dir.join(format!("{name}.c")))
            .arg(dir.join("transport.c"))
            .arg("-o")
            .arg(&exe)
            .arg(format!("-L{}", lib.display()))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .args(["-lxenserver", "-lcurl"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        exe
    };
    let listed = support::run(&build("list_vms"), &[&url, user, password], false);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let halted = listed
        .lines()
        .skip(1)
        .find(|l| l.contains(" Halted "))
        .expect("a halted VM is listed");
    let name = halted
        .split("  ")
        .filter(|f| !f.is_empty())
        .last()
        .unwrap()
        .trim();
    support::run(&build("start_vm"), &[&url, user, password, name], false);
    let after = support::run(&build("list_vms"), &[&url, user, password], false);
    let after = String::from_utf8_lossy(&after.stdout).into_owned();
    assert!(
        after
            .lines()
            .any(|l| l.ends_with(name) && l.contains(" Running ")),
        "{name} not running:\n{after}"
    );
    let events = support::run(&build("watch_events"), &[&url, user, password, "1"], false);
    assert!(String::from_utf8_lossy(&events.stdout).contains("vm"));
    sim.shutdown();
}
