//! Hostile and malformed input: every case is an error that says what, where — never a panic.

use xenapi::wire::{self, WireFormat};
use xenapi::{Error, Limits, Value};

const XML: WireFormat = WireFormat::XmlRpc;
const JSON: WireFormat = WireFormat::JsonRpc;

fn lim() -> Limits {
    Limits::default()
}

fn sample() -> Value {
    let all: Value = serde_json::from_str(include_str!("data/real-xs72-vm3.json")).unwrap();
    let mut v = all.get("VM_metrics").unwrap().clone();
    if let Value::Struct(m) = &mut v {
        m.insert("unicode é ü ✓ 𝄞".into(), Value::from("a&b<c>\"d' é"));
        m.insert("float".into(), Value::Float(f64::INFINITY));
        m.insert("int".into(), Value::Int(-7));
    }
    v
}

fn decode_err(fmt: WireFormat, body: &[u8]) -> Error {
    match wire::decode_response::<Value>(fmt, body, &lim()) {
        Ok(v) => panic!("decoded {:?} from {:?}", v, String::from_utf8_lossy(body)),
        Err(e) => e,
    }
}

fn offset(e: &Error) -> Option<usize> {
    match e {
        Error::Decode { offset, .. } | Error::TooDeep { offset, .. } => *offset,
        other => panic!("not a decode error: {other:?}"),
    }
}

#[test]
fn every_truncation_is_an_error() {
    for fmt in [XML, JSON, WireFormat::JsonRpcV1] {
        let body = wire::encode_success(fmt, &sample(), Some(&serde_json::json!(1))).unwrap();
        let whole: Value = wire::decode_response(fmt, &body, &lim()).unwrap();
        assert_eq!(whole.get("int").and_then(Value::as_i64), Some(-7));
        for cut in 0..body.len() {
            let e = decode_err(fmt, &body[..cut]);
            if let Some(o) = offset(&e) {
                assert!(o <= cut, "{fmt:?} cut {cut}: offset {o}");
            }
        }
    }
}

#[test]
fn truncated_typed_decode_is_an_error() {
    let body = wire::encode_success(XML, &vec![("a", 1i64, true); 50], None).unwrap();
    for cut in (0..body.len()).step_by(7) {
        assert!(
            wire::decode_response::<Vec<(String, i64, bool)>>(XML, &body[..cut], &lim()).is_err()
        );
    }
}

