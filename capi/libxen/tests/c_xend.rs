//! A libxen program compiled with `cc` against the installed headers and `-lxenapi` runs
//! against the simulator in xend mode, plainly and under valgrind: four-argument login, the
//! host's software version, Domain-0 by UUID, failures on the session, a VM created from a
//! caller-filled record with a VBD, a VIF and a console, its lifecycle, the full record, get by
//! UUID and by name, an `event.register` / `event.next` loop, cpu pools and XSPolicy.

mod support;

use std::time::Duration;

fn xend() -> xapi_sim::RunningSimulator {
    xapi_sim::Simulator::builder()
        .xend()
        .vms(3)
        .seed(9)
        .task_duration(Duration::from_millis(20))
        .metrics_interval(None)
        .start()
        .expect("start a xend")
}

fn check(valgrind: bool) {
    let sim = xend();
    let exe = support::build("xend");
    let out = support::run(&exe, &[&sim.url()], valgrind);
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
    check(false);
}

#[test]
fn libxen_program_against_xend_under_valgrind() {
    check(true);
}
