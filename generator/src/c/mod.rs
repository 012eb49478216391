//! The C library's generated parts: the headers (`include/xen/api/`) and the Rust
//! `extern "C"` functions and type tables behind them (`capi/xenserver/src/generated/`).

pub mod headers;
pub mod libxen;
pub mod names;
pub mod plan;
pub mod rust;

use crate::model::Model;
use crate::output::Emitter;

/// The C headers.
pub const HEADERS: Emitter = Emitter {
    name: "c-headers",
    owns: &["include/xen/api"],
    render: headers::render,
};

/// The Rust side of the C ABI.
pub const ABI: Emitter = Emitter {
    name: "c-abi",
    owns: &[rust::XENSERVER_DIR],
    render: rust::render,
};

/// libxen's headers (from xend's model, `model/xend/`).
pub const LIBXEN_HEADERS: Emitter = Emitter {
    name: "libxen-headers",
    owns: &[libxen::DIR],
    render: libxen::render_headers,
};

/// The Rust side of libxen's C ABI.
pub const LIBXEN_ABI: Emitter = Emitter {
    name: "libxen-abi",
    owns: &[rust::LIBXEN_DIR],
    render: rust::render_libxen,
};

/// The API versions `enum xen_api_version` lists, oldest first: 1.1 – 1.10, then 2.0 up to
/// the model's version.
pub fn api_versions(model: &Model) -> Vec<(u32, u32)> {
    let [major, minor] = model.api_version;
    let mut v: Vec<(u32, u32)> = (1..=10).map(|m| (1, m)).collect();
    for maj in 2..=major {
        let last = if maj == major { minor } else { 0 };
        v.extend((0..=last).map(|m| (maj, m)));
    }
    v
}

/// Every error code, upper-cased and sorted, as `enum xen_api_failure` lists them.
pub fn sorted_errors(model: &Model) -> Vec<String> {
    let mut codes: Vec<String> = model
        .errors
        .iter()
        .map(|e| e.code.to_ascii_uppercase())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}
