//! The C headers and the Rust `#[repr(C)]` side agree on every struct's layout, and the
//! headers compile as C99 and as C++.

mod support;

use std::process::Command;

use xenserver::generated::layout::{container_layouts, RECORD_LAYOUTS};

/// (struct, member, bytes) as the Rust side has them, with the C expression measuring each.
fn expectations() -> Vec<(String, String, usize)> {
    let mut v: Vec<(String, String, usize)> = RECORD_LAYOUTS
        .iter()
        .map(|(st, m, n)| {
            let expr = if m.is_empty() {
                format!("sizeof({st})")
            } else {
                format!("offsetof({st}, {m})")
            };
            (format!("{st}.{m}"), expr, *n)
        })
        .collect();
    for (st, what, n) in container_layouts() {
        let expr = match what {
            "" => format!("sizeof({st})"),
            "elem" => format!("sizeof((({st} *)0)->contents[0])"),
            m => format!("offsetof({st}, {m})"),
        };
        v.push((format!("{st}.{what}"), expr, n));
    }
    let s = std::mem::size_of::<xenserver::xen_session>();
    v.push(("xen_session.".into(), "sizeof(xen_session)".into(), s));
    for (m, off) in [
        (
            "session_id",
            std::mem::offset_of!(xenserver::xen_session, session_id),
        ),
        ("ok", std::mem::offset_of!(xenserver::xen_session, ok)),
        (
            "error_description",
            std::mem::offset_of!(xenserver::xen_session, error_description),
        ),
        (
            "error_description_count",
            std::mem::offset_of!(xenserver::xen_session, error_description_count),
        ),
        (
            "api_version",
            std::mem::offset_of!(xenserver::xen_session, api_version),
        ),
    ] {
        v.push((
            format!("xen_session.{m}"),
            format!("offsetof(xen_session, {m})"),
            off,
        ));
    }
    v
}

#[test]
fn c_structs_match_the_rust_layouts() {
    let expected = expectations();
    assert!(expected.len() > 1000, "every record member is covered");
    let exprs: Vec<String> = expected.iter().map(|(_, expr, _)| expr.clone()).collect();
    let measured = support::measure(&exprs, &[format!("-I{}", support::include().display())]);
    assert_eq!(measured.len(), expected.len());
    let mut wrong = Vec::new();
    for ((name, _, rust), c) in expected.iter().zip(measured) {
        if c != *rust as u64 {
            wrong.push(format!("{name}: C {c}, Rust {rust}"));
        }
    }
    assert!(wrong.is_empty(), "layouts differ:\n{}", wrong.join("\n"));
}

#[test]
fn headers_compile_as_cplusplus() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let cpp = dir.join("all.cpp");
    std::fs::write(
        &cpp,
        "#include <xen/api/xen_all.h>\n#include <xen/api/xenapi_ext_transport.h>\nint f(xen_event_record *e) { return e->XEN_CLAZZ != 0; }\n",
    )
    .unwrap();
    let out = Command::new("g++")
        .args(["-fsyntax-only", "-Wall", "-Werror"])
        .arg(format!("-I{}", support::root().join("include").display()))
        .arg(&cpp)
        .output()
        .expect("g++ runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn headers_compile_as_pedantic_c99() {
    support::check_pedantic_c99();
}
