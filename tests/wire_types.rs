//! `Ref`, `DateTime`, `Value` accessors and the error type's messages.

use std::collections::HashSet;

use xenapi::wire::{self, WireFormat};
use xenapi::{ApiFailure, Class, DateTime, Error, Limits, Ref, Value};

struct Vm;
impl Class for Vm {
    const NAME: &'static str = "VM";
}

struct Host;
impl Class for Host {
    const NAME: &'static str = "host";
}

#[test]
fn refs_are_typed_strings() {
    let a: Ref<Vm> = Ref::new("OpaqueRef:a");
    let n: Ref<Host> = Ref::null();
    assert!(n.is_null());
    assert!(!a.is_null());
    assert_eq!(n.as_str(), "OpaqueRef:NULL");
    assert_eq!(a.to_string(), "OpaqueRef:a");
    assert_eq!(a.class_name(), "VM");
    let set: HashSet<Ref<Vm>> = [a.clone(), a.clone()].into_iter().collect();
    assert_eq!(set.len(), 1);
    assert!(Ref::<Vm>::new("OpaqueRef:a") < Ref::<Vm>::new("OpaqueRef:b"));
    for fmt in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let body = wire::encode_success(fmt, &a, None).unwrap();
        let back: Ref<Vm> = wire::decode_response(fmt, &body, &Limits::default()).unwrap();
        assert_eq!(back, a);
    }
}

#[test]
fn datetime_parses_every_xapi_spelling() {
    let want = DateTime::from_utc(2017, 3, 1, 9, 8, 7).unwrap();
    for s in [
        "20170301T09:08:07Z",
        "20170301T09:08:07",
        "2017-03-01T09:08:07Z",
        "2017-03-01T09:08:07",
        "2017-03-01T10:08:07+01:00",
        "2017-03-01T04:08:07-0500",
        "20170301T09:08:07+00:00",
        " 20170301T090807Z ",
    ] {
        assert_eq!(DateTime::parse(s).unwrap(), want, "{s}");
    }
    let frac = DateTime::parse("20170301T09:08:07.250Z").unwrap();
    assert_eq!(frac.unix_seconds(), want.unix_seconds());
    assert_eq!(frac.subsec_nanos(), 250_000_000);
    assert_eq!(frac.to_string(), "20170301T09:08:07.25Z");
    assert_eq!(want.to_string(), "20170301T09:08:07Z");
    assert_eq!(DateTime::EPOCH.to_string(), "19700101T00:00:00Z");
    assert_eq!(DateTime::from_unix(-1, 0).to_string(), "19691231T23:59:59Z");
    assert_eq!(
        DateTime::parse("20240229T00:00:00Z").unwrap().to_utc(),
        (2024, 2, 29, 0, 0, 0)
    );
    for bad in [
        "",
        "2017",
        "20170230T00:00:00Z",
        "20170301T24:00:00Z",
        "20170301T09:08:07Q",
        "20170301T09:08:07.Z",
        "x0170301T09:08:07Z",
    ] {
        assert!(DateTime::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn datetime_travels_as_xapi_writes_it() {
    let d = DateTime::from_utc(2020, 12, 31, 23, 59, 59).unwrap();
    let xml = wire::encode_value(WireFormat::XmlRpc, &d).unwrap();
    assert_eq!(
        xml,
        b"<value><dateTime.iso8601>20201231T23:59:59Z</dateTime.iso8601></value>"
    );
    let json = wire::encode_value(WireFormat::JsonRpc, &d).unwrap();
    assert_eq!(json, b"\"20201231T23:59:59Z\"");
    for fmt in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let body = wire::encode_success(fmt, &d, None).unwrap();
        assert_eq!(
            wire::decode_response::<DateTime>(fmt, &body, &Limits::default()).unwrap(),
            d
        );
    }
}

#[test]
fn value_accessors() {
    let v: Value = [
        ("n", Value::from("42")),
        ("f", Value::from("inf")),
        ("a", Value::from(vec![true])),
    ]
    .into_iter()
    .collect();
    assert_eq!(v.get("n").and_then(Value::as_i64), Some(42));
    assert_eq!(v.get("n").and_then(Value::as_str), Some("42"));
    assert_eq!(v.get("f").and_then(Value::as_f64), Some(f64::INFINITY));
    assert_eq!(
        v.get("a").and_then(|a| a.index(0)).and_then(Value::as_bool),
        Some(true)
    );
    assert_eq!(v.get("missing"), None);
    assert_eq!(Value::Nil.get("x"), None);
    assert!(Value::default().is_nil());
    assert_eq!(
        Value::from("20170301T09:08:07Z").as_datetime(),
        DateTime::parse("20170301T09:08:07Z").ok()
    );
}

#[test]
fn error_messages() {
    let f = ApiFailure::from_description(vec!["HOST_IS_SLAVE".into(), "10.0.0.1".into()]);
    assert_eq!(
        Error::Api(f.clone()).to_string(),
        "API failure: HOST_IS_SLAVE(Master IP address=10.0.0.1)"
    );
    assert_eq!(
        ApiFailure::from_description(vec!["X".into()]).to_string(),
        "X"
    );
    assert_eq!(f.description(), ["HOST_IS_SLAVE", "10.0.0.1"]);
    let e = Error::Decode {
        expected: "</value>".into(),
        found: "\"<x>\"".into(),
        offset: Some(12),
    };
    assert_eq!(
        e.to_string(),
        "malformed message at byte 12: expected </value>, found \"<x>\""
    );
    assert_eq!(
        Error::TooLarge { limit: 5 }.to_string(),
        "response larger than the limit of 5 bytes"
    );
}

#[test]
fn from_value_reads_typed_data() {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Rec {
        n: i64,
        f: f64,
        b: bool,
        d: DateTime,
        o: Option<String>,
        r: Ref<Vm>,
    }
    let v: Value = [
        ("n", Value::from("12")),
        ("f", Value::from("-inf")),
        ("b", Value::Bool(true)),
        ("d", Value::from("20200101T00:00:00Z")),
        ("o", Value::Nil),
        ("r", Value::from("OpaqueRef:x")),
    ]
    .into_iter()
    .collect();
    let r: Rec = xenapi::from_value(v).unwrap();
    assert_eq!(
        r,
        Rec {
            n: 12,
            f: f64::NEG_INFINITY,
            b: true,
            d: DateTime::from_utc(2020, 1, 1, 0, 0, 0).unwrap(),
            o: None,
            r: Ref::new("OpaqueRef:x"),
        }
    );
    assert!(xenapi::from_value::<i64>(Value::from("x")).is_err());
}
