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

fn wrap(value: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\"?>\n<!-- a comment -->\n<methodResponse><params><param><value><struct><member><name>Status</name><value>Success</value></member><member><name>Value</name>{value}</member></struct></value></param></params></methodResponse>\n"
    )
    .into_bytes()
}

#[test]
fn every_empty_and_alternative_spelling() {
    let cases: Vec<(&str, Value)> = vec![
        ("<value/>", Value::from("")),
        ("<value></value>", Value::from("")),
        ("<value><string/></value>", Value::from("")),
        ("<value><string></string></value>", Value::from("")),
        ("<value>  <string> padded </string>  </value>", Value::from(" padded ")),
        ("<value>   </value>", Value::from("   ")),
        ("<value><nil/></value>", Value::Nil),
        ("<value><nil></nil></value>", Value::Nil),
        ("<value><array/></value>", Value::Array(vec![])),
        ("<value><array><data/></array></value>", Value::Array(vec![])),
        ("<value><array></array></value>", Value::Array(vec![])),
        ("<value><struct/></value>", Value::Struct(Default::default())),
        ("<value><struct></struct></value>", Value::Struct(Default::default())),
        ("<value><int>-12</int></value>", Value::Int(-12)),
        ("<value><i8> 9000000000 </i8></value>", Value::Int(9_000_000_000)),
        ("<value><boolean>0</boolean></value>", Value::Bool(false)),
        ("<value><double>-INF</double></value>", Value::Float(f64::NEG_INFINITY)),
        ("<value><double>1.5e3</double></value>", Value::Float(1500.0)),
        ("<value><base64>aGVs\nbG8=</base64></value>", Value::from("hello")),
        ("<value><dateTime.iso8601>19700102T00:00:00</dateTime.iso8601></value>", Value::DateTime(DateTime::from_unix(86_400, 0))),
        ("<value>&#60;&#x3E;&quot;&apos;</value>", Value::from("<>\"'")),
        ("<value>a<![CDATA[<&>]]>b</value>", Value::from("a<&>b")),
        (
            "<value>\n  <array>\n    <data>\n      <value>x</value>\n      <value><struct>\n <member>\n <name>k</name>\n <value><i4>1</i4></value>\n </member>\n </struct></value>\n    </data>\n  </array>\n</value>",
            Value::Array(vec![Value::from("x"), [("k", Value::Int(1))].into_iter().collect()]),
        ),
    ];
    for (xml, want) in cases {
        let v: Value = wire::decode_response(XmlRpc, &wrap(xml), &lim())
            .unwrap_or_else(|e| panic!("{xml}: {e}"));
        assert_eq!(v, want, "{xml}");
    }
    let b: Vec<u8> = wire::decode_response::<serde_bytes_compat::Bytes>(
        XmlRpc,
        &wrap("<value><base64>AAEC/w==</base64></value>"),
        &lim(),
    )
    .unwrap()
    .0;
    assert_eq!(b, [0, 1, 2, 255]);
}

mod serde_bytes_compat {
    /// Asks the deserializer for bytes, as a `serde_bytes::ByteBuf` would.
    pub struct Bytes(pub Vec<u8>);

