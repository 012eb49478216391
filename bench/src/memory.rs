//! Peak memory of one decode, measured in a child process of its own so that paths do not
//! inherit each other's high-water mark.
//!
//! The child loads the response file (standing for the server's copy of the bytes), then does
//! what a client does with a response: the Rust paths copy it into a buffer of their own, as
//! a transport returns it; the C path has its `call_func` hand it over in chunks, which the
//! library collects. It decodes once, keeping the result, and reports how far the peak
//! resident size rose above the size with the file loaded, and the result's size once the
//! body is gone: resident (after returning all free memory to the system; untouched pages of
//! a large table do not count) and allocated (the C allocator's count of bytes in use, which
//! the Rust and C allocations share). The target compares the peak, less the resident result,
//! with the response: at most 1.5x means the body held once plus at most half its size of
//! transient memory.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::capi_path::CApiDecoder;
use crate::decode::{self, DecodePath, Encoding};

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

/// Bytes of heap in use, by the C allocator's count (Rust's `System` allocator is malloc).
fn heap_in_use() -> u64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}

/// Peak memory of each path, each in a fresh child process, against the target.
pub fn figures(xml: &[u8], json: &[u8]) {
    let dir = std::env::temp_dir().join(format!("xenapi-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("creating the scratch directory");
    let files = [
        (Encoding::Xml, dir.join("vms.xml"), xml),
        (Encoding::Json, dir.join("vms.json"), json),
    ];
    for (_, file, bytes) in &files {
        fs::write(file, bytes).expect("writing a response file");
    }
    let exe = std::env::current_exe().expect("the bench's own path");
    for path in DecodePath::ALL {
        let (_, file, bytes) = files
            .iter()
            .find(|(e, _, _)| *e == path.encoding())
            .expect("a file per encoding");
        let out = Command::new(&exe)
            .arg("mem-child")
            .arg(path.id())
            .arg(file)
            .output()
            .expect("running the child");
        assert!(
            out.status.success(),
            "memory child for {} failed: {}",
            path.name(),
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let figures: Vec<u64> = stdout
            .split_whitespace()
            .map(|n| n.parse().expect("the child prints byte counts"))
            .collect();
        let [peak, result, allocated] = figures[..] else {
            panic!("the child prints three byte counts, not {stdout:?}")
        };
        let body = bytes.len() as f64;
        println!(
            "memory {}: peak {:.1} MB above the loaded file, with a result of {:.1} MB resident ({:.1} MB allocated): peak = the result + {:.2}x the response size (the body itself and {:.2}x of it in transient memory)",
            path.name(),
            peak as f64 / 1e6,
            result as f64 / 1e6,
            allocated as f64 / 1e6,
            peak.saturating_sub(result) as f64 / body,
            ((peak.saturating_sub(result) as f64 - body) / body).max(0.0),
        );
    }
    let _ = fs::remove_dir_all(&dir);
}

/// In a fresh process: load the file, take the body and decode it along a path once, print
/// how far the peak resident size rose above the size with the file loaded, and the result's
/// resident and allocated bytes.
pub fn child(args: &[String]) {
    let [id, file] = args else {
        panic!("mem-child PATH FILE")
    };
    let path = DecodePath::from_id(id).unwrap_or_else(|| panic!("unknown decode path {id}"));
    let file = fs::read(Path::new(file)).expect("reading the response file");
    let capi = (path == DecodePath::CApiXml).then(CApiDecoder::new);
    reset_peak();
    let (before, _) = rss_now_and_peak();
    let heap_before = heap_in_use();
    let decoded = if path == DecodePath::CApiXml {
        // The library collects the body from call_func itself.
        decode::run(path, &file, capi.as_ref())
    } else {
        let body = file.to_vec();
        std::hint::black_box(decode::run(path, &body, None))
    };
    let (_, peak) = rss_now_and_peak();
    let allocated = heap_in_use().saturating_sub(heap_before);
    // SAFETY: malloc_trim only returns free memory to the system.
    unsafe { libc::malloc_trim(0) };
    let (now, _) = rss_now_and_peak();
    std::hint::black_box(decoded.count());
    println!(
        "{} {} {}",
        peak.saturating_sub(before),
        now.saturating_sub(before),
        allocated
    );
    drop(decoded);
}
