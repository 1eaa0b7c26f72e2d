//! One MQTT connection of the soak, 3.1.1 or 5.0: CONNECT and CONNACK,
//! publishing at QoS 0, 1 and 2 with the acknowledgement flows, and the
//! different ways of ending. Every wait is bounded, so a broker that stops
//! answering shows as client errors rather than a hung soak.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    decode, encode_to_bytes, ConnAck, Connect, DecodeError, Disconnect, EncodeError, Limits,
    Packet, PacketType, ProtocolVersion, Publish, PublishResponse, QoS, ReasonCode,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::bench::client::dial;

/// How long the broker may take to answer anything.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a client of the soak gave up on its connection.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the broker sent a malformed packet: {0}")]
    Decode(#[from] DecodeError),
    #[error("cannot encode a packet: {0}")]
    Encode(#[from] EncodeError),
    #[error("the broker refused CONNECT with {0}")]
    Refused(ReasonCode),
    #[error("expected {expected}, the broker sent {got}")]
    Unexpected {
        expected: &'static str,
        got: PacketType,
    },
    #[error("no {0} within {REPLY_TIMEOUT:?}")]
    Timeout(&'static str),
    #[error("the broker closed the connection")]
    Closed,
}

/// An open connection.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: BytesMut,
    version: ProtocolVersion,
    next_id: u16,
    /// When the last packet went out: the keep-alive clock starts there.
    pub last_sent: Instant,
}

impl Conn {
    /// Dials `broker` (from `source` if given), sends `connect` and waits
    /// for a successful CONNACK.
    pub async fn open(
        broker: SocketAddr,
        source: Option<IpAddr>,
        connect: Connect,
    ) -> Result<(Self, ConnAck), ClientError> {
        let stream = dial(broker, source).await?;
        let mut conn = Self {
            stream,
            buf: BytesMut::with_capacity(1024),
            version: connect.version,
            next_id: 0,
            last_sent: Instant::now(),
        };
        conn.send(&Packet::Connect(Box::new(connect))).await?;
        match conn.recv("CONNACK").await? {
            Packet::ConnAck(ack) if ack.reason_code == ReasonCode::SUCCESS => Ok((conn, ack)),
            Packet::ConnAck(ack) => Err(ClientError::Refused(ack.reason_code)),
            other => Err(unexpected("CONNACK", &other)),
        }
    }

    pub async fn send(&mut self, packet: &Packet) -> Result<(), ClientError> {
        let bytes = encode_to_bytes(packet, self.version)?;
        // Taken before the write: the broker cannot have the packet earlier.
        self.last_sent = Instant::now();
        self.stream.write_all(&bytes).await?;
        Ok(())
    }

    /// The next packet, within [`REPLY_TIMEOUT`].
    pub async fn recv(&mut self, what: &'static str) -> Result<Packet, ClientError> {
        tokio::time::timeout(REPLY_TIMEOUT, self.next_packet())
            .await
            .map_err(|_| ClientError::Timeout(what))?
    }

    /// The next packet, however long it takes (cancel-safe: a partial
    /// packet stays in the buffer).
    pub async fn next_packet(&mut self) -> Result<Packet, ClientError> {
        loop {
            if let Some(packet) = decode(&mut self.buf, self.version, &Limits::default())? {
                return Ok(packet);
            }
            if self.stream.read_buf(&mut self.buf).await? == 0 {
                return Err(ClientError::Closed);
            }
        }
    }

    fn packet_id(&mut self) -> u16 {
        self.next_id = self.next_id.checked_add(1).unwrap_or(1);
        self.next_id
    }

    /// Publishes and completes the QoS flow (PUBACK, or PUBREC / PUBREL /
    /// PUBCOMP).
    pub async fn publish(
        &mut self,
        topic: String,
        payload: Bytes,
        qos: QoS,
    ) -> Result<(), ClientError> {
        let packet_id = (qos != QoS::AtMostOnce).then(|| self.packet_id());
        self.send(&Packet::Publish(Publish {
            dup: false,
            qos,
            retain: false,
            topic: topic.into(),
            packet_id,
            properties: Default::default(),
            payload,
        }))
        .await?;
        let Some(id) = packet_id else {
            return Ok(());
        };
        if qos == QoS::AtLeastOnce {
            return match self.recv("PUBACK").await? {
                Packet::PubAck(ack) if ack.packet_id == id => Ok(()),
                other => Err(unexpected("PUBACK", &other)),
            };
        }
        match self.recv("PUBREC").await? {
            Packet::PubRec(rec) if rec.packet_id == id => {}
            other => return Err(unexpected("PUBREC", &other)),
        }
        self.send(&Packet::PubRel(PublishResponse::new(id))).await?;
        match self.recv("PUBCOMP").await? {
            Packet::PubComp(comp) if comp.packet_id == id => Ok(()),
            other => Err(unexpected("PUBCOMP", &other)),
        }
    }

    /// Sends DISCONNECT with `reason` (3.1.1 has none on the wire), then
    /// closes the socket.
    pub async fn disconnect(mut self, reason: ReasonCode) -> Result<(), ClientError> {
        self.send(&Packet::Disconnect(Disconnect::new(reason)))
            .await?;
        self.stream.shutdown().await?;
        Ok(())
    }

    /// Ends the connection with RST (SO_LINGER 0, then close).
    pub fn reset(self) {
        let _ = self.stream.set_zero_linger();
    }

    /// Closes the client's side (FIN) without DISCONNECT.
    pub async fn fin(&mut self) -> Result<(), ClientError> {
        self.stream.shutdown().await?;
        Ok(())
    }

    /// Waits up to `within` for the broker to close the connection,
    /// ignoring what it sends meanwhile (a 5.0 DISCONNECT, say). False when
    /// it was still open.
    pub async fn closed_within(&mut self, within: Duration) -> bool {
        let drain = async {
            loop {
                self.buf.clear();
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(within, drain).await.is_ok()
    }

    /// Acknowledges a PUBLISH the broker sent (QoS 1: PUBACK, QoS 2: PUBREC).
    pub async fn acknowledge(&mut self, publish: &Publish) -> Result<(), ClientError> {
        let Some(id) = publish.packet_id else {
            return Ok(());
        };
        let response = PublishResponse::new(id);
        let packet = match publish.qos {
            QoS::AtMostOnce => return Ok(()),
            QoS::AtLeastOnce => Packet::PubAck(response),
            QoS::ExactlyOnce => Packet::PubRec(response),
        };
        self.send(&packet).await
    }
}

fn unexpected(expected: &'static str, got: &Packet) -> ClientError {
    ClientError::Unexpected {
        expected,
        got: got.packet_type(),
    }
}
