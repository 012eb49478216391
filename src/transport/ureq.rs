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

use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
    Transport as UreqTransportTrait, TransportAdapter,
};

use super::coalesce::CoalescingConnector;
use super::tls::client_config;
use super::{
    http_status_error, parse_http_url, too_large, transport_error, HttpOptions, HttpUrl, Transport,
    EXCERPT_BYTES,
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
            .timeout_per_read(options.timeouts.io)
            .timeout_per_write(options.timeouts.io)
            .max_idle_connections(64)
            .max_idle_connections_per_host(64)
            .user_agent(concat!("xenapi-rs/", env!("CARGO_PKG_VERSION")))
            .build();
        let connector =
            ().chain(TcpConnector::default())
                .chain(TlsConnector { config: tls })
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
        let mut response = request.send(body).map_err(|e| map_error(&url, e, limits))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let mut start = Vec::new();
            let _ = response
                .body_mut()
                .as_reader()
                .take(EXCERPT_BYTES as u64)
                .read_to_end(&mut start);
            return Err(http_status_error(&url, status, &start));
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
            .map_err(|e| map_error(&url, ureq::Error::from(e), limits))?;
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

fn map_error(url: &str, e: ureq::Error, limits: &Limits) -> Error {
    // Errors raised inside a body reader come back wrapped in an io::Error.
    let e = match e {
        ureq::Error::Io(io) if io.get_ref().is_some_and(|i| i.is::<ureq::Error>()) => {
            match io.into_inner().map(|i| i.downcast::<ureq::Error>()) {
                Some(Ok(inner)) => *inner,
                _ => ureq::Error::ConnectionFailed,
            }
        }
        other => other,
    };
    match e {
        ureq::Error::BodyExceedsLimit(_) => too_large(limits),
        ureq::Error::Timeout(t) => transport_error(url, format!("timed out ({t})")),
        other => transport_error(url, describe(&other)),
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
        sock.set_timeout(details.timeout);
        conn.complete_io(&mut sock)?;
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
