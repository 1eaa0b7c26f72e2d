//! Per-connection tasks for in-memory, TLS and WebSocket streams (plain TCP
//! is served by the reactor thread, `super::reactor`), and the TCP accept
//! loop. They only move bytes: each reports what arrives and how the stream
//! ended, and writes and closes when told. Every decision is the core's.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::{ready, Context, Poll};
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

/// A connection's stream. Plain TCP goes to the reactor thread
/// ([`super::reactor`]), which holds an idle connection for a few dozen
/// bytes; other streams (in-memory, TLS, WebSocket) are served by a task
/// each ([`serve`]).
#[derive(Debug)]
pub(super) enum Transport {
    Tcp(std::net::TcpStream),
    Other(BoxedStream),
}

/// Reads at most `chunk` bytes once some are available: the bytes (with
/// whether they filled the buffer), or an empty buffer at end of stream.
fn poll_read_chunk(
    stream: &mut BoxedStream,
    chunk: usize,
    cx: &mut Context<'_>,
) -> Poll<io::Result<(BytesMut, bool)>> {
    let mut buf = BytesMut::with_capacity(chunk);
    let read = ready!(pin!(stream.read_buf(&mut buf)).poll(cx))?;
    let full = read == buf.capacity();
    Poll::Ready(Ok((buf, full)))
}

/// What the accept, reader and writer tasks tell the driver.
#[derive(Debug)]
pub(super) enum Inbound {
    /// A new connection and a label for logs (the peer address, or
    /// `memory#N` for an in-memory one).
    Accepted(Transport, String),
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
        let (stream, peer) = accept_tcp(&listener, "tcp").await;
        // Out of tokio's hands (the reactor registers it with its own
        // poller); the stream stays non-blocking.
        let stream = match stream.into_std() {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "tcp: accepted connection from {peer} lost");
                continue;
            }
        };
        if tx
            .send(Inbound::Accepted(Transport::Tcp(stream), peer.to_string()))
            .is_err()
        {
            return;
        }
    }
}

/// The next TCP connection of `listener`, with Nagle off (a will is one
/// small packet and must not wait). An accept error (out of file
/// descriptors, say) is logged and retried after a short pause instead of
/// spinning; `scheme` names the listener in the log line.
pub(crate) async fn accept_tcp(
    listener: &TcpListener,
    scheme: &str,
) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let _ = stream.set_nodelay(true);
                return (stream, peer);
            }
            Err(error) => {
                tracing::warn!(%error, "{scheme}: accept failed");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Read sizes of a connection: the first, and the most it grows to.
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
    stream: &mut (dyn AsyncWrite + Send + Unpin),
    bytes: &[u8],
    rx: &OutboundReceiver,
) -> io::Result<()> {
    let write = stream.write_all(bytes);
    tokio::pin!(write);
    tokio::select! {
        biased;
        written = &mut write => written,
        () = poll_fn(|cx| rx.poll_close_requested(cx)) => {
            match tokio::time::timeout(CLOSE_LINGER, write).await {
                Ok(written) => written,
                Err(_) => Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the peer read nothing while the connection closed",
                )),
            }
        }
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

/// What woke a connection's task.
enum Step {
    /// What a read gave: bytes and whether they filled the buffer, an empty
    /// buffer at end of stream, or the error.
    Read(io::Result<(BytesMut, bool)>),
    /// What the driver queued; `None` once it dropped its end.
    Queued(Option<Outbound>),
}

/// Waits for the next [`Step`], looking at the queue and the stream in
/// turns (`read_first` alternates) so that neither starves the other. A
/// poll function rather than a `select!` of futures: it stores no waiter,
/// which keeps each idle connection's task small.
fn poll_step(
    stream: &mut BoxedStream,
    rx: &OutboundReceiver,
    may_read: bool,
    chunk: usize,
    read_first: bool,
    cx: &mut Context<'_>,
) -> Poll<Step> {
    if read_first && may_read {
        if let Poll::Ready(read) = poll_read_chunk(stream, chunk, cx) {
            return Poll::Ready(Step::Read(read));
        }
    }
    // Registers the task for queued items and for returned read credit.
    if let Poll::Ready(item) = rx.poll_recv(cx) {
        return Poll::Ready(Step::Queued(item));
    }
    if !read_first && may_read {
        if let Poll::Ready(read) = poll_read_chunk(stream, chunk, cx) {
            return Poll::Ready(Step::Read(read));
        }
    }
    Poll::Pending
}

