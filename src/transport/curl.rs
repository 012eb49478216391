//! HTTP and HTTPS through libcurl.
//!
//! Keep-alive: libcurl keeps a connection cache per `Easy` handle, so handles are kept in a
//! small pool and reused; concurrent calls each take a handle (creating one when the pool is
//! empty).
//!
//! TLS: the default uses libcurl's configured CA store; `Trust` hands the PEM to libcurl
//! (`CURLOPT_CAINFO_BLOB`). libcurl can pin only a public key (`CURLOPT_PINNEDPUBLICKEY`), not
//! a certificate, so `Pin` first completes one rustls handshake with the certificate pin (the
//! same check as the ureq transport), then pins the public key of the certificate it saw for
//! every libcurl connection; the name and dates are not checked, as with the ureq pin.

use std::io::Write as _;
use std::net::TcpStream;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine as _;
use curl::easy::{Easy, List};
use sha2::{Digest, Sha256};

use super::tls::spki_of_certificate;
use super::{
    deadline_message, encoded_body_error, http_status_error, parse_http_url, too_large,
    transport_error, HttpOptions, HttpUrl, Scheme, TlsVerification, Transport,
};
use crate::error::Result;
use crate::limits::Limits;

/// Idle handles kept for reuse.
const MAX_IDLE: usize = 16;

/// A [`Transport`] over HTTP or HTTPS using libcurl.
pub struct CurlTransport {
    url: HttpUrl,
    options: HttpOptions,
    idle: Mutex<Vec<Easy>>,
    /// For `Pin`: the `sha256//…` public-key pin, learned by the first handshake.
    key_pin: OnceLock<String>,
}

impl CurlTransport {
    /// A transport to `url` (`http://` or `https://`, IPv6 literals in brackets).
    pub fn new(url: &str, options: HttpOptions) -> Result<Self> {
        Ok(Self::for_url(parse_http_url(url)?, options))
    }

    fn for_url(url: HttpUrl, options: HttpOptions) -> Self {
        CurlTransport {
            url,
            options,
            idle: Mutex::new(Vec::new()),
            key_pin: OnceLock::new(),
        }
    }

    fn handle(&self) -> Result<Easy> {
        if let Some(easy) = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(easy);
        }
        self.new_handle()
            .map_err(|e| transport_error(&self.url.to_string(), format!("libcurl setup: {e}")))
    }

    fn new_handle(&self) -> std::result::Result<Easy, curl::Error> {
        let mut easy = Easy::new();
        easy.signal(false)?;
        easy.tcp_keepalive(true)?;
        easy.useragent(concat!("xenapi-rs/", env!("CARGO_PKG_VERSION")))?;
        let timeouts = &self.options.timeouts;
        // libcurl's connect timeout covers the TLS handshake as well.
        let handshake = match self.url.scheme() {
            Scheme::Https => timeouts.tls_handshake,
            Scheme::Http => Some(Duration::ZERO),
        };
        if let (Some(connect), Some(handshake)) = (timeouts.connect, handshake) {
            easy.connect_timeout(connect + handshake)?;
        }
        if let Some(t) = timeouts.call {
            easy.timeout(t)?;
        }
        if let Some(t) = self.options.timeouts.io {
            // libcurl has no per-read timeout; "under 1 byte/s for this long" is the same thing.
            easy.low_speed_limit(1)?;
            easy.low_speed_time(t.max(Duration::from_secs(1)))?;
        }
        match &self.options.tls {
            TlsVerification::WebPkiRoots => {}
            TlsVerification::Trust(certs) => easy.ssl_cainfo_blob(certs.to_pem().as_bytes())?,
            TlsVerification::Pin(_) => {
                easy.ssl_verify_peer(false)?;
                easy.ssl_verify_host(false)?;
                if let Some(pin) = self.key_pin.get() {
                    easy.pinned_public_key(pin)?;
                }
            }
            TlsVerification::DangerAcceptAnyCertificate => {
                easy.ssl_verify_peer(false)?;
                easy.ssl_verify_host(false)?;
            }
        }
        Ok(easy)
    }

    /// Learns the public key to pin (once), by a rustls handshake checking the certificate pin.
    fn ensure_key_pin(&self) -> Result<()> {
        if self.key_pin.get().is_some() || !matches!(self.options.tls, TlsVerification::Pin(_)) {
            return Ok(());
        }
        let pin = learn_key_pin(&self.url, &self.options)?;
        let _ = self.key_pin.set(pin);
        Ok(())
    }

    fn perform(
        &self,
        easy: &mut Easy,
        url: &str,
        path: &str,
        body: &[u8],
        limits: &Limits,
    ) -> Result<(u32, Vec<u8>, Option<String>)> {
        let url_err = |e: curl::Error| transport_error(url, describe(&e));
        easy.url(url).map_err(url_err)?;
        easy.post(true).map_err(url_err)?;
        easy.post_fields_copy(body).map_err(url_err)?;
        easy.max_filesize(limits.max_response_bytes)
            .map_err(url_err)?;
        let mut headers = List::new();
        let content_type = if path.ends_with("jsonrpc") {
            "Content-Type: application/json"
        } else {
            "Content-Type: text/xml"
        };
        headers.append(content_type).map_err(url_err)?;
        for (name, value) in &self.options.headers {
            headers
                .append(&format!("{name}: {value}"))
                .map_err(url_err)?;
        }
        // libcurl would otherwise wait for "100 Continue" before sending bodies over 1 KiB.
        headers.append("Expect:").map_err(url_err)?;
        easy.http_headers(headers).map_err(url_err)?;

        let cap = limits.max_response_bytes;
        let mut response = Vec::new();
        let mut over = false;
        let mut encoding = None;
        let started = Instant::now();
        let outcome = {
            let mut transfer = easy.transfer();
            transfer
                .write_function(|data| {
                    if response.len() as u64 + data.len() as u64 > cap {
                        over = true;
                        return Ok(0);
                    }
                    response.extend_from_slice(data);
                    Ok(data.len())
                })
                .map_err(url_err)?;
            transfer
                .header_function(|line| {
                    encoding = content_encoding(line).or(encoding.take());
                    true
                })
                .map_err(url_err)?;
            transfer.perform()
        };
        match outcome {
            Ok(()) => {}
            Err(_) if over => return Err(too_large(limits)),
            Err(e) if e.is_filesize_exceeded() => return Err(too_large(limits)),
            Err(e) if e.is_operation_timedout() => {
                let deadline = self.options.timeouts.call;
                return Err(match deadline.filter(|d| started.elapsed() >= *d) {
                    Some(d) => transport_error(url, deadline_message(d)),
                    None => url_err(e),
                });
            }
            Err(e) => return Err(url_err(e)),
        }
        let status = easy.response_code().map_err(url_err)?;
        Ok((status, response, encoding))
    }
}

