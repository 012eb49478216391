//! Shared by the tool's tests: a simulator over real sockets, and the real binary run
//! against it.
#![allow(dead_code)] // each test file uses its own part of this module

use std::process::{Command, Output};
use std::time::Duration;

use xapi_sim::{RunningSimulator, Simulator};
use xenapi::{Client, Session, Value};

/// The password the tests' simulators use; it must never appear in the tool's output.
pub const PASSWORD: &str = "s3cret-Pa55word";

/// A simulator with 8 VMs, tasks pending `task` long.
pub fn simulator(task: Duration) -> RunningSimulator {
    Simulator::builder()
        .credentials("root", PASSWORD)
        .task_duration(task)
        .metrics_interval(None)
        .start()
        .expect("the simulator starts")
}

/// A simulator in xend mode (API 1.0, UUID refs), tasks pending `task` long.
pub fn xend_simulator(task: Duration) -> RunningSimulator {
    Simulator::builder()
        .xend()
        .credentials("root", PASSWORD)
        .task_duration(task)
        .metrics_interval(None)
        .start()
        .expect("the xend simulator starts")
}

/// The tool's command, with the connection in the environment (as the quickstart's
/// variables) and no user-wide history.
pub fn xenapi(sim: &RunningSimulator) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xenapi"));
    cmd.env("XENAPI_URL", sim.url())
        .env("XENAPI_USER", "root")
        .env("XENAPI_PASSWORD", PASSWORD)
        .env_remove("XENAPI_FINGERPRINT")
        .env(
            "XENAPI_HISTORY",
            std::env::temp_dir().join("xenapi-cli-tests-unused-history"),
        );
    cmd
}

/// What a run printed and how it ended.
pub struct Run {
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// The exit code.
    pub code: i32,
}

/// Runs the tool with `args` and checks that the password was printed nowhere.
pub fn run(mut cmd: Command, args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.args(args).output().expect("the tool runs");
    let run = Run {
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
        code: status.code().expect("the tool exits (not killed)"),
    };
    assert!(
        !run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD),
        "the password was printed: {} / {}",
        run.stdout,
        run.stderr
    );
    run
}

/// `xenapi call ARGS...` against `sim`.
pub fn call(sim: &RunningSimulator, args: &[&str]) -> Run {
    let mut all = vec!["call"];
    all.extend_from_slice(args);
    run(xenapi(sim), &all)
}

/// A session of our own, as "another client" (the two-parameter login xend also takes).
pub fn login(sim: &RunningSimulator) -> Session {
    Client::new(&sim.url())
        .expect("client")
        .login_with_password("root", PASSWORD, "", "")
        .expect("login")
}

/// The ref of the VM named `name`.
pub fn vm_named(session: &Session, name: &str) -> String {
    let refs = session
        .call("VM.get_by_name_label", &[name.into()])
        .expect("VM.get_by_name_label");
    refs.index(0)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no VM named {name}"))
        .to_string()
}
