//! Repeated timing with a median, so one noisy run does not decide a figure.

use std::time::{Duration, Instant};

/// The timings of one measured piece of work.
pub struct Timing {
    /// Median wall time of one run.
    pub median: Duration,
    /// How many runs were timed.
    pub runs: usize,
}

/// Runs `work` once untimed (to warm caches and the allocator), then at least `min_runs`
/// times and for at least `min_time`, and returns the median.
pub fn measure<R>(min_runs: usize, min_time: Duration, mut work: impl FnMut() -> R) -> Timing {
    std::hint::black_box(work());
    let mut samples = Vec::new();
    let start = Instant::now();
    while samples.len() < min_runs || start.elapsed() < min_time {
        let t = Instant::now();
        std::hint::black_box(work());
        samples.push(t.elapsed());
    }
    samples.sort();
    Timing {
        median: samples[samples.len() / 2],
        runs: samples.len(),
    }
}

/// Megabytes (10^6 bytes) per second for `bytes` processed in `time`.
pub fn mb_per_s(bytes: usize, time: Duration) -> f64 {
    bytes as f64 / 1e6 / time.as_secs_f64()
}
