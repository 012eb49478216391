//! A libxen program compiled with `cc` against the installed headers and `-lxenapi` runs
//! against the simulator in xend mode, plainly and under valgrind: four-argument login, the
//! host's software version, Domain-0 by UUID, failures on the session, a VM created from a
//! caller-filled record with a VBD, a VIF and a console, its lifecycle, the full record, get by
//! UUID and by name, an `event.register` / `event.next` loop, cpu pools and XSPolicy.

mod support;

use std::time::Duration;

fn xend(unix: Option<&std::path::Path>) -> xapi_sim::RunningSimulator {
    let mut builder = xapi_sim::Simulator::builder();
    if let Some(path) = unix {
        builder = builder.unix(path);
    }
    builder
        .xend()
        .vms(3)
        .seed(9)
        .task_duration(Duration::from_millis(20))
        .metrics_interval(None)
        .start()
        .expect("start a xend")
}

fn check(valgrind: bool, unix: bool) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("xend-{}-{valgrind}.sock", std::process::id()));
    let sim = xend(unix.then_some(path.as_path()));
    let url = if unix {
        format!("unix:{}", path.display())
    } else {
        sim.url()
    };
    let exe = support::build("xend");
    let out = support::run(&exe, &[&url], valgrind);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.ends_with("OK\n"), "{stdout}");
    assert!(stdout.contains("event: VM add"), "{stdout}");
    assert!(stdout.contains("software_version Xen="), "{stdout}");
    assert!(
        stdout.contains("start while running: VM_BAD_POWER_STATE"),
        "{stdout}"
    );
}

#[test]
fn libxen_program_against_xend() {
    check(false, false);
}

#[test]
fn libxen_program_against_xend_under_valgrind() {
    check(true, false);
}

/// Over xend's local Unix socket.
#[test]
fn libxen_program_against_xend_over_its_unix_socket() {
    check(false, true);
}
