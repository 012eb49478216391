//! The installed `libxenapi.so.1.0` exports every function of libxen's model (its RPCs and the
//! helpers libxen defined or only declared), and libxen's file names and SONAME.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

fn exported() -> BTreeSet<String> {
    let so = support::prefix().join("lib/libxenapi.so.1.0");
    let out = support::run_ok(Command::new("nm").args(["-D", "--defined-only"]).arg(&so));
    out.lines()
        .filter(|l| l.split_whitespace().nth(1) == Some("T"))
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

#[test]
fn every_function_of_libxens_model_is_exported() {
    let facts = support::facts();
    let mut wanted = BTreeSet::new();
    for m in facts["messages"].as_array().unwrap() {
        wanted.insert(m["c_name"].as_str().unwrap().to_owned());
    }
    for f in facts["non_rpc_functions"].as_array().unwrap() {
        wanted.insert(f["c_name"].as_str().unwrap().to_owned());
    }
    assert!(
        wanted.len() > 700,
        "{} functions in the model",
        wanted.len()
    );
    let ours = exported();
    let missing: Vec<&String> = wanted.iter().filter(|n| !ours.contains(*n)).collect();
    assert!(missing.is_empty(), "not exported: {missing:?}");
    // The runtime shared with libxenserver (an rlib) is exported too: the built-in transport.
    for ext in [
        "xenapi_ext_transport_new",
        "xenapi_ext_call_func",
        "xenapi_ext_transport_free",
        "xenapi_ext_transport_last_error",
    ] {
        assert!(ours.contains(ext), "{ext} not exported");
    }
    // Nothing of libxenserver's dialect leaks in.
    for foreign in [
        "xen_api_version_to_string",
        "xen_event_from",
        "xen_vm_start_async",
    ] {
        assert!(!ours.contains(foreign), "{foreign} exported");
    }
}

#[test]
fn installed_with_libxens_names() {
    let lib = support::prefix().join("lib");
    assert_eq!(
        std::fs::read_link(lib.join("libxenapi.so.1.0")).unwrap(),
        std::path::Path::new("libxenapi.so.1.0.0")
    );
    assert_eq!(
        std::fs::read_link(lib.join("libxenapi.so")).unwrap(),
        std::path::Path::new("libxenapi.so.1.0")
    );
    let dynamic = support::run_ok(
        Command::new("readelf")
            .arg("-d")
            .arg(lib.join("libxenapi.so.1.0.0")),
    );
    assert!(
        dynamic.contains("Library soname: [libxenapi.so.1.0]"),
        "{dynamic}"
    );
    let sections = support::run_ok(
        Command::new("readelf")
            .arg("-S")
            .arg(lib.join("libxenapi.so.1.0.0")),
    );
    assert!(
        !sections.contains(".debug_info"),
        "the installed library is stripped"
    );
    use std::os::unix::fs::PermissionsExt;
    for f in ["libxenapi.so.1.0.0", "libxenapi.a", "pkgconfig/xenapi.pc"] {
        let mode = std::fs::metadata(lib.join(f)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{f}");
    }
    let include = support::prefix().join("include");
    assert!(include.join("libxen/xen/api/xen_all.h").exists());
    assert!(include.join("libxen/xen/api/xen_cpu_pool_decl.h").exists());
    assert!(
        !include.join("xen").exists(),
        "libxen's headers stay apart from libxenserver's"
    );
    let cflags = support::pkg_config(&["--cflags"]);
    assert!(
        cflags.iter().any(|f| f.ends_with("include/libxen")),
        "{cflags:?}"
    );
}

#[test]
fn static_library_links_a_program() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("libxen-static.c");
    std::fs::write(
        &src,
        "#include <stdio.h>\n#include <string.h>\n#include <xen/api/xen_all.h>\n\
         int main(void)\n{\n    xen_init();\n\
         enum xen_vm_power_state s = xen_vm_power_state_from_string(NULL, \"Crashed\");\n\
         xen_version *v = xen_get_client_side_version();\n\
         int ok = s == XEN_VM_POWER_STATE_CRASHED && v->major == 1 && v->minor == 0;\n\
         printf(\"%s %d.%d\\n\", xen_vm_power_state_to_string(s), v->major, v->minor);\n\
         xen_version_free(v);\n    xen_fini();\n    return ok ? 0 : 1;\n}\n",
    )
    .unwrap();
    let exe = dir.join("libxen-static");
    support::link_static(&src, &exe);
    let needed = support::run_ok(Command::new("readelf").arg("-d").arg(&exe));
    assert!(!needed.contains("libxenapi"), "{needed}");
    assert!(support::run_ok(&mut Command::new(&exe)).contains("Crashed 1.0"));
}
