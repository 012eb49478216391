//! The decode paths measured on a `VM.get_all_records` response held in memory, each timed
//! in runs paired and alternated with its floor's, so both see the same machine load.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use xenapi::api::{VmRecord, VmRef};
use xenapi::wire::{decode_response, WireFormat};
use xenapi::{Limits, Value};

use crate::baseline;
use crate::capi_path::{CApiDecoder, CRecords};
use crate::chart;

/// Which encoding a path reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    /// XML-RPC.
    Xml,
    /// JSON-RPC.
    Json,
}

/// One way of turning the response bytes into something usable.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DecodePath {
    /// The floor for XML: one pass of quick-xml's tokenizer.
    QuickXmlTokenizer,
    /// The floor for JSON: `serde_json::Value`.
    SerdeJsonValue,
    /// Typed records, XML-RPC.
    TypedXml,
    /// The dynamic `Value`, XML-RPC.
    ValueXml,
    /// The C ABI: `xen_vm_get_all_records` into malloc'd structs.
    CApiXml,
    /// Typed records, JSON-RPC.
    TypedJson,
    /// The dynamic `Value`, JSON-RPC.
    ValueJson,
}

impl DecodePath {
    /// Every path, floors first within each encoding.
    pub const ALL: [DecodePath; 7] = [
        DecodePath::QuickXmlTokenizer,
        DecodePath::TypedXml,
        DecodePath::ValueXml,
        DecodePath::CApiXml,
        DecodePath::SerdeJsonValue,
        DecodePath::TypedJson,
        DecodePath::ValueJson,
    ];

    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            DecodePath::QuickXmlTokenizer => "quick-xml tokenizer pass (floor)",
            DecodePath::SerdeJsonValue => "serde_json::Value (floor)",
            DecodePath::TypedXml => "typed XML-RPC",
            DecodePath::ValueXml => "Value XML-RPC",
            DecodePath::CApiXml => "C ABI XML-RPC",
            DecodePath::TypedJson => "typed JSON-RPC",
            DecodePath::ValueJson => "Value JSON-RPC",
        }
    }

    /// A short identifier for child processes.
    pub fn id(self) -> &'static str {
        match self {
            DecodePath::QuickXmlTokenizer => "quick-xml",
            DecodePath::SerdeJsonValue => "serde-json-value",
            DecodePath::TypedXml => "typed-xml",
            DecodePath::ValueXml => "value-xml",
            DecodePath::CApiXml => "capi-xml",
            DecodePath::TypedJson => "typed-json",
            DecodePath::ValueJson => "value-json",
        }
    }

    /// The path with identifier `id`.
    pub fn from_id(id: &str) -> Option<DecodePath> {
        DecodePath::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The encoding the path reads.
    pub fn encoding(self) -> Encoding {
        match self {
            DecodePath::QuickXmlTokenizer
            | DecodePath::TypedXml
            | DecodePath::ValueXml
            | DecodePath::CApiXml => Encoding::Xml,
            DecodePath::SerdeJsonValue | DecodePath::TypedJson | DecodePath::ValueJson => {
                Encoding::Json
            }
        }
    }

    /// The floor this path is compared with.
    pub fn baseline(self) -> DecodePath {
        match self.encoding() {
            Encoding::Xml => DecodePath::QuickXmlTokenizer,
            Encoding::Json => DecodePath::SerdeJsonValue,
        }
    }

    /// Whether this path is itself a floor.
    pub fn is_baseline(self) -> bool {
        self.baseline() == self
    }
}

/// What one decode produced, kept alive so that freeing it is neither timed with the decode
/// nor missing from the memory figures.
pub enum Decoded {
    /// The tokenizer's count of text bytes.
    Tokens(usize),
    /// `serde_json::Value`.
    Json(serde_json::Value),
    /// Typed records.
    Typed(HashMap<VmRef, VmRecord>),
    /// A dynamic `Value`.
    Value(Value),
    /// The C library's malloc'd map.
    C(CRecords),
}

