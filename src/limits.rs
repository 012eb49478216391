//! Resource limits applied while reading responses.

/// Bounds on what a response may cost to read.
///
/// Decoders enforce `max_depth`; transports enforce `max_response_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest response body a transport accepts, in bytes (default 512 MiB).
    pub max_response_bytes: u64,
    /// The deepest nesting of arrays and structs a decoder accepts (default 64).
    pub max_depth: usize,
}

impl Limits {
    /// The default maximum response size: 512 MiB.
    pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 512 * 1024 * 1024;
    /// The default maximum nesting depth.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_response_bytes: Self::DEFAULT_MAX_RESPONSE_BYTES,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}
