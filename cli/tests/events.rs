//! `xenapi events` against the simulator: it sees changes another client makes, names the
//! fields that changed, logs in again when its session is dropped, and exits cleanly on
//! Ctrl-C (SIGINT).

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

use common::{login, simulator, vm_named, xenapi};
use xapi_sim::RunningSimulator;
use xenapi::Session;

const WAIT: Duration = Duration::from_secs(15);

/// The lines a child prints on a stream, as they come.
fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

struct Monitor {
    child: Child,
    stdout: Receiver<String>,
}

impl Monitor {
    /// Starts `xenapi events ARGS` and waits until it watches.
    fn start(sim: &RunningSimulator, args: &[&str]) -> Monitor {
        let mut child = xenapi(sim)
            .arg("events")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("xenapi events starts");
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        let ready = stderr.recv_timeout(WAIT).expect("a line on stderr");
        assert!(ready.starts_with("watching events of"), "{ready}");
        Monitor { child, stdout }
    }

    fn next_line(&self) -> String {
        self.stdout.recv_timeout(WAIT).expect("an event line")
    }

    /// Ctrl-C: the monitor must log out and end by itself with exit code 0, leaving only
    /// the test's own session on the server.
    fn interrupt(mut self, sim: &RunningSimulator) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT sent");
        let status = self.child.wait().unwrap();
        assert_eq!(status.code(), Some(0), "{status:?}");
        assert_eq!(sessions(sim), 1, "the monitor's session is logged out");
    }
}

fn sessions(sim: &RunningSimulator) -> usize {
    sim.store().read(|t| {
        let class = t.model().class("session").unwrap();
        t.refs(class).len()
    })
}

fn rename(session: &Session, vm: &str, name: &str) {
    session
        .call("VM.set_name_label", &[vm.into(), name.into()])
        .expect("VM.set_name_label");
}

#[test]
fn one_line_per_change_made_by_another_client() {
    let sim = simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00002");
    let monitor = Monitor::start(&sim, &["VM"]);

    rename(&session, &vm, "renamed");
    let line = monitor.next_line();
    assert!(line.contains(" VM mod renamed name_label"), "{line}");
    let time = line.split(' ').next().unwrap();
    assert!(xenapi::DateTime::parse(time).is_ok(), "{line}");

    session
        .call("VM.add_tags", &[vm.as_str().into(), "blue".into()])
        .unwrap();
    let line = monitor.next_line();
    assert!(line.ends_with(" VM mod renamed tags"), "{line}");

    // Classes not asked for are not shown.
    let net = session.call("network.get_all", &[]).unwrap();
    let net = net
        .index(0)
        .and_then(xenapi::Value::as_str)
        .unwrap()
        .to_string();
    session
        .call("network.set_name_label", &[net.into(), "quiet".into()])
        .unwrap();
    rename(&session, &vm, "again");
    let line = monitor.next_line();
    assert!(line.contains(" VM mod again name_label"), "{line}");
    monitor.interrupt(&sim);
}

#[test]
fn json_gives_the_full_records() {
    let sim = simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00003");
    let monitor = Monitor::start(&sim, &["--json", "vm"]);
    rename(&session, &vm, "in-json");
    let event: serde_json::Value = serde_json::from_str(&monitor.next_line()).expect("JSON");
    assert_eq!(event["operation"], "mod");
    assert_eq!(event["ref"], vm.as_str());
    assert_eq!(event["snapshot"]["name_label"], "in-json");
    assert!(event["snapshot"]["memory_static_max"].is_i64(), "{event}");
    monitor.interrupt(&sim);
}

/// Drops every session but the test's own, as a server restart would, and expects the
/// monitor to log in again and show later changes.
fn survives_losing_its_session(sim: &RunningSimulator, vm_name: &str) {
    let session = login(sim);
    let vm = vm_named(&session, vm_name);
    let monitor = Monitor::start(sim, &["VM"]);
    let mine = session.session_ref();
    sim.store().write(|t| {
        let class = t.model().class("session").unwrap();
        for r in t.refs(class) {
            if r != mine {
                t.remove(class, &r).unwrap();
            }
        }
    });
    // Changes made while a xend monitor registers again are not delivered (xend keeps no
    // history to resume from), so change the VM until the monitor shows a change.
    let deadline = std::time::Instant::now() + WAIT;
    let mut shown = false;
    for i in 0.. {
        assert!(
            std::time::Instant::now() < deadline,
            "no event after the re-login"
        );
        let name = format!("after-{i}");
        rename(&session, &vm, &name);
        while let Ok(line) = monitor.stdout.recv_timeout(Duration::from_millis(200)) {
            shown |= line.contains(" VM mod after-");
        }
        if shown {
            break;
        }
    }
    monitor.interrupt(sim);
}

#[test]
fn logs_in_again_when_the_session_is_dropped() {
    survives_losing_its_session(&simulator(Duration::ZERO), "linux-00004");
}

#[test]
fn xend_logs_in_and_registers_again_when_the_session_is_dropped() {
    survives_losing_its_session(&common::xend_simulator(Duration::ZERO), "linux-00004");
}

#[test]
fn unknown_classes_are_usage_errors() {
    let sim = simulator(Duration::ZERO);
    let out = common::run(xenapi(&sim), &["events", "VN"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("unknown class \"VN\"; did you mean VM"),
        "{}",
        out.stderr
    );
}

#[test]
fn xend_events_come_from_register_and_next() {
    let sim = common::xend_simulator(Duration::ZERO);
    let session = login(&sim);
    let vm = vm_named(&session, "linux-00003");
    let monitor = Monitor::start(&sim, &["VM"]);
    rename(&session, &vm, "xend-renamed");
    let line = monitor.next_line();
    assert!(line.contains(" VM mod xend-renamed name_label"), "{line}");
    monitor.interrupt(&sim);

    let monitor = Monitor::start(&sim, &["--json", "VM"]);
    rename(&session, &vm, "xend-json");
    let event: serde_json::Value = serde_json::from_str(&monitor.next_line()).expect("JSON");
    assert_eq!(event["class"], "VM");
    assert_eq!(event["obj_uuid"], vm.as_str());
    assert_eq!(event["field"], "name_label");
    assert!(event["id"].is_i64(), "{event}");
    monitor.interrupt(&sim);
}
