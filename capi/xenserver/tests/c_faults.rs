//! Fault injection for C callers: the built-in transport (`xenapi_ext_call_func`) against the
//! misbehaving server of the Rust suite (tests/support/hostile.rs), over TCP and a Unix
//! socket, compiled with cc and run directly and under valgrind. Each case must fail with the
//! expected error within the bound, and the same session must then make a good call.

#[path = "../../../tests/support/hostile.rs"]
mod hostile;
mod support;

use hostile::Act;

/// (name, what the server does on the call after login, text the error must contain).
fn cases() -> Vec<(&'static str, Act, &'static str)> {
    let raw = |s: &str| Act::Raw(s.as_bytes().to_vec());
    let deep = format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member><member><name>Value</name>\
         {}{}</member></struct></value></param></params></methodResponse>",
        "<value><array><data>".repeat(10_000),
        "</data></array></value>".repeat(10_000)
    );
    vec![
        ("silent", Act::Silent, "within the call deadline of 1.5s"),
        ("drip", Act::Drip, "within the call deadline of 1.5s"),
        ("closed", Act::Close, "the call may have run on the server"),
        // TCP only: a reset before the request was read is resent on a Unix socket (see
        // tests/faults.rs).
        ("reset", Act::Reset, "the call may have run on the server"),
        (
            "truncated",
            raw("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n<methodResp"),
            "closed",
        ),
        (
            "html500",
            raw("HTTP/1.1 500 Oops\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 21\r\n\r\n<html>broken</html>\r\n"),
            "HTTP status 500",
        ),
        (
            "badchunk",
            raw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n"),
            "chunk",
        ),
        (
            "gzip",
            raw("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n\x1f\x08"),
            "gzip-encoded",
        ),
        (
            "redirect",
            raw("HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"),
            "a redirection to https://elsewhere.example/",
        ),
        (
            "deep",
            Act::Raw(
                format!("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{deep}", deep.len())
                    .into_bytes(),
            ),
            "malformed message",
        ),
    ]
}

fn run(valgrind: bool) {
    let exe = support::build("faults", &["support.c"], &["-lcurl"]);
    let mut servers = Vec::new();
    let mut args = Vec::new();
    let mut expected = Vec::new();
    for (name, act, text) in cases() {
        // The C login is three calls here: the login, the session's host, and the API
        // version's major number, which the server's string answer ends (the version is
        // then unknown, which does not fail the login).
        let script = |act| vec![Act::Good, Act::Good, Act::Good, act];
        let mut servers_of_case = vec![("tcp", hostile::tcp(script(act.clone())))];
        if name != "reset" {
            servers_of_case.push(("unix", hostile::unix(script(act))));
        }
        for (net, server) in servers_of_case {
            let name = format!("{name}-{net}");
            args.push(format!("{name}={}", server.url));
            expected.push((name, text));
            servers.push(server);
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = support::run(&exe, &args, valgrind);
    let stdout = String::from_utf8_lossy(&out.stdout);
    print!("{stdout}");
    for (name, text) in expected {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{stdout}"));
        assert!(line.contains(text), "{name}: expected {text:?} in {line}");
    }
    assert!(stdout.contains("faults: all checks passed"));
}

#[test]
fn hostile_servers_give_clear_errors_to_c_callers() {
    run(false);
}

#[test]
fn hostile_servers_are_handled_cleanly_under_valgrind() {
    run(true);
}