impl Decoded {
    /// A count of what was decoded (VMs, members, or text bytes for the tokenizer).
    pub fn count(&self) -> usize {
        match self {
            Decoded::Tokens(n) => *n,
            Decoded::Json(serde_json::Value::Object(envelope)) => envelope.len(),
            Decoded::Json(other) => panic!("a JSON-RPC response is an object, not {other}"),
            Decoded::Typed(vms) => vms.len(),
            Decoded::Value(Value::Struct(members)) => members.len(),
            Decoded::Value(other) => panic!("get_all_records returns a struct, not {other:?}"),
            Decoded::C(records) => records.len(),
        }
    }
}

/// Decodes `bytes` along `path` once and returns the result. `capi` is the C-ABI session for
/// that path.
pub fn run(path: DecodePath, bytes: &[u8], capi: Option<&CApiDecoder>) -> Decoded {
    let limits = Limits::default();
    match path {
        DecodePath::QuickXmlTokenizer => Decoded::Tokens(baseline::quick_xml_pass(bytes)),
        DecodePath::SerdeJsonValue => Decoded::Json(baseline::serde_json_value(bytes)),
        DecodePath::TypedXml | DecodePath::TypedJson => Decoded::Typed(
            decode_response::<HashMap<VmRef, VmRecord>>(format(path), bytes, &limits)
                .expect("typed decode"),
        ),
        DecodePath::ValueXml | DecodePath::ValueJson => Decoded::Value(
            decode_response::<Value>(format(path), bytes, &limits).expect("Value decode"),
        ),
        DecodePath::CApiXml => {
            Decoded::C(capi.expect("a C-ABI decoder for the C path").decode(bytes))
        }
    }
}

fn format(path: DecodePath) -> WireFormat {
    match path.encoding() {
        Encoding::Xml => WireFormat::XmlRpc,
        Encoding::Json => WireFormat::JsonRpc,
    }
}

/// The middle half of a set of samples: (25th percentile, median, 75th percentile).
#[derive(Clone, Copy)]
pub struct Spread {
    /// 25th percentile.
    pub lo: f64,
    /// Median.
    pub median: f64,
    /// 75th percentile.
    pub hi: f64,
}

impl Spread {
    fn of(mut samples: Vec<f64>) -> Spread {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Spread {
            lo: at(0.25),
            median: at(0.5),
            hi: at(0.75),
        }
    }
}

/// A path timed against its floor in alternating pairs of runs.
pub struct Paired {
    /// Decode time of the path, seconds of CPU time.
    pub path: Spread,
    /// Decode time of the floor in the same pairs, seconds.
    pub floor: Spread,
    /// Time to free the path's result, seconds (not part of `path`).
    pub free: Spread,
    /// Per pair, the path's time over the floor's.
    pub ratio: Spread,
    /// How many pairs were timed.
    pub pairs: usize,
}

/// The CPU time this thread has used, in seconds: on a machine shared with other work the
/// wall time of a decode stretches with the load, its CPU time much less.
fn thread_cpu_time() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Times `path` and `floor` alternately, at least `min_pairs` pairs and for at least
/// `min_time` of wall time. Each decode starts on a clean heap (see [`fixed_heap_policy`]) and
/// is timed in CPU time of this thread (decoding is single-threaded; user and system time, so
/// page faults count) up to its result; the result is freed outside the timed part, and the
/// time that takes is reported on its own.
pub fn paired(
    min_pairs: usize,
    min_time: Duration,
    mut floor: impl FnMut() -> Decoded,
    mut path: impl FnMut() -> Decoded,
) -> Paired {
    let once = |work: &mut dyn FnMut() -> Decoded| -> (f64, f64) {
        let t = thread_cpu_time();
        let result = black_box(work());
        let decode = thread_cpu_time() - t;
        let t = thread_cpu_time();
        drop(result);
        let free = thread_cpu_time() - t;
        clean_heap();
        (decode, free)
    };
    let (mut f, mut p, mut free, mut ratio) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let start = Instant::now();
    while f.len() < min_pairs || start.elapsed() < min_time {
        let (tf, _) = once(&mut floor);
        let (tp, tfree) = once(&mut path);
        f.push(tf);
        p.push(tp);
        free.push(tfree);
        ratio.push(tp / tf);
    }
    Paired {
        pairs: f.len(),
        path: Spread::of(p),
        floor: Spread::of(f),
        free: Spread::of(free),
        ratio: Spread::of(ratio),
    }
}

