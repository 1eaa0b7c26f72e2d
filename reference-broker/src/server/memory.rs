//! In-memory connections: a `tokio::io::duplex` pair whose broker end is
//! handed to the driver exactly like an accepted socket. The scenario
//! harness uses them to run the broker in the same process in virtual time
//! (tokio's paused clock advances only while every task is idle, which real
//! sockets would defeat).
//!
//! The two ways a TCP client can end a connection without DISCONNECT must
//! stay distinguishable, because the core reports them differently
//! ([`TransportClose`](crate::TransportClose)): shutting down or dropping a
//! [`MemoryStream`] is a FIN (the broker reads EOF), and
//! [`MemoryStream::reset`] is an RST (the broker's next read fails).

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::sync::mpsc;

use super::connection::{Inbound, Transport};

/// Bytes buffered in each direction of an in-memory connection.
const BUFFER: usize = 64 * 1024;

/// Opens in-memory connections to one [`Server`](super::Server). Cheap to
/// clone; connections made before [`Server::run`](super::Server::run)
/// starts are served once it does.
#[derive(Clone, Debug)]
pub struct MemoryConnector {
    inbound: mpsc::UnboundedSender<Inbound>,
    next: Arc<AtomicU64>,
}

impl MemoryConnector {
    pub(super) fn new(inbound: mpsc::UnboundedSender<Inbound>) -> Self {
        Self {
            inbound,
            next: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A new connection, as if the broker had just accepted a socket.
    /// Fails with `ConnectionRefused` once the server has stopped.
    pub fn connect(&self) -> io::Result<MemoryStream> {
        let (client, broker_end) = pair();
        let label = format!("memory#{}", self.next.fetch_add(1, Ordering::Relaxed));
        self.inbound
            .send(Inbound::Accepted(
                Transport::Other(Box::new(broker_end)),
                label,
            ))
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "the in-memory broker is not running",
                )
            })?;
        Ok(client)
    }

    /// Hands the server a connection accepted elsewhere (a WebSocket from
    /// [`WsListener`](super::ws::WsListener)), served like an accepted
    /// socket. Fails with `ConnectionRefused` once the server has stopped.
    pub fn accept_stream(
        &self,
        stream: impl AsyncRead + AsyncWrite + Send + Unpin + std::fmt::Debug + 'static,
        label: String,
    ) -> io::Result<()> {
        self.inbound
            .send(Inbound::Accepted(Transport::Other(Box::new(stream)), label))
            .map_err(|_| {
                io::Error::new(
                    io::ErrorKind::ConnectionRefused,
                    "the broker is not running",
                )
            })
    }
}

/// Two connected ends sharing one reset flag.
fn pair() -> (MemoryStream, BrokerEnd) {
    let (client, broker) = tokio::io::duplex(BUFFER);
    let reset = Arc::new(AtomicBool::new(false));
    let broker_end = BrokerEnd {
        inner: broker,
        reset: Arc::clone(&reset),
    };
    (
        MemoryStream {
            inner: client,
            reset,
        },
        broker_end,
    )
}

/// The client end of an in-memory connection.
#[derive(Debug)]
pub struct MemoryStream {
    inner: DuplexStream,
    reset: Arc<AtomicBool>,
}

impl MemoryStream {
    /// Ends the connection abortively, like a TCP RST: the broker's next
    /// read fails with `ConnectionReset` (after any bytes already written),
    /// which it must treat as a network failure (MQTT-3.1.2-8).
    pub fn reset(self) {
        self.reset.store(true, Ordering::SeqCst);
        drop(self.inner);
    }
}

impl AsyncRead for MemoryStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for MemoryStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    /// A FIN: the broker reads EOF once it has read everything before it.
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The broker end: a duplex stream whose EOF becomes `ConnectionReset` when
/// the client end was reset rather than closed.
#[derive(Debug)]
struct BrokerEnd {
    inner: DuplexStream,
    reset: Arc<AtomicBool>,
}

impl BrokerEnd {
    fn reset_error() -> io::Error {
        io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")
    }
}

impl AsyncRead for BrokerEnd {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(()))
                if buf.filled().len() == before
                    && buf.remaining() > 0
                    && self.reset.load(Ordering::SeqCst) =>
            {
                Poll::Ready(Err(Self::reset_error()))
            }
            other => other,
        }
    }
}

impl AsyncWrite for BrokerEnd {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.reset.load(Ordering::SeqCst) {
            return Poll::Ready(Err(Self::reset_error()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn shutdown_is_eof_and_reset_is_an_error() {
        let (mut client, mut broker) = pair();
        client.write_all(b"abc").await.expect("write");
        client.shutdown().await.expect("shutdown");
        let mut buf = Vec::new();
        broker
            .read_to_end(&mut buf)
            .await
            .expect("EOF, not an error");
        assert_eq!(buf, b"abc");

        let (mut client, mut broker) = pair();
        client.write_all(b"xy").await.expect("write");
        client.reset();
        let mut buf = [0u8; 8];
        assert_eq!(broker.read(&mut buf).await.expect("buffered bytes"), 2);
        let error = broker.read(&mut buf).await.expect_err("reset");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionReset);
    }

    #[test]
    fn connections_are_handed_to_the_driver_like_accepted_sockets() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let connector = MemoryConnector::new(tx);
        let _first = connector.connect().expect("connect");
        let _second = connector.connect().expect("connect");
        let labels: Vec<String> = std::iter::from_fn(|| match rx.try_recv() {
            Ok(Inbound::Accepted(_, label)) => Some(label),
            _ => None,
        })
        .collect();
        assert_eq!(labels, ["memory#0", "memory#1"]);
    }

    #[test]
    fn connecting_to_a_stopped_server_is_refused() {
        let (tx, rx) = mpsc::unbounded_channel();
        drop(rx);
        let error = MemoryConnector::new(tx).connect().expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
    }
}
