//! Liveness: a fresh TCP connection, CONNECT/CONNACK, PINGREQ/PINGRESP and
//! DISCONNECT, each step with a timeout. The campaign runs it after every
//! batch; the launcher uses it as its readiness check. A failure is a crash
//! (the process exited, or the port refuses connections) or a hang (the
//! broker accepts the connection but does not answer).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Disconnect, Limits, Packet, ProtocolVersion, ReasonCode,
};

/// Why the probe failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// No TCP connection: the broker stopped accepting.
    #[error("cannot connect: {0}")]
    Refused(String),
    /// Connected, but a reply did not come in time.
    #[error("no {0} within the timeout")]
    NoReply(&'static str),
    /// The broker closed the connection or answered wrongly.
    #[error("{0}")]
    Broken(String),
}

impl ProbeError {
    /// A refused connection means the broker is gone; no reply means it hangs.
    pub fn is_hang(&self) -> bool {
        matches!(self, ProbeError::NoReply(_))
    }
}

static PROBES: AtomicU64 = AtomicU64::new(0);

/// Runs the probe on the calling thread (blocking).
pub fn probe_blocking(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    probe(addr, timeout).map_err(|e| e.to_string())
}

/// The probe itself, blocking, with a typed error.
pub fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), ProbeError> {
    probe_over(connect(addr, timeout)?, timeout)
}

/// A TCP connection for a probe (the first step, over TLS too).
pub fn connect(addr: SocketAddr, timeout: Duration) -> Result<TcpStream, ProbeError> {
    let stream = TcpStream::connect_timeout(&addr, timeout).map_err(|e| {
        if e.kind() == std::io::ErrorKind::TimedOut {
            ProbeError::NoReply("TCP connection")
        } else {
            ProbeError::Refused(e.to_string())
        }
    })?;
    let _ = stream.set_nodelay(true);
    Ok(stream)
}

/// A blocking stream a probe speaks MQTT over: TCP, or TLS over TCP
/// (`tls::probe`), whose reads time out as the socket under it does.
pub trait ProbeStream: Read + Write {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()>;
}

impl ProbeStream for TcpStream {
    fn set_read_timeout(&self, timeout: Option<Duration>) -> std::io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

/// The MQTT part of the probe over an open stream.
pub fn probe_over(mut stream: impl ProbeStream, timeout: Duration) -> Result<(), ProbeError> {
    let version = ProtocolVersion::V3_1_1;
    let n = PROBES.fetch_add(1, Ordering::Relaxed);
    let mut connect = Connect::new(version, format!("lwf-probe-{}-{n}", std::process::id()));
    connect.keep_alive = 30;
    let deadline = Instant::now() + timeout;
    send(&mut stream, &Packet::Connect(Box::new(connect)), version)?;
    let mut buf = BytesMut::new();
    match receive(&mut stream, &mut buf, version, deadline, "CONNACK")? {
        Packet::ConnAck(ack) if ack.reason_code == ReasonCode::SUCCESS => {}
        other => {
            return Err(ProbeError::Broken(format!(
                "CONNECT answered with {other:?}"
            )))
        }
    }
    send(&mut stream, &Packet::PingReq, version)?;
    match receive(&mut stream, &mut buf, version, deadline, "PINGRESP")? {
        Packet::PingResp => {}
        other => {
            return Err(ProbeError::Broken(format!(
                "PINGREQ answered with {other:?}"
            )))
        }
    }
    let _ = send(
        &mut stream,
        &Packet::Disconnect(Disconnect::default()),
        version,
    );
    Ok(())
}

/// [`probe`] on a blocking thread, for async callers.
pub async fn probe_async(addr: SocketAddr, timeout: Duration) -> Result<(), ProbeError> {
    tokio::task::spawn_blocking(move || probe(addr, timeout))
        .await
        .unwrap_or_else(|e| Err(ProbeError::Broken(format!("probe task failed: {e}"))))
}

fn send(
    stream: &mut impl ProbeStream,
    packet: &Packet,
    version: ProtocolVersion,
) -> Result<(), ProbeError> {
    let bytes = encode_to_bytes(packet, version).map_err(|e| ProbeError::Broken(e.to_string()))?;
    stream
        .write_all(&bytes)
        .map_err(|e| ProbeError::Broken(format!("write failed: {e}")))
}

fn receive(
    stream: &mut impl ProbeStream,
    buf: &mut BytesMut,
    version: ProtocolVersion,
    deadline: Instant,
    what: &'static str,
) -> Result<Packet, ProbeError> {
    loop {
        match decode(buf, version, &Limits::UNLIMITED) {
            Ok(Some(packet)) => return Ok(packet),
            Ok(None) => {}
            Err(e) => return Err(ProbeError::Broken(format!("malformed {what}: {e}"))),
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ProbeError::NoReply(what));
        }
        let _ = stream.set_read_timeout(Some(left));
        let mut chunk = [0u8; 1024];
        match stream.read(&mut chunk) {
            Ok(0) => return Err(ProbeError::Broken(format!("closed before {what}"))),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(ProbeError::NoReply(what))
            }
            Err(e) => {
                return Err(ProbeError::Broken(format!(
                    "read failed before {what}: {e}"
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_is_refused() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let error = probe(addr, Duration::from_secs(2)).expect_err("nothing listens");
        assert!(matches!(error, ProbeError::Refused(_)), "{error}");
    }

    #[test]
    fn a_silent_listener_hangs() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let error = probe(addr, Duration::from_millis(300)).expect_err("never answers");
        assert!(error.is_hang(), "{error}");
    }
}