#[test]
fn garbage_is_an_error_with_its_place() {
    for (body, at) in [
        (&b""[..], 0),
        (b"hello", 0),
        (b"   <", 3),
        (b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member></struct></value></param></params></methodResponse>", 121),
        (b"<methodResponse><bogus/></methodResponse>", 16),
        (b"<methodResponse><params><param><value>x</value></param></params></methodResponse>", 31),
        (b"<methodResponse><params><param><value><struct></array></value></param></params></methodResponse>", 46),
        (b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><i4>1</string></value></member></struct></value></param></params></methodResponse>", 142),
        (b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value>a &bogus; b</value></member></struct></value></param></params></methodResponse>", 139),
        (b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Maybe</value></member></struct></value></param></params></methodResponse>", 73),
    ] {
        let e = decode_err(XML, body);
        assert_eq!(offset(&e), Some(at), "{e} in {:?}", String::from_utf8_lossy(body));
    }
}

#[test]
fn trailing_content_is_an_error() {
    let mut body = wire::encode_success(XML, "x", None).unwrap();
    let end = body.len();
    body.extend_from_slice(b"\n<x/>");
    assert_eq!(offset(&decode_err(XML, &body)), Some(end + 1));
    let mut body = wire::encode_success(JSON, "x", None).unwrap();
    body.extend_from_slice(b" {}");
    assert!(offset(&decode_err(JSON, &body)).is_some());
}

#[test]
fn invalid_utf8_is_an_error_at_the_byte() {
    let mut body = wire::encode_success(XML, "abcdef", None).unwrap();
    let at = body.windows(6).position(|w| w == b"abcdef").unwrap() + 2;
    body[at] = 0xff;
    let e = decode_err(XML, &body);
    assert_eq!(offset(&e), Some(at));
    assert!(e.to_string().contains("0xff"), "{e}");
    let mut body = wire::encode_success(JSON, "abcdef", None).unwrap();
    let at = body.windows(6).position(|w| w == b"abcdef").unwrap() + 2;
    body[at] = 0xff;
    assert!(offset(&decode_err(JSON, &body)).is_some());
}

fn nested_xml(depth: usize) -> Vec<u8> {
    let mut b = b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name>".to_vec();
    for _ in 0..depth {
        b.extend_from_slice(b"<value><array><data>");
    }
    for _ in 0..depth {
        b.extend_from_slice(b"</data></array></value>");
    }
    b.extend_from_slice(b"</member></struct></value></param></params></methodResponse>");
    b
}

fn nested_json(depth: usize) -> Vec<u8> {
    let mut b = b"{\"result\":".to_vec();
    b.extend(std::iter::repeat_n(b'[', depth));
    b.extend(std::iter::repeat_n(b']', depth));
    b.extend_from_slice(b",\"id\":1}");
    b
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let limits = lim();
    for (fmt, body) in [(XML, nested_xml(100_000)), (JSON, nested_json(100_000))] {
        match wire::decode_response::<Value>(fmt, &body, &limits) {
            Err(Error::TooDeep { limit, offset }) => {
                assert_eq!(limit, 64);
                assert!(offset.is_some());
            }
            other => panic!("{fmt:?}: {other:?}"),
        }
    }
    // Exactly at the limit is fine, one more is not.
    for (fmt, ok, bad) in [
        (XML, nested_xml(64), nested_xml(65)),
        (JSON, nested_json(64), nested_json(65)),
    ] {
        assert!(
            wire::decode_response::<Value>(fmt, &ok, &limits).is_ok(),
            "{fmt:?}"
        );
        assert!(
            matches!(
                wire::decode_response::<Value>(fmt, &bad, &limits),
                Err(Error::TooDeep { .. })
            ),
            "{fmt:?}"
        );
    }
}

#[derive(serde::Deserialize, Debug)]
struct OnlyName {
    #[allow(dead_code)]
    name: String,
}

#[test]
fn deep_nesting_is_refused_while_skipping_unknown_members() {
    let mut b = b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><struct><member><name>name</name><value>x</value></member><member><name>junk</name>".to_vec();
    for _ in 0..100_000 {
        b.extend_from_slice(b"<value><struct><member><name>k</name>");
    }
    assert!(matches!(
        wire::decode_response::<OnlyName>(XML, &b, &lim()),
        Err(Error::TooDeep { .. })
    ));
}

#[test]
fn huge_numbers_are_errors_for_integers() {
    let body = wire::encode_success(XML, "123456789012345678901234567890", None).unwrap();
    assert!(matches!(
        wire::decode_response::<i64>(XML, &body, &lim()),
        Err(Error::Decode { .. })
    ));
    let body = b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><i8>99999999999999999999</i8></value></member></struct></value></param></params></methodResponse>";
    assert!(matches!(
        wire::decode_response::<Value>(XML, body, &lim()),
        Err(Error::Decode { .. })
    ));
    let body = br#"{"result":123456789012345678901234567890,"id":1}"#;
    assert!(matches!(
        wire::decode_response::<i64>(JSON, body, &lim()),
        Err(Error::Decode { .. })
    ));
    let body = br#"{"result":1e999,"id":1}"#;
    assert!(matches!(
        wire::decode_response::<f64>(JSON, body, &lim()),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn wrong_types_say_what_they_found() {
    let body = wire::encode_success(XML, &vec![1i64], None).unwrap();
    let e = wire::decode_response::<String>(XML, &body, &lim()).unwrap_err();
    assert!(matches!(e, Error::Decode { .. }), "{e}");
    assert!(e.to_string().contains("sequence"), "{e}");
    let body = wire::encode_success(XML, &true, None).unwrap();
    let e = wire::decode_response::<i64>(XML, &body, &lim()).unwrap_err();
    assert!(e.to_string().contains("<boolean>"), "{e}");
    let body = wire::encode_success(JSON, &true, None).unwrap();
    assert!(matches!(
        wire::decode_response::<Vec<i64>>(JSON, &body, &lim()),
        Err(Error::Decode { .. })
    ));
}

#[test]
fn request_errors_do_not_quote_the_request() {
    let body = wire::encode_call(
        XML,
        "session.login_with_password",
        None,
        &("root", "s3cret-pw", "1.0"),
        1,
    )
    .unwrap();
    let mut broken = body.clone();
    let at = broken.windows(9).position(|w| w == b"s3cret-pw").unwrap();
    broken[at + 2] = b'&';
    let e = wire::decode_call(XML, &broken, &lim()).unwrap_err();
    assert!(!e.to_string().contains("ret-pw"), "{e}");
    assert_eq!(offset(&e), Some(at + 2));
    let body = wire::encode_call(
        JSON,
        "session.login_with_password",
        None,
        &("root", "s3cret-pw"),
        1,
    )
    .unwrap();
    let e = wire::decode_call(JSON, &body[..body.len() - 3], &lim()).unwrap_err();
    assert!(!e.to_string().contains("s3cret"), "{e}");
}

#[test]
fn deep_nesting_is_refused_on_the_non_finite_path_too() {
    let mut b = nested_json(100_000);
    b.splice(10..10, b"[NaN,".iter().copied());
    b.splice(b.len() - 8..b.len() - 8, b"]".iter().copied());
    let r = wire::decode_response::<Value>(JSON, &b, &lim());
    assert!(
        matches!(r, Err(Error::TooDeep { limit: 64, .. })),
        "{r:?} {}",
        String::from_utf8_lossy(&b[..40])
    );
}

#[test]
fn oversized_bodies_are_refused() {
    let body = wire::encode_success(XML, "0123456789", None).unwrap();
    let small = Limits {
        max_response_bytes: body.len() as u64 - 1,
        ..Limits::default()
    };
    assert!(matches!(
        wire::decode_response::<String>(XML, &body, &small),
        Err(Error::TooLarge { .. })
    ));
    let exact = Limits {
        max_response_bytes: body.len() as u64,
        ..Limits::default()
    };
    assert_eq!(
        wire::decode_response::<String>(XML, &body, &exact).unwrap(),
        "0123456789"
    );
}

/// A JSON array of one-digit integers: 2 bytes of body per element.
fn tiny_ints(n: usize) -> Vec<u8> {
    let mut body = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":[".to_vec();
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.push(b'1');
    }
    body.extend_from_slice(b"]}");
    body
}

#[test]
fn a_value_tree_far_larger_than_the_body_is_refused() {
    let body = tiny_ints(2_000_000);
    let budget = body.len() as u64 * xenapi::value::VALUE_BYTES_PER_BODY_BYTE
        + xenapi::value::VALUE_BUDGET_FLOOR;
    match wire::decode_response::<Value>(JSON, &body, &lim()) {
        Err(Error::ValueTooLarge { limit }) => assert_eq!(limit, budget),
        other => panic!("expected ValueTooLarge, got {:?}", other.map(|_| "a value")),
    }
    // The same body into a typed result costs 8 bytes per element and is accepted.
    let ints: Vec<i64> = wire::decode_response(JSON, &body, &lim()).unwrap();
    assert_eq!(ints.len(), 2_000_000);
    // Small bodies always have the floor: a short array of tiny values decodes.
    let small: Value = wire::decode_response(JSON, &tiny_ints(10_000), &lim()).unwrap();
    assert_eq!(small.as_array().map(<[Value]>::len), Some(10_000));
}

#[test]
fn real_records_decode_well_within_the_value_budget() {
    for data in [
        include_str!("data/real-xs72-vm1.json"),
        include_str!("data/real-xs72-vm2.json"),
        include_str!("data/real-xs72-vm3.json"),
    ] {
        let record: Value = serde_json::from_str(data).unwrap();
        // Many copies, so that the floor does not matter.
        let many = Value::Array(vec![record; 200]);
        for fmt in [XML, JSON] {
            let body = wire::encode_success(fmt, &many, None).unwrap();
            let back: Value = wire::decode_response(fmt, &body, &lim()).unwrap();
            assert_eq!(back, many);
        }
    }
}

#[test]
fn xml_rpc_refuses_control_characters_instead_of_dropping_them() {
    for text in ["a\u{1}b", "bell\u{7}", "\u{1f}"] {
        let value = Value::from(text);
        match wire::encode_call(
            XML,
            "VM.set_name_label",
            Some("OpaqueRef:s"),
            std::slice::from_ref(&value),
            1,
        ) {
            Err(e @ Error::Encode(_)) => {
                assert!(e.to_string().contains("control character U+00"), "{e}");
                assert!(
                    !e.to_string().contains(text),
                    "the error quotes the string: {e}"
                );
            }
            other => panic!("{text:?}: {other:?}"),
        }
        // A struct key too; JSON-RPC carries the same string unchanged.
        let mut s = xenapi::Struct::new();
        s.insert(text.to_string(), Value::from("v"));
        assert!(matches!(
            wire::encode_value(XML, &Value::Struct(s)),
            Err(Error::Encode(_))
        ));
        let json = wire::encode_call(
            JSON,
            "VM.set_name_label",
            None,
            std::slice::from_ref(&value),
            1,
        )
        .unwrap();
        let call = wire::decode_call(JSON, &json, &lim()).unwrap();
        assert_eq!(call.params, vec![value]);
    }
    // Tab, newline and carriage return are fine.
    let ok = Value::from("a\tb\nc\rd");
    let body = wire::encode_call(XML, "m", None, std::slice::from_ref(&ok), 1).unwrap();
    assert_eq!(
        wire::decode_call(XML, &body, &lim()).unwrap().params,
        vec![ok]
    );
}
