//! MQTT over TLS (`mqtts://`): a TCP listener whose connections go through
//! a TLS handshake (rustls, ring provider) before the broker sees a byte.
//! MQTT 3.1.1 §4.2 and 5.0 §4.2 name TLS as a network connection MQTT may
//! run over (IANA port 8883); nothing in the protocol changes, so each
//! decrypted stream is served like an accepted socket, handed over through
//! the server's [`MemoryConnector`] as the WebSocket listener does.
//!
//! Decisions:
//! - **A handshake timeout.** A client that opens a connection and stalls
//!   the handshake would otherwise hold a task for ever; after
//!   [`HANDSHAKE_TIMEOUT`] (or the listener's own, [`TlsListener::with_handshake_timeout`])
//!   the connection is dropped. The broker's CONNECT timeout starts only
//!   once the handshake is done.
//! - **A failed handshake never reaches the core.** It is logged (debug,
//!   with the peer and rustls's reason) and the socket dropped: no session,
//!   no will, nothing for the scenario engine to see.
//! - **Ends of a connection.** A client's `close_notify` (then FIN) reads
//!   as end of stream; a FIN without `close_notify` and a TCP reset are
//!   read errors. Either is a close without DISCONNECT, which publishes the
//!   will (MQTT-3.1.2-8); the core tells them apart only in its logs.
//!   Closing a connection sends `close_notify`, then FIN.
//! - **Writes are flushed.** tokio-rustls keeps the records a write could
//!   not pass to a full socket until the next write or flush, and the
//!   broker's connection tasks never flush (on TCP it is free): a will could
//!   sit in a buffer until the next packet. [`TlsServerStream`] flushes
//!   after every write and retries on every read, as `ws::WsStream` does.
//! - **No client certificates.** The listener authenticates itself only;
//!   MQTT's own CONNECT is the client's credential.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::{self, PemObject};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::{server, TlsAcceptor};

use super::memory::MemoryConnector;

/// How long an accepted TCP connection may take to complete the TLS
/// handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a certificate and key cannot make a TLS server configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("the certificate PEM is not valid: {0}")]
    CertificatePem(#[source] pem::Error),
    #[error("the certificate PEM holds no CERTIFICATE block")]
    NoCertificate,
    #[error("the private key PEM is not valid (PKCS#8, PKCS#1 or SEC1 expected): {0}")]
    KeyPem(#[source] pem::Error),
    /// rustls refused the pair (a key that does not match the certificate).
    #[error("rustls refused the certificate and key: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A server configuration from a PEM certificate chain (leaf first) and
/// its PEM private key, on the ring provider with rustls's safe default
/// protocol versions (TLS 1.2 and 1.3).
pub fn server_config(cert_pem: &[u8], key_pem: &[u8]) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let certs = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(TlsConfigError::CertificatePem)?;
    if certs.is_empty() {
        return Err(TlsConfigError::NoCertificate);
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(TlsConfigError::KeyPem)?;
    // Deprecated since rustls 0.23.48 only because ring has no
    // post-quantum key exchange; the other provider (aws-lc-rs) needs cmake
    // and a long C build, and test certificates need no such protection.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// [`server_config`] from two PEM files.
pub fn server_config_from_files(
    cert: &Path,
    key: &Path,
) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| TlsConfigError::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    server_config(&read(cert)?, &read(key)?)
}

/// A bound `mqtts://` listener; [`serve`](Self::serve) hands each
/// connection that completes its handshake to a server.
pub struct TlsListener {
    listener: TcpListener,
    acceptor: TlsAcceptor,
    handshake_timeout: Duration,
}

impl fmt::Debug for TlsListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsListener")
            .field("listener", &self.listener)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl TlsListener {
    pub async fn bind(addr: SocketAddr, config: Arc<ServerConfig>) -> io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr).await?,
            acceptor: TlsAcceptor::from(config),
            handshake_timeout: HANDSHAKE_TIMEOUT,
        })
    }

    /// Replaces [`HANDSHAKE_TIMEOUT`] (tests use a short one).
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `mqtts://ADDR`.
    pub fn url(&self) -> String {
        match self.local_addr() {
            Ok(addr) => format!("mqtts://{addr}"),
            Err(_) => "mqtts://?".to_owned(),
        }
    }

    /// Accepts until the server stops; each handshake runs in its own task.
    pub async fn serve(self, connector: MemoryConnector) {
        loop {
            let (stream, peer) = super::connection::accept_tcp(&self.listener, "tls").await;
            let (acceptor, connector) = (self.acceptor.clone(), connector.clone());
            let timeout = self.handshake_timeout;
            tokio::spawn(async move {
                let accepted = match tokio::time::timeout(timeout, acceptor.accept(stream)).await {
                    Ok(result) => result,
                    Err(_) => Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no TLS handshake within {timeout:?}"),
                    )),
                };
                match accepted {
                    Ok(tls) => {
                        let stream = TlsServerStream {
                            inner: tls,
                            unflushed: false,
                        };
                        if connector
                            .accept_stream(stream, format!("mqtts://{peer}"))
                            .is_err()
                        {
                            tracing::debug!("tls: the broker has stopped");
                        }
                    }
                    Err(error) => tracing::info!(%peer, %error, "tls: handshake failed"),
                }
            });
        }
    }
}

/// An accepted TLS connection that flushes its writes (see the module
/// documentation): a record a full socket refused is retried by the next
/// read or write, whose poll also waits for the socket to take it.
#[derive(Debug)]
pub struct TlsServerStream {
    inner: server::TlsStream<TcpStream>,
    /// A write left records in rustls's buffer.
    unflushed: bool,
}

impl TlsServerStream {
    fn poll_flush_pending(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Ready(result) => {
                self.unflushed = false;
                result
            }
            Poll::Pending => {
                self.unflushed = true;
                Ok(())
            }
        }
    }
}

impl AsyncRead for TlsServerStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unflushed {
            this.poll_flush_pending(cx)?;
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsServerStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(Pin::new(&mut this.inner).poll_write(cx, data))?;
        this.poll_flush_pending(cx)?;
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.inner).poll_flush(cx))?;
        this.unflushed = false;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pair_is_refused_with_what_is_wrong() {
        assert!(matches!(
            server_config(b"", b""),
            Err(TlsConfigError::NoCertificate)
        ));
        let missing = Path::new("/nonexistent/lastwill-cert.pem");
        assert!(matches!(
            server_config_from_files(missing, missing),
            Err(TlsConfigError::Read { path, .. }) if path == missing
        ));
        // A CERTIFICATE block whose body is not DER, and no key at all.
        let cert = b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            server_config(cert, b"not a key"),
            Err(TlsConfigError::KeyPem(_))
        ));
    }
}
