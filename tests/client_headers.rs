//! What the `ClientBuilder` puts on the wire: extra headers on every request of every
//! transport it opens, and a URL of the `/jsonrpc` endpoint taken as its server.

mod support;

use support::{Reply, Request};
use xenapi::session::HttpBackend;
use xenapi::{Client, Error, Value, WireFormat};

/// Answers `"ok"` in the format the path says.
fn answer(req: &Request) -> Reply {
    let body = if req.path == "/jsonrpc" {
        r#"{"jsonrpc":"2.0","result":"ok","id":1}"#.to_string()
    } else {
        "<?xml version=\"1.0\"?><methodResponse><params><param><value><struct>\
         <member><name>Status</name><value>Success</value></member>\
         <member><name>Value</name><value>ok</value></member>\
         </struct></value></param></params></methodResponse>"
            .to_string()
    };
    Reply::Ok(body.into_bytes())
}

fn backends() -> Vec<HttpBackend> {
    vec![
        #[cfg(feature = "ureq")]
        HttpBackend::Ureq,
        #[cfg(feature = "curl")]
        HttpBackend::Curl,
    ]
}

fn assert_headers_seen(server: &support::Server, what: &str) {
    assert_eq!(server.stats.requests(), 2, "{what}");
    let last = server.stats.last_request();
    assert_eq!(last.header("Test-ID"), Some("t-42"), "{what}: {last:?}");
    assert_eq!(last.header("X-Trace"), Some("a b;c=d"), "{what}");
}

#[test]
fn every_http_transport_sends_the_headers_on_every_request() {
    for backend in backends() {
        let server = support::http(false, answer);
        let client = Client::builder(&server.url)
            .http_backend(backend)
            .header("Test-ID", "t-42")
            .header("X-Trace", "a b;c=d")
            .build()
            .unwrap();
        for _ in 0..2 {
            let got = client.call("pool.get_all", &[]).unwrap();
            assert_eq!(got, Value::from("ok"));
        }
        assert_headers_seen(&server, &format!("{backend:?}"));
    }
}

#[test]
fn the_unix_transport_sends_the_headers() {
    let server = support::unix(answer);
    let client = Client::builder(&server.url)
        .format(WireFormat::JsonRpc)
        .header("Test-ID", "t-42")
        .header("X-Trace", "a b;c=d")
        .build()
        .unwrap();
    for _ in 0..2 {
        assert_eq!(client.call("pool.get_all", &[]).unwrap(), Value::from("ok"));
    }
    assert_headers_seen(&server, "unix");
}

#[test]
fn headers_that_would_break_the_request_are_refused() {
    for (name, value) in [
        ("Bad Name", "v"),
        ("", "v"),
        ("X-Injected", "v\r\nX-Other: w"),
        ("Content-Length", "0"),
        ("host", "elsewhere"),
    ] {
        let err = Client::builder("http://127.0.0.1:1")
            .header(name, value)
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Transport { .. }), "{name:?}: {err:?}");
    }
}

#[test]
fn a_url_of_the_jsonrpc_endpoint_is_not_doubled() {
    for backend in backends() {
        let server = support::http(false, answer);
        for url in [
            format!("{}/jsonrpc", server.url),
            format!("{}/jsonrpc/", server.url),
        ] {
            let client = Client::builder(&url).http_backend(backend).build().unwrap();
            assert_eq!(
                client.format(),
                WireFormat::JsonRpc,
                "the URL says JSON-RPC"
            );
            assert_eq!(client.call("pool.get_all", &[]).unwrap(), Value::from("ok"));
            let last = server.stats.last_request();
            assert_eq!(last.path, "/jsonrpc", "{backend:?} {url}");
            assert!(last.body.starts_with(b"{"), "a JSON request");
        }
        // An explicit format wins; XML-RPC goes to the server's root.
        let client = Client::builder(&format!("{}/jsonrpc", server.url))
            .http_backend(backend)
            .format(WireFormat::XmlRpc)
            .build()
            .unwrap();
        assert_eq!(client.call("pool.get_all", &[]).unwrap(), Value::from("ok"));
        assert_eq!(server.stats.last_request().path, "/");
    }
}
