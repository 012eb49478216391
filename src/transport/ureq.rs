//! HTTP and HTTPS through ureq 3.
//!
//! ureq's own TLS settings cannot take a custom rustls verifier, which certificate pinning
//! needs, so the agent is built from parts (`Agent::with_parts`): ureq's TCP connector chained
//! with [`TlsConnector`], a small connector of ours that wraps the socket in rustls with the
//! `ClientConfig` from [`client_config`]. These connector traits are in ureq's `unversioned`
//! module (outside its semver promises), hence the `~3.5` requirement in `Cargo.toml`.
//!
//! One agent per transport: its connection pool gives keep-alive reuse across calls and
//! threads. Last in the chain, [`CoalescingConnector`] sends each request's head and body in
//! one write.

use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    time, Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
    Transport as UreqTransportTrait, TransportAdapter,
};
use ureq::Timeout;

use super::coalesce::CoalescingConnector;
use super::tls::client_config;
use super::{
    deadline_message, encoded_body_error, http_status_error, io_transport_error, parse_http_url,
    too_large, transport_error, Failure, HttpOptions, HttpUrl, Scheme, Transport, EXCERPT_BYTES,
};
use crate::error::{Error, Result};
use crate::limits::Limits;

/// A [`Transport`] over HTTP or HTTPS using ureq, with keep-alive connection reuse.
pub struct UreqTransport {
    agent: ureq::Agent,
    url: HttpUrl,
    options: HttpOptions,
}

impl UreqTransport {
    /// A transport to `url` (`http://` or `https://`, IPv6 literals in brackets).
    pub fn new(url: &str, options: HttpOptions) -> Result<Self> {
        let parsed = parse_http_url(url)?;
        Self::for_url(parsed, options)
    }

    fn for_url(url: HttpUrl, options: HttpOptions) -> Result<Self> {
        let tls =
            client_config(&options.tls).map_err(|e| transport_error(&url.to_string(), e.0))?;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(None)
            .timeout_connect(options.timeouts.connect)
            .timeout_global(options.timeouts.call)
            .timeout_per_read(options.timeouts.io)
            .timeout_per_write(options.timeouts.io)
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .user_agent(concat!("xenapi-rs/", env!("CARGO_PKG_VERSION")))
            .build();
        let connector = ()
            .chain(TcpConnector::default())
            .chain(TlsConnector {
                config: tls,
                handshake: options.timeouts.tls_handshake,
            })
            .chain(CoalescingConnector);
        let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
        Ok(UreqTransport {
            agent,
            url,
            options,
        })
    }
}

impl Transport for UreqTransport {
    fn post(&self, path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        let url = self.url.join(path);
        let content_type = if path.ends_with("jsonrpc") {
            "application/json"
        } else {
            "text/xml"
        };
        let mut request = self.agent.post(&url).header("Content-Type", content_type);
        for (name, value) in &self.options.headers {
            request = request.header(name, value);
        }
        let mut response = request
            .send(body)
            .map_err(|e| self.map_error(&url, e, limits))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let mut start = Vec::new();
            let _ = response
                .body_mut()
                .as_reader()
                .take(EXCERPT_BYTES as u64)
                .read_to_end(&mut start);
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok());
            return Err(http_status_error(&url, status, &start, location));
        }
        if let Some(encoding) = response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .filter(|e| !e.trim().eq_ignore_ascii_case("identity"))
        {
            return Err(encoded_body_error(&url, encoding.trim()));
        }
        let max = limits.max_response_bytes;
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Err(too_large(limits));
        }
        // ureq's limit fails as soon as the limit is reached, even at the end of the body:
        // allow one byte more and check the length ourselves.
        let mut body = Vec::with_capacity(declared.unwrap_or(0).min(MAX_PREALLOCATION) as usize);
        response
            .body_mut()
            .with_config()
            .limit(max.saturating_add(1))
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| self.map_error(&url, ureq::Error::from(e), limits))?;
        if body.len() as u64 > max {
            return Err(too_large(limits));
        }
        Ok(body)
    }

    fn redirect(&self, host: &str) -> Result<Option<Box<dyn Transport>>> {
        let url = self
            .url
            .with_host(host)
            .map_err(|e| transport_error(&self.url.to_string(), e.0))?;
        Ok(Some(Box::new(Self::for_url(url, self.options.clone())?)))
    }

    fn describe(&self) -> String {
        format!("{} (ureq)", self.url)
    }
}

/// The most a declared Content-Length makes us reserve up front (a server may lie).
const MAX_PREALLOCATION: u64 = 64 << 20;

