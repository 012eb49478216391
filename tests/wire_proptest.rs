//! Property tests: any `Value` survives both codecs (with each format's known normalisation).

use proptest::prelude::*;
use xenapi::wire::{self, WireFormat};
use xenapi::{DateTime, Limits, Struct, Value};

/// Text XML 1.0 can carry: no control characters other than tab, newline, carriage return.
fn xml_text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]{0,12}").unwrap()
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
        Just(f64::NAN),
        Just(0.1),
        Just(-0.0),
    ]
}

fn datetime() -> impl Strategy<Value = DateTime> {
    (
        -62_135_596_800i64..253_402_300_799,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
    )
        .prop_map(|(s, n)| DateTime::from_unix(s, n))
}

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        xml_text().prop_map(Value::String),
        any::<i64>().prop_map(Value::Int),
        float().prop_map(Value::Float),
        any::<bool>().prop_map(Value::Bool),
        datetime().prop_map(Value::DateTime),
        Just(Value::Nil),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((xml_text(), inner), 0..6)
                .prop_map(|kv| Value::Struct(kv.into_iter().collect::<Struct>())),
        ]
    })
}

/// What a value looks like after a trip through `format`: XML-RPC sends ints as bare strings
/// (xapi's spelling), JSON has no datetime type.
fn normalise(v: &Value, format: WireFormat) -> Value {
    match (v, format) {
        (Value::Int(i), WireFormat::XmlRpc) => Value::String(i.to_string()),
        (Value::DateTime(d), WireFormat::JsonRpc | WireFormat::JsonRpcV1) => {
            Value::String(d.to_string())
        }
        (Value::Array(a), _) => Value::Array(a.iter().map(|e| normalise(e, format)).collect()),
        (Value::Struct(s), _) => Value::Struct(
            s.iter()
                .map(|(k, e)| (k.clone(), normalise(e, format)))
                .collect(),
        ),
        (other, _) => other.clone(),
    }
}

/// Equality with NaN equal to itself.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => {
            (x.is_nan() && y.is_nan()) || x.to_bits() == y.to_bits() || x == y
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((kp, p), (kq, q))| kp == kq && same(p, q))
        }
        _ => a == b,
    }
}

proptest! {
    #[test]
    fn responses_round_trip(v in value()) {
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc, WireFormat::JsonRpcV1] {
            let body = wire::encode_success(format, &v, Some(&serde_json::json!(7))).unwrap();
            let back: Value = wire::decode_response(format, &body, &Limits::default()).unwrap();
            let want = normalise(&v, format);
            prop_assert!(same(&back, &want), "{:?}: {} became {}", format, want, back);
        }
    }

    #[test]
    fn calls_round_trip(params in prop::collection::vec(value(), 0..4), method in "[A-Za-z_.]{1,20}") {
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc, WireFormat::JsonRpcV1] {
            let body = wire::encode_call(format, &method, Some("OpaqueRef:s"), &params, 3).unwrap();
            let call = wire::decode_call(format, &body, &Limits::default()).unwrap();
            prop_assert_eq!(&call.method, &method);
            prop_assert_eq!(call.params.len(), params.len() + 1);
            prop_assert_eq!(&call.params[0], &Value::from("OpaqueRef:s"));
            for (got, sent) in call.params[1..].iter().zip(&params) {
                let want = normalise(sent, format);
                prop_assert!(same(got, &want), "{:?}: {} became {}", format, want, got);
            }
        }
    }

    #[test]
    fn failures_round_trip(desc in prop::collection::vec(xml_text(), 1..5)) {
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc, WireFormat::JsonRpcV1] {
            let body = wire::encode_failure(format, &desc, Some(&serde_json::json!(1)));
            match wire::decode_response::<Value>(format, &body, &Limits::default()) {
                Err(xenapi::Error::Api(f)) => prop_assert_eq!(f.description(), desc.clone()),
                other => prop_assert!(false, "{:?}: {:?}", format, other),
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
            let _ = wire::decode_response::<Value>(format, &body, &Limits::default());
            let _ = wire::decode_call(format, &body, &Limits::default());
        }
    }

    #[test]
    fn mutated_responses_never_panic(v in value(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
            let mut body = wire::encode_success(format, &v, None).unwrap();
            let i = at.index(body.len());
            body[i] = byte;
            let _ = wire::decode_response::<Value>(format, &body, &Limits::default());
        }
    }
}
