//! Bytes from a peer never panic the broker: random bytes and mutated valid
//! sessions, cut into random chunks, with time jumping in between.

use lastwill_codec::{Packet, Properties, PublishResponse, QoS, ReasonCode};

use crate::support::*;

/// A session's worth of valid packets, for mutation.
fn valid_stream(version: lastwill_codec::ProtocolVersion) -> Vec<u8> {
    use lastwill_codec::{encode_to_bytes, Disconnect, Subscribe, Subscription};
    let connect = lastwill_codec::Connect::new(version, "f")
        .sei(30)
        .will("w/t", "bye")
        .will_qos(QoS::ExactlyOnce)
        .will_retain()
        .will_delay(1)
        .will_props(|p| p.user_properties = vec![user("k", "v")]);
    let mut retained = publish("w/t", "x", QoS::ExactlyOnce, Some(9));
    retained.retain = true;
    let mut disconnect = Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE);
    disconnect.properties.session_expiry_interval = Some(5);
    let packets = [
        Packet::Connect(Box::new(connect)),
        Packet::Subscribe(Subscribe {
            packet_id: 3,
            properties: Properties::default(),
            subscriptions: vec![Subscription {
                filter: "w/#".into(),
                options: Default::default(),
            }],
        }),
        Packet::Publish(retained),
        Packet::PubRel(PublishResponse::new(9)),
        Packet::PingReq,
        Packet::Disconnect(disconnect),
    ];
    packets
        .iter()
        .flat_map(|p| encode_to_bytes(p, version).expect("encodes").to_vec())
        .collect()
}

#[test]
fn server_never_panics_on_arbitrary_or_mutated_bytes() {
    // A small deterministic generator: xorshift64.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut net = Net::new();
    let streams = [valid_stream(V3), valid_stream(V5)];
    for round in 0..3_000u64 {
        let version = if round % 2 == 0 { V3 } else { V5 };
        let c = net.open(version);
        let mut bytes = streams[(round % 2) as usize].clone();
        if round % 3 == 0 {
            let len = (next() % 64) as usize;
            bytes = (0..len).map(|_| next() as u8).collect();
        } else {
            for _ in 0..=(next() % 4) {
                let at = (next() as usize) % bytes.len();
                bytes[at] = next() as u8;
            }
        }
        for chunk in bytes.chunks(1 + (next() % 9) as usize) {
            net.send_raw(c, chunk);
        }
        net.advance(ms(next() % 3_000));
        if round % 5 == 0 {
            net.reset(c);
        }
    }
    net.advance(secs(100_000));
    net.broker.handle_shutdown(net.now);
    net.pump();
}
