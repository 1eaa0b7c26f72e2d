//! The tokio server over in-memory connections, in virtual time: tokio's
//! paused clock jumps to the next deadline whenever every task is idle, so
//! a two-minute Will Delay costs milliseconds of wall time.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use lastwill_broker::{bind_memory, BrokerConfig, MemoryConnector, MemoryStream};
use lastwill_codec::{
    decode, encode_to_bytes, Connect, Limits, Packet, ProtocolVersion, QoS, Subscribe,
    Subscription, SubscriptionOptions, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

const V5: ProtocolVersion = ProtocolVersion::V5;

struct Client {
    stream: MemoryStream,
    buf: BytesMut,
}

impl Client {
    async fn connect(connector: &MemoryConnector, connect: Connect) -> Self {
        let mut client = Self {
            stream: connector.connect().expect("in-memory connect"),
            buf: BytesMut::new(),
        };
        client.send(&Packet::Connect(Box::new(connect))).await;
        assert!(
            matches!(client.recv().await, Some(Packet::ConnAck(ack)) if ack.reason_code.0 == 0)
        );
        client
    }

    async fn send(&mut self, packet: &Packet) {
        let bytes = encode_to_bytes(packet, V5).expect("encode");
        self.stream.write_all(&bytes).await.expect("write");
    }

    async fn recv(&mut self) -> Option<Packet> {
        loop {
            if let Some(packet) = decode(&mut self.buf, V5, &Limits::UNLIMITED).expect("valid") {
                return Some(packet);
            }
            if self.stream.read_buf(&mut self.buf).await.expect("read") == 0 {
                return None;
            }
        }
    }
}

fn device(delay: Option<u32>) -> Connect {
    let mut connect = Connect::new(V5, "device");
    connect.properties.session_expiry_interval = Some(600);
    let mut will = Will {
        topic: "status/device".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    };
    will.properties.will_delay_interval = delay;
    connect.will = Some(will);
    connect
}

async fn watcher(connector: &MemoryConnector) -> Client {
    // Keep-alive off: a 60 s keep-alive would expire during a 120 s delay.
    let mut connect = Connect::new(V5, "watcher");
    connect.keep_alive = 0;
    let mut watcher = Client::connect(connector, connect).await;
    watcher
        .send(&Packet::Subscribe(Subscribe {
            packet_id: 1,
            properties: Default::default(),
            subscriptions: vec![Subscription {
                filter: "status/#".into(),
                options: SubscriptionOptions::default(),
            }],
        }))
        .await;
    assert!(matches!(watcher.recv().await, Some(Packet::SubAck(_))));
    watcher
}

fn start() -> MemoryConnector {
    let server = bind_memory(BrokerConfig::default());
    let connector = server.memory_connector();
    tokio::spawn(server.run(std::future::pending()));
    connector
}

#[tokio::test(start_paused = true)]
async fn a_reset_publishes_the_will_after_its_delay_in_virtual_time() {
    let wall = std::time::Instant::now();
    let connector = start();
    let mut watcher = watcher(&connector).await;
    let device = Client::connect(&connector, device(Some(120))).await;
    let reset_at = Instant::now();
    device.stream.reset();
    let Some(Packet::Publish(will)) = watcher.recv().await else {
        panic!("no will");
    };
    assert_eq!(will.topic, "status/device");
    assert_eq!(reset_at.elapsed(), Duration::from_secs(120));
    assert!(
        wall.elapsed() < Duration::from_secs(5),
        "{:?}",
        wall.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_fin_publishes_the_will_at_once() {
    let connector = start();
    let mut watcher = watcher(&connector).await;
    let mut device = Client::connect(&connector, device(None)).await;
    let closed_at = Instant::now();
    device.stream.shutdown().await.expect("FIN");
    let Some(Packet::Publish(will)) = watcher.recv().await else {
        panic!("no will");
    };
    assert_eq!(&will.payload[..], b"offline");
    assert_eq!(closed_at.elapsed(), Duration::ZERO);
    // The broker answers our FIN by closing its side.
    assert!(device.recv().await.is_none());
}

#[tokio::test(start_paused = true)]
async fn a_stopped_server_refuses_in_memory_connections() {
    let server = bind_memory(BrokerConfig::default());
    let connector = server.memory_connector();
    let task = tokio::spawn(server.run(async {}));
    task.await.expect("join").expect("run");
    let error = connector.connect().expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::ConnectionRefused);
}
