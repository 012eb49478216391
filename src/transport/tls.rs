//! TLS options shared by the HTTPS transports, and (with rustls) the client configuration
//! they produce.
//!
//! xapi hosts serve self-signed certificates, so besides the usual public roots a caller can
//! trust a given certificate (PEM) or pin the server certificate by the SHA-256 fingerprint of
//! its DER encoding. Turning verification off is possible only through the variant whose name
//! says what it does.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// How an HTTPS transport decides whether to trust the server.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum TlsVerification {
    /// Verify the chain against the public roots and the host name: the Mozilla root store
    /// (webpki-roots) with ureq, libcurl's configured CA store with curl.
    #[default]
    WebPkiRoots,
    /// Verify the chain against these certificates only (and the host name).
    Trust(TrustedCertificates),
    /// Accept exactly the certificate with this SHA-256 fingerprint, whatever its issuer,
    /// names or dates; the handshake signatures are still checked against its key.
    Pin(CertFingerprint),
    /// Accept any certificate: no protection against a man in the middle.
    DangerAcceptAnyCertificate,
}

impl TlsVerification {
    /// Trusts the certificates of a PEM bundle (a CA or the server's self-signed certificate).
    pub fn trust_pem(pem: impl AsRef<[u8]>) -> Result<Self, TlsOptionError> {
        TrustedCertificates::from_pem(pem.as_ref()).map(TlsVerification::Trust)
    }

    /// Pins the server certificate by its SHA-256 fingerprint (`AA:BB:…` or plain hex).
    pub fn pin(fingerprint: &str) -> Result<Self, TlsOptionError> {
        fingerprint.parse().map(TlsVerification::Pin)
    }
}

impl fmt::Debug for TlsVerification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsVerification::WebPkiRoots => f.write_str("WebPkiRoots"),
            TlsVerification::Trust(t) => write!(f, "Trust({} certificates)", t.der.len()),
            TlsVerification::Pin(p) => write!(f, "Pin({p})"),
            TlsVerification::DangerAcceptAnyCertificate => {
                f.write_str("DangerAcceptAnyCertificate")
            }
        }
    }
}

/// An invalid TLS option (a bad PEM bundle or fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptionError(pub String);

impl fmt::Display for TlsOptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TlsOptionError {}

/// Certificates (DER) to use as trust anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedCertificates {
    der: Vec<Vec<u8>>,
}

impl TrustedCertificates {
    /// Reads every `CERTIFICATE` block of a PEM bundle; at least one is required.
    pub fn from_pem(pem: &[u8]) -> Result<Self, TlsOptionError> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| TlsOptionError("the PEM bundle is not UTF-8 text".into()))?;
        let mut der = Vec::new();
        let mut rest = text;
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        while let Some(start) = rest.find(BEGIN) {
            let body = &rest[start + BEGIN.len()..];
            let end = body
                .find(END)
                .ok_or_else(|| TlsOptionError("a PEM certificate has no END line".into()))?;
            let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
            let cert = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| {
                    TlsOptionError(format!("a PEM certificate is not valid base64: {e}"))
                })?;
            der.push(cert);
            rest = &body[end + END.len()..];
        }
        if der.is_empty() {
            return Err(TlsOptionError(
                "no CERTIFICATE block in the PEM bundle".into(),
            ));
        }
        Ok(TrustedCertificates { der })
    }

    /// The certificates, DER encoded.
    pub fn der(&self) -> &[Vec<u8>] {
        &self.der
    }

    /// The certificates as a PEM bundle.
    pub fn to_pem(&self) -> String {
        let mut out = String::new();
        for cert in &self.der {
            out.push_str("-----BEGIN CERTIFICATE-----\n");
            let b64 = base64::engine::general_purpose::STANDARD.encode(cert);
            for line in b64.as_bytes().chunks(64) {
                out.push_str(std::str::from_utf8(line).unwrap_or_default());
                out.push('\n');
            }
            out.push_str("-----END CERTIFICATE-----\n");
        }
        out
    }
}

