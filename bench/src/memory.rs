//! Peak memory of one decode, measured in a child process of its own so that paths do not
//! inherit each other's high-water mark: the child loads the bytes, notes its resident size,
//! decodes once, and reports how far the peak rose above that.

use std::fs;

/// The resident-set figures of this process, in bytes: (current, peak).
pub fn rss_now_and_peak() -> (u64, u64) {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status is readable");
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .unwrap_or_else(|| panic!("{name} missing from /proc/self/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Resets the peak to the current size (Linux >= 4.0), so the next reading of the peak
/// covers only what follows.
pub fn reset_peak() {
    fs::write("/proc/self/clear_refs", "5").expect("writing /proc/self/clear_refs");
}
