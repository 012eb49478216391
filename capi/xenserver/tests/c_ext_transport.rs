//! The built-in transport extension, driven by a C program against a small canned XML-RPC
//! HTTP server (keep-alive) and against a port nobody listens on.

mod support;

use std::net::TcpListener;

/// The answer to a request, by the method its body calls.
fn answer(_request_line: &str, body: &[u8]) -> support::Canned {
    let body = String::from_utf8_lossy(body);
    let value = [
        ("session.login_with_password", "OpaqueRef:ext-session"),
        ("session.get_this_host", "OpaqueRef:host"),
        ("host.get_API_version_major", "2"),
        ("host.get_API_version_minor", "23"),
        ("VM.get_name_label", "ext vm"),
        ("session.logout", ""),
    ]
    .iter()
    .find(|(m, _)| body.contains(&format!("<methodName>{m}</methodName>")))
    .map_or("", |(_, v)| v);
    let reply = format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name><value>{value}</value></member>\
         </struct></value></param></params></methodResponse>"
    );
    ("200 OK", "text/xml", reply)
}

fn closed_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn extension_transport_from_c() {
    let exe = support::build("ext", &["support.c"], &["-lcurl"]);
    let out = support::run(
        &exe,
        &[&support::canned_server(answer), &closed_url()],
        false,
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

#[test]
fn extension_transport_is_clean_under_valgrind() {
    let exe = support::build("ext", &["support.c"], &["-lcurl"]);
    support::run(
        &exe,
        &[&support::canned_server(answer), &closed_url()],
        true,
    );
}
