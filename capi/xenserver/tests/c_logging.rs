//! The C library's log messages: to a callback (`xenapi_ext_set_log_func`), or to stderr when
//! `XENAPI_LOG` names a level; never the password.

mod support;

use std::process::Command;

use xapi_sim::Simulator;

const PASSWORD: &str = "L0g-Secret";

fn simulator() -> xapi_sim::RunningSimulator {
    Simulator::builder()
        .vms(2)
        .credentials("root", PASSWORD)
        .metrics_interval(None)
        .start()
        .expect("simulator starts")
}

#[test]
fn messages_reach_the_callback_without_the_password() {
    let sim = simulator();
    let exe = support::build("logging", &[], &[]);
    let out = support::run(&exe, &[&sim.url(), "root", PASSWORD, "callback"], true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("logging: ok"), "{stdout}");
    assert!(
        stdout.contains("log 4 xenapi::call: session.login_with_password: "),
        "{stdout}"
    );
}

#[test]
fn xenapi_log_sends_messages_to_stderr() {
    let sim = simulator();
    let exe = support::build("logging", &[], &[]);
    let run = |level: Option<&str>| {
        let mut cmd = Command::new(&exe);
        cmd.args([&sim.url(), "root", PASSWORD, "env"]);
        match level {
            Some(l) => cmd.env("XENAPI_LOG", l),
            None => cmd.env_remove("XENAPI_LOG"),
        };
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let logged = run(Some("debug"));
    assert!(
        logged.contains("xenapi: DEBUG xenapi::call: VM.get_all: ")
            && logged.contains("bytes back in"),
        "{logged}"
    );
    assert!(!logged.contains(PASSWORD), "{logged}");
    assert_eq!(
        run(Some("info")),
        "",
        "no info-level message in a plain run"
    );
    assert_eq!(run(None), "");
}
