//! The readiness and liveness probe (`fuzz::health`) over TLS: the same
//! CONNECT/CONNACK and PINGREQ/PINGRESP, after a handshake that checks the
//! broker's certificate like a run's connections do. A launched profile
//! with `tls: generate` is ready only once this passes, so a broker that
//! listens but cannot complete a handshake (a bad key, a config typo) fails
//! to start with the handshake's reason instead of failing every scenario.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use tokio_rustls::rustls::{ClientConnection, StreamOwned};

use super::ClientTls;
use crate::fuzz::health::{self, ProbeError, ProbeStream};

impl ProbeStream for StreamOwned<ClientConnection, TcpStream> {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
}

/// Runs the probe over TLS to `addr`, checking the certificate against the
/// address itself (an IP address SAN), blocking.
pub fn probe(addr: SocketAddr, timeout: Duration, tls: &ClientTls) -> Result<(), ProbeError> {
    let tcp = health::connect(addr, timeout)?;
    // The handshake runs inside the first write and read, bounded by the
    // socket's timeouts.
    let _ = tcp.set_read_timeout(Some(timeout));
    let _ = tcp.set_write_timeout(Some(timeout));
    let name = super::server_name(&addr.ip().to_string())
        .map_err(|e| ProbeError::Broken(e.to_string()))?;
    let connection = ClientConnection::new(tls.config(), name)
        .map_err(|e| ProbeError::Broken(format!("TLS: {e}")))?;
    health::probe_over(StreamOwned::new(connection, tcp), timeout)
}

/// [`probe`] with the error as text, as the launcher takes it.
pub fn probe_blocking(addr: SocketAddr, timeout: Duration, tls: &ClientTls) -> Result<(), String> {
    probe(addr, timeout, tls).map_err(|e| e.to_string())
}
