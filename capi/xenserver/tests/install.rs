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

#[test]
fn installed_library_builds_programs_with_pkg_config() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR")).join("install-test");
    let _ = std::fs::remove_dir_all(&tmp);
    let prefix = tmp.join("prefix");
    support::install(&prefix);
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
    let dynamic = support::run_ok(Command::new("readelf").arg("-d").arg(lib.join(&versioned)));
    assert!(
        dynamic.contains("Library soname: [libxenserver.so.2]"),
        "{dynamic}"
    );
    assert!(prefix.join("include/xen/api/xen_all.h").exists());

    let flags = support::pkg_config(&prefix, "xenserver", &["--cflags", "--libs"]);
    let src = tmp.join("prog.c");
    std::fs::write(&src, PROGRAM).unwrap();

    let shared = tmp.join("prog-shared");
    support::run_ok(
        Command::new("cc")
            .arg(&src)
            .args(&flags)
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-o")
            .arg(&shared),
    );
    let needed = support::run_ok(Command::new("readelf").arg("-d").arg(&shared));
    assert!(
        needed.contains("Shared library: [libxenserver.so.2]"),
        "{needed}"
    );
    assert!(support::run_ok(&mut Command::new(&shared)).contains("Running"));

    let fixed = tmp.join("prog-static");
    support::link_static(&src, &prefix, &fixed);
    let needed = support::run_ok(Command::new("readelf").arg("-d").arg(&fixed));
    assert!(!needed.contains("libxenserver"), "{needed}");
    assert!(support::run_ok(&mut Command::new(&fixed)).contains("Running"));
}
