//! The byte streams a test client speaks over. All end a connection in the
//! two ways the will rules tell apart from a DISCONNECT: an orderly close
//! (FIN, `AsyncWriteExt::shutdown`) and an abortive one (RST, [`Transport::reset`]).
//! MQTT-3.1.2-8 makes either one publish the will; a broker that reports
//! them differently must still do so.

use std::fmt;

use lastwill_broker::server::ws::WsStream;
use lastwill_broker::MemoryStream;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// A connection to a broker, owned by one client connection task.
pub trait Transport: AsyncRead + AsyncWrite + Send + Unpin + fmt::Debug {
    /// Ends the connection abortively: the broker sees a reset (an I/O error),
    /// not an end of stream.
    fn reset(self: Box<Self>);
}

impl Transport for TcpStream {
    /// `SO_LINGER` 0 makes the close send RST instead of FIN; with a zero
    /// linger the close does not block.
    fn reset(self: Box<Self>) {
        if let Err(error) = self.set_zero_linger() {
            tracing::warn!("cannot set SO_LINGER 0, the close will be a FIN: {error}");
        }
        drop(self);
    }
}

impl Transport for MemoryStream {
    fn reset(self: Box<Self>) {
        MemoryStream::reset(*self);
    }
}

/// MQTT over WebSocket (`ws://`): a FIN is a Close frame
/// (`AsyncWriteExt::shutdown`), a reset is an RST of the TCP connection
/// under it, with no Close frame.
impl Transport for WsStream<TcpStream> {
    fn reset(self: Box<Self>) {
        if let Err(error) = self.get_ref().set_zero_linger() {
            tracing::warn!("cannot set SO_LINGER 0, the close will be a FIN: {error}");
        }
        drop(self);
    }
}

/// MQTT over TLS (`mqtts://`): a FIN is a TLS `close_notify` followed by a
/// TCP FIN (`AsyncWriteExt::shutdown`), which the broker reads as a clean
/// end of stream; a reset is an RST of the TCP connection under the TLS
/// session, with no `close_notify`, which it reads as an error. Either is
/// a close without DISCONNECT, so either publishes the will (MQTT-3.1.2-8).
impl Transport for TlsStream<TcpStream> {
    fn reset(self: Box<Self>) {
        let (tcp, _) = self.get_ref();
        if let Err(error) = tcp.set_zero_linger() {
            tracing::warn!("cannot set SO_LINGER 0, the close will be a FIN: {error}");
        }
        drop(self);
    }
}
