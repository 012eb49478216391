//! Moving request and response bytes: the [`Transport`] trait and its implementations.
//!
//! - `UreqTransport` (feature `ureq`, default): HTTP and HTTPS (rustls) with keep-alive.
//! - `CurlTransport` (feature `curl`): the same over libcurl.
//! - [`UnixTransport`]: HTTP/1.1 over a Unix domain socket (xapi's and xend's local socket).
//! - [`FnTransport`]: a caller-supplied function (the C SDK's `call_func` model).
//!
//! A transport only moves bytes: encoding, decoding and sessions live elsewhere.

use std::fmt;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::limits::Limits;

#[cfg(feature = "ureq")]
mod coalesce;
#[cfg(feature = "curl")]
mod curl;
mod func;
mod http1;
mod tls;
#[cfg(unix)]
mod unix;
#[cfg(feature = "ureq")]
mod ureq;
mod url;

#[cfg(feature = "curl")]
pub use self::curl::CurlTransport;
pub use self::func::FnTransport;
pub use self::tls::{CertFingerprint, TlsOptionError, TlsVerification, TrustedCertificates};
#[cfg(unix)]
pub use self::unix::UnixTransport;
#[cfg(feature = "ureq")]
pub use self::ureq::UreqTransport;
pub use self::url::{redact_userinfo, HttpUrl, Scheme, UrlError};

/// Something that can deliver a XenAPI request and bring back the response.
pub trait Transport: Send + Sync {
    /// POSTs `body` to `path` ("/" for XML-RPC, "/jsonrpc" for JSON-RPC) and returns the
    /// response body, refusing one larger than `limits.max_response_bytes`.
    fn post(&self, path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>>;

    /// The same kind of transport, with the same options, talking to `host` instead (for
    /// pool-master redirection after `HOST_IS_SLAVE`). `Ok(None)` when this transport has no
    /// notion of a host (a Unix socket, a caller-supplied function).
    fn redirect(&self, host: &str) -> Result<Option<Box<dyn Transport>>> {
        let _ = host;
        Ok(None)
    }

    /// Where this transport sends requests, for messages and `Debug` output.
    fn describe(&self) -> String {
        "a caller-supplied transport".to_string()
    }
}

impl fmt::Debug for dyn Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transport({})", self.describe())
    }
}

/// How long a transport waits.
///
/// `call` is the one bound that holds whatever the server does (a server that never answers,
/// or one that drips a byte a second): it covers the whole call, from connecting to the last
/// byte of the response. The others stop a single stage early with a more precise message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP connection (default 10 s; not used by Unix sockets).
    pub connect: Option<Duration>,
    /// The TLS handshake of an `https://` connection, after connecting (default 10 s). A
    /// server that says nothing for this long is most likely not speaking TLS.
    pub tls_handshake: Option<Duration>,
    /// The longest wait for any single read or write once connected (default: none, because
    /// synchronous XenAPI calls such as `VM.migrate` or a long-polling `event.from` can take
    /// minutes without a byte on the wire).
    pub io: Option<Duration>,
    /// The deadline of a whole call, connection to the end of the response (default 1 hour:
    /// beyond what synchronous calls take; use an `Async.` call and a task for longer work).
    /// When it passes, the call fails, but it may still be running on the server.
    pub call: Option<Duration>,
}

impl Timeouts {
    /// The default connect timeout.
    pub const DEFAULT_CONNECT: Duration = Duration::from_secs(10);
    /// The default TLS handshake timeout.
    pub const DEFAULT_TLS_HANDSHAKE: Duration = Duration::from_secs(10);
    /// The default per-call deadline.
    pub const DEFAULT_CALL: Duration = Duration::from_secs(3600);
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Some(Self::DEFAULT_CONNECT),
            tls_handshake: Some(Self::DEFAULT_TLS_HANDSHAKE),
            io: None,
            call: Some(Self::DEFAULT_CALL),
        }
    }
}

/// The message of a call that ran out of time: it may still run on the server.
pub(crate) fn deadline_message(deadline: Duration) -> String {
    format!(
        "no complete response within the call deadline of {deadline:?} \
         (the call may still be running on the server)"
    )
}

/// Options of the HTTP transports (ureq and curl).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpOptions {
    /// How to verify the server's certificate for `https://` URLs.
    pub tls: TlsVerification,
    /// Connect and I/O timeouts.
    pub timeouts: Timeouts,
    /// Extra headers sent with every request, e.g. xapi's test harness's `Test-ID` (checked
    /// by [`check_header`]).
    pub headers: Vec<(String, String)>,
}

/// Refuses a header that would break the request: a name that is not an HTTP token, a value
/// with a line break or NUL, or one of the headers the transports set themselves.
pub fn check_header(name: &str, value: &str) -> std::result::Result<(), String> {
    const OWN: &[&str] = &[
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "expect",
    ];
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(format!("invalid HTTP header name {name:?}"));
    }
    if OWN.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!("the {name} header is set by the transport"));
    }
    if value.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        return Err(format!(
            "the value of the {name} header has a line break or NUL"
        ));
    }
    Ok(())
}

/// A transport failure described in words (the underlying libraries' errors are not all
/// `Send + Sync + 'static`, or are less clear than what we can say), with the I/O error
/// behind it when there is one. `Display` is the words only: the I/O error is the source.
#[derive(Debug)]
pub(crate) struct Failure {
    pub what: String,
    pub cause: Option<std::io::Error>,
}

impl Failure {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Failure {
            what: what.into(),
            cause: None,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl std::error::Error for Failure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.cause
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// An `Error::Transport` for `url`.
pub(crate) fn transport_error(url: &str, why: impl Into<String>) -> Error {
    Error::Transport {
        url: url.to_string(),
        source: Box::new(Failure::new(why)),
    }
}

/// An `Error::Transport` for `url` caused by the I/O error `cause`.
pub(crate) fn io_transport_error(
    url: &str,
    what: impl Into<String>,
    cause: std::io::Error,
) -> Error {
    Error::Transport {
        url: url.to_string(),
        source: Box::new(Failure {
            what: what.into(),
            cause: Some(cause),
        }),
    }
}

/// The `Error::Http` for an unsuccessful status, with a short excerpt of the body.
pub(crate) fn http_status_error(
    url: &str,
    status: u16,
    body_start: &[u8],
    location: Option<&str>,
) -> Error {
    Error::Http {
        url: url.to_string(),
        status,
        body_excerpt: excerpt(body_start),
        location: location.map(str::to_string),
    }
}

/// The error for a body in a `Content-Encoding` that was not asked for (e.g. gzip).
pub(crate) fn encoded_body_error(url: &str, encoding: &str) -> Error {
    transport_error(
        url,
        format!(
            "the response body is {encoding}-encoded (Content-Encoding), which was not asked for"
        ),
    )
}

/// How many bytes of an error page an `Error::Http` keeps.
pub(crate) const EXCERPT_BYTES: usize = 256;

fn excerpt(body: &[u8]) -> String {
    let cut = &body[..body.len().min(EXCERPT_BYTES)];
    String::from_utf8_lossy(cut).trim().to_string()
}

/// Parses `url` as an HTTP(S) URL, as an `Error::Transport` when it is invalid.
#[cfg(any(feature = "ureq", feature = "curl"))]
pub(crate) fn parse_http_url(url: &str) -> Result<HttpUrl> {
    HttpUrl::parse(url).map_err(|e| transport_error(&redact_userinfo(url), e.0))
}

/// The error for a body beyond the limit.
pub(crate) fn too_large(limits: &Limits) -> Error {
    Error::TooLarge {
        limit: limits.max_response_bytes,
    }
}
