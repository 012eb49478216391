//! The floors every decode path is compared with, run over the very same bytes.

use quick_xml::events::Event;
use quick_xml::Reader;

/// One pass of quick-xml's tokenizer: borrowed events, end tags checked against their start
/// tags, text validated as UTF-8, entities resolved. It returns the bytes of tag names and text
/// it saw, so no part of the work can be optimised away (wrapping each event in `black_box`
/// instead would add the cost of spilling every event to memory, about a quarter more time,
/// which no decoder pays).
pub fn quick_xml_pass(xml: &[u8]) -> usize {
    let mut reader = Reader::from_reader(xml);
    let mut text_bytes = 0usize;
    let mut tags = 0usize;
    loop {
        match reader
            .read_event()
            .expect("the baseline XML is well formed")
        {
            Event::Start(e) => tags += e.name().as_ref().len(),
            Event::End(e) => tags += e.name().as_ref().len(),
            Event::Text(t) => text_bytes += t.decode().expect("UTF-8 text").len(),
            Event::GeneralRef(r) => {
                text_bytes += match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c.len_utf8(),
                    None => resolve_predefined(&r),
                }
            }
            Event::Eof => return text_bytes + tags,
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
