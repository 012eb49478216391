//! `make install` lays out the library, headers and pkg-config file so that a program builds
//! with `cc prog.c $(pkg-config --cflags --libs xenserver)`, against the shared or the static
//! library.

mod support;

use std::path::Path;
use std::process::Command;

const PROGRAM: &str = r#"#include <stdio.h>
#include <string.h>
#include <xen/api/xen_all.h>
int main(void)
{
    xen_init();
    const char *v = xen_api_version_to_string(xen_api_latest_version);
    enum xen_vm_power_state s = xen_vm_power_state_from_string(NULL, "Running");
    xen_string_string_map *m = xen_string_string_map_alloc(0);
    xen_string_string_map_free(m);
    xen_fini();
    printf("%s %s\n", v, xen_vm_power_state_to_string(s));
    return strcmp(xen_vm_power_state_to_string(s), "Running") != 0;
}
"#;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("command runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn installed_library_builds_programs_with_pkg_config() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-test");
    let _ = std::fs::remove_dir_all(&tmp);
    let prefix = tmp.join("prefix");
    let build_dir = support::lib_dir()
        .join("libxenserver.so")
        .canonicalize()
        .unwrap();
    let build_dir = build_dir.parent().unwrap();
    run(Command::new("make")
        .arg("-C")
        .arg(support::root().join("capi/xenserver"))
        .arg("install-files")
        .arg(format!("BUILD_DIR={}", build_dir.display()))
        .arg(format!("PREFIX={}", prefix.display())));

    let lib = prefix.join("lib");
    let versioned = std::fs::read_dir(&lib)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.starts_with("libxenserver.so.2."))
        .expect("libxenserver.so.2.<minor> installed");
    assert_eq!(
        std::fs::read_link(lib.join("libxenserver.so.2")).unwrap(),
        Path::new(&versioned)
    );
    assert_eq!(
        std::fs::read_link(lib.join("libxenserver.so")).unwrap(),
        Path::new("libxenserver.so.2")
    );
    let dynamic = run(Command::new("readelf").arg("-d").arg(lib.join(&versioned)));
    assert!(
        dynamic.contains("Library soname: [libxenserver.so.2]"),
        "{dynamic}"
    );
    assert!(prefix.join("include/xen/api/xen_all.h").exists());

    let flags = run(Command::new("pkg-config")
        .args(["--cflags", "--libs", "xenserver"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig")));
    let src = tmp.join("prog.c");
    std::fs::write(&src, PROGRAM).unwrap();

    let shared = tmp.join("prog-shared");
    run(Command::new("cc")
        .arg(&src)
        .args(flags.split_whitespace())
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-o")
        .arg(&shared));
    let needed = run(Command::new("readelf").arg("-d").arg(&shared));
    assert!(
        needed.contains("Shared library: [libxenserver.so.2]"),
        "{needed}"
    );
    assert!(run(&mut Command::new(&shared)).contains("Running"));

    let cflags = run(Command::new("pkg-config")
        .args(["--cflags", "xenserver"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig")));
    let private = run(Command::new("pkg-config")
        .args(["--static", "--libs-only-l", "xenserver"])
        .env("PKG_CONFIG_PATH", lib.join("pkgconfig")));
    // A workspace build with --all-features links the xenapi crate's curl transport into
    // the archive; then it needs libcurl too (a plain `make install` build does not).
    let archive_symbols = run(Command::new("nm").arg(lib.join("libxenserver.a")));
    let curl: &[&str] = if archive_symbols.contains(" U curl_easy_init") {
        &["-lcurl"]
    } else {
        &[]
    };
    let fixed = tmp.join("prog-static");
    run(Command::new("cc")
        .arg(&src)
        .args(cflags.split_whitespace())
        .arg(lib.join("libxenserver.a"))
        .args(private.split_whitespace().filter(|f| *f != "-lxenserver"))
        .args(curl)
        .arg("-o")
        .arg(&fixed));
    let needed = run(Command::new("readelf").arg("-d").arg(&fixed));
    assert!(!needed.contains("libxenserver"), "{needed}");
    assert!(run(&mut Command::new(&fixed)).contains("Running"));
}
