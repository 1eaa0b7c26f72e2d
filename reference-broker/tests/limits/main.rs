//! The limits of `core::limits` over real TCP with small settings: each hit
//! gives the documented reason code or close, and the broker then still
//! serves a normal client and delivers its will. Raw sockets and the codec,
//! so every byte on the wire is the test's choice. Real time, with bounds a
//! loaded two-core machine cannot break (closes "within seconds").

mod support;

use std::time::Duration;

use bytes::Bytes;
use lastwill_broker::BrokerConfig;
use lastwill_codec::{encode_to_bytes, Packet, QoS, ReasonCode};
use tokio::io::AsyncWriteExt;

use support::{
    connect, oversized_connect_head, publish, start, still_serves_wills, with_will, Raw, V3, V5,
};

fn small() -> BrokerConfig {
    BrokerConfig {
        max_packet_size: 1024,
        connect_timeout: Duration::from_millis(500),
        ..BrokerConfig::default()
    }
}

#[tokio::test]
async fn oversized_v5_connect_gets_connack_0x95_from_its_header() {
    let broker = start(small()).await;
    let mut hostile = Raw::open(broker.addr, V5).await;
    // 200 MB announced; only the head is ever sent.
    hostile
        .send_raw(&oversized_connect_head(200_000_000, 5))
        .await;
    match hostile.recv().await {
        Some(Packet::ConnAck(ack)) => assert_eq!(ack.reason_code, ReasonCode::PACKET_TOO_LARGE),
        other => panic!("expected CONNACK 0x95, got {other:?}"),
    }
    assert_eq!(hostile.recv().await, None, "closed after CONNACK");
    // Just over the limit is refused too.
    let mut over = Raw::open(broker.addr, V5).await;
    over.send_raw(&oversized_connect_head(1024, 5)).await;
    match over.recv().await {
        Some(Packet::ConnAck(ack)) => assert_eq!(ack.reason_code, ReasonCode::PACKET_TOO_LARGE),
        other => panic!("expected CONNACK 0x95, got {other:?}"),
    }
    // The fixed header alone first: the broker waits for the protocol
    // level before choosing the 5.0 refusal.
    let mut split = Raw::open(broker.addr, V5).await;
    let head = oversized_connect_head(200_000_000, 5);
    split.send_raw(&head[..5]).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    split.send_raw(&head[5..]).await;
    match split.recv().await {
        Some(Packet::ConnAck(ack)) => assert_eq!(ack.reason_code, ReasonCode::PACKET_TOO_LARGE),
        other => panic!("expected CONNACK 0x95, got {other:?}"),
    }
    still_serves_wills(broker.addr, "v5-connect").await;
}

#[tokio::test]
async fn oversized_v311_connect_is_refused_and_closed() {
    let broker = start(small()).await;
    let mut hostile = Raw::open(broker.addr, V3).await;
    hostile
        .send_raw(&oversized_connect_head(200_000_000, 4))
        .await;
    // 3.1.1 has no 0x95: CONNACK 0x05 (as mosquitto answers), then close.
    match hostile.until_closed().await {
        Some(Packet::ConnAck(ack)) => assert_eq!(ack.reason_code, ReasonCode::V3_NOT_AUTHORIZED),
        other => panic!("expected CONNACK 0x05, got {other:?}"),
    }
    still_serves_wills(broker.addr, "v3-connect").await;
}

#[tokio::test]
async fn oversized_packet_after_connect_gets_disconnect_0x95_and_the_will() {
    let broker = start(small()).await;
    let mut watcher = Raw::open(broker.addr, V5).await;
    watcher.handshake(connect(V5, "watcher")).await;
    watcher.subscribe("big/will", QoS::AtLeastOnce).await;
    let mut client = Raw::open(broker.addr, V5).await;
    let code = client
        .handshake(with_will(connect(V5, "big"), "big/will"))
        .await;
    assert_eq!(code, ReasonCode::SUCCESS);
    // The head of a PUBLISH announcing 10 MB; the body never comes.
    client.send_raw(&[0x30, 0x80, 0xAD, 0xE2, 0x04]).await;
    match client.until_closed().await {
        Some(Packet::Disconnect(d)) => assert_eq!(d.reason_code, ReasonCode::PACKET_TOO_LARGE),
        other => panic!("expected DISCONNECT 0x95, got {other:?}"),
    }
    match watcher.recv().await {
        Some(Packet::Publish(p)) => assert_eq!(p.topic, "big/will"),
        other => panic!("expected the will, got {other:?}"),
    }
}

