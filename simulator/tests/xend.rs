//! xend mode over real sockets: xend's API 1.0 as xend served it.

mod common;

use std::time::Duration;

use common::*;
use xenapi::wire::WireFormat;
use xenapi::Value;

fn xend_sim() -> xapi_sim::RunningSimulator {
    xapi_sim::Simulator::builder()
        .xend()
        .vms(6)
        .seed(5)
        .task_duration(Duration::from_millis(40))
        .metrics_interval(None)
        .start()
        .expect("start a xend")
}

/// Logs in with xend's two parameters.
fn login(conn: Conn) -> Client {
    let mut conn = conn;
    let session = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot")],
        )
        .expect("login")
        .as_str()
        .unwrap()
        .to_string();
    Client {
        conn,
        format: WireFormat::XmlRpc,
        session,
    }
}

fn client(sim: &xapi_sim::RunningSimulator) -> Client {
    login(Conn::tcp(&addr(sim)))
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).collect::<Vec<_>>() == [8, 4, 4, 4, 12]
        && s.chars().all(|c| c == '-' || c.is_ascii_hexdigit())
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or(&[])
        .iter()
        .filter_map(Value::as_str)
        .map(String::from)
        .collect()
}

fn field(rec: &Value, name: &str) -> Value {
    rec.get(name)
        .cloned()
        .unwrap_or_else(|| panic!("no field {name}"))
}

#[allow(dead_code)] // used by the lifecycle tests
/// A halted guest (not a template, not Domain-0).
fn halted_guest(c: &mut Client) -> String {
    for vm in strs(&c.ok("VM.get_all", &[])) {
        let rec = c.ok("VM.get_record", &[s(&vm)]);
        if field(&rec, "power_state").as_str() == Some("Halted")
            && field(&rec, "is_a_template").as_bool() == Some(false)
            && field(&rec, "is_control_domain").as_bool() == Some(false)
        {
            return vm;
        }
    }
    panic!("no halted guest");
}

#[test]
fn login_takes_two_parameters_and_sessions_are_uuids() {
    let sim = xend_sim();
    let mut conn = Conn::tcp(&addr(&sim));
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("xenroot"), s("1.0")],
        )
        .unwrap_err();
    assert_eq!(f.code, "MESSAGE_PARAMETER_COUNT_MISMATCH");
    let f = conn
        .call(
            WireFormat::XmlRpc,
            "session.login_with_password",
            &[s("root"), s("wrong")],
        )
        .unwrap_err();
    assert_eq!(f.code, "SESSION_AUTHENTICATION_FAILED");
    let mut c = login(conn);
    assert!(is_uuid(&c.session), "session id {}", c.session);
    let rec = c.ok("session.get_record", &[s(&c.session.clone())]);
    assert_eq!(field(&rec, "uuid").as_str(), Some(c.session.as_str()));
    assert_eq!(field(&rec, "this_user").as_str(), Some("root"));
    c.ok("session.logout", &[]);
    assert_eq!(c.fail("VM.get_all", &[])[0], "SESSION_INVALID");
}

#[test]
fn refs_are_uuids_and_domain_0_has_the_zero_uuid() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let hosts = strs(&c.ok("host.get_all", &[]));
    assert_eq!(hosts.len(), 1, "xend is one host");
    let vms = strs(&c.ok("VM.get_all", &[]));
    assert!(vms.len() > 6);
    for class in [
        "VM", "host", "VBD", "VIF", "VDI", "SR", "network", "host_cpu",
    ] {
        for r in strs(&c.ok(&format!("{class}.get_all"), &[])) {
            assert!(is_uuid(&r), "{class} ref {r}");
            assert_eq!(c.str(&format!("{class}.get_uuid"), &[s(&r)]), r);
            assert_eq!(c.str(&format!("{class}.get_by_uuid"), &[s(&r)]), r);
        }
    }
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert_eq!(c.str("VM.get_by_uuid", &[s(dom0)]), dom0);
    let rec = c.ok("VM.get_record", &[s(dom0)]);
    assert_eq!(field(&rec, "is_control_domain").as_bool(), Some(true));
    assert_eq!(field(&rec, "power_state").as_str(), Some("Running"));
    assert_eq!(field(&rec, "resident_on").as_str(), Some(hosts[0].as_str()));
    let host = c.ok("host.get_record", &[s(&hosts[0])]);
    assert_eq!(field(&host, "API_version_major").as_str(), Some("1"));
    assert_eq!(field(&host, "API_version_minor").as_str(), Some("0"));
    let version = field(&host, "software_version");
    assert!(version.get("xend").is_some(), "{version:?}");
    assert!(strs(&field(&host, "resident_VMs")).contains(&dom0.to_string()));
    // A made-up UUID is an invalid handle.
    let f = c.fail(
        "VM.get_record",
        &[s("12345678-1234-1234-1234-123456789abc")],
    );
    assert_eq!(f[0], "HANDLE_INVALID");
}

#[test]
fn records_carry_ints_as_strings_and_there_is_no_json_rpc() {
    let sim = xend_sim();
    let mut c = client(&sim);
    let dom0 = "00000000-0000-0000-0000-000000000000";
    let body = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>VM.get_record</methodName><params>\
         <param><value><string>{}</string></value></param>\
         <param><value><string>{dom0}</string></value></param></params></methodCall>",
        c.session
    );
    let r = c.conn.request("/", body.as_bytes(), "").unwrap();
    let xml = String::from_utf8(r.body).unwrap();
    let member = |name: &str| {
        let at = xml.find(&format!("<name>{name}</name>")).unwrap();
        xml[at..].split("</value>").next().unwrap().to_string()
    };
    // `<value>0</value>`: a string to XML-RPC, as xend sent ints.
    assert!(member("domid").ends_with("<value>0"), "{}", member("domid"));
    assert!(!xml.contains("<i4>") && !xml.contains("<int>"), "{xml}");
    let mut conn = Conn::tcp(&addr(&sim));
    let r = conn
        .request(
            "/jsonrpc",
            br#"{"jsonrpc":"2.0","method":"VM.get_all","params":[],"id":1}"#,
            "",
        )
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(
        c.fail(
            "event.from",
            &[Value::Array(vec![]), s(""), Value::Float(0.0)]
        )[0],
        "MESSAGE_METHOD_UNKNOWN"
    );
}

#[test]
fn serves_https_and_a_unix_socket() {
    let path = std::env::temp_dir().join(format!("xend-sim-{}.sock", std::process::id()));
    let sim = xapi_sim::Simulator::builder()
        .xend()
        .tls(true)
        .unix(&path)
        .metrics_interval(None)
        .start()
        .unwrap();
    assert!(sim.member_url().is_none(), "xend has no pool member");
    let tls = Conn::tls(&addr(&sim), "localhost", sim.certificate_der().unwrap()).unwrap();
    let mut c = login(tls);
    assert_eq!(strs(&c.ok("host.get_all", &[])).len(), 1);
    let mut u = login(Conn::unix(&path));
    let dom0 = "00000000-0000-0000-0000-000000000000";
    assert_eq!(u.str("VM.get_power_state", &[s(dom0)]), "Running");
}
