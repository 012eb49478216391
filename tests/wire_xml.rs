//! XML-RPC: encoding exactly as xapi writes it, decoding what servers send.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use xenapi::wire::{self, WireFormat::XmlRpc};
use xenapi::{ApiFailure, DateTime, Error, Limits, Value};

fn lim() -> Limits {
    Limits::default()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn call_is_encoded_as_xapi_writes_it() {
    let body = wire::encode_call(
        XmlRpc,
        "VM.set_memory",
        Some("OpaqueRef:s"),
        &("OpaqueRef:vm", 1i64 << 40, true, 0.5, "a<b&c>\"d'"),
        7,
    )
    .unwrap();
    assert_eq!(
        text(&body),
        "<?xml version=\"1.0\"?><methodCall><methodName>VM.set_memory</methodName><params>\
         <param><value>OpaqueRef:s</value></param>\
         <param><value>OpaqueRef:vm</value></param>\
         <param><value>1099511627776</value></param>\
         <param><value><boolean>1</boolean></value></param>\
         <param><value><double>0.5</double></value></param>\
         <param><value>a&lt;b&amp;c&gt;&quot;d'</value></param>\
         </params></methodCall>"
    );
}

#[test]
fn call_without_params() {
    let body = wire::encode_call(XmlRpc, "session.get_all", None, &(), 1).unwrap();
    assert_eq!(
        text(&body),
        "<?xml version=\"1.0\"?><methodCall><methodName>session.get_all</methodName><params></params></methodCall>"
    );
    let call = wire::decode_call(XmlRpc, &body, &lim()).unwrap();
    assert_eq!(call.method, "session.get_all");
    assert!(call.params.is_empty());
}

#[test]
fn values_are_spelled_like_xapi() {
    let dt = DateTime::from_utc(2024, 1, 31, 12, 34, 56).unwrap();
    let v: Value = [
        ("s", Value::from("x")),
        ("i", Value::Int(-3)),
        ("f", Value::Float(f64::NEG_INFINITY)),
        ("n", Value::Float(f64::NAN)),
        ("b", Value::Bool(false)),
        ("d", Value::DateTime(dt)),
        ("a", Value::Array(vec![])),
        ("z", Value::Nil),
    ]
    .into_iter()
    .collect();
    let out = wire::encode_value(XmlRpc, &v).unwrap();
    assert_eq!(
        text(&out),
        "<value><struct>\
         <member><name>s</name><value>x</value></member>\
         <member><name>i</name><value>-3</value></member>\
         <member><name>f</name><value><double>-inf</double></value></member>\
         <member><name>n</name><value><double>nan</double></value></member>\
         <member><name>b</name><value><boolean>0</boolean></value></member>\
         <member><name>d</name><value><dateTime.iso8601>20240131T12:34:56Z</dateTime.iso8601></value></member>\
         <member><name>a</name><value><array><data></data></array></value></member>\
         <member><name>z</name><value><nil/></value></member>\
         </struct></value>"
    );
}

#[test]
fn success_failure_and_fault_responses_round_trip() {
    let body = wire::encode_success(XmlRpc, &vec!["OpaqueRef:a", "OpaqueRef:b"], None).unwrap();
    assert_eq!(
        text(&body),
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name><value><array><data><value>OpaqueRef:a</value><value>OpaqueRef:b</value></data></array></value></member>\
         </struct></value></param></params></methodResponse>"
    );
    let refs: Vec<String> = wire::decode_response(XmlRpc, &body, &lim()).unwrap();
    assert_eq!(refs, ["OpaqueRef:a", "OpaqueRef:b"]);

    let body = wire::encode_failure(
        XmlRpc,
        &["HANDLE_INVALID".into(), "VM".into(), "OpaqueRef:x".into()],
        None,
    );
    match wire::decode_response::<Value>(XmlRpc, &body, &lim()) {
        Err(Error::Api(f)) => {
            assert_eq!(
                f,
                ApiFailure {
                    code: "HANDLE_INVALID".into(),
                    params: vec!["VM".into(), "OpaqueRef:x".into()]
                }
            );
            assert_eq!(
                f.to_string(),
                "HANDLE_INVALID(class=VM, handle=OpaqueRef:x)"
            );
        }
        other => panic!("{other:?}"),
    }

    let body = wire::encode_fault(143, "Failed to parse the request");
    match wire::decode_response::<Value>(XmlRpc, &body, &lim()) {
        Err(Error::Fault { code, string }) => {
            assert_eq!(code, 143);
            assert_eq!(string, "Failed to parse the request");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn void_result_is_an_empty_value() {
    let body = wire::encode_success(XmlRpc, &(), None).unwrap();
    assert!(text(&body).contains("<name>Value</name><value></value>"));
    let () = wire::decode_response(XmlRpc, &body, &lim()).unwrap();
    let v: Value = wire::decode_response(XmlRpc, &body, &lim()).unwrap();
    assert_eq!(v, Value::from(""));
}

#[derive(Debug, Deserialize, Serialize, PartialEq)]
struct Metrics {
    memory_actual: i64,
    #[serde(rename = "VCPUs_utilisation")]
    vcpus_utilisation: HashMap<i64, f64>,
    live: bool,
    last_updated: DateTime,
    install_time: Option<DateTime>,
    other: Vec<String>,
}

#[test]
fn typed_decode_of_pretty_printed_foreign_spellings() {
    let body = br#"<?xml version='1.0' encoding='UTF-8'?>
<methodResponse>
  <params>
    <param>
      <value>
        <struct>
          <member><name>Value</name>
            <value><struct>
              <member><name>unknown</name><value><array><data><value><struct><member><name>x</name><value><i4>1</i4></value></member></struct></value></data></array></value></member>
              <member><name>memory_actual</name><value><string>1073741824</string></value></member>
              <member><name>VCPUs_utilisation</name><value><struct>
                 <member><name>0</name><value><double>0.25</double></value></member>
                 <member><name>1</name><value><double>Infinity</double></value></member>
              </struct></value></member>
              <member><name>live</name><value><boolean>1</boolean></value></member>
              <member><name>last_updated</name><value><dateTime.iso8601>2024-01-31T12:34:56.5+01:00</dateTime.iso8601></value></member>
              <member><name>install_time</name><value><nil/></value></member>
              <member><name>other</name><value><array><data>
                 <value>a &amp; b</value>
                 <value><![CDATA[<raw>]]></value>
                 <value/>
              </data></array></value></member>
            </struct></value>
          </member>
          <member><name>Status</name><value>Success</value></member>
        </struct>
      </value>
    </param>
  </params>
</methodResponse>
"#;
    let m: Metrics = wire::decode_response(XmlRpc, body, &lim()).unwrap();
    assert_eq!(m.memory_actual, 1 << 30);
    assert_eq!(m.vcpus_utilisation[&0], 0.25);
    assert_eq!(m.vcpus_utilisation[&1], f64::INFINITY);
    assert!(m.live);
    assert_eq!(
        m.last_updated.unix_seconds(),
        DateTime::from_utc(2024, 1, 31, 11, 34, 56)
            .unwrap()
            .unix_seconds()
    );
    assert_eq!(m.last_updated.subsec_nanos(), 500_000_000);
    assert_eq!(m.install_time, None);
    assert_eq!(m.other, ["a & b", "<raw>", ""]);
}

#[test]
fn value_decode_distinguishes_types() {
    let body = wire::encode_success(
        XmlRpc,
        &(
            "s",
            5i32,
            2.5,
            true,
            DateTime::from_unix(86_400, 0),
            None::<i64>,
            serde_bytes_like(),
        ),
        None,
    )
    .unwrap();
    let v: Value = wire::decode_response(XmlRpc, &body, &lim()).unwrap();
    assert_eq!(
        v,
        Value::Array(vec![
            Value::from("s"),
            Value::Int(5),
            Value::Float(2.5),
            Value::Bool(true),
            Value::DateTime(DateTime::from_unix(86_400, 0)),
            Value::Nil,
            Value::from(vec![Value::Int(1)]),
        ])
    );
}

fn serde_bytes_like() -> Vec<i32> {
    vec![1]
}

#[test]
fn repeated_struct_key_last_value_wins_at_first_position() {
    let body = b"<methodResponse><params><param><value><struct>\
        <member><name>Status</name><value>Success</value></member>\
        <member><name>Value</name><value><struct>\
        <member><name>a</name><value>1</value></member>\
        <member><name>b</name><value>2</value></member>\
        <member><name>a</name><value>3</value></member>\
        </struct></value></member></struct></value></param></params></methodResponse>";
    let v: Value = wire::decode_response(XmlRpc, body, &lim()).unwrap();
    let keys: Vec<_> = v.as_struct().unwrap().keys().cloned().collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(v.get("a").and_then(Value::as_i64), Some(3));
}

#[test]
fn decode_call_reads_every_param() {
    let body = wire::encode_call(
        XmlRpc,
        "VM.start",
        Some("OpaqueRef:s"),
        &("OpaqueRef:v", false, true),
        0,
    )
    .unwrap();
    let call = wire::decode_call(XmlRpc, &body, &lim()).unwrap();
    assert_eq!(call.method, "VM.start");
    assert_eq!(call.id, None);
    assert_eq!(
        call.params,
        vec![
            Value::from("OpaqueRef:s"),
            Value::from("OpaqueRef:v"),
            Value::Bool(false),
            Value::Bool(true)
        ]
    );
}

#[test]
fn errors_name_what_was_expected_and_where() {
    let body = b"<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name><value><bogus>1</bogus></value></member></struct></value></param></params></methodResponse>";
    match wire::decode_response::<Value>(XmlRpc, body, &lim()) {
        Err(Error::Decode { found, offset, .. }) => {
            assert_eq!(found, "<bogus>");
            assert_eq!(offset, Some(text(body).find("<bogus>").unwrap()));
        }
        other => panic!("{other:?}"),
    }
    let body = wire::encode_success(XmlRpc, &"notanumber", None).unwrap();
    match wire::decode_response::<i64>(XmlRpc, &body, &lim()) {
        Err(Error::Decode {
            expected,
            found,
            offset,
        }) => {
            assert_eq!(expected, "a 64-bit integer");
            assert!(found.contains("notanumber"), "{found}");
            assert_eq!(offset, Some(text(&body).find("notanumber").unwrap()));
        }
        other => panic!("{other:?}"),
    }
}
