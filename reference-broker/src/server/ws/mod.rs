//! MQTT over WebSocket (MQTT 3.1.1 and 5.0 §6): `ws://HOST:PORT/PATH`,
//! subprotocol `mqtt`, binary frames. An MQTT packet may span frames and a
//! frame may hold several packets, so the WebSocket is read as one byte
//! stream ([`WsStream`]), which both the broker's listener and the
//! harness's `ws://` transport use.
//!
//! Decisions:
//! - **Strict handshake.** The listener answers 404 to any other path and
//!   400 to a client that does not offer the `mqtt` subprotocol
//!   (MQTT-6.0.0-3), and always selects `mqtt` (MQTT-6.0.0-4).
//! - **Text frames are an error** (MQTT-6.0.0-1): the connection fails as
//!   if the network had, so the core treats it like any transport error.
//! - **Ends of a connection.** A Close frame, or the TCP stream ending
//!   without one, reads as end of stream (a FIN); a TCP reset is an I/O
//!   error (an RST), as over plain TCP. Shutting the writer down sends a
//!   Close frame.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use bytes::Bytes;
use futures_util::{Sink, Stream};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::WebSocketStream;

use super::memory::MemoryConnector;

/// How long an accepted TCP connection may take to complete the WebSocket
/// handshake (the broker's CONNECT timeout starts after it).
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The WebSocket subprotocol MQTT uses (§6).
pub const SUBPROTOCOL: &str = "mqtt";

/// A WebSocket read and written as a byte stream of binary frames.
pub struct WsStream<S> {
    inner: WebSocketStream<S>,
    pending: Bytes,
    eof: bool,
    /// A frame was queued but not yet flushed: writers that never call
    /// `flush` (the broker's connection task) still get their bytes out,
    /// flushed by the next write or read.
    unflushed: bool,
}

impl<S> fmt::Debug for WsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WsStream")
            .field("pending", &self.pending.len())
            .field("eof", &self.eof)
            .finish()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WsStream<S> {
    pub fn new(inner: WebSocketStream<S>) -> Self {
        Self {
            inner,
            pending: Bytes::new(),
            eof: false,
            unflushed: false,
        }
    }

    /// The underlying stream (to reset a TCP connection, say).
    pub fn get_ref(&self) -> &S {
        self.inner.get_ref()
    }
}

fn io_error(error: WsError) -> io::Error {
    match error {
        WsError::Io(error) => error,
        other => io::Error::other(other),
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.unflushed {
            if let Poll::Ready(result) = Pin::new(&mut this.inner).poll_flush(cx) {
                this.unflushed = false;
                result.map_err(io_error)?;
            }
        }
        loop {
            if !this.pending.is_empty() {
                let n = this.pending.len().min(buf.remaining());
                buf.put_slice(&this.pending.split_to(n));
                return Poll::Ready(Ok(()));
            }
            if this.eof {
                return Poll::Ready(Ok(()));
            }
            match ready!(Pin::new(&mut this.inner).poll_next(cx)) {
                None | Some(Ok(Message::Close(_))) => this.eof = true,
                Some(Ok(Message::Binary(data))) => this.pending = data,
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a text frame: MQTT over WebSocket uses binary frames (MQTT-6.0.0-1)",
                    )))
                }
                Some(Ok(_)) => {}
                // The TCP stream ended without a Close frame: a FIN.
                Some(Err(WsError::Protocol(
                    tokio_tungstenite::tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
                )))
                | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => this.eof = true,
                Some(Err(error)) => return Poll::Ready(Err(io_error(error))),
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for WsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.inner).poll_ready(cx)).map_err(io_error)?;
        Pin::new(&mut this.inner)
            .start_send(Message::Binary(Bytes::copy_from_slice(data)))
            .map_err(io_error)?;
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Ready(result) => {
                this.unflushed = false;
                result.map_err(io_error)?;
            }
            Poll::Pending => this.unflushed = true,
        }
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.inner).poll_flush(cx)).map_err(io_error)?;
        this.unflushed = false;
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match ready!(Pin::new(&mut self.get_mut().inner).poll_close(cx)) {
            Ok(()) | Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => Poll::Ready(Ok(())),
            Err(error) => Poll::Ready(Err(io_error(error))),
        }
    }
}

/// Client side: the WebSocket handshake for `url` (`ws://HOST:PORT/PATH`)
/// over an open stream, offering the `mqtt` subprotocol.
pub async fn connect<S: AsyncRead + AsyncWrite + Unpin>(
    stream: S,
    url: &str,
) -> io::Result<WsStream<S>> {
    let mut request = url.into_client_request().map_err(io_error)?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(SUBPROTOCOL),
    );
    let (ws, response) = tokio_tungstenite::client_async(request, stream)
        .await
        .map_err(io_error)?;
    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .and_then(|v| v.to_str().ok());
    if chosen != Some(SUBPROTOCOL) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "the server selected WebSocket subprotocol {chosen:?}, not `mqtt` (MQTT-6.0.0-4)"
            ),
        ));
    }
    Ok(WsStream::new(ws))
}

/// Server side: the WebSocket handshake, accepting only `path` and the
/// `mqtt` subprotocol.
pub async fn accept(stream: TcpStream, path: &str) -> io::Result<WsStream<TcpStream>> {
    let check = |request: &Request, mut response: Response| -> Result<Response, ErrorResponse> {
        let refuse = |status: StatusCode, why: &str| {
            let mut error = ErrorResponse::new(Some(why.to_owned()));
            *error.status_mut() = status;
            error
        };
        if request.uri().path() != path {
            return Err(refuse(StatusCode::NOT_FOUND, "no MQTT endpoint here"));
        }
        let offered = request
            .headers()
            .get_all("Sec-WebSocket-Protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim() == SUBPROTOCOL);
        if !offered {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "the client must offer the `mqtt` subprotocol (MQTT-6.0.0-3)",
            ));
        }
        response.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static(SUBPROTOCOL),
        );
        Ok(response)
    };
    let ws = tokio_tungstenite::accept_hdr_async(stream, check)
        .await
        .map_err(io_error)?;
    Ok(WsStream::new(ws))
}

/// A bound `ws://` listener; [`serve`](Self::serve) hands each accepted
/// WebSocket to a server through its [`MemoryConnector`].
#[derive(Debug)]
pub struct WsListener {
    listener: TcpListener,
    path: String,
}

impl WsListener {
    pub async fn bind(addr: SocketAddr, path: &str) -> io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(addr).await?,
            path: path.to_owned(),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// `ws://ADDR/PATH`.
    pub fn url(&self) -> String {
        match self.local_addr() {
            Ok(addr) => format!("ws://{addr}{}", self.path),
            Err(_) => format!("ws://?{}", self.path),
        }
    }

    /// Accepts until the server stops; each handshake runs in its own task.
    pub async fn serve(self, connector: MemoryConnector) {
        loop {
            let (stream, peer) = super::connection::accept_tcp(&self.listener, "ws").await;
            let (path, connector) = (self.path.clone(), connector.clone());
            tokio::spawn(async move {
                // A client that never completes the handshake holds nothing for long.
                let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, accept(stream, &path));
                let accepted = handshake.await.unwrap_or_else(|_| {
                    Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "no WebSocket handshake",
                    ))
                });
                match accepted {
                    Ok(ws) => {
                        if connector.accept_stream(ws, format!("ws://{peer}")).is_err() {
                            tracing::debug!("ws: the broker has stopped");
                        }
                    }
                    Err(error) => tracing::debug!(%peer, %error, "ws: handshake failed"),
                }
            });
        }
    }
}

#[cfg(test)]
mod tests;
