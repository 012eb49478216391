//! The honesty check: the official Python bindings (PyPI `XenAPI`, installed into a venv under
//! the target directory by the test itself) against the simulator.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The venv's interpreter, made once per test binary (both tests would race to make it).
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("python-xenapi");
        xapi_sim::python::xenapi_interpreter(&venv)
            .unwrap_or_else(|e| panic!("no Python with the XenAPI bindings: {e}"))
    })
}

fn run_script(url: &str, extra: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/honesty.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(url)
        .args(extra)
        .output()
        .expect("run python3");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.trim_end().ends_with("ok"),
        "honesty.py against {url} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn python_bindings_over_http() {
    let sim = xapi_sim::Simulator::builder()
        .vms(10)
        .metrics_interval(None)
        .start()
        .unwrap();
    run_script(&sim.url(), &[]);
}

#[test]
fn python_bindings_over_https() {
    let sim = xapi_sim::Simulator::builder()
        .vms(10)
        .tls(true)
        .metrics_interval(None)
        .start()
        .unwrap();
    run_script(&sim.url(), &["--ignore-ssl"]);
}
