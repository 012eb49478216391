//! libxen's header prototypes and the `extern "C"` functions behind them agree: cbindgen
//! derives C prototypes from the Rust source (this crate and the shared runtime), compared
//! with the installed-to-be headers after normalising spellings that differ only by name.
//! The headers themselves are libxen 4.4's prototypes (`model/xend/libxen.json`).

mod support;

#[path = "../../common/tests/prototypes/mod.rs"]
mod prototypes;

use std::path::Path;

#[test]
fn header_prototypes_match_the_rust_functions() {
    let prototypes::Comparison {
        handles,
        declared,
        mut problems,
    } = prototypes::compare(
        &support::root().join("include/libxen/xen/api"),
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(handles.contains("xen_cpu_pool"));
    assert!(
        declared.len() > 700,
        "{} declarations parsed",
        declared.len()
    );
    // Exported beyond libxen's headers: helpers libxen never declared, which every class of
    // this library has.
    problems.retain(|p| {
        !(p.ends_with("exported, not declared") && p.starts_with("xen_xspolicy_record_opt_set_"))
    });
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
