//! The header prototypes and the `extern "C"` functions behind them agree: cbindgen derives
//! C prototypes from the Rust source (this crate and the runtime it shares with libxen), and
//! both sides are compared after normalising the spellings that differ only by name.

mod support;

#[path = "../../common/tests/prototypes/mod.rs"]
mod prototypes;

use std::path::Path;

#[test]
fn header_prototypes_match_the_rust_functions() {
    let prototypes::Comparison {
        handles,
        declared,
        problems,
    } = prototypes::compare(
        &support::root().join("include/xen/api"),
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(handles.contains("xen_vm"));
    assert!(
        declared.len() > 3000,
        "{} declarations parsed",
        declared.len()
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
