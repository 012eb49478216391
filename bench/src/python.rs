//! The external baseline: the official Python bindings, installed by the bench itself into a
//! virtual environment under the target directory (not a build dependency).

use std::path::{Path, PathBuf};
use std::process::Command;

use xapi_sim::python::{run, xenapi_interpreter};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/bench_xenapi.py");

/// A Python interpreter with the `XenAPI` package, or why there is none.
pub fn interpreter(target_dir: &Path) -> Result<PathBuf, String> {
    xenapi_interpreter(&target_dir.join("bench-venv"))
}

/// Runs one workload of the script and returns the figure it prints.
pub fn figure(python: &Path, args: &[&str]) -> Result<f64, String> {
    let out = run(Command::new(python).arg(SCRIPT).args(args))?;
    out.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("unexpected output from the Python bench: {out:?}"))
}
