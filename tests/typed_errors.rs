//! API failures, typed: the code as an `ErrorCode`, parameters by the model's names, and the
//! display that names them.

use xenapi::api::ErrorCode;
use xenapi::ApiFailure;

fn failure(description: &[&str]) -> ApiFailure {
    ApiFailure::from_description(description.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn parameters_are_found_by_name() {
    let f = failure(&["VM_BAD_POWER_STATE", "OpaqueRef:v", "halted", "running"]);
    assert_eq!(f.code(), ErrorCode::VmBadPowerState);
    assert_eq!(f.param("vm"), Some("OpaqueRef:v"));
    assert_eq!(f.param("actual"), Some("running"));
    assert_eq!(f.param("colour"), None);
}

#[test]
fn display_names_parameters_and_keeps_extras_positional() {
    let f = failure(&["VM_BAD_POWER_STATE", "OpaqueRef:v", "halted", "running"]);
    assert_eq!(
        f.to_string(),
        "VM_BAD_POWER_STATE(vm=OpaqueRef:v, expected=halted, actual=running)"
    );
    let extra = failure(&["HANDLE_INVALID", "VM", "OpaqueRef:x", "surprise"]);
    assert_eq!(
        extra.to_string(),
        "HANDLE_INVALID(class=VM, handle=OpaqueRef:x, surprise)"
    );
    let short = failure(&["VM_BAD_POWER_STATE", "OpaqueRef:v"]);
    assert_eq!(short.to_string(), "VM_BAD_POWER_STATE(vm=OpaqueRef:v)");
    assert_eq!(short.param("actual"), None);
    assert_eq!(
        failure(&["SESSION_INVALID"]).code(),
        ErrorCode::SessionInvalid
    );
    assert_eq!(failure(&["SESSION_INVALID"]).to_string(), "SESSION_INVALID");
}

#[test]
fn unknown_codes_display_positionally() {
    let f = failure(&["FROM_THE_FUTURE", "a", "b"]);
    assert_eq!(f.code(), ErrorCode::Other("FROM_THE_FUTURE".into()));
    assert_eq!(f.to_string(), "FROM_THE_FUTURE(a, b)");
    assert_eq!(f.param("a"), None);
}

#[test]
fn an_array_where_a_record_is_expected_is_a_decode_error() {
    use xenapi::api::VmRecord;
    use xenapi::wire::{decode_response, WireFormat};
    let json = br#"{"jsonrpc":"2.0","id":1,"result":["x"]}"#;
    let xml = b"<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
        <member><name>Status</name><value>Success</value></member><member><name>Value</name>\
        <value><array><data><value>x</value></data></array></value></member></struct></value>\
        </param></params></methodResponse>";
    for (format, body) in [
        (WireFormat::JsonRpc, &json[..]),
        (WireFormat::XmlRpc, &xml[..]),
    ] {
        match decode_response::<VmRecord>(format, body, &xenapi::Limits::default()) {
            Err(e @ xenapi::Error::Decode { .. }) => {
                assert!(e.to_string().contains("expected struct VmRecord"), "{e}")
            }
            Err(e) => panic!("{format:?}: {e}"),
            Ok(r) => panic!("{format:?}: decoded a record with uuid {:?}", r.uuid),
        }
    }
    let from_value = xenapi::from_value::<VmRecord>(xenapi::Value::Array(vec!["x".into()]));
    assert!(
        matches!(from_value, Err(xenapi::Error::Decode { .. })),
        "{from_value:?}"
    );
}
