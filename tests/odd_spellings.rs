//! Spellings that xapi, xend and fakes send and that must not fail a whole call: datetimes as
//! Unix seconds (`1627478400.`), and `<nil/>` / `null` where a string, a set or a map is
//! expected, inside a whole `VM.get_all_records`, over XML-RPC and JSON-RPC.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use xenapi::api::*;
use xenapi::transport::FnTransport;
use xenapi::wire::{self, WireFormat};
use xenapi::{Client, DateTime, Limits, Session};

fn session_answering(format: WireFormat, body: &'static str) -> Session {
    let client = Client::builder_with_transport(FnTransport::new(move |_| Ok(body.into())))
        .format(format)
        .build()
        .unwrap();
    client.session_from_ref("OpaqueRef:s")
}

fn member(name: &str, value: &str) -> String {
    format!("<member><name>{name}</name><value>{value}</value></member>")
}

/// Two VMs: a well-formed one, and one whose string, set, map, enum, ref and datetime fields
/// come in the odd spellings.
fn xml_records() -> &'static str {
    let good = [
        member("uuid", "u-good"),
        member("name_label", "good"),
        member("name_description", "fine"),
        member("power_state", "Running"),
        member(
            "VBDs",
            "<array><data><value>OpaqueRef:vbd</value></data></array>",
        ),
        member("other_config", &member_struct("k", "v")),
        member(
            "snapshot_time",
            "<dateTime.iso8601>20210728T13:20:00Z</dateTime.iso8601>",
        ),
    ]
    .concat();
    let odd = [
        member("uuid", "u-odd"),
        member("name_label", "odd"),
        member("name_description", "<nil/>"),
        member("power_state", "<nil/>"),
        member("affinity", "<nil/>"),
        member("VBDs", "<nil/>"),
        member("tags", "<nil/>"),
        member("other_config", "<nil/>"),
        member("blocked_operations", "<nil/>"),
        member("snapshot_time", "1627478400."),
        member(
            "last_booted_record",
            "<dateTime.iso8601>ignored: not a datetime field</dateTime.iso8601>",
        ),
    ]
    .concat();
    let body = format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         {}{}</struct></value></param></params></methodResponse>",
        member("Status", "Success"),
        member(
            "Value",
            &format!(
                "<struct>{}{}</struct>",
                member("OpaqueRef:good", &format!("<struct>{good}</struct>")),
                member("OpaqueRef:odd", &format!("<struct>{odd}</struct>"))
            )
        )
    );
    Box::leak(body.into_boxed_str())
}

fn member_struct(k: &str, v: &str) -> String {
    format!("<struct>{}</struct>", member(k, v))
}

const JSON_RECORDS: &str = r#"{"jsonrpc": "2.0", "id": 1, "result": {
  "OpaqueRef:good": {"uuid": "u-good", "name_label": "good", "name_description": "fine",
    "power_state": "Running", "VBDs": ["OpaqueRef:vbd"], "other_config": {"k": "v"},
    "snapshot_time": "20210728T13:20:00Z"},
  "OpaqueRef:odd": {"uuid": "u-odd", "name_label": "odd", "name_description": null,
    "power_state": null, "affinity": null, "VBDs": null, "tags": null, "other_config": null,
    "blocked_operations": null, "snapshot_time": "1627478400."}
}}"#;

#[test]
fn one_odd_record_does_not_lose_get_all_records() {
    let xapi_epoch = DateTime::from_utc(2021, 7, 28, 13, 20, 0).unwrap();
    for (format, body) in [
        (WireFormat::XmlRpc, xml_records()),
        (WireFormat::JsonRpc, JSON_RECORDS),
    ] {
        let session = session_answering(format, body);
        let records = Vm::get_all_records(&session).unwrap_or_else(|e| panic!("{format:?}: {e}"));
        assert_eq!(records.len(), 2, "{format:?}");
        let good = &records[&VmRef::new("OpaqueRef:good")];
        assert_eq!(good.name_description, "fine");
        assert_eq!(good.power_state, VmPowerState::Running);
        assert_eq!(good.vbds, [VbdRef::new("OpaqueRef:vbd")]);
        assert_eq!(good.other_config["k"], "v");
        assert_eq!(good.snapshot_time, xapi_epoch);

        let odd = &records[&VmRef::new("OpaqueRef:odd")];
        assert_eq!(
            odd.name_label, "odd",
            "{format:?}: the rest of the record is kept"
        );
        assert_eq!(odd.name_description, "");
        assert_eq!(odd.power_state, VmPowerState::default());
        assert_eq!(odd.affinity.as_str(), "");
        assert!(odd.vbds.is_empty());
        assert!(odd.tags.is_empty());
        assert!(odd.other_config.is_empty());
        assert!(odd.blocked_operations.is_empty());
        assert_eq!(odd.snapshot_time, xapi_epoch, "{format:?}");
    }
}

