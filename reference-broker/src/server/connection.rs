//! Per-connection tasks. They only move bytes: the reader reports what
//! arrives and how the stream ended, the writer writes and closes when told.
//! Every decision is the core's.

use std::fmt;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::core::event::TransportClose;
use crate::time::ConnectionId;

/// Any byte stream the broker can serve: an accepted TCP socket, or the
/// broker end of an in-memory connection (see [`super::memory`]).
pub(super) trait ByteStream: AsyncRead + AsyncWrite + Send + Unpin + fmt::Debug {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin + fmt::Debug> ByteStream for T {}

pub(super) type BoxedStream = Box<dyn ByteStream>;

/// What the accept, reader and writer tasks tell the driver.
#[derive(Debug)]
pub(super) enum Inbound {
    /// A new connection and a label for logs (the peer address, or
    /// `memory#N` for an in-memory one).
    Accepted(BoxedStream, String),
    Bytes(ConnectionId, Bytes),
    Closed(ConnectionId, TransportClose),
}

/// What the driver tells a writer.
#[derive(Debug)]
pub(super) enum Outbound {
    Bytes(Bytes),
    /// Flush, then close the write side (FIN).
    Close,
}

pub(super) async fn accept_loop(listener: TcpListener, tx: mpsc::UnboundedSender<Inbound>) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                if tx
                    .send(Inbound::Accepted(Box::new(stream), peer.to_string()))
                    .is_err()
                {
                    return;
                }
            }
            Err(error) => {
                // Running out of file descriptors and the like: back off a
                // little instead of spinning.
                tracing::warn!("accept failed: {error}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Reads until EOF or error. EOF (`Ok(0)`) is the peer's FIN; an error is
/// a reset or another transport failure, which the core treats alike for
/// wills but reports differently.
pub(super) async fn read_loop(
    conn: ConnectionId,
    mut read: ReadHalf<BoxedStream>,
    tx: mpsc::UnboundedSender<Inbound>,
) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    loop {
        buf.reserve(8 * 1024);
        let message = match read.read_buf(&mut buf).await {
            Ok(0) => Inbound::Closed(conn, TransportClose::PeerClosed),
            Ok(_) => Inbound::Bytes(conn, buf.split().freeze()),
            Err(_) => Inbound::Closed(conn, TransportClose::Error),
        };
        let done = matches!(message, Inbound::Closed(..));
        if tx.send(message).is_err() || done {
            return;
        }
    }
}

/// Writes what the driver sends, in order, until told to close or the
/// driver goes away. A write error is reported as a transport error.
pub(super) async fn write_loop(
    conn: ConnectionId,
    mut write: WriteHalf<BoxedStream>,
    mut rx: mpsc::UnboundedReceiver<Outbound>,
    tx: mpsc::UnboundedSender<Inbound>,
) {
    while let Some(message) = rx.recv().await {
        match message {
            Outbound::Bytes(bytes) => {
                if write.write_all(&bytes).await.is_err() {
                    let _ = tx.send(Inbound::Closed(conn, TransportClose::Error));
                    return;
                }
            }
            Outbound::Close => break,
        }
    }
    let _ = write.flush().await;
    let _ = write.shutdown().await;
}
