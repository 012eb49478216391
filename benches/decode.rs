//! Criterion benches of the decode paths on a `VM.get_all_records` response from the
//! simulator, beside the floors they are held to: quick-xml's tokenizer and
//! `serde_json::Value` over the same bytes. The bench command (`xenapi-bench`) prints the
//! same comparison as ratios; this is the statistically careful view.

use std::collections::HashMap;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use quick_xml::events::Event;
use quick_xml::Reader;
use xenapi::api::{VmRecord, VmRef};
use xenapi::wire::{decode_response, encode_call, WireFormat};
use xenapi::{Client, Limits, Value};

const VMS: usize = 256;

fn response(url: &str, format: WireFormat) -> Vec<u8> {
    let client = Client::builder(url).format(format).build().unwrap();
    let session = client
        .login_with_password("root", "xenroot", "2.23", "criterion")
        .unwrap();
    let body = encode_call(
        format,
        "VM.get_all_records",
        Some(&session.session_ref()),
        &[(); 0],
        1,
    )
    .unwrap();
    let path = if format == WireFormat::XmlRpc {
        "/"
    } else {
        "/jsonrpc"
    };
    let bytes = client
        .transport()
        .post(path, &body, client.limits())
        .unwrap();
    session.logout().unwrap();
    bytes
}

fn quick_xml_pass(xml: &[u8]) -> usize {
    let mut reader = Reader::from_reader(xml);
    let mut n = 0;
    loop {
        match reader.read_event().unwrap() {
            Event::Text(t) => n += t.decode().unwrap().len(),
            Event::GeneralRef(r) => n += r.resolve_char_ref().unwrap().map_or(1, char::len_utf8),
            Event::Eof => return n,
            _ => {}
        }
    }
}

fn decode(c: &mut Criterion) {
    let sim = xapi_sim::Simulator::builder()
        .vms(VMS)
        .seed(7)
        .start()
        .unwrap();
    let xml = response(&sim.url(), WireFormat::XmlRpc);
    let json = response(&sim.url(), WireFormat::JsonRpc);
    let limits = Limits::default();

    let mut group = c.benchmark_group(format!("VM.get_all_records/{VMS}"));
    group.sample_size(20);
    group.throughput(Throughput::Bytes(xml.len() as u64));
    group.bench_function(
        BenchmarkId::new("xml", "quick-xml tokenizer (floor)"),
        |b| b.iter(|| quick_xml_pass(&xml)),
    );
    group.bench_function(BenchmarkId::new("xml", "typed"), |b| {
        b.iter(|| {
            decode_response::<HashMap<VmRef, VmRecord>>(WireFormat::XmlRpc, &xml, &limits).unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("xml", "Value"), |b| {
        b.iter(|| decode_response::<Value>(WireFormat::XmlRpc, &xml, &limits).unwrap())
    });
    group.throughput(Throughput::Bytes(json.len() as u64));
    group.bench_function(BenchmarkId::new("json", "serde_json::Value (floor)"), |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(&json).unwrap())
    });
    group.bench_function(BenchmarkId::new("json", "typed"), |b| {
        b.iter(|| {
            decode_response::<HashMap<VmRef, VmRecord>>(WireFormat::JsonRpc, &json, &limits)
                .unwrap()
        })
    });
    group.bench_function(BenchmarkId::new("json", "Value"), |b| {
        b.iter(|| decode_response::<Value>(WireFormat::JsonRpc, &json, &limits).unwrap())
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