    impl<'de> serde::Deserialize<'de> for Bytes {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl serde::de::Visitor<'_> for V {
                type Value = Bytes;
                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Bytes, E> {
                    Ok(Bytes(v))
                }
                fn visit_bytes<E>(self, v: &[u8]) -> Result<Bytes, E> {
                    Ok(Bytes(v.to_vec()))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }
}

#[test]
fn typed_hints_read_bare_text() {
    let lim = lim();
    assert_eq!(
        wire::decode_response::<i64>(XmlRpc, &wrap("<value>-42</value>"), &lim).unwrap(),
        -42
    );
    assert_eq!(
        wire::decode_response::<u64>(XmlRpc, &wrap("<value><string>42</string></value>"), &lim)
            .unwrap(),
        42
    );
    assert_eq!(
        wire::decode_response::<f64>(XmlRpc, &wrap("<value>0.25</value>"), &lim).unwrap(),
        0.25
    );
    assert!(wire::decode_response::<bool>(XmlRpc, &wrap("<value>true</value>"), &lim).unwrap());
    assert!(wire::decode_response::<bool>(XmlRpc, &wrap("<value>1</value>"), &lim).unwrap());
    assert_eq!(
        wire::decode_response::<Option<String>>(XmlRpc, &wrap("<value>x</value>"), &lim).unwrap(),
        Some("x".into())
    );
    assert_eq!(
        wire::decode_response::<Option<Vec<i64>>>(
            XmlRpc,
            &wrap("<value><array><data><value>1</value></data></array></value>"),
            &lim
        )
        .unwrap(),
        Some(vec![1])
    );
    assert_eq!(
        wire::decode_response::<Option<String>>(XmlRpc, &wrap("<value><nil/></value>"), &lim)
            .unwrap(),
        None
    );
    assert_eq!(
        wire::decode_response::<String>(XmlRpc, &wrap("<value><i4>7</i4></value>"), &lim).unwrap(),
        "7"
    );
    assert_eq!(wire::decode_response::<(String, i64)>(XmlRpc, &wrap("<value><array><data><value>a</value><value>2</value><value>extra</value></data></array></value>"), &lim).unwrap(), ("a".into(), 2));
}

#[test]
fn borrowed_strings_come_from_the_body() {
    #[derive(Deserialize)]
    struct Rec<'a> {
        plain: &'a str,
        escaped: std::borrow::Cow<'a, str>,
    }
    let body = wrap("<value><struct><member><name>plain</name><value>abc</value></member><member><name>escaped</name><value>a&amp;b</value></member></struct></value>");
    let r: Rec<'_> =
        wire::decode_response_seed(XmlRpc, &body, &lim(), std::marker::PhantomData).unwrap();
    assert_eq!(r.plain, "abc");
    assert_eq!(r.escaped, "a&b");
    let at = body.windows(3).position(|w| w == b"abc").unwrap();
    assert!(std::ptr::eq(r.plain.as_ptr(), body[at..].as_ptr()));
}

#[test]
fn fault_and_names_are_escaped() {
    assert_eq!(
        text(&wire::encode_fault(-1, "bad <request> & more")),
        "<?xml version=\"1.0\"?><methodResponse><fault><value><struct>\
         <member><name>faultCode</name><value><int>-1</int></value></member>\
         <member><name>faultString</name><value><string>bad &lt;request&gt; &amp; more</string></value></member>\
         </struct></value></fault></methodResponse>"
    );
    let v: Value = [("a<b", Value::Nil)].into_iter().collect();
    assert_eq!(
        text(&wire::encode_value(XmlRpc, &v).unwrap()),
        "<value><struct><member><name>a&lt;b</name><value><nil/></value></member></struct></value>"
    );
    let body = wire::encode_call(XmlRpc, "x&y", None, &(), 0).unwrap();
    assert_eq!(
        wire::decode_call(XmlRpc, &body, &lim()).unwrap().method,
        "x&y"
    );
    assert_eq!(XmlRpc.path(), "/");
    assert_eq!(xenapi::WireFormat::JsonRpcV1.path(), "/jsonrpc");
}

#[test]
fn params_must_be_a_sequence() {
    assert!(matches!(
        wire::encode_call(XmlRpc, "m", None, &5i64, 0),
        Err(Error::Encode(_))
    ));
    assert!(matches!(
        wire::encode_call(xenapi::WireFormat::JsonRpc, "m", None, &"x", 0),
        Err(Error::Encode(_))
    ));
    let map: HashMap<Vec<i64>, i64> = [(vec![1], 1)].into_iter().collect();
    assert!(matches!(
        wire::encode_value(XmlRpc, &map),
        Err(Error::Encode(_))
    ));
}
