//! The floors every decode path is compared with, run over the very same bytes.

use std::hint::black_box;

use quick_xml::events::Event;
use quick_xml::Reader;

/// One pass of quick-xml's tokenizer: borrowed events (end tags checked against their start
/// tags), text validated as UTF-8 and entities resolved. Every event goes through
/// `black_box`, and the text bytes seen are counted and returned, so none of the work can be
/// optimised away.
pub fn quick_xml_pass(xml: &[u8]) -> usize {
    let mut reader = Reader::from_reader(xml);
    let mut text_bytes = 0usize;
    loop {
        match black_box(
            reader
                .read_event()
                .expect("the baseline XML is well formed"),
        ) {
            Event::Text(t) => text_bytes += t.decode().expect("UTF-8 text").len(),
            Event::GeneralRef(r) => {
                text_bytes += match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c.len_utf8(),
                    None => resolve_predefined(&r),
                }
            }
            Event::Eof => return text_bytes,
            _ => {}
        }
    }
}

fn resolve_predefined(name: &[u8]) -> usize {
    match name {
        b"amp" | b"lt" | b"gt" | b"quot" | b"apos" => 1,
        other => panic!("unexpected entity &{};", String::from_utf8_lossy(other)),
    }
}

/// `serde_json::Value` over the same JSON bytes: the general-purpose JSON floor.
pub fn serde_json_value(json: &[u8]) -> serde_json::Value {
    serde_json::from_slice(json).expect("the baseline JSON is well formed")
}