#[tokio::test]
async fn silent_and_byte_at_a_time_connects_are_closed_at_the_connect_timeout() {
    let broker = start(small()).await;
    let mut silent = Raw::open(broker.addr, V5).await;
    let mut slow = Raw::open(broker.addr, V5).await;
    let bytes =
        encode_to_bytes(&Packet::Connect(Box::new(connect(V5, "slow"))), V5).expect("encode");
    // One byte every 100 ms: the whole CONNECT would take longer than 500 ms.
    let dribble = async {
        for byte in bytes.iter().take(bytes.len() - 1) {
            if slow.stream.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        slow.recv().await
    };
    let (silent_end, slow_end) = tokio::join!(silent.recv(), dribble);
    assert_eq!(silent_end, None, "silent connection closed without CONNACK");
    assert_eq!(slow_end, None, "slowloris closed without CONNACK");
    still_serves_wills(broker.addr, "timeout").await;
}

#[tokio::test]
async fn pending_connections_beyond_the_cap_evict_the_oldest() {
    let broker = start(BrokerConfig {
        max_pending_connections: Some(4),
        connect_timeout: Duration::from_secs(60),
        ..BrokerConfig::default()
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..10 {
        idle.push(Raw::open(broker.addr, V5).await);
    }
    // The six oldest are closed to make room; connections are accepted in
    // order, so the first six see the close.
    for (index, raw) in idle.iter_mut().take(6).enumerate() {
        assert_eq!(raw.recv().await, None, "idle connection {index} evicted");
    }
    // A real client still gets in (it evicts one more idle socket).
    still_serves_wills(broker.addr, "pending").await;
}

#[tokio::test]
async fn connections_beyond_max_connections_get_0x97() {
    let broker = start(BrokerConfig {
        max_connections: Some(1),
        ..BrokerConfig::default()
    })
    .await;
    let mut first = Raw::open(broker.addr, V5).await;
    assert_eq!(
        first.handshake(connect(V5, "one")).await,
        ReasonCode::SUCCESS
    );
    let mut second = Raw::open(broker.addr, V5).await;
    assert_eq!(
        second.handshake(connect(V5, "two")).await,
        ReasonCode::QUOTA_EXCEEDED
    );
    let mut third = Raw::open(broker.addr, V3).await;
    assert_eq!(
        third.handshake(connect(V3, "three")).await,
        ReasonCode::V3_SERVER_UNAVAILABLE
    );
}

#[tokio::test]
async fn qos2_beyond_receive_maximum_gets_disconnect_0x93() {
    let broker = start(BrokerConfig {
        receive_maximum: 2,
        ..BrokerConfig::default()
    })
    .await;
    let mut client = Raw::open(broker.addr, V5).await;
    client
        .send(&Packet::Connect(Box::new(connect(V5, "greedy"))))
        .await;
    match client.recv().await {
        Some(Packet::ConnAck(ack)) => assert_eq!(ack.properties.receive_maximum, Some(2)),
        other => panic!("expected CONNACK, got {other:?}"),
    }
    for id in 1..=3 {
        client
            .send(&publish("t", QoS::ExactlyOnce, Some(id), Bytes::new()))
            .await;
    }
    // Two PUBREC, then DISCONNECT 0x93 for the third.
    match client.until_closed().await {
        Some(Packet::Disconnect(d)) => {
            assert_eq!(d.reason_code, ReasonCode::RECEIVE_MAXIMUM_EXCEEDED)
        }
        other => panic!("expected DISCONNECT 0x93, got {other:?}"),
    }
}

#[tokio::test]
async fn a_subscriber_that_never_reads_is_closed_and_its_will_published() {
    let broker = start(BrokerConfig {
        max_outbound_bytes: 16 * 1024,
        max_queued_messages: 50,
        ..BrokerConfig::default()
    })
    .await;
    let mut watcher = Raw::open(broker.addr, V5).await;
    watcher.handshake(connect(V5, "watcher")).await;
    watcher.subscribe("sink/will", QoS::AtLeastOnce).await;
    let mut sink = Raw::open_with_rcvbuf(broker.addr, V5, Some(4096)).await;
    let code = sink
        .handshake(with_will(connect(V5, "sink"), "sink/will"))
        .await;
    assert_eq!(code, ReasonCode::SUCCESS);
    sink.subscribe("flood", QoS::AtLeastOnce).await;
    // From here on the sink reads nothing.
    let mut publisher = Raw::open(broker.addr, V5).await;
    publisher.handshake(connect(V5, "publisher")).await;
    let payload = Bytes::from(vec![b'x'; 4096]);
    let mut will = None;
    for id in 1..=2000u16 {
        publisher
            .send(&publish(
                "flood",
                QoS::AtLeastOnce,
                Some(id),
                payload.clone(),
            ))
            .await;
        // The publisher's PUBACKs are not read either; the watcher is.
        if id % 50 == 0 {
            let quick = tokio::time::timeout(Duration::from_millis(20), watcher.recv()).await;
            if let Ok(Some(Packet::Publish(p))) = quick {
                will = Some(p.topic);
                break;
            }
        }
    }
    let will = match will {
        Some(topic) => topic,
        None => match watcher.recv().await {
            Some(Packet::Publish(p)) => p.topic,
            other => panic!("expected the sink's will, got {other:?}"),
        },
    };
    assert_eq!(will, "sink/will");
    still_serves_wills(broker.addr, "slow-consumer").await;
}