/// Makes the allocator's state the same before every decode: glibc otherwise returns memory
/// to the system or keeps it, and moves its mmap threshold, depending on what was freed
/// before, and a decode following the free of another large result can take up to three times
/// as long as the same decode on a fresh heap (serde_json's `Value` after its own kind, for
/// one). With the automatic trimming off, [`clean_heap`] after each free gives every decode a
/// fresh heap: it pays for the memory its result touches, page faults included, as the
/// first call of a process does.
fn fixed_heap_policy() {
    // SAFETY: mallopt only changes allocator parameters.
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
    }
}

/// Consolidates the allocator's free memory and returns it to the system.
fn clean_heap() {
    // SAFETY: malloc_trim only rearranges the allocator's free memory.
    unsafe { libc::malloc_trim(0) };
}

/// Times every path against its floor and prints a line per path; returns the chart's bars.
pub fn figures(xml: &[u8], json: &[u8], min_time: Duration) -> Vec<chart::Bar> {
    fixed_heap_policy();
    let capi = CApiDecoder::new();
    let mut bars = Vec::new();
    let mut floor_shown = None;
    let bytes_for = |path: DecodePath| match path.encoding() {
        Encoding::Xml => xml,
        Encoding::Json => json,
    };
    for path in DecodePath::ALL {
        let bytes = bytes_for(path);
        if path.is_baseline() {
            continue;
        }
        let floor = path.baseline();
        let m = paired(
            7,
            min_time,
            || run(floor, bytes, None),
            || run(path, bytes, Some(&capi)),
        );
        if floor_shown != Some(floor) {
            floor_shown = Some(floor);
            println!(
                "decode {}: {:.0} MB/s, {} of CPU time (baseline; in the pairs of the next line)",
                floor.name(),
                crate::timing::mb_per_s(bytes.len(), Duration::from_secs_f64(m.floor.median)),
                ms_spread(m.floor),
            );
            bars.push(bar(floor, bytes.len(), m.floor.median));
        }
        println!(
            "decode {}: {:.0} MB/s, {} = {:.2}x the time of {} ({:.2}-{:.2}x, {} pairs; floor {}; freeing the result {:.1} ms more)",
            path.name(),
            crate::timing::mb_per_s(bytes.len(), Duration::from_secs_f64(m.path.median)),
            ms_spread(m.path),
            m.ratio.median,
            floor.name(),
            m.ratio.lo,
            m.ratio.hi,
            m.pairs,
            ms_spread(m.floor),
            m.free.median * 1e3,
        );
        bars.push(bar(path, bytes.len(), m.path.median));
    }
    bars
}

fn bar(path: DecodePath, bytes: usize, secs: f64) -> chart::Bar {
    chart::Bar {
        label: path.name().to_string(),
        mb_per_s: crate::timing::mb_per_s(bytes, Duration::from_secs_f64(secs)),
        baseline: path.is_baseline(),
    }
}

fn ms_spread(s: Spread) -> String {
    format!(
        "{:.1} ms ({:.1}-{:.1})",
        s.median * 1e3,
        s.lo * 1e3,
        s.hi * 1e3
    )
}

/// For profilers: `decode-child PATH FILE RUNS` decodes the file along the path RUNS times.
pub fn child(args: &[String]) {
    let [id, file, runs] = args else {
        panic!("decode-child PATH FILE RUNS")
    };
    let path = DecodePath::from_id(id).unwrap_or_else(|| panic!("unknown decode path {id}"));
    let bytes = std::fs::read(file).expect("reading the response file");
    let runs: usize = runs.parse().expect("RUNS is a number");
    let capi = (path == DecodePath::CApiXml).then(CApiDecoder::new);
    fixed_heap_policy();
    let mut count = 0;
    for _ in 0..runs {
        let decoded = decode_once(path, &bytes, capi.as_ref());
        count += decoded.count();
        free(decoded);
        clean_heap();
    }
    println!("{count}");
}

/// Apart from [`free`], so that a profile tells decoding and freeing apart.
#[inline(never)]
fn decode_once(path: DecodePath, bytes: &[u8], capi: Option<&CApiDecoder>) -> Decoded {
    black_box(run(path, bytes, capi))
}

#[inline(never)]
fn free(decoded: Decoded) {
    drop(black_box(decoded));
}
