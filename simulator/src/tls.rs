//! The self-signed certificate made at start, and the rustls server configuration over it.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

/// A certificate and the server configuration that presents it.
#[derive(Clone)]
pub struct Tls {
    /// The server configuration.
    pub config: Arc<rustls::ServerConfig>,
    /// The certificate, PEM.
    pub pem: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
    /// SHA-256 of the DER, as colon-separated upper-case hex.
    pub fingerprint: String,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

/// A failure to make the certificate or the configuration.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rcgen failed.
    #[error("generating the certificate: {0}")]
    Cert(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("configuring TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Makes a certificate valid for `localhost`, the loopback addresses the simulator binds
/// (127.0.0.1, 127.0.0.2, ::1) and `extra_names`.
pub fn self_signed(extra_names: &[String]) -> Result<Tls, TlsError> {
    let mut names: Vec<String> = ["localhost", "127.0.0.1", "127.0.0.2", "::1"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for n in extra_names {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    let certified = rcgen::generate_simple_self_signed(names)?;
    let der = certified.cert.der().to_vec();
    let pem = certified.cert.pem();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(der.clone())], key)?;
    Ok(Tls {
        config: Arc::new(config),
        pem,
        fingerprint: fingerprint(&der),
        der,
    })
}

/// SHA-256 of `der` as `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}
