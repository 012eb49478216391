//! Building and running the C test programs against the freshly built `libxenserver.so`, and
//! installing it with its Makefile.

#![allow(dead_code)]

#[path = "../../../common/tests/c_support/mod.rs"]
mod c_support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

// Each test binary uses its own subset.
#[allow(unused_imports)]
pub use c_support::{measure, pkg_config, root, run, run_ok, tmp};

/// A directory with `libxenserver.so` and the SONAME link `libxenserver.so.2`.
pub fn lib_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tmp().join("xenserver-lib");
        std::fs::create_dir_all(&dir).unwrap();
        let so = c_support::built_dir("libxenserver.so").join("libxenserver.so");
        for name in ["libxenserver.so", "libxenserver.so.2"] {
            let link = dir.join(name);
            let _ = std::fs::remove_file(&link);
            std::os::unix::fs::symlink(&so, &link).unwrap();
        }
        dir
    })
    .clone()
}

/// The flags compiling against the source tree's headers and linking the built library.
pub fn flags() -> Vec<String> {
    let lib = lib_dir();
    vec![
        format!("-I{}", include().display()),
        format!("-L{}", lib.display()),
        format!("-Wl,-rpath,{}", lib.display()),
        "-lxenserver".into(),
    ]
}

/// The source tree's headers.
pub fn include() -> PathBuf {
    root().join("include")
}

/// Compiles `tests/c/<name>.c` with the support code into an executable.
pub fn build(name: &str, extra_sources: &[&str], libs: &[&str]) -> PathBuf {
    let mut flags = flags();
    flags.extend(libs.iter().map(|l| l.to_string()));
    c_support::compile(name, extra_sources, &flags)
}

/// Compiles the source tree's headers as pedantic C99.
pub fn check_pedantic_c99() {
    c_support::check_pedantic_c99(&[format!("-I{}", include().display())]);
}

/// `make install-files` of the library this test run built into `prefix`.
pub fn install(prefix: &Path) {
    c_support::install("xenserver", "libxenserver.so", prefix);
}

/// Links `src` with `libxenserver.a` installed under `prefix` into `exe`.
pub fn link_static(src: &Path, prefix: &Path, exe: &Path) {
    c_support::link_static(src, prefix, "xenserver", exe);
}

/// One canned answer: status line text, `Content-Type` and body.
pub type Canned = (&'static str, &'static str, String);

/// Starts a keep-alive HTTP server on a free local port that answers each request with
/// `answer(request line, body)`; its URL.
pub fn canned_server(answer: fn(&str, &[u8]) -> Canned) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_canned(stream, answer));
        }
    });
    url
}

/// Serves requests on one connection until the client closes it.
fn serve_canned(stream: TcpStream, answer: fn(&str, &[u8]) -> Canned) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let (status, content_type, reply) = answer(&request_line, &body);
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(reply.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}
