//! The honesty check: the official Python bindings (PyPI `XenAPI`) against the simulator.

use std::path::Path;
use std::process::Command;

fn run_script(url: &str, extra: &[&str]) {
    let probe = Command::new("python3")
        .args(["-c", "import XenAPI"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => panic!("the Python XenAPI bindings are missing: run `python3 -m pip install XenAPI` (CI installs them)"),
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/honesty.py");
    let out = Command::new("python3")
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
