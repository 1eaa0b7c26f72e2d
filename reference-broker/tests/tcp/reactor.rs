//! What the reactor thread (plain TCP without a task per connection) must
//! get right beyond single connections: a storm of resets among many idle
//! sockets, and a half-closed peer that still reads.

use std::collections::BTreeSet;
use std::time::Duration;

use lastwill_codec::{
    encode_to_bytes, Connect, Packet as CodecPacket, ProtocolVersion, QoS as CodecQoS, Subscribe,
    Subscription, SubscriptionOptions, Will,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{expect, publish_of, watcher, Running, PROMPTLY};

fn connect_with_will(id: &str, topic: &str) -> bytes::Bytes {
    let mut connect = Connect::new(ProtocolVersion::V3_1_1, id);
    connect.will = Some(Will {
        topic: topic.into(),
        payload: bytes::Bytes::from_static(b"gone"),
        qos: CodecQoS::AtMostOnce,
        retain: false,
        properties: Default::default(),
    });
    encode_to_bytes(
        &CodecPacket::Connect(Box::new(connect)),
        ProtocolVersion::V3_1_1,
    )
    .expect("encode")
}

/// Every client of a reset storm gets its will once (MQTT-3.1.2-8): the
/// reactor reads each reset, however many arrive in one poll.
#[tokio::test]
async fn a_reset_storm_delivers_every_will_exactly_once() {
    const CLIENTS: usize = 300;
    let server = Running::start().await;
    let (_watcher, mut rx) = watcher(&server, "storm/#").await;
    let mut streams = Vec::with_capacity(CLIENTS);
    for i in 0..CLIENTS {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let connect = connect_with_will(&format!("storm-{i}"), &format!("storm/{i}"));
        stream.write_all(&connect).await.expect("write");
        streams.push(stream);
    }
    for stream in &mut streams {
        let mut connack = [0u8; 4];
        stream.read_exact(&mut connack).await.expect("CONNACK");
        assert_eq!(connack, [0x20, 0x02, 0x00, 0x00]);
    }
    for stream in streams {
        stream.set_zero_linger().expect("linger");
    }
    let mut seen = BTreeSet::new();
    while seen.len() < CLIENTS {
        let (topic, _) = expect(&mut rx, publish_of).await;
        assert!(seen.insert(topic.clone()), "{topic} published twice");
    }
    // No duplicate trails the last will.
    let late = tokio::time::timeout(Duration::from_millis(300), expect(&mut rx, publish_of)).await;
    assert!(late.is_err(), "an extra will: {late:?}");
    server.stop().await;
}

/// A peer that sends CONNECT and SUBSCRIBE in one segment and then half-closes
/// (FIN, no DISCONNECT) still gets CONNACK and SUBACK, then an orderly end of
/// stream (FIN after the last byte), not a reset; and its will is published
/// (MQTT-3.1.2-8).
#[tokio::test]
async fn a_half_closed_peer_reads_its_replies_then_an_orderly_end() {
    let server = Running::start().await;
    let (_watcher, mut rx) = watcher(&server, "half/#").await;
    let mut bytes = connect_with_will("half", "half/closed").to_vec();
    let subscribe = Subscribe {
        packet_id: 1,
        properties: Default::default(),
        subscriptions: vec![Subscription {
            filter: "half/mine".into(),
            options: SubscriptionOptions::default(),
        }],
    };
    bytes.extend_from_slice(
        &encode_to_bytes(&CodecPacket::Subscribe(subscribe), ProtocolVersion::V3_1_1)
            .expect("encode"),
    );
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream.write_all(&bytes).await.expect("write");
    stream.shutdown().await.expect("FIN");
    let mut replies = Vec::new();
    let read = tokio::time::timeout(PROMPTLY, stream.read_to_end(&mut replies)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "an orderly end of stream: {read:?}"
    );
    assert_eq!(
        replies,
        [0x20, 0x02, 0x00, 0x00, 0x90, 0x03, 0x00, 0x01, 0x00],
        "CONNACK then SUBACK"
    );
    let (topic, payload) = expect(&mut rx, publish_of).await;
    assert_eq!(
        (topic.as_str(), payload.as_slice()),
        ("half/closed", &b"gone"[..])
    );
    server.stop().await;
}
