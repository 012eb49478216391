//! Installing the freshly built libxen dialect with its Makefile, and building and running C
//! programs against the installed headers and `-lxenapi`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The name of the running test binary, without cargo's hash.
fn test_name() -> String {
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
    stem.split('-').next().unwrap_or(stem).to_owned()
}

/// Runs a command, asserting it succeeded; its stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The install prefix: `make install-files` of the library this test run built (cargo leaves
/// it in `deps/` beside the test executable), once per test binary.
pub fn prefix() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("libxen-{}", test_name()));
        let _ = std::fs::remove_dir_all(&prefix);
        let exe = std::env::current_exe().unwrap();
        let built = exe.parent().unwrap();
        assert!(
            built.join("libxenapi_libxen.so").exists(),
            "libxenapi_libxen.so not built in {}",
            built.display()
        );
        run_ok(
            Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(root().join("capi/libxen"))
                .arg("install-files")
                .arg(format!("BUILD_DIR={}", built.display()))
                .arg(format!("PREFIX={}", prefix.display())),
        );
        prefix
    })
    .clone()
}

/// `pkg-config --cflags --libs xenapi` against the test install.
pub fn pkg_config(args: &[&str]) -> Vec<String> {
    let out = run_ok(
        Command::new("pkg-config")
            .args(args)
            .arg("xenapi")
            .env("PKG_CONFIG_PATH", prefix().join("lib/pkgconfig")),
    );
    out.split_whitespace().map(str::to_owned).collect()
}

/// Compiles `tests/c/<name>.c` against the installed headers and `-lxenapi`.
pub fn build(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let exe =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("libxen-{}-{name}-{n}", test_name()));
    let lib = prefix().join("lib");
    run_ok(
        Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-O0"])
            .arg(src.join(format!("{name}.c")))
            .args(pkg_config(&["--cflags", "--libs"]))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-o")
            .arg(&exe),
    );
    exe
}

/// Runs a program (under valgrind when asked) and asserts it succeeded.
pub fn run(exe: &Path, args: &[&str], valgrind: bool) -> Output {
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args([
            "--error-exitcode=1",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--quiet",
        ])
        .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    cmd.args(args);
    let out = cmd.output().expect("program runs (is valgrind installed?)");
    assert!(
        out.status.success(),
        "{} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// libxen's C facts (`model/xend/libxen.json`).
pub fn facts() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("model/xend/libxen.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
