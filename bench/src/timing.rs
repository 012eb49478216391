//! Throughput arithmetic shared by the sections.

use std::time::Duration;

/// Megabytes (10^6 bytes) per second for `bytes` processed in `time`.
pub fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}
