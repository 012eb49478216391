//! The header prototypes and the `extern "C"` functions behind them agree: cbindgen derives
//! C prototypes from the Rust source (this crate and the runtime it shares with libxen), and
//! both sides are compared after normalising the spellings that differ only by name.

mod support;

#[path = "../../common/tests/prototypes/mod.rs"]
mod prototypes;

use std::path::Path;

#[test]
fn header_prototypes_match_the_rust_functions() {
    let root = support::root();
    let headers = prototypes::read_headers(&root.join("include/xen/api"));
    let handles = prototypes::handles(&headers);
    assert!(handles.contains("xen_vm"));
    let declared = prototypes::parse(&headers, &handles);
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let implemented = prototypes::implemented(&[here, &here.join("../common")], &handles);
    assert!(
        declared.len() > 3000,
        "{} declarations parsed",
        declared.len()
    );
    let problems = prototypes::differences(&declared, &implemented);
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
