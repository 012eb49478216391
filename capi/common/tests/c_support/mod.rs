//! What both C libraries' tests share: finding the library this test run built, installing it
//! with its Makefile, compiling C programs with `cc` and running them (under valgrind when
//! asked), and measuring C expressions such as `sizeof` and `offsetof`.
//!
//! Each crate's `tests/support` includes this file with `#[path]` rather than depending on a
//! crate: `CARGO_MANIFEST_DIR` and `CARGO_TARGET_TMPDIR` must be the including test crate's.
#![allow(dead_code)]

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Scratch space for the test programs, shared by every test binary of the workspace.
pub fn tmp() -> &'static Path {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
}

/// The name of the running test binary, without cargo's hash.
fn test_name() -> String {
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().and_then(|s| s.to_str()).unwrap_or("test");
    stem.split('-').next().unwrap_or(stem).to_owned()
}

/// A path under [`tmp`] that no other build names: tests run in parallel, so every build in a
/// test process gets its own (the names repeat across runs, so old ones are overwritten rather
/// than piling up).
pub fn unique_path(name: &str) -> PathBuf {
    static BUILDS: AtomicUsize = AtomicUsize::new(0);
    let n = BUILDS.fetch_add(1, Ordering::Relaxed);
    tmp().join(format!(
        "{}-{}-{name}-{n}",
        env!("CARGO_PKG_NAME"),
        test_name()
    ))
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

/// The directory holding the library this test run built, asserting `file` is there: `cargo
/// test` leaves it in `deps/` beside the test executable (only `cargo build` copies it one
/// level up, and that copy may be stale).
pub fn built_dir(file: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().to_owned();
    assert!(
        dir.join(file).exists(),
        "{file} not built in {}",
        dir.display()
    );
    dir
}

/// `make install-files` of the library whose crate (and Makefile) is `capi/<library>`, from
/// the files this test run built (`built`, one of them) into `prefix`.
pub fn install(library: &str, built: &str, prefix: &Path) {
    run_ok(
        Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(root().join("capi").join(library))
            .arg("install-files")
            .arg(format!("BUILD_DIR={}", built_dir(built).display()))
            .arg(format!("PREFIX={}", prefix.display())),
    );
}

/// `pkg-config ARGS package` against an install under `prefix`, split into words.
pub fn pkg_config(prefix: &Path, package: &str, args: &[&str]) -> Vec<String> {
    let out = run_ok(
        Command::new("pkg-config")
            .args(args)
            .arg(package)
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig")),
    );
    out.split_whitespace().map(str::to_owned).collect()
}

/// Compiles `tests/c/<name>.c` and `tests/c/<extra_sources>` strictly as C99 with `flags`
/// (headers and libraries) into an executable.
pub fn compile(name: &str, extra_sources: &[&str], flags: &[String]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c");
    let exe = unique_path(name);
    run_ok(
        Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-g", "-O0"])
            .arg(src.join(format!("{name}.c")))
            .args(extra_sources.iter().map(|s| src.join(s)))
            .args(flags)
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

/// The value of each C expression (`sizeof`, `offsetof`, ...) as a program including
/// `xen/api/xen_all.h` with `cflags` computes it, in order.
pub fn measure(exprs: &[String], cflags: &[String]) -> Vec<u64> {
    let mut prog = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <xen/api/xen_all.h>\nint main(void)\n{\n",
    );
    for expr in exprs {
        writeln!(prog, "    printf(\"%zu\\n\", (size_t)({expr}));").unwrap();
    }
    prog.push_str("    return 0;\n}\n");
    let exe = unique_path("measure");
    let src = exe.with_extension("c");
    std::fs::write(&src, prog).unwrap();
    run_ok(
        Command::new("cc")
            .args(["-std=c99", "-Wall", "-Werror"])
            .arg(&src)
            .args(cflags)
            .arg("-o")
            .arg(&exe),
    );
    let out = run_ok(&mut Command::new(&exe));
    let values: Vec<u64> = out.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(values.len(), exprs.len());
    values
}

/// Compiles (without linking) a program that includes every header, as strict, pedantic C99.
pub fn check_pedantic_c99(cflags: &[String]) {
    let src = unique_path("pedantic").with_extension("c");
    std::fs::write(
        &src,
        "#include <xen/api/xen_all.h>\nint main(void) { return 0; }\n",
    )
    .unwrap();
    run_ok(
        Command::new("cc")
            .args([
                "-std=c99",
                "-pedantic",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-fsyntax-only",
            ])
            .arg(&src)
            .args(cflags),
    );
}

/// Links `src` with the static library `lib<package>.a` installed under `prefix` (and what its
/// pkg-config file says the archive needs) into `exe`.
pub fn link_static(src: &Path, prefix: &Path, package: &str, exe: &Path) {
    let lib = prefix.join("lib");
    let archive = lib.join(format!("lib{package}.a"));
    let private = pkg_config(prefix, package, &["--static", "--libs-only-l"]);
    let itself = format!("-l{package}");
    // A workspace build with --all-features links the xenapi crate's curl transport into the
    // archive; then it needs libcurl too (a plain `make install` build does not).
    let curl: &[&str] = if run_ok(Command::new("nm").arg(&archive)).contains(" U curl_easy_init") {
        &["-lcurl"]
    } else {
        &[]
    };
    run_ok(
        Command::new("cc")
            .arg(src)
            .args(pkg_config(prefix, package, &["--cflags"]))
            .arg(&archive)
            .args(private.iter().filter(|f| **f != itself))
            .args(curl)
            .arg("-o")
            .arg(exe),
    );
}
