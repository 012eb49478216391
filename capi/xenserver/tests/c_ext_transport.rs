//! The built-in transport extension, driven by a C program against a small canned XML-RPC
//! HTTP server (keep-alive) and against a port nobody listens on.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};

/// The answer to a request body, by the method it calls.
fn answer(body: &str) -> String {
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
    format!(
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name><value>{value}</value></member>\
         </struct></value></param></params></methodResponse>"
    )
}

/// Serves requests on one connection until the client closes it.
fn serve(stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut out = stream;
    loop {
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let reply = answer(&String::from_utf8_lossy(&body));
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if out
            .write_all(head.as_bytes())
            .and_then(|_| out.write_all(reply.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn start_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream));
        }
    });
    url
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
    let out = support::run(&exe, &[&start_server(), &closed_url()], false);
    assert!(String::from_utf8_lossy(&out.stdout).contains("all checks passed"));
}

#[test]
fn extension_transport_is_clean_under_valgrind() {
    let exe = support::build("ext", &["support.c"], &["-lcurl"]);
    support::run(&exe, &[&start_server(), &closed_url()], true);
}
