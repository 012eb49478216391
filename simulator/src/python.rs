//! A Python interpreter with the official `XenAPI` bindings, for the checks and benchmarks that
//! drive the simulator with them.
//!
//! Debian's system Python refuses `pip install` outside a virtual environment, so the bindings
//! go into a venv of our own (made once, then reused).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `python3` of the virtual environment at `venv`, made there with the `XenAPI` package
/// (from PyPI) if it does not have it yet; `Err` says which step failed and how.
pub fn xenapi_interpreter(venv: &Path) -> Result<PathBuf, String> {
    let python = venv.join("bin/python3");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(venv))
            .map_err(|e| format!("{e}\n(on Debian/Ubuntu: apt-get install python3-venv)"))?;
    }
    if run(Command::new(&python).args(["-c", "import XenAPI"])).is_err() {
        run(Command::new(&python).args(["-m", "pip", "install", "-q", "XenAPI"]))?;
    }
    Ok(python)
}

/// Runs `cmd`; its standard output, or an error with the command and its standard error.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
