//! The Node.js baseline: Xen Orchestra's XenAPI client (npm package `xen-api`), installed by
//! the bench itself with `npm ci` from the checked-in `bench/xo/package-lock.json` into a
//! directory under the target directory (not a build dependency), and driven through the
//! checked-in script `bench/xo/bench_xo.mjs`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use xapi_sim::python::run;

/// The version of `xen-api` the lock file pins.
pub const XEN_API_VERSION: &str = "4.7.6";

const PACKAGE_JSON: &str = include_str!("../xo/package.json");
const PACKAGE_LOCK: &str = include_str!("../xo/package-lock.json");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/xo/bench_xo.mjs");
const MISSING_NODE: &str = "(on Debian/Ubuntu: apt-get install nodejs npm)";

/// Where the bench keeps what it installs: `$CARGO_TARGET_DIR`, else the workspace's `target`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Installs `xen-api` (once) under `target_dir`; returns its `node_modules` directory, or why
/// it could not (no `node` or `npm`, no registry).
pub fn install(target_dir: &Path) -> Result<PathBuf, String> {
    for tool in ["node", "npm"] {
        run(Command::new(tool).arg("--version"))
            .map_err(|e| format!("{tool} is not usable: {e} {MISSING_NODE}"))?;
    }
    let dir = target_dir.join("bench-xo");
    let modules = dir.join("node_modules");
    let installed = std::fs::read_to_string(modules.join("xen-api/package.json"))
        .is_ok_and(|p| p.contains(&format!("\"version\": \"{XEN_API_VERSION}\"")));
    let lock = dir.join("package-lock.json");
    if installed && std::fs::read_to_string(&lock).is_ok_and(|l| l == PACKAGE_LOCK) {
        return Ok(modules);
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    for (name, text) in [
        ("package.json", PACKAGE_JSON),
        ("package-lock.json", PACKAGE_LOCK),
    ] {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("writing {}: {e}", dir.join(name).display()))?;
    }
    run(Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir))?;
    Ok(modules)
}

/// A running Node.js process holding one logged-in XO client, answering one command at a
/// time (so that its runs can alternate with the bench's own).
pub struct XoClient {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl XoClient {
    /// Starts the script with the `xen-api` of `modules` and logs in to `url` (as the bench's
    /// simulator accepts) over JSON-RPC, the transport XO picks first and the simulator serves.
    pub fn start(modules: &Path, url: &str) -> Result<XoClient, String> {
        let mut child = Command::new("node")
            .arg(SCRIPT)
            .arg(modules)
            .args([url, "root", "xenroot", "json-rpc"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("starting node: {e} {MISSING_NODE}"))?;
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout from node")?);
        let mut xo = XoClient {
            child,
            stdin,
            stdout,
        };
        // The script says "ready" once logged in; a failed login ends it (its error on stderr).
        let mut line = String::new();
        xo.stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading from the XO client: {e}"))?;
        if line.trim() != "ready" {
            return Err(format!("the XO client did not log in to {url}: {line:?}"));
        }
        Ok(xo)
    }

    /// Drains `event.from(["vm"])` from `token` until `expected` events arrived; the events
    /// received and the seconds it took.
    pub fn drain(&mut self, token: &str, expected: usize) -> Result<(usize, f64), String> {
        self.ask(&format!("drain {token} {expected}"), "drain")
    }

    /// One `VM.get_all_records`: the records received and the seconds it took.
    pub fn get_all_records(&mut self) -> Result<(usize, f64), String> {
        self.ask("records", "records")
    }

    fn ask(&mut self, command: &str, answer: &str) -> Result<(usize, f64), String> {
        let stdin = self.stdin.as_mut().ok_or("the XO client is closed")?;
        writeln!(stdin, "{command}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("writing to the XO client: {e}"))?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| format!("reading from the XO client: {e}"))?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(a), Some(n), Some(s)) if a == answer => Ok((
                n.parse().map_err(|_| format!("bad count in {line:?}"))?,
                s.parse().map_err(|_| format!("bad seconds in {line:?}"))?,
            )),
            _ => Err(format!(
                "unexpected answer from the XO client to {command:?}: {line:?}"
            )),
        }
    }
}

impl Drop for XoClient {
    fn drop(&mut self) {
        // Closing its input ends the script's command loop; it logs out and exits.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}
