//! JSON-RPC v1 and v2: envelopes, failures in every spelling xapi uses, member order.

use serde::Deserialize;
use serde_json::json;
use xenapi::wire::{self, WireFormat};
use xenapi::{ApiFailure, Error, Limits, Value};

fn lim() -> Limits {
    Limits::default()
}

fn text(b: &[u8]) -> &str {
    std::str::from_utf8(b).unwrap()
}

#[test]
fn calls_v2_and_v1() {
    let body = wire::encode_call(
        WireFormat::JsonRpc,
        "VM.get_record",
        Some("OpaqueRef:s"),
        &["OpaqueRef:v"],
        9,
    )
    .unwrap();
    assert_eq!(
        text(&body),
        r#"{"jsonrpc":"2.0","method":"VM.get_record","params":["OpaqueRef:s","OpaqueRef:v"],"id":9}"#
    );
    let body = wire::encode_call(WireFormat::JsonRpcV1, "session.get_all", None, &(), 3).unwrap();
    assert_eq!(
        text(&body),
        r#"{"method":"session.get_all","params":[],"id":3}"#
    );
    let body = wire::encode_call(WireFormat::JsonRpc, "x.y", Some("s"), &(), 1).unwrap();
    assert_eq!(
        text(&body),
        r#"{"jsonrpc":"2.0","method":"x.y","params":["s"],"id":1}"#
    );
}

#[test]
fn decode_call_keeps_id_and_detects_version() {
    let c = wire::decode_call(
        WireFormat::JsonRpc,
        br#"{"jsonrpc":"2.0","method":"m","params":["a",1,2.5,true,null,{"k":[1]}],"id":"abc"}"#,
        &lim(),
    )
    .unwrap();
    assert_eq!(c.method, "m");
    assert_eq!(c.id, Some(json!("abc")));
    assert_eq!(c.format, WireFormat::JsonRpc);
    assert_eq!(c.params[1], Value::Int(1));
    assert_eq!(c.params[2], Value::Float(2.5));
    assert_eq!(c.params[4], Value::Nil);
    assert_eq!(
        c.params[5]
            .get("k")
            .and_then(|k| k.index(0))
            .and_then(Value::as_i64),
        Some(1)
    );
    let c = wire::decode_call(
        WireFormat::JsonRpc,
        br#"{"method":"m","params":[],"id":4}"#,
        &lim(),
    )
    .unwrap();
    assert_eq!(c.format, WireFormat::JsonRpcV1);
    assert_eq!(c.id, Some(json!(4)));
}

