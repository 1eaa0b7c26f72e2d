//! The task that owns one network connection: it writes what the runner
//! asks, decodes everything the broker sends with the strict codec, records
//! both directions in the timeline, and acknowledges inbound QoS 1 and 2
//! PUBLISHes itself (PUBACK; PUBREC, then PUBCOMP on PUBREL) so a scenario
//! never has to. It never sends PINGREQ on its own: keep-alive expiry is
//! something scenarios provoke on purpose (MQTT-3.1.2-24 / MQTT-3.1.2-22).

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, ConnAck, Limits, Packet, ProtocolVersion, PublishResponse, QoS,
};
use lastwill_report::Direction;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::scene::{hex, lock, ProtocolFailure, Scene};
use super::state::{ClientState, EndKind, LocalClose, Received, ReceivedPublish};
use super::summary::summarize;
use super::transport::Transport;

/// Bytes of a malformed packet kept in the verdict.
const MALFORMED_SHOWN: usize = 256;

/// What the runner asks a connection task to do.
#[derive(Debug)]
pub(super) enum Command {
    Send {
        bytes: Bytes,
        summary: String,
        done: oneshot::Sender<io::Result<()>>,
    },
    /// Shut down the write side (FIN) and keep reading until the broker closes.
    Fin {
        done: oneshot::Sender<io::Result<()>>,
    },
    /// Abortive close (RST); the task ends.
    Reset { done: oneshot::Sender<()> },
}

/// Everything a connection task needs besides its transport.
#[derive(Debug)]
pub(super) struct Io {
    pub client: String,
    pub index: u32,
    pub version: ProtocolVersion,
    pub scene: Scene,
    pub state: Arc<Mutex<ClientState>>,
    /// Set by `go_silent`: not even acknowledgements are sent any more,
    /// since any packet would restart the broker's keep-alive timer.
    pub silent: Arc<AtomicBool>,
}

/// Serves the connection, then keeps the command receiver until the
/// [`Client`](super::Client) goes away, dropping every later command
/// unanswered (its caller sees [`ClientError::Closed`](super::ClientError)).
///
/// The receiver must outlive the connection: a send that races with the
/// receiver's drop can be accepted by tokio's mpsc channel and then be
/// neither delivered nor dropped (the receiver drains the queue before the
/// late message lands), so the reply sender inside it lived on and the
/// caller waited for an answer that never came. That hung `disconnect`
/// steps (DISCONNECT, then FIN) until their hard limit when the broker's
/// close, which follows a DISCONNECT at once (the server SHOULD close,
/// §3.14.4, as the client MUST, MQTT-3.14.4-2), ended the task just as
/// the FIN command was being sent.
pub(super) async fn run(
    io: Io,
    transport: Box<dyn Transport>,
    mut commands: mpsc::UnboundedReceiver<Command>,
) {
    serve(&io, transport, &mut commands).await;
    while commands.recv().await.is_some() {}
}

/// Runs the connection until either side closes it or the client goes
/// away; the transport is dropped (closed) on return.
async fn serve(
    io: &Io,
    mut transport: Box<dyn Transport>,
    commands: &mut mpsc::UnboundedReceiver<Command>,
) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut write_open = true;
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                // The client went away: dropping the transport closes it.
                None => return,
                Some(Command::Send { bytes, summary, done }) => {
                    let result = if write_open {
                        io.write(&mut transport, &bytes, summary).await
                    } else {
                        Err(io::Error::new(io::ErrorKind::NotConnected, "FIN already sent"))
                    };
                    let _ = done.send(result);
                }
                Some(Command::Fin { done }) => {
                    write_open = false;
                    io.scene.transport(&io.client, io.index, "FIN sent", lastwill_report::Transport::ClientFin);
                    io.update(|c| c.local_close = Some(LocalClose::Fin));
                    let _ = done.send(transport.shutdown().await);
                }
                Some(Command::Reset { done }) => {
                    io.scene.transport(&io.client, io.index, "RST sent", lastwill_report::Transport::ClientRst);
                    io.update(|c| {
                        c.local_close = Some(LocalClose::Rst);
                        c.ended = Some((Instant::now(), EndKind::LocalReset));
                    });
                    transport.reset();
                    let _ = done.send(());
                    return;
                }
            },
            read = transport.read_buf(&mut buf) => match read {
                Ok(0) => {
                    io.scene.transport(
                        &io.client,
                        io.index,
                        "closed by the broker (EOF)",
                        lastwill_report::Transport::BrokerFin,
                    );
                    io.end(EndKind::BrokerClosed);
                    return;
                }
                Err(error) => {
                    io.scene.transport(
                        &io.client,
                        io.index,
                        format!("connection failed: {error}"),
                        lastwill_report::Transport::BrokerRst,
                    );
                    io.end(EndKind::BrokerReset(error.to_string()));
                    return;
                }
                Ok(_) => {
                    if !io.decode_all(&mut buf, &mut transport, write_open).await {
                        return;
                    }
                }
            },
        }
    }
}

