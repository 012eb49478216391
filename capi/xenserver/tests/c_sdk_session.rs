//! The session API as every published SDK declares it (`xen_session_get_this_user` with a
//! `char **`, the SDK's `xen_session_record`, `xen_session_logout_subject_identifier` with a
//! `const char *`), out-pointers cleared before every call even on a session in error, and
//! JSON-RPC for C callers through the built-in transport: a C program against the simulator,
//! over XML-RPC and JSON-RPC, plainly and under valgrind.

mod support;

use xapi_sim::Simulator;

fn check(format: &str, valgrind: bool) {
    let sim = Simulator::builder()
        .vms(3)
        .start()
        .expect("simulator starts");
    let (user, password) = sim.credentials();
    let exe = support::build("sdk_session", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[&sim.url(), user, password, format], valgrind);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("sdk_session: all checks passed"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("{format}: ")), "{stdout}");
    sim.shutdown();
}

#[test]
fn sdk_session_api_over_xml_rpc() {
    check("xml", false);
}

#[test]
fn sdk_session_api_over_json_rpc() {
    check("json", false);
}

#[test]
fn sdk_session_api_under_valgrind() {
    check("xml", true);
    check("json", true);
}

/// Answers JSON-RPC on `/jsonrpc` only (404 elsewhere), with canned results by method, so a
/// login that succeeds proves the library spoke JSON-RPC.
fn answer_json_only(request_line: &str, body: &[u8]) -> support::Canned {
    if !request_line.starts_with("POST /jsonrpc ") {
        return ("404 Not Found", "application/json", String::new());
    }
    let req: serde_json::Value = serde_json::from_slice(body).unwrap();
    let result = match req["method"].as_str().unwrap_or_default() {
        "session.login_with_password" => serde_json::json!("OpaqueRef:json-session"),
        "session.get_this_host" => serde_json::json!("OpaqueRef:host"),
        "host.get_API_version_major" => serde_json::json!(2),
        "host.get_API_version_minor" => serde_json::json!(23),
        "VM.get_name_label" => serde_json::json!("spoken in JSON"),
        _ => serde_json::Value::Null,
    };
    let reply = serde_json::json!({"jsonrpc": "2.0", "result": result, "id": req["id"]});
    ("200 OK", "application/json", reply.to_string())
}

#[test]
fn the_json_rpc_option_really_speaks_json_rpc() {
    let url = support::canned_server(answer_json_only);
    let exe = support::build("json_only", &["support.c"], &["-lcurl"]);
    let out = support::run(&exe, &[&url], true);
    assert!(String::from_utf8_lossy(&out.stdout).contains("spoken in JSON"));
}