/// The SHA-256 fingerprint of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    /// The fingerprint of a DER-encoded certificate.
    pub fn of_der(der: &[u8]) -> Self {
        CertFingerprint(Sha256::digest(der).into())
    }
}

impl FromStr for CertFingerprint {
    type Err = TlsOptionError;

    /// Accepts `AA:BB:…` (any case, `:` or `-` or no separators), optionally prefixed by
    /// `sha256:` or `SHA256 Fingerprint=` as tools print it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        let body = trimmed
            .rsplit_once('=')
            .map(|(_, b)| b)
            .or_else(|| trimmed.strip_prefix("sha256:"))
            .unwrap_or(trimmed);
        let hex: String = body
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | ' '))
            .collect();
        let bad = || {
            TlsOptionError(format!(
                "invalid SHA-256 fingerprint {s:?}: expected 32 bytes of hex, as AA:BB:… or plain"
            ))
        };
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(CertFingerprint(out))
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({self})")
    }
}

/// The DER of the `subjectPublicKeyInfo` inside a DER certificate (libcurl pins keys, not
/// certificates). Walks the few outer TLV headers of the X.509 structure.
#[cfg_attr(not(feature = "curl"), allow(dead_code))]
pub(crate) fn spki_of_certificate(cert: &[u8]) -> Option<&[u8]> {
    // Returns (tag, header length, content length) of the TLV at the start of `der`.
    fn tlv(der: &[u8]) -> Option<(u8, usize, usize)> {
        let tag = *der.first()?;
        let first = *der.get(1)? as usize;
        if first < 0x80 {
            return Some((tag, 2, first));
        }
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *der.get(2 + i)? as usize;
        }
        Some((tag, 2 + n, len))
    }
    let (tag, hdr, _) = tlv(cert)?;
    if tag != 0x30 {
        return None;
    }
    let tbs = &cert[hdr..];
    let (tag, hdr, len) = tlv(tbs)?;
    if tag != 0x30 {
        return None;
    }
    let mut fields = tbs.get(hdr..hdr + len)?;
    // version [0] (optional), serial, signature algorithm, issuer, validity, subject, SPKI.
    if fields.first() == Some(&0xa0) {
        let (_, h, l) = tlv(fields)?;
        fields = fields.get(h + l..)?;
    }
    for _ in 0..5 {
        let (_, h, l) = tlv(fields)?;
        fields = fields.get(h + l..)?;
    }
    let (tag, h, l) = tlv(fields)?;
    (tag == 0x30).then_some(())?;
    fields.get(..h + l)
}

#[cfg(any(feature = "ureq", feature = "curl"))]
pub(crate) use self::rustls_config::client_config;

#[cfg(any(feature = "ureq", feature = "curl"))]
mod rustls_config {
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::client::WebPkiServerVerifier;
    use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{
        CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore,
    };
    use rustls::{Error as TlsError, SignatureScheme};

    use super::{CertFingerprint, TlsOptionError, TlsVerification};

