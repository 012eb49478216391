//! What the project costs to build: a clean release build of the crate alone and of the C
//! library, each in an empty target directory, with the C library's file sizes.
//!
//! Dependencies are fetched beforehand so the network is not timed. The CPU time is that of
//! the build's processes (user + system), which other load on the machine disturbs less than
//! the wall time; the load average is printed beside both so a noisy run can be recognised.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One timed build.
pub struct Build {
    /// Wall time.
    pub wall: Duration,
    /// User + system CPU time of cargo and everything it ran.
    pub cpu: Duration,
}

/// The workspace root (the bench crate lives in `bench/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

/// Downloads every dependency, so the timed builds do not include the network.
pub fn fetch(root: &Path) -> Result<(), String> {
    run_cargo(root, &["fetch"], None).map(drop)
}

/// A clean release build of `package` in the empty directory `target`.
pub fn clean_build(root: &Path, package: &str, target: &Path) -> Result<Build, String> {
    let _ = fs::remove_dir_all(target);
    run_cargo(root, &["build", "--release", "-p", package], Some(target))
}

/// A clean release build and install of a C library as a packager makes it:
/// `make -C capi/DIALECT install` with `DESTDIR=destdir`, `PREFIX=/usr`, building in the empty
/// directory `target`.
pub fn clean_make_install(
    root: &Path,
    dialect: &str,
    target: &Path,
    destdir: &Path,
) -> Result<Build, String> {
    let _ = fs::remove_dir_all(target);
    let _ = fs::remove_dir_all(destdir);
    let mut command = Command::new("make");
    command
        .arg("-C")
        .arg(root.join("capi").join(dialect))
        .arg("install")
        .arg("PREFIX=/usr")
        .arg(format!("DESTDIR={}", destdir.display()))
        .arg(format!("CARGO_TARGET_DIR={}", target.display()))
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTC_WRAPPER");
    timed(command, "make install")
}

/// Rebuilds `package` in `target` after touching `touched`: the time of the crates that
/// depend on that file alone, with every other dependency already built.
pub fn rebuild_after_touch(
    root: &Path,
    package: &str,
    target: &Path,
    touched: &Path,
) -> Result<Build, String> {
    let file = fs::File::options()
        .append(true)
        .open(touched)
        .map_err(|e| format!("opening {}: {e}", touched.display()))?;
    file.set_modified(std::time::SystemTime::now())
        .map_err(|e| format!("touching {}: {e}", touched.display()))?;
    run_cargo(root, &["build", "--release", "-p", package], Some(target))
}

fn run_cargo(root: &Path, args: &[&str], target: Option<&Path>) -> Result<Build, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(args)
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        // What a user's first build does: no incremental state, no wrapper caches.
        .env("CARGO_INCREMENTAL", "0")
        .env_remove("RUSTC_WRAPPER");
    if let Some(target) = target {
        command.env("CARGO_TARGET_DIR", target);
    }
    timed(command, &format!("cargo {}", args.join(" ")))
}

/// Runs `command` to completion, timing it; `what` names it in errors.
fn timed(mut command: Command, what: &str) -> Result<Build, String> {
    let cpu_before = children_cpu();
    let start = Instant::now();
    let out = command
        .output()
        .map_err(|e| format!("running {what}: {e}"))?;
    let wall = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(Build {
        wall,
        cpu: children_cpu().saturating_sub(cpu_before),
    })
}

/// User + system time of the waited-for children of this process (`/proc/self/stat` fields
/// `cutime` and `cstime`, in clock ticks of 1/100 s on Linux).
fn children_cpu() -> Duration {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name (field 2) may hold spaces; the fields after it follow its `)`.
    let ticks: u64 = stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(13)
                .take(2)
                .filter_map(|f| f.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}

/// The 1-minute load average, as `/proc/loadavg` gives it.
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The size of a file in bytes.
pub fn file_size(path: &Path) -> Result<u64, String> {
    fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", path.display()))
}