impl Io {
    fn update(&self, f: impl FnOnce(&mut super::state::ConnectionState)) {
        {
            let mut state = lock(&self.state);
            if let Some(conn) = state.connections.get_mut(self.index as usize) {
                f(conn);
            }
        }
        self.scene.wake();
    }

    fn end(&self, kind: EndKind) {
        self.update(|c| {
            c.ended.get_or_insert((Instant::now(), kind));
        });
    }

    async fn write(
        &self,
        transport: &mut Box<dyn Transport>,
        bytes: &[u8],
        summary: String,
    ) -> io::Result<()> {
        self.scene
            .record(&self.client, self.index, Direction::Sent, summary, bytes);
        let result = async {
            transport.write_all(bytes).await?;
            transport.flush().await
        }
        .await;
        if let Err(error) = &result {
            self.scene
                .event(&self.client, self.index, format!("write failed: {error}"));
        }
        result
    }

    /// Decodes every whole packet in `buf`. Returns false when the
    /// connection must stop: the broker sent something malformed.
    async fn decode_all(
        &self,
        buf: &mut BytesMut,
        transport: &mut Box<dyn Transport>,
        write_open: bool,
    ) -> bool {
        loop {
            // Decode a copy to learn the frame's length, so the timeline can
            // hold its exact bytes.
            let mut rest = buf.clone();
            match decode(&mut rest, self.version, &Limits::UNLIMITED) {
                Ok(None) => return true,
                Ok(Some(packet)) => {
                    let frame = buf.split_to(buf.len() - rest.len());
                    let reply = self.on_packet(packet, &frame);
                    let silent = self.silent.load(Ordering::SeqCst);
                    if let (Some(reply), true, false) = (reply, write_open, silent) {
                        match encode_to_bytes(&reply, self.version) {
                            Ok(bytes) => {
                                // A failed acknowledgement shows in the
                                // timeline; the read side reports the close.
                                let _ = self.write(transport, &bytes, summarize(&reply)).await;
                            }
                            Err(error) => self.scene.event(
                                &self.client,
                                self.index,
                                format!("cannot encode acknowledgement: {error}"),
                            ),
                        }
                    }
                }
                Err(error) => {
                    let shown = &buf[..buf.len().min(MALFORMED_SHOWN)];
                    self.scene.record(
                        &self.client,
                        self.index,
                        Direction::Received,
                        format!("MALFORMED: {error} [{}]", error.rule()),
                        shown,
                    );
                    self.scene.set_failure(ProtocolFailure {
                        client: self.client.clone(),
                        connection: self.index,
                        at: Instant::now(),
                        error,
                        hex: hex(shown),
                    });
                    self.end(EndKind::Malformed);
                    return false;
                }
            }
        }
    }

    /// Files a decoded packet and returns the acknowledgement it calls for.
    fn on_packet(&self, packet: Packet, frame: &[u8]) -> Option<Packet> {
        self.scene.record(
            &self.client,
            self.index,
            Direction::Received,
            summarize(&packet),
            frame,
        );
        let at = Instant::now();
        let mut reply = None;
        {
            let mut state = lock(&self.state);
            match packet {
                Packet::Publish(publish) => {
                    reply = match (publish.qos, publish.packet_id) {
                        (QoS::AtLeastOnce, Some(id)) => {
                            Some(Packet::PubAck(PublishResponse::new(id)))
                        }
                        (QoS::ExactlyOnce, Some(id)) => {
                            Some(Packet::PubRec(PublishResponse::new(id)))
                        }
                        _ => None,
                    };
                    state.inbox.push_back(ReceivedPublish {
                        connection: self.index,
                        at,
                        publish,
                    });
                }
                Packet::PubRel(rel) => {
                    reply = Some(Packet::PubComp(PublishResponse::new(rel.packet_id)));
                }
                packet => {
                    if let Some(conn) = state.connections.get_mut(self.index as usize) {
                        if let Packet::ConnAck(ConnAck { reason_code, .. }) = &packet {
                            conn.mqtt_connected |= reason_code.0 == 0;
                        }
                        conn.received.push(Received { at, packet });
                    }
                }
            }
        }
        self.scene.wake();
        reply
    }
}