/// Serves one connection in one task: reports what arrives and how the
/// stream ended, and writes what the driver queues, in order, until told to
/// close or the driver goes away. One task rather than a reader and a writer
/// over a split stream: half the tasks and no lock per idle connection.
///
/// Reading stops at EOF (`Ok(0)`, the peer's FIN) or an error. After EOF
/// writing goes on until `Close`; after a read error (a reset, or another
/// transport failure, which the core treats alike for wills but reports
/// differently) the task ends at once: nothing more can be written, and a
/// storm of resets then costs no wake-up and no shutdown call per
/// connection. A write error is reported as a transport error, each write's
/// length as `Written`. While a write is blocked (a peer that does not
/// read) the connection is not read either, nor while the driver has
/// [`READ_BUDGET`] bytes of it unhandled. The rarely reached states (a
/// write, the final flush) are boxed so that they do not size every idle
/// connection's future.
pub(super) async fn serve(
    conn: ConnectionId,
    mut stream: BoxedStream,
    mut rx: OutboundReceiver,
    tx: mpsc::UnboundedSender<Inbound>,
) {
    // A connection whose reads fill the chunk gets a larger one, up to
    // MAX_READ_CHUNK.
    let mut chunk = MIN_READ_CHUNK;
    let mut reading = true;
    let mut read_first = false;
    loop {
        let may_read = reading && rx.may_read(READ_BUDGET);
        read_first = !read_first;
        let step = poll_fn(|cx| poll_step(&mut stream, &rx, may_read, chunk, read_first, cx));
        match step.await {
            Step::Read(Ok((buf, full))) => {
                let message = if buf.is_empty() {
                    reading = false;
                    Inbound::Closed(conn, TransportClose::PeerClosed)
                } else {
                    if full {
                        chunk = (chunk * 2).min(MAX_READ_CHUNK);
                    }
                    rx.took_credit(buf.len());
                    Inbound::Bytes(conn, buf.freeze())
                };
                if tx.send(message).is_err() {
                    return;
                }
            }
            Step::Read(Err(_)) => {
                let _ = tx.send(Inbound::Closed(conn, TransportClose::Error));
                return;
            }
            Step::Queued(Some(Outbound::Bytes(first))) => {
                let (bytes, close) = match rx.try_recv() {
                    None => (first, false),
                    Some(next) => batch(first, next, &mut rx),
                };
                let written = Box::pin(write_out(&mut stream, &bytes, &rx)).await;
                if written.is_err() {
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
            Step::Queued(Some(Outbound::Close) | None) => break,
        }
    }
    let finish = async {
        let writer = &mut stream;
        let _ = writer.flush().await;
        let _ = writer.shutdown().await;
    };
    let _ = Box::pin(tokio::time::timeout(CLOSE_LINGER, finish)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::outbound::outbound_queue;

    /// Every idle connection holds one `serve` future: keep it small (the
    /// tokio task around it, some 100 bytes more, is rounded up to a
    /// multiple of 128). Optimized builds lay it out tighter than this
    /// bound, which is for the unoptimized test build.
    #[tokio::test]
    async fn serve_future_stays_small() {
        let (client, _server) = tokio::io::duplex(64);
        let (_outbound, rx) = outbound_queue();
        let (tx, _inbound) = mpsc::unbounded_channel();
        let future = serve(ConnectionId(1), Box::new(client), rx, tx);
        let size = std::mem::size_of_val(&future);
        assert!(size <= 256, "serve future is {size} bytes");
    }
}