impl Transport for CurlTransport {
    fn post(&self, path: &str, body: &[u8], limits: &Limits) -> Result<Vec<u8>> {
        self.ensure_key_pin()?;
        let url = self.url.join(path);
        let mut easy = self.handle()?;
        let (status, response, encoding) = self.perform(&mut easy, &url, path, body, limits)?;
        let location = easy.redirect_url().ok().flatten().map(str::to_string);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(easy);
        }
        drop(idle);
        if !(200..300).contains(&status) {
            return Err(http_status_error(
                &url,
                status as u16,
                &response,
                location.as_deref(),
            ));
        }
        if let Some(encoding) = encoding {
            return Err(encoded_body_error(&url, &encoding));
        }
        Ok(response)
    }

    fn redirect(&self, host: &str) -> Result<Option<Box<dyn Transport>>> {
        let url = self
            .url
            .with_host(host)
            .map_err(|e| transport_error(&self.url.to_string(), e.0))?;
        Ok(Some(Box::new(Self::for_url(url, self.options.clone()))))
    }

    fn describe(&self) -> String {
        format!("{} (curl)", self.url)
    }
}

/// The value of a `Content-Encoding` header line other than `identity`.
fn content_encoding(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?;
    let (name, value) = text.split_once(':')?;
    let value = value.trim();
    (name.trim().eq_ignore_ascii_case("content-encoding")
        && !value.eq_ignore_ascii_case("identity"))
    .then(|| value.to_string())
}

fn describe(e: &curl::Error) -> String {
    let detail = e
        .extra_description()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    if e.is_peer_failed_verification() || e.is_ssl_cacert() || e.is_ssl_certproblem() {
        format!(
            "TLS: the server's certificate was rejected: {}{detail}",
            e.description()
        )
    } else if e.is_operation_timedout() {
        format!("timed out: {}{detail}", e.description())
    } else {
        format!("{}{detail}", e.description())
    }
}

/// Connects once with rustls and the certificate pin; returns libcurl's `sha256//<base64>` pin
/// of the certificate's public key.
fn learn_key_pin(url: &HttpUrl, options: &HttpOptions) -> Result<String> {
    let where_ = url.to_string();
    let fail = |why: String| transport_error(&where_, why);
    let config = super::tls::client_config(&options.tls).map_err(|e| fail(e.0))?;
    let addr = format!("{}:{}", url.host_for_url(), url.effective_port());
    let addrs: Vec<_> = std::net::ToSocketAddrs::to_socket_addrs(&addr)
        .map_err(|e| fail(format!("cannot resolve {addr}: {e}")))?
        .collect();
    let mut last = None;
    let mut sock = None;
    for a in addrs {
        let attempt = match options.timeouts.connect {
            Some(t) => TcpStream::connect_timeout(&a, t),
            None => TcpStream::connect(a),
        };
        match attempt {
            Ok(s) => {
                sock = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut sock = sock.ok_or_else(|| {
        fail(format!(
            "cannot connect: {}",
            last.map(|e| e.to_string())
                .unwrap_or_else(|| "no address".into())
        ))
    })?;
    sock.set_read_timeout(options.timeouts.connect)
        .and_then(|()| sock.set_write_timeout(options.timeouts.connect))
        .map_err(|e| fail(e.to_string()))?;
    let name = rustls::pki_types::ServerName::try_from(url.host().to_string())
        .map_err(|_| fail("invalid server name for TLS".into()))?;
    let mut conn = rustls::ClientConnection::new(Arc::clone(&config), name)
        .map_err(|e| fail(format!("TLS: {e}")))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| {
            let why = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
                Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(o))) => {
                    format!("TLS: the server's certificate was rejected: {}", o.0)
                }
                _ => format!("TLS handshake: {e}"),
            };
            fail(why)
        })?;
    }
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .ok_or_else(|| fail("TLS: the server sent no certificate".into()))?;
    let spki_hash = spki_of_certificate(cert.as_ref())
        .map(Sha256::digest)
        .ok_or_else(|| {
            fail("TLS: cannot read the public key of the server's certificate".into())
        })?;
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    let _ = sock.flush();
    Ok(format!(
        "sha256//{}",
        base64::engine::general_purpose::STANDARD.encode(spki_hash)
    ))
}
