//! The external baseline: the official Python bindings, installed by the bench itself into a
//! virtual environment under the target directory (not a build dependency).

use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/bench_xenapi.py");

/// A Python interpreter with the `XenAPI` package, or why there is none.
pub fn interpreter(target_dir: &Path) -> Result<PathBuf, String> {
    let venv = target_dir.join("bench-venv");
    let python = venv.join("bin/python3");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    if run(Command::new(&python).args(["-c", "import XenAPI"])).is_err() {
        run(Command::new(&python).args(["-m", "pip", "install", "-q", "XenAPI"]))?;
    }
    Ok(python)
}

/// Runs one workload of the script and returns the figure it prints.
pub fn figure(python: &Path, args: &[&str]) -> Result<f64, String> {
    let out = run(Command::new(python).arg(SCRIPT).args(args))?;
    out.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("unexpected output from the Python bench: {out:?}"))
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
