//! Building and running the C test programs against the freshly built `libxenserver.so`.

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

/// The directory holding the `libxenserver.so` built for this test run: `cargo test` leaves it
/// in `deps/` beside the test executable (only `cargo build` copies it one level up, and that
/// copy may be stale).
fn built_lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_owned()
}

/// A directory with `libxenserver.so` and the SONAME link `libxenserver.so.2`.
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("xenserver-lib");
        std::fs::create_dir_all(&dir).unwrap();
        let so = built_lib_dir().join("libxenserver.so");
        assert!(so.exists(), "{} not built", so.display());
        for name in ["libxenserver.so", "libxenserver.so.2"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&so, &link).unwrap();
        }
        dir
    })
    .clone()
}

/// Compiles `tests/c/<name>.c` with the support code into an executable.
pub fn build(name: &str, extra_sources: &[&str], libs: &[&str]) -> PathBuf {
    let lib = lib_dir();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    // Tests run in parallel: every build in a test process gets its own executable (the
    // names repeat across runs, so old ones are overwritten rather than piling up).
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    let test = std::env::current_exe().unwrap();
    let test = test.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
    let test = test.split('-').next().unwrap_or(test);
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("c-{test}-{name}-{n}"));
    let mut cmd = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cmd.args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-O0"])
        .arg(format!("-I{}", root().join("include").display()))
        .arg(src.join(format!("{name}.c")));
    for s in extra_sources {
        cmd.arg(src.join(s));
    }
    cmd.arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lxenserver");
    cmd.args(libs);
    let out = cmd.output().expect("cc runs");
    assert!(
        out.status.success(),
        "compiling {name}.c failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
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
