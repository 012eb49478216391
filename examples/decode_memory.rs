//! Peak memory of decoding a large response into `Value`, as a multiple of the body size:
//! `cargo run --release --example decode_memory -- FORMAT SHAPE MIB` with FORMAT `xml` or
//! `json` and SHAPE `ints` (an array of small integers, the worst case), `strings` or
//! `records` (a `VM.get_all_records`-like map of structs). Linux only (reads /proc).

use xenapi::wire::{decode_response, encode_success, encode_value, WireFormat};
use xenapi::{Limits, Value};

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn body(format: WireFormat, shape: &str, bytes: usize) -> Vec<u8> {
    let one = match shape {
        "ints" => Value::Int(1),
        "strings" => Value::String("OpaqueRef:0c2c5e1e-6ba2-4d0a-9f0c-3d1f0e6a7b8c".into()),
        _ => {
            let mut s = xenapi::Struct::new();
            for i in 0..40 {
                s.insert(format!("field_{i}"), Value::String(format!("value {i}")));
            }
            Value::Struct(s)
        }
    };
    // The envelope around one element, with the element repeated in place (building a
    // `Value` of them first would cost more memory than the decode being measured).
    let elem = String::from_utf8(encode_value(format, &one).unwrap()).unwrap();
    let envelope =
        String::from_utf8(encode_success(format, &Value::Array(vec![one]), None).unwrap()).unwrap();
    let sep = if format == WireFormat::XmlRpc {
        ""
    } else {
        ","
    };
    let n = (bytes / (elem.len() + sep.len())).max(1);
    let mut many = String::with_capacity(n * (elem.len() + sep.len()));
    for i in 0..n {
        if i > 0 {
            many.push_str(sep);
        }
        many.push_str(&elem);
    }
    envelope.replacen(&elem, &many, 1).into_bytes()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let format = match args.get(1).map(String::as_str) {
        Some("xml") => WireFormat::XmlRpc,
        _ => WireFormat::JsonRpc,
    };
    let shape = args.get(2).map(String::as_str).unwrap_or("ints");
    let mib: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(40);
    let body = body(format, shape, mib << 20);
    let before = peak_kib();
    let started = std::time::Instant::now();
    let result = decode_response::<Value>(format, &body, &Limits::default());
    let took = started.elapsed();
    let after = peak_kib();
    let body_kib = body.len() as u64 / 1024;
    let outcome = match &result {
        Ok(Value::Array(a)) => format!("{} elements", a.len()),
        Ok(_) => "a value".to_string(),
        Err(e) => format!("error: {e}"),
    };
    println!(
        "{format:?} {shape}: body {body_kib} KiB, peak before {before} KiB, after {after} KiB, \
         decode cost {:.1}x the body, {took:.2?}: {outcome}",
        (after.saturating_sub(before)) as f64 / body_kib.max(1) as f64
    );
}
