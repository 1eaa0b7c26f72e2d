//! Raw MQTT over TCP for the limit tests: a broker on 127.0.0.1:0, a raw
//! connection, packet builders, and the "still serves wills" check.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use lastwill_broker::{bind, BrokerConfig, ServerConfig};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, Publish, QoS, ReasonCode,
    Subscribe, Subscription, SubscriptionOptions, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::oneshot;

/// Generous bound for anything that should happen "at once".
pub const PROMPTLY: Duration = Duration::from_secs(10);
pub const V5: ProtocolVersion = ProtocolVersion::V5;
pub const V3: ProtocolVersion = ProtocolVersion::V3_1_1;

/// A broker on 127.0.0.1:0, stopped when dropped.
pub struct Running {
    pub addr: SocketAddr,
    _stop: oneshot::Sender<()>,
}

pub async fn start(broker: BrokerConfig) -> Running {
    let server = bind(ServerConfig {
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        broker,
    })
    .await
    .expect("bind");
    let addr = server.local_addrs()[0];
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Running { addr, _stop: stop }
}

/// One raw MQTT connection.
pub struct Raw {
    pub stream: TcpStream,
    buf: BytesMut,
    version: ProtocolVersion,
}

impl Raw {
    pub async fn open(addr: SocketAddr, version: ProtocolVersion) -> Self {
        Self::open_with_rcvbuf(addr, version, None).await
    }

    /// With a small receive buffer, a client that never reads fills up fast.
    pub async fn open_with_rcvbuf(
        addr: SocketAddr,
        version: ProtocolVersion,
        rcvbuf: Option<u32>,
    ) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = rcvbuf {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let stream = socket.connect(addr).await.expect("connect");
        Self {
            stream,
            buf: BytesMut::new(),
            version,
        }
    }

    pub async fn send(&mut self, packet: &Packet) {
        let bytes = encode_to_bytes(packet, self.version).expect("encode");
        self.send_raw(&bytes).await;
    }

    pub async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.expect("write");
    }

    /// The next packet, or `None` once the broker closed (FIN or reset).
    pub async fn recv(&mut self) -> Option<Packet> {
        let read = async {
            loop {
                match decode(&mut self.buf, self.version, &Limits::default()) {
                    Ok(Some(packet)) => return Some(packet),
                    Ok(None) => {}
                    Err(error) => panic!("broker sent a bad packet: {error}"),
                }
                match self.stream.read_buf(&mut self.buf).await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                }
            }
        };
        tokio::time::timeout(PROMPTLY, read)
            .await
            .expect("a packet or a close in time")
    }

    /// Reads until the broker closes; the last packet seen.
    pub async fn until_closed(&mut self) -> Option<Packet> {
        let mut last = None;
        while let Some(packet) = self.recv().await {
            last = Some(packet);
        }
        last
    }

    /// Connects with CONNECT `connect`; the CONNACK code.
    pub async fn handshake(&mut self, connect: Connect) -> ReasonCode {
        self.send(&Packet::Connect(Box::new(connect))).await;
        match self.recv().await {
            Some(Packet::ConnAck(ack)) => ack.reason_code,
            other => panic!("expected CONNACK, got {other:?}"),
        }
    }

    pub async fn subscribe(&mut self, filter: &str, qos: QoS) {
        let subscribe = Subscribe {
            packet_id: 1,
            properties: Default::default(),
            subscriptions: vec![Subscription {
                filter: filter.into(),
                options: SubscriptionOptions {
                    qos,
                    ..SubscriptionOptions::default()
                },
            }],
        };
        self.send(&Packet::Subscribe(subscribe)).await;
        assert!(matches!(self.recv().await, Some(Packet::SubAck(_))));
    }
}

pub fn connect(version: ProtocolVersion, id: &str) -> Connect {
    let mut connect = Connect::new(version, id);
    connect.keep_alive = 0;
    connect
}

pub fn with_will(mut connect: Connect, topic: &str) -> Connect {
    connect.will = Some(Will {
        topic: topic.into(),
        payload: Bytes::from_static(b"gone"),
        qos: QoS::AtLeastOnce,
        retain: false,
        properties: Default::default(),
    });
    connect
}

pub fn publish(topic: &str, qos: QoS, packet_id: Option<u16>, payload: Bytes) -> Packet {
    Packet::Publish(Publish {
        dup: false,
        qos,
        retain: false,
        topic: topic.into(),
        packet_id,
        properties: Default::default(),
        payload,
    })
}

/// A fixed header announcing a CONNECT of `remaining` bytes, then the start
/// of its variable header (protocol name and `level`), and nothing more.
pub fn oversized_connect_head(remaining: u32, level: u8) -> Vec<u8> {
    let mut head = BytesMut::new();
    lastwill_codec::put_fixed_header(&mut head, 0x10, remaining as usize);
    let mut head = head.to_vec();
    head.extend_from_slice(&[0, 4, b'M', b'Q', b'T', b'T', level, 0x02, 0, 0]);
    head
}

/// The broker still works: a 5.0 client with a will connects, a watcher
/// subscribed to the will topic gets the will once the client vanishes.
pub async fn still_serves_wills(addr: SocketAddr, tag: &str) {
    let topic = format!("limits/{tag}/will");
    let mut watcher = Raw::open(addr, V5).await;
    assert_eq!(
        watcher
            .handshake(connect(V5, &format!("{tag}-watcher")))
            .await,
        ReasonCode::SUCCESS
    );
    watcher.subscribe(&topic, QoS::AtLeastOnce).await;
    let mut device = Raw::open(addr, V5).await;
    let code = device
        .handshake(with_will(connect(V5, &format!("{tag}-device")), &topic))
        .await;
    assert_eq!(code, ReasonCode::SUCCESS);
    let _ = device.stream.set_zero_linger();
    drop(device);
    match watcher.recv().await {
        Some(Packet::Publish(p)) => assert_eq!(p.topic, topic),
        other => panic!("expected the will, got {other:?}"),
    }
}
