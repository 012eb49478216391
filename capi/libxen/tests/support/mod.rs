//! Installing the freshly built libxen dialect with its Makefile, and building and running C
//! programs against the installed headers and `-lxenapi`.

#![allow(dead_code)]

#[path = "../../../common/tests/c_support/mod.rs"]
mod c_support;

use std::path::PathBuf;
use std::sync::OnceLock;

// Each test binary uses its own subset.
#[allow(unused_imports)]
pub use c_support::{measure, root, run, run_ok, tmp};

/// The install prefix: `make install-files` of the library this test run built, once per test
/// binary.
pub fn prefix() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let prefix = c_support::unique_path("prefix");
        let _ = std::fs::remove_dir_all(&prefix);
        c_support::install("libxen", "libxenapi_libxen.so", &prefix);
        prefix
    })
    .clone()
}

/// `pkg-config ARGS xenapi` against the test install.
pub fn pkg_config(args: &[&str]) -> Vec<String> {
    c_support::pkg_config(&prefix(), "xenapi", args)
}

/// Compiles `tests/c/<name>.c` against the installed headers and `-lxenapi`.
pub fn build(name: &str) -> PathBuf {
    let mut flags = pkg_config(&["--cflags", "--libs"]);
    flags.push(format!("-Wl,-rpath,{}", prefix().join("lib").display()));
    c_support::compile(name, &[], &flags)
}

/// Compiles the installed headers as pedantic C99.
pub fn check_pedantic_c99() {
    c_support::check_pedantic_c99(&pkg_config(&["--cflags"]));
}

/// Links `src` with the installed `libxenapi.a` into `exe`.
pub fn link_static(src: &std::path::Path, exe: &std::path::Path) {
    c_support::link_static(src, &prefix(), "xenapi", exe);
}

/// libxen's C facts (`model/xend/libxen.json`).
pub fn facts() -> serde_json::Value {
    let text = std::fs::read_to_string(root().join("model/xend/libxen.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}
