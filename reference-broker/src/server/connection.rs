//! Per-connection tasks. They only move bytes: each reports what arrives and
//! how the stream ended, and writes and closes when told. Every decision is
//! the core's.

use std::fmt;
use std::io;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::outbound::OutboundReceiver;
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
    /// This many bytes of what the driver queued were written: the core
    /// counts a client's backlog with it (`core::limits`).
    Written(ConnectionId, usize),
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

/// Read buffer sizes of a connection: the first, and the most it grows to.
const MIN_READ_CHUNK: usize = 256;
const MAX_READ_CHUNK: usize = 64 * 1024;

/// Bytes written with one write call at most, when packets queue up.
const MAX_WRITE_BATCH: usize = 64 * 1024;

/// Bytes read and not yet handled by the driver, past which a connection
/// stops reading: two chunks, so reading and handling overlap.
const READ_BUDGET: usize = 2 * MAX_READ_CHUNK;

/// How long a closing connection may take to write its last packets (a
/// DISCONNECT to a client that does not read) before it is dropped.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Writes `bytes`, unless a close is requested meanwhile and the write
/// then takes longer than [`CLOSE_LINGER`]: a peer that never reads must
/// not keep a closed connection's task and buffers alive.
async fn write_out(
    stream: &mut BoxedStream,
    bytes: &[u8],
    rx: &OutboundReceiver,
) -> io::Result<()> {
    let write = stream.write_all(bytes);
    tokio::pin!(write);
    tokio::select! {
        biased;
        written = &mut write => written,
        () = rx.close_requested() => match tokio::time::timeout(CLOSE_LINGER, write).await {
            Ok(written) => written,
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer read nothing while the connection closed",
            )),
        },
    }
}

/// `first`, `next` and whatever else is queued, up to [`MAX_WRITE_BATCH`],
/// as one buffer: a storm of wills to one subscriber then costs one write
/// per batch rather than one per will. Whether a `Close` ended the batch.
fn batch(first: Bytes, next: Outbound, rx: &mut OutboundReceiver) -> (Bytes, bool) {
    let mut batch = BytesMut::from(&first[..]);
    let mut next = Some(next);
    while let Some(item) = next.take() {
        match item {
            Outbound::Bytes(bytes) => batch.extend_from_slice(&bytes),
            Outbound::Close => return (batch.freeze(), true),
        }
        if batch.len() >= MAX_WRITE_BATCH {
            break;
        }
        next = rx.try_recv();
    }
    (batch.freeze(), false)
}

/// Serves one connection in one task: reports what arrives and how the
/// stream ended, and writes what the driver queues, in order, until told to
/// close or the driver goes away. One task rather than a reader and a writer
/// over a split stream: half the tasks and no lock per idle connection.
///
/// Reading stops at EOF (`Ok(0)`, the peer's FIN) or an error (a reset or
/// another transport failure, which the core treats alike for wills but
/// reports differently); writing goes on until `Close`. A write error is
/// reported as a transport error, each write's length as `Written`. While a
/// write is blocked (a peer that does not read) the connection is not read
/// either, nor while the driver has [`READ_BUDGET`] bytes of it unhandled.
pub(super) async fn serve(
    conn: ConnectionId,
    mut stream: BoxedStream,
    mut rx: OutboundReceiver,
    tx: mpsc::UnboundedSender<Inbound>,
) {
    // An idle connection holds only a small buffer; one whose reads fill it
    // gets a larger one, up to MAX_READ_CHUNK.
    let mut chunk = MIN_READ_CHUNK;
    let mut buf = BytesMut::new();
    let mut reading = true;
    loop {
        let may_read = reading && rx.may_read(READ_BUDGET);
        if may_read {
            buf.reserve(chunk);
        }
        let capacity = buf.capacity() - buf.len();
        tokio::select! {
            read = stream.read_buf(&mut buf), if may_read => {
                let message = match read {
                    Ok(0) => Inbound::Closed(conn, TransportClose::PeerClosed),
                    Ok(read) => {
                        if read == capacity {
                            chunk = (chunk * 2).min(MAX_READ_CHUNK);
                        }
                        rx.took_credit(read);
                        Inbound::Bytes(conn, buf.split().freeze())
                    }
                    Err(_) => Inbound::Closed(conn, TransportClose::Error),
                };
                if matches!(message, Inbound::Closed(..)) {
                    reading = false;
                    buf = BytesMut::new();
                }
                if tx.send(message).is_err() {
                    return;
                }
            }
            () = rx.read_credit(READ_BUDGET), if reading && !may_read => {}
            item = rx.recv() => match item {
                Some(Outbound::Bytes(first)) => {
                    let (bytes, close) = match rx.try_recv() {
                        None => (first, false),
                        Some(next) => batch(first, next, &mut rx),
                    };
                    if write_out(&mut stream, &bytes, &rx).await.is_err() {
                        if reading {
                            let _ = tx.send(Inbound::Closed(conn, TransportClose::Error));
                        }
                        return;
                    }
                    let _ = tx.send(Inbound::Written(conn, bytes.len()));
                    if close {
                        break;
                    }
                }
                Some(Outbound::Close) | None => break,
            },
        }
    }
    let finish = async {
        let _ = stream.flush().await;
        let _ = stream.shutdown().await;
    };
    let _ = tokio::time::timeout(CLOSE_LINGER, finish).await;
}