#[test]
fn nil_is_still_none_for_options_and_nil_for_values() {
    let limits = Limits::default();
    for format in [WireFormat::XmlRpc, WireFormat::JsonRpc] {
        let body = wire::encode_success(format, &xenapi::Value::Nil, None).unwrap();
        let opt: Option<String> = wire::decode_response(format, &body, &limits).unwrap();
        assert_eq!(opt, None);
        let value: xenapi::Value = wire::decode_response(format, &body, &limits).unwrap();
        assert_eq!(value, xenapi::Value::Nil);
        let s: String = wire::decode_response(format, &body, &limits).unwrap();
        assert_eq!(s, "");
        // Numbers, booleans and datetimes have no empty value: nil stays an error for them.
        assert!(wire::decode_response::<i64>(format, &body, &limits).is_err());
        assert!(wire::decode_response::<bool>(format, &body, &limits).is_err());
        assert!(wire::decode_response::<DateTime>(format, &body, &limits).is_err());
    }
}

#[test]
fn datetimes_as_unix_seconds() {
    let at = |secs, nanos| DateTime::from_unix(secs, nanos);
    for (s, want) in [
        ("1627478400.", at(1_627_478_400, 0)),
        ("1627478400.0", at(1_627_478_400, 0)),
        ("1627478400.25", at(1_627_478_400, 250_000_000)),
        ("1627478400.1234567891", at(1_627_478_400, 123_456_789)),
        ("0.", DateTime::EPOCH),
        ("-1.5", at(-2, 500_000_000)),
        (" 1627478400. ", at(1_627_478_400, 0)),
    ] {
        assert_eq!(DateTime::parse(s).unwrap(), want, "{s}");
    }
    for bad in [
        "1627478400",
        ".5",
        "1627478400.x",
        "-.",
        "1e9.",
        "1627478400..",
        "+1.",
    ] {
        assert!(DateTime::parse(bad).is_err(), "{bad}");
    }
    let limits = Limits::default();
    // Inside <dateTime.iso8601> too, and as a JSON number.
    let xml = b"<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
        <member><name>Status</name><value>Success</value></member><member><name>Value</name>\
        <value><dateTime.iso8601>1627478400.</dateTime.iso8601></value></member>\
        </struct></value></param></params></methodResponse>";
    let d: DateTime = wire::decode_response(WireFormat::XmlRpc, xml, &limits).unwrap();
    assert_eq!(d, at(1_627_478_400, 0));
    for (json, want) in [
        (
            &br#"{"result": 1627478400, "error": null, "id": 1}"#[..],
            at(1_627_478_400, 0),
        ),
        (
            br#"{"result": 1627478400.5, "error": null, "id": 1}"#,
            at(1_627_478_400, 500_000_000),
        ),
        (
            br#"{"result": "1627478400.", "error": null, "id": 1}"#,
            at(1_627_478_400, 0),
        ),
    ] {
        let d: DateTime = wire::decode_response(WireFormat::JsonRpc, json, &limits).unwrap();
        assert_eq!(d, want);
    }
}

#[test]
fn datetimes_convert_to_and_from_system_time() {
    let t = UNIX_EPOCH + Duration::new(1_627_478_400, 250_000_000);
    let d = DateTime::from(t);
    assert_eq!(d, DateTime::from_unix(1_627_478_400, 250_000_000));
    assert_eq!(SystemTime::try_from(d).unwrap(), t);
    let before = UNIX_EPOCH - Duration::new(1, 250_000_000);
    let d = DateTime::from(before);
    assert_eq!((d.unix_seconds(), d.subsec_nanos()), (-2, 750_000_000));
    assert_eq!(d.to_system_time(), Some(before));
    for extreme in [
        DateTime::from_unix(i64::MAX, 999_999_999),
        DateTime::from_unix(i64::MIN, 0),
    ] {
        // Linux's SystemTime holds the whole range.
        let t = extreme.to_system_time().unwrap();
        assert_eq!(DateTime::from(t), extreme);
    }
    let now = SystemTime::now();
    let round_trip = SystemTime::try_from(DateTime::from(now)).unwrap();
    assert_eq!(round_trip, now);
    assert!(DateTime::now() >= DateTime::from(now));
}
