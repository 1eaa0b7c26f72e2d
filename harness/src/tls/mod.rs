//! MQTT over TLS (`mqtts://HOST:PORT`) on the harness's side: the client
//! configuration a run connects with, a blocking readiness probe for
//! launched brokers ([`probe`]), and certificates for tests and profiles
//! ([`certs`]). rustls on the ring provider, TLS 1.2 and 1.3.
//!
//! Decisions:
//! - **Trust is explicit.** An `mqtts://` address needs either a CA to
//!   trust (`--tls-ca FILE`, PEM) or `--tls-insecure`; the platform's
//!   roots are not read, so a run never depends on what the machine
//!   happens to trust. The name checked (and sent as SNI when it is a DNS
//!   name) is the address's host.
//! - **Scenarios do not change.** TLS is a transport: the same bytes go
//!   through it, a FIN is `close_notify` then a TCP FIN, and a reset is a
//!   TCP RST under the TLS session (see `client::transport`).

pub mod certs;
mod insecure;
pub mod probe;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// How long the client waits for the server's side of the handshake: a
/// broker that accepts TCP and never answers fails the connection rather
/// than hanging it.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a TLS client configuration cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    #[error("cannot read the CA file {path}: {source}")]
    ReadCa {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the CA file {path} is not valid PEM: {source}")]
    CaPem {
        path: PathBuf,
        #[source]
        source: pem::Error,
    },
    #[error("the CA file {path} holds no CERTIFICATE block")]
    NoCaCertificate { path: PathBuf },
    #[error(
        "the CA file {path} holds a certificate rustls cannot use as a trust anchor: {source}"
    )]
    BadCa {
        path: PathBuf,
        #[source]
        source: rustls::Error,
    },
    #[error("cannot build the TLS client configuration: {0}")]
    Config(#[from] rustls::Error),
    #[error("`{0}` is not a host name or IP address a certificate can be checked against")]
    ServerName(String),
}

/// What a TLS connection trusts, for logs and reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    /// The CAs in this PEM file.
    Ca(PathBuf),
    /// Any certificate (`--tls-insecure`).
    Insecure,
}

/// A TLS client configuration: cheap to clone, shared by every connection
/// of a run.
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    trust: Trust,
}

impl fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientTls")
            .field("trust", &self.trust)
            .finish_non_exhaustive()
    }
}

/// The ring provider (see the workspace Cargo.toml for why not aws-lc-rs).
fn provider() -> Arc<CryptoProvider> {
    // Deprecated since rustls 0.23.48 only for its lack of post-quantum
    // key exchange, which a conformance run does not need.
    #[allow(deprecated)]
    Arc::new(rustls::crypto::ring::default_provider())
}

impl ClientTls {
    /// `--tls-ca FILE` / `--tls-insecure` as given on a command line: `None`
    /// when neither is, since only `mqtts://` addresses need them.
    pub fn from_options(ca: Option<&Path>, insecure: bool) -> Result<Option<Self>, TlsError> {
        match (ca, insecure) {
            (Some(path), _) => Self::trusting_ca_file(path).map(Some),
            (None, true) => Self::insecure().map(Some),
            (None, false) => Ok(None),
        }
    }

    /// Trusts the CA certificates in a PEM file.
    pub fn trusting_ca_file(path: &Path) -> Result<Self, TlsError> {
        let pem = std::fs::read(path).map_err(|source| TlsError::ReadCa {
            path: path.to_path_buf(),
            source,
        })?;
        Self::trusting_ca_pem(&pem, path)
    }

    /// Trusts the CA certificates in `pem`; `path` names it in errors.
    pub fn trusting_ca_pem(pem: &[u8], path: &Path) -> Result<Self, TlsError> {
        let path = path.to_path_buf();
        let certs = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| TlsError::CaPem {
                path: path.clone(),
                source,
            })?;
        if certs.is_empty() {
            return Err(TlsError::NoCaCertificate { path });
        }
        let mut roots = RootCertStore::empty();
        for cert in certs {
            roots.add(cert).map_err(|source| TlsError::BadCa {
                path: path.clone(),
                source,
            })?;
        }
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            trust: Trust::Ca(path),
        })
    }

    /// Accepts any server certificate: see `insecure.rs` for what that
    /// gives up.
    pub fn insecure() -> Result<Self, TlsError> {
        let provider = provider();
        let verifier = insecure::AcceptAnyCertificate::new(Arc::clone(&provider));
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
            trust: Trust::Insecure,
        })
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    pub(crate) fn config(&self) -> Arc<ClientConfig> {
        Arc::clone(&self.config)
    }

    /// The TLS handshake over `stream`, checking the certificate against
    /// `host`, within [`HANDSHAKE_TIMEOUT`]. Errors name the address.
    pub async fn connect(
        &self,
        host: &ServerName<'static>,
        stream: TcpStream,
        address: &str,
    ) -> io::Result<TlsStream<TcpStream>> {
        let connector = TlsConnector::from(self.config());
        let handshake = connector.connect(host.clone(), stream);
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(stream)) => Ok(stream),
            Ok(Err(error)) => Err(io::Error::new(
                error.kind(),
                format!("TLS handshake with {address}: {error}"),
            )),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("TLS handshake with {address}: no answer within {HANDSHAKE_TIMEOUT:?}"),
            )),
        }
    }
}

/// The name a server certificate is checked against: a DNS name (also sent
/// as SNI) or an IP address.
pub fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_owned()).map_err(|_| TlsError::ServerName(host.to_owned()))
}