    /// The rustls client configuration for `verification` (ring provider, TLS 1.2 and 1.3).
    pub(crate) fn client_config(
        verification: &TlsVerification,
    ) -> Result<Arc<ClientConfig>, TlsOptionError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsOptionError(format!("TLS setup: {e}")))?;
        let verifier: Arc<dyn ServerCertVerifier> = match verification {
            TlsVerification::WebPkiRoots => {
                let roots = RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                explaining(roots, &provider)?
            }
            TlsVerification::Trust(certs) => {
                let mut roots = RootCertStore::empty();
                for der in certs.der() {
                    roots.add(CertificateDer::from(der.clone())).map_err(|e| {
                        TlsOptionError(format!("unusable trusted certificate: {e}"))
                    })?;
                }
                explaining(roots, &provider)?
            }
            TlsVerification::Pin(fingerprint) => Arc::new(PinnedVerifier {
                fingerprint: Some(*fingerprint),
                provider: provider.clone(),
            }),
            TlsVerification::DangerAcceptAnyCertificate => Arc::new(PinnedVerifier {
                fingerprint: None,
                provider: provider.clone(),
            }),
        };
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Ok(Arc::new(config))
    }

    fn explaining(
        roots: RootCertStore,
        provider: &Arc<CryptoProvider>,
    ) -> Result<Arc<dyn ServerCertVerifier>, TlsOptionError> {
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| TlsOptionError(format!("TLS verifier setup: {e}")))?;
        Ok(Arc::new(ExplainingVerifier { inner }))
    }

    /// Why a certificate was refused, with its fingerprint so that the user can decide to
    /// pin it.
    #[derive(Debug)]
    struct Refused {
        why: String,
        actual: CertFingerprint,
    }

    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(
                f,
                "{} (the server's certificate has SHA-256 fingerprint {})",
                self.why, self.actual
            )
        }
    }

    impl std::error::Error for Refused {}

    fn refused(why: String, end_entity: &CertificateDer<'_>) -> TlsError {
        TlsError::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(Refused {
            why,
            actual: CertFingerprint::of_der(end_entity),
        }))))
    }

    /// The standard WebPKI verification; its refusals name the certificate's fingerprint.
    #[derive(Debug)]
    struct ExplainingVerifier {
        inner: Arc<WebPkiServerVerifier>,
    }

    impl ServerCertVerifier for ExplainingVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp_response: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, TlsError> {
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
                .map_err(|e| match e {
                    TlsError::InvalidCertificate(CertificateError::UnknownIssuer) => refused(
                        "certificate verification failed: it is not issued by a trusted \
                         authority (self-signed?)"
                            .to_string(),
                        end_entity,
                    ),
                    TlsError::InvalidCertificate(cause) => refused(
                        format!("certificate verification failed: {cause}"),
                        end_entity,
                    ),
                    other => other,
                })
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            self.inner.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            self.inner.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.inner.supported_verify_schemes()
        }
    }

    /// Accepts exactly one certificate, identified by its fingerprint, or (with no
    /// fingerprint: the explicit insecure option) any certificate. Either way the handshake
    /// must be signed by the certificate's key, which costs nothing and catches broken servers.
    #[derive(Debug)]
    struct PinnedVerifier {
        fingerprint: Option<CertFingerprint>,
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for PinnedVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, TlsError> {
            match self.fingerprint {
                Some(pin) if CertFingerprint::of_der(end_entity) != pin => Err(refused(
                    format!("the certificate does not match the pinned fingerprint {pin}"),
                    end_entity,
                )),
                _ => Ok(ServerCertVerified::assertion()),
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, TlsError> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_in_the_usual_spellings() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let plain: CertFingerprint = hex.parse().unwrap();
        let colons = plain.to_string();
        assert_eq!(colons.len(), 95);
        assert_eq!(colons.parse::<CertFingerprint>().unwrap(), plain);
        assert_eq!(
            format!("sha256:{hex}").parse::<CertFingerprint>().unwrap(),
            plain
        );
        assert_eq!(
            format!("SHA256 Fingerprint={colons}")
                .parse::<CertFingerprint>()
                .unwrap(),
            plain
        );
        assert!("00:11".parse::<CertFingerprint>().is_err());
        assert!(hex.replace('0', "g").parse::<CertFingerprint>().is_err());
    }

    #[test]
    fn pem_round_trips_and_refuses_junk() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n";
        let certs = TrustedCertificates::from_pem(pem.as_bytes()).unwrap();
        assert_eq!(certs.der(), &[vec![0u8, 1, 2, 3]]);
        assert_eq!(
            TrustedCertificates::from_pem(certs.to_pem().as_bytes()).unwrap(),
            certs
        );
        assert!(TrustedCertificates::from_pem(b"no certificate here").is_err());
        assert!(TrustedCertificates::from_pem(b"-----BEGIN CERTIFICATE-----\n!!\n").is_err());
    }
}
