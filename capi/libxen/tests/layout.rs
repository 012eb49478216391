//! libxen's structs have libxen 4.4's layout on this platform: `sizeof` and `offsetof` of every
//! struct libxen declared, measured by a C program compiled against the installed headers,
//! and the Rust side's record structs, both against the sizes in `model/xend/libxen.json`.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::process::Command;

/// (struct, member) → expected offset; member "" → expected size.
fn expected() -> BTreeMap<(String, String), u64> {
    let facts = support::facts();
    let mut out = BTreeMap::new();
    for (name, layout) in facts["struct_layouts_x86_64"].as_object().unwrap() {
        out.insert(
            (name.clone(), String::new()),
            layout["size"].as_u64().unwrap(),
        );
        for m in layout["members"].as_array().unwrap() {
            let member = m[0].as_str().unwrap().to_owned();
            out.insert((name.clone(), member), m[2].as_u64().unwrap());
        }
    }
    for (name, size) in facts["record_sizes_x86_64"].as_object().unwrap() {
        let key = (name.clone(), String::new());
        assert_eq!(
            out.get(&key).copied().unwrap_or(size.as_u64().unwrap()),
            size.as_u64().unwrap()
        );
        out.insert(key, size.as_u64().unwrap());
    }
    out
}

#[test]
fn c_structs_have_libxens_layout() {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return;
    }
    let expected = expected();
    assert!(expected.len() > 400, "{} layout facts", expected.len());
    let mut prog = String::from(
        "#include <stddef.h>\n#include <stdio.h>\n#include <xen/api/xen_all.h>\nint main(void)\n{\n",
    );
    for (name, member) in expected.keys() {
        if member.is_empty() {
            writeln!(prog, "    printf(\"{name} - %zu\\n\", sizeof({name}));").unwrap();
        } else {
            writeln!(
                prog,
                "    printf(\"{name} {member} %zu\\n\", offsetof({name}, {member}));"
            )
            .unwrap();
        }
    }
    prog.push_str("    return 0;\n}\n");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("libxen-layout-prog.c");
    let exe = dir.join("libxen-layout-prog");
    std::fs::write(&src, prog).unwrap();
    support::run_ok(
        Command::new("cc")
            .args(["-std=c99", "-Wall", "-Werror"])
            .arg(&src)
            .args(support::pkg_config(&["--cflags"]))
            .arg("-o")
            .arg(&exe),
    );
    let out = support::run_ok(&mut Command::new(&exe));
    let mut wrong = Vec::new();
    for line in out.lines() {
        let parts: Vec<&str> = line.split(' ').collect();
        let member = if parts[1] == "-" { "" } else { parts[1] };
        let got: u64 = parts[2].parse().unwrap();
        let want = expected[&(parts[0].to_owned(), member.to_owned())];
        if got != want {
            wrong.push(format!("{} {member}: C {got}, libxen {want}", parts[0]));
        }
    }
    assert_eq!(out.lines().count(), expected.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn rust_records_have_libxens_layout() {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return;
    }
    let expected = expected();
    let mut checked = 0;
    for (name, member, got) in xenapi_libxen::generated::layout::RECORD_LAYOUTS {
        // A member named `class` is spelled through the C++-safe macro.
        let member = if *member == "XEN_CLAZZ" {
            "class"
        } else {
            member
        };
        let want = expected
            .get(&(name.to_string(), member.to_string()))
            .unwrap_or_else(|| panic!("libxen has no {name}.{member}"));
        assert_eq!(*got as u64, *want, "{name}.{member}");
        checked += 1;
    }
    assert!(checked > 240, "{checked} members checked");
}

#[test]
fn headers_compile_as_cplusplus() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("libxen-all.cc");
    std::fs::write(
        &src,
        "#include <xen/api/xen_all.h>\n#include <xen/api/xenapi_ext_transport.h>\n\
         int main() { xen_event_record *e = xen_event_record_alloc(); bool ok = e->XEN_CLAZZ == 0; xen_event_record_free(e); return ok ? 0 : 1; }\n",
    )
    .unwrap();
    let exe = dir.join("libxen-all-cc");
    let lib = support::prefix().join("lib");
    support::run_ok(
        Command::new("c++")
            .args(["-Wall", "-Werror"])
            .arg(&src)
            .args(support::pkg_config(&["--cflags", "--libs"]))
            .arg(format!("-Wl,-rpath,{}", lib.display()))
            .arg("-o")
            .arg(&exe),
    );
    support::run_ok(&mut Command::new(&exe));
}

#[test]
fn headers_compile_as_pedantic_c99() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("libxen-pedantic.c");
    std::fs::write(
        &src,
        "#include <xen/api/xen_all.h>\nint main(void) { return 0; }\n",
    )
    .unwrap();
    support::run_ok(
        Command::new("cc")
            .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic", "-c"])
            .arg(&src)
            .args(support::pkg_config(&["--cflags"]))
            .arg("-o")
            .arg(dir.join("libxen-pedantic.o")),
    );
}
