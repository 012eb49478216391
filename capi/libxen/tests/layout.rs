//! libxen's structs have libxen 4.4's layout on this platform: `sizeof` and `offsetof` of every
//! struct libxen declared, measured by a C program compiled against the installed headers,
//! and the Rust side's record structs, both against the sizes in `model/xend/libxen.json`.

mod support;

use std::collections::BTreeMap;
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
    let exprs: Vec<String> = expected
        .keys()
        .map(|(name, member)| {
            if member.is_empty() {
                format!("sizeof({name})")
            } else {
                format!("offsetof({name}, {member})")
            }
        })
        .collect();
    let measured = support::measure(&exprs, &support::pkg_config(&["--cflags"]));
    assert_eq!(measured.len(), expected.len());
    let mut wrong = Vec::new();
    for (((name, member), want), got) in expected.iter().zip(measured) {
        if got != *want {
            wrong.push(format!("{name} {member}: C {got}, libxen {want}"));
        }
    }
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
    support::check_pedantic_c99();
}
