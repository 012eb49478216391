//! The core logs through the `log` crate: each call's method, target, sizes and time, the
//! `HOST_IS_SLAVE` redirection, relogins and task polling; never a password or a session
//! reference.

use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};
use xenapi::api::{Vm, VmPowerState};
use xenapi::typed::WaitOptions;
use xenapi::{Client, Value};

/// Keeps every record as `LEVEL target: message`.
struct Capture(Mutex<Vec<String>>);

impl Log for Capture {
    fn enabled(&self, _: &Metadata) -> bool {
        true
    }
    fn log(&self, record: &Record) {
        self.0.lock().unwrap().push(format!(
            "{} {}: {}",
            record.level(),
            record.target(),
            record.args()
        ));
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture(Mutex::new(Vec::new()));

fn lines_with(lines: &[String], needle: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|l| l.contains(needle))
        .cloned()
        .collect()
}

#[test]
fn calls_redirects_relogins_and_tasks_are_logged_without_secrets() {
    log::set_logger(&CAPTURE).unwrap();
    log::set_max_level(LevelFilter::Trace);
    let password = "s3cret-Pa55";
    let sim = xapi_sim::Simulator::builder()
        .vms(3)
        .credentials("root", password)
        .metrics_interval(None)
        .start()
        .unwrap();

    // Logged in at the pool member: redirected to the master.
    let member = sim.member_url().expect("the simulator runs a pool member");
    let client = Client::builder(&member).relogin(true).build().unwrap();
    let session = client
        .login_with_password("root", password, "2.23", "logging-test")
        .unwrap();
    let first_ref = session.session_ref();

    // Logged out underneath: the next call logs in again.
    Client::new(&sim.url())
        .unwrap()
        .call("session.logout", &[Value::String(first_ref.clone())])
        .unwrap();
    let vms = Vm::get_all_records(&session).unwrap();
    let (vm, _) = vms
        .iter()
        .find(|(_, r)| r.power_state == VmPowerState::Halted && !r.is_a_template)
        .expect("a halted guest");
    Vm::async_clone(&session, vm, "logged-clone")
        .unwrap()
        .wait_and_destroy(&session, &WaitOptions::default())
        .unwrap();
    let second_ref = session.session_ref();
    assert_ne!(first_ref, second_ref);

    // Ours only: the HTTP libraries log under their own targets (ureq's trace level dumps
    // raw request bytes; the README says to keep it below trace).
    let lines: Vec<String> = CAPTURE
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|t| t.starts_with("xenapi::"))
        })
        .cloned()
        .collect();
    let all = lines.join("\n");
    let calls = lines_with(&lines, "xenapi::call: VM.get_all_records");
    assert!(
        calls
            .iter()
            .any(|l| l.starts_with("DEBUG") && l.contains("bytes to")),
        "{all}"
    );
    assert!(
        calls
            .iter()
            .any(|l| l.contains("bytes back in") && l.contains("ms")),
        "{all}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with(&format!("{} xenapi::session", Level::Info))
                && l.contains("HOST_IS_SLAVE")
                && l.contains(&sim.master_address())
        ),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("SESSION_INVALID") && l.contains("logging in again")),
        "{all}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("DEBUG xenapi::task") && l.contains("Success")),
        "{all}"
    );
    for secret in [password, first_ref.as_str(), second_ref.as_str()] {
        assert!(!all.contains(secret), "{secret:?} was logged:\n{all}");
    }
}