impl UreqTransport {
    fn map_error(&self, url: &str, e: ureq::Error, limits: &Limits) -> Error {
        // Errors raised inside a body reader or a connector come back wrapped in an io::Error.
        let e = match e {
            ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<Failure>()) => {
                let why = io.into_inner().map(|i| i.to_string()).unwrap_or_default();
                return transport_error(url, why);
            }
            ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<ureq::Error>()) => {
                match io.into_inner().map(|i| i.downcast::<ureq::Error>()) {
                    Some(Ok(inner)) => *inner,
                    _ => ureq::Error::ConnectionFailed,
                }
            }
            other => other,
        };
        let timeouts = &self.options.timeouts;
        match e {
            ureq::Error::BodyExceedsLimit(_) => too_large(limits),
            ureq::Error::Timeout(Timeout::Global) => match timeouts.call {
                Some(d) => transport_error(url, deadline_message(d)),
                None => transport_error(url, "timed out (global)"),
            },
            ureq::Error::Timeout(Timeout::Connect) => transport_error(
                url,
                format!(
                    "cannot connect within {:?}",
                    timeouts.connect.unwrap_or_default()
                ),
            ),
            ureq::Error::Timeout(Timeout::PerRead | Timeout::PerWrite) => transport_error(
                url,
                format!(
                    "no data for the I/O timeout of {:?}; the call may have run on the server",
                    timeouts.io.unwrap_or_default()
                ),
            ),
            ureq::Error::Timeout(t) => transport_error(url, format!("timed out ({t})")),
            ureq::Error::Io(io)
                if matches!(
                    io.kind(),
                    std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
                ) =>
            {
                io_transport_error(
                    url,
                    "the connection broke; the call may have run on the server, so it is not \
                     sent again",
                    io,
                )
            }
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                io_transport_error(
                    url,
                    "the server closed the connection before the response was complete; the \
                     call may have run on the server, so it is not sent again",
                    io,
                )
            }
            ureq::Error::Io(io)
                if io
                    .get_ref()
                    .is_none_or(|inner| !inner.is::<rustls::Error>()) =>
            {
                io_transport_error(url, "I/O failure", io)
            }
            // Only a response head that does not parse hints at TLS; a bad chunk does not.
            ureq::Error::Protocol(p)
                if self.url.scheme() == Scheme::Http
                    && p.to_string().starts_with("http parse fail") =>
            {
                transport_error(
                    url,
                    format!(
                        "the answer is not HTTP ({p}); if this port serves TLS, use an https:// \
                         URL"
                    ),
                )
            }
            ureq::Error::Protocol(p) => transport_error(url, format!("invalid HTTP response: {p}")),
            other => transport_error(url, describe(&other)),
        }
    }
}

/// Words for a ureq error, digging out TLS certificate refusals, which ureq reports as I/O
/// errors wrapping the rustls error.
fn describe(e: &ureq::Error) -> String {
    let tls = match e {
        ureq::Error::Rustls(t) => Some(t),
        ureq::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>()),
        _ => None,
    };
    match tls {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) => {
            format!("TLS: the server's certificate was rejected: {}", other.0)
        }
        Some(rustls::Error::InvalidCertificate(cause)) => {
            format!("TLS: the server's certificate was rejected: {cause}")
        }
        Some(t) => format!("TLS: {t}"),
        None => e.to_string(),
    }
}

/// Wraps the TCP transport in rustls for `https` URLs.
#[derive(Debug)]
struct TlsConnector {
    config: Arc<ClientConfig>,
    handshake: Option<Duration>,
}

impl<In: UreqTransportTrait> Connector<In> for TlsConnector {
    type Out = Either<In, TlsTransport>;

    fn connect(
        &self,
        details: &ConnectionDetails,
        chained: Option<In>,
    ) -> std::result::Result<Option<Self::Out>, ureq::Error> {
        let Some(transport) = chained else {
            return Err(ureq::Error::ConnectionFailed);
        };
        if !details.needs_tls() || transport.is_tls() {
            return Ok(Some(Either::A(transport)));
        }
        let host = details.uri.host().unwrap_or_default();
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = ServerName::try_from(bare)
            .map_err(|_| ureq::Error::Tls("invalid server name for TLS"))?
            .to_owned();
        let mut conn = ClientConnection::new(self.config.clone(), name)?;
        let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
        let mut timeout = details.timeout;
        if let Some(limit) = self.handshake {
            if time::Duration::Exact(limit) < timeout.after {
                timeout.after = time::Duration::Exact(limit);
            }
        }
        sock.set_timeout(timeout);
        let started = Instant::now();
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                return Err(handshake_error(e, started.elapsed(), self.handshake));
            }
        }
        let buffers = LazyBuffers::new(
            details.config.input_buffer_size(),
            details.config.output_buffer_size(),
        );
        Ok(Some(Either::B(TlsTransport {
            buffers,
            stream: StreamOwned { conn, sock },
        })))
    }
}

/// A failed handshake, with a hint when the server most likely does not speak TLS: it
/// answered with something that is not TLS, or stayed silent for the whole handshake timeout
/// (a plain HTTP server waits for the end of a request head that never comes).
fn handshake_error(e: std::io::Error, waited: Duration, limit: Option<Duration>) -> ureq::Error {
    let not_tls = matches!(
        e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        Some(rustls::Error::InvalidMessage(_))
    );
    if not_tls {
        return hint(
            "the server's answer is not TLS; if this port serves plain HTTP, use an http:// URL",
        );
    }
    if let Some(limit) = limit.filter(|l| waited >= *l) {
        return hint(&format!(
            "TLS handshake: no answer within {limit:?}; if this port serves plain HTTP, use an \
             http:// URL"
        ));
    }
    ureq::Error::Io(e)
}

fn hint(why: &str) -> ureq::Error {
    ureq::Error::Io(std::io::Error::other(Failure::new(why)))
}

/// A rustls session over a ureq transport.
struct TlsTransport {
    buffers: LazyBuffers,
    stream: StreamOwned<ClientConnection, TransportAdapter>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTransport")
    }
}

impl UreqTransportTrait for TlsTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        &mut self.buffers
    }

    fn transmit_output(
        &mut self,
        amount: usize,
        timeout: NextTimeout,
    ) -> std::result::Result<(), ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let output = &self.buffers.output()[..amount];
        self.stream.write_all(output)?;
        Ok(())
    }

    fn await_input(&mut self, timeout: NextTimeout) -> std::result::Result<bool, ureq::Error> {
        self.stream.get_mut().set_timeout(timeout);
        let input = self.buffers.input_append_buf();
        let amount = self.stream.read(input)?;
        self.buffers.input_appended(amount);
        Ok(amount > 0)
    }

    fn is_open(&mut self) -> bool {
        self.stream.get_mut().get_mut().is_open()
    }

    fn is_tls(&self) -> bool {
        true
    }
}