#[test]
fn success_round_trips_in_both_versions() {
    let id = json!(17);
    for fmt in [WireFormat::JsonRpc, WireFormat::JsonRpcV1] {
        let body = wire::encode_success(fmt, &vec![1i64, 2, 3], Some(&id)).unwrap();
        let v: Vec<i64> = wire::decode_response(fmt, &body, &lim()).unwrap();
        assert_eq!(v, [1, 2, 3]);
    }
    let body = wire::encode_success(WireFormat::JsonRpc, &"x", Some(&id)).unwrap();
    assert_eq!(text(&body), r#"{"jsonrpc":"2.0","result":"x","id":17}"#);
    let body = wire::encode_success(WireFormat::JsonRpcV1, &"x", Some(&id)).unwrap();
    assert_eq!(text(&body), r#"{"result":"x","error":null,"id":17}"#);
}

fn expect_failure(fmt: WireFormat, body: &[u8]) -> ApiFailure {
    match wire::decode_response::<String>(fmt, body, &lim()) {
        Err(Error::Api(f)) => f,
        other => panic!("{}: {other:?}", text(body)),
    }
}

#[test]
fn failures_in_every_spelling() {
    let want = ApiFailure {
        code: "SESSION_INVALID".into(),
        params: vec!["OpaqueRef:x".into()],
    };
    let desc = want.description();
    let id = json!(2);
    assert_eq!(
        expect_failure(
            WireFormat::JsonRpc,
            &wire::encode_failure(WireFormat::JsonRpc, &desc, Some(&id))
        ),
        want
    );
    assert_eq!(
        expect_failure(
            WireFormat::JsonRpcV1,
            &wire::encode_failure(WireFormat::JsonRpcV1, &desc, Some(&id))
        ),
        want
    );
    assert_eq!(
        text(&wire::encode_failure(WireFormat::JsonRpc, &desc, Some(&id))),
        r#"{"jsonrpc":"2.0","error":{"code":1,"message":"SESSION_INVALID","data":["OpaqueRef:x"]},"id":2}"#
    );
    assert_eq!(
        text(&wire::encode_failure(
            WireFormat::JsonRpcV1,
            &desc,
            Some(&id)
        )),
        r#"{"result":null,"error":["SESSION_INVALID","OpaqueRef:x"],"id":2}"#
    );
    // xapi's pre-dispatch error: a bare array with id 0, error before result.
    assert_eq!(
        expect_failure(
            WireFormat::JsonRpc,
            br#"{"error":["SESSION_INVALID","OpaqueRef:x"],"result":null,"id":0}"#
        ),
        want
    );
}

#[test]
fn json_rpc_errors_that_are_not_xenapi_failures_keep_their_code() {
    let cases: [(&[u8], i64, &str, Option<Value>); 4] = [
        (
            br#"{"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}"#,
            -32601,
            "Method not found",
            None,
        ),
        (
            br#"{"jsonrpc":"2.0","error":{"code":500,"message":"Internal error","data":{"why":"proxy"}},"id":1}"#,
            500,
            "Internal error",
            Some(Value::Struct(
                [("why".to_string(), Value::from("proxy"))]
                    .into_iter()
                    .collect(),
            )),
        ),
        (
            br#"{"error":{"code":-32700,"message":"Parse error","data":null},"result":null,"id":null}"#,
            -32700,
            "Parse error",
            None,
        ),
        (
            br#"{"jsonrpc":"2.0","error":{"code":"503"},"id":1}"#,
            503,
            "",
            None,
        ),
    ];
    for (body, want_code, want_message, want_data) in cases.clone() {
        match wire::decode_response::<String>(WireFormat::JsonRpc, body, &lim()) {
            Err(Error::JsonRpc {
                code,
                message,
                data,
            }) => {
                assert_eq!(code, want_code);
                assert_eq!(message, want_message);
                assert_eq!(data, want_data);
            }
            other => panic!("{}: {other:?}", text(body)),
        }
    }
    let e = wire::decode_response::<String>(WireFormat::JsonRpc, cases[1].0, &lim()).unwrap_err();
    assert_eq!(e.to_string(), "JSON-RPC error 500: Internal error");
    // Code 1 (xapi's), 0 and none are XenAPI failures.
    for body in [
        &br#"{"jsonrpc":"2.0","error":{"code":1,"message":"HANDLE_INVALID","data":["VM","x"]},"id":1}"#[..],
        br#"{"jsonrpc":"2.0","error":{"code":0,"message":"HANDLE_INVALID","data":["VM","x"]},"id":1}"#,
        br#"{"jsonrpc":"2.0","error":{"message":"HANDLE_INVALID","data":["VM","x"]},"id":1}"#,
    ] {
        let f = expect_failure(WireFormat::JsonRpc, body);
        assert_eq!(f.description(), ["HANDLE_INVALID", "VM", "x"]);
    }
}

#[test]
fn result_may_come_before_or_after_error_and_id() {
    let v: String = wire::decode_response(
        WireFormat::JsonRpc,
        br#"{"id":1,"result":"ok","jsonrpc":"2.0"}"#,
        &lim(),
    )
    .unwrap();
    assert_eq!(v, "ok");
    let v: String = wire::decode_response(
        WireFormat::JsonRpcV1,
        br#"{"result":"ok","error":null,"id":1}"#,
        &lim(),
    )
    .unwrap();
    assert_eq!(v, "ok");
    let v: String = wire::decode_response(
        WireFormat::JsonRpcV1,
        br#"{"error":null,"result":"ok","id":1}"#,
        &lim(),
    )
    .unwrap();
    assert_eq!(v, "ok");
    // A null result without error is a void result.
    let () = wire::decode_response(
        WireFormat::JsonRpcV1,
        br#"{"result":null,"error":null,"id":1}"#,
        &lim(),
    )
    .unwrap();
    let v: Option<String> =
        wire::decode_response(WireFormat::JsonRpc, br#"{"result":null,"id":1}"#, &lim()).unwrap();
    assert_eq!(v, None);
}

#[derive(Deserialize)]
struct Borrowing<'a> {
    name: &'a str,
}

#[test]
fn seed_decode_borrows_from_the_body() {
    let body = br#"{"jsonrpc":"2.0","result":{"name":"vm1"},"id":1}"#.to_vec();
    let b: Borrowing<'_> =
        wire::decode_response_seed(WireFormat::JsonRpc, &body, &lim(), std::marker::PhantomData)
            .unwrap();
    assert_eq!(b.name, "vm1");
}

#[test]
fn malformed_json_reports_the_byte_offset() {
    let body = b"{\"result\":\n [1,2,}";
    match wire::decode_response::<Value>(WireFormat::JsonRpc, body, &lim()) {
        Err(Error::Decode {
            offset: Some(o), ..
        }) => assert_eq!(
            o,
            body.len() - 1,
            "at the closing brace after the trailing comma"
        ),
        other => panic!("{other:?}"),
    }
}

#[derive(Deserialize, Debug)]
struct Floats {
    a: f64,
    b: f64,
    c: f64,
    d: f64,
    e: f64,
    n: i64,
    t: bool,
    s: String,
}

#[test]
fn non_finite_tokens_and_stringly_scalars() {
    let body = br#"{"jsonrpc":"2.0","result":{"a":Infinity,"b":-Infinity,"c":NaN,"d":"-inf","e":2,"n":"42","t":"true","s":"NaN Infinity"},"id":1}"#;
    let f: Floats = wire::decode_response(WireFormat::JsonRpc, body, &lim()).unwrap();
    assert_eq!(f.a, f64::INFINITY);
    assert_eq!(f.b, f64::NEG_INFINITY);
    assert!(f.c.is_nan());
    assert_eq!(f.d, f64::NEG_INFINITY);
    assert_eq!(f.e, 2.0);
    assert_eq!(f.n, 42);
    assert!(f.t);
    assert_eq!(f.s, "NaN Infinity");
    let v: Value = wire::decode_response(WireFormat::JsonRpc, body, &lim()).unwrap();
    assert_eq!(v.get("a"), Some(&Value::Float(f64::INFINITY)));
    assert_eq!(v.get("s"), Some(&Value::from("NaN Infinity")));
    let out = wire::encode_success(
        WireFormat::JsonRpc,
        &[f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e300, 0.1],
        Some(&json!(1)),
    )
    .unwrap();
    assert_eq!(
        text(&out),
        r#"{"jsonrpc":"2.0","result":[Infinity,-Infinity,NaN,1e300,0.1],"id":1}"#
    );
    let back: Vec<f64> = wire::decode_response(WireFormat::JsonRpc, &out, &lim()).unwrap();
    assert_eq!(back[..2], [f64::INFINITY, f64::NEG_INFINITY]);
    assert!(back[2].is_nan());
    let call = wire::decode_call(
        WireFormat::JsonRpc,
        br#"{"jsonrpc":"2.0","method":"m","params":[NaN,-Infinity],"id":1}"#,
        &lim(),
    )
    .unwrap();
    assert!(matches!(call.params[0], Value::Float(f) if f.is_nan()));
    assert_eq!(call.params[1], Value::Float(f64::NEG_INFINITY));
}
