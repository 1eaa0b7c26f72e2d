//! Packet sets shared by the criterion benchmarks (`benches/codec.rs`) and
//! the ratio table (`examples/codec_ratio.rs`). Every set is built as
//! lastwill packets, encoded once by lastwill, and the same bytes are fed to
//! both decoders; `Set::new` checks that mqttbytes decodes every packet of
//! every set too, so neither side is timed on an early error.
//!
//! The encode benchmarks encode the values each library decoded from those
//! bytes, so both encoders write the same packets.

#![allow(dead_code, clippy::unwrap_used)]

use bytes::{Bytes, BytesMut};
use lastwill_codec::{
    Connect, Limits, Packet, Properties, PropertyValues, ProtocolVersion, Publish, PublishResponse,
    QoS, Subscribe, Subscription, SubscriptionOptions, UserProperty, Will,
};

/// Largest packet either decoder is told to accept.
pub const MAX_PACKET: usize = 1 << 20;

/// The versions benchmarked: lastwill's and mqttbytes' names for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Version {
    V4,
    V5,
}

impl Version {
    pub const ALL: [Version; 2] = [Version::V4, Version::V5];

    pub fn lastwill(self) -> ProtocolVersion {
        match self {
            Version::V4 => ProtocolVersion::V3_1_1,
            Version::V5 => ProtocolVersion::V5,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Version::V4 => "v4 (3.1.1)",
            Version::V5 => "v5 (5.0)",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Version::V4 => "v4",
            Version::V5 => "v5",
        }
    }
}

/// One named packet set: its packets, their bytes, and the values each
/// library decoded from those bytes (the encoders' input).
pub struct Set {
    pub name: &'static str,
    pub version: Version,
    pub bytes: Bytes,
    pub packets: usize,
    pub lastwill: Vec<Packet>,
    pub mqttbytes_v4: Vec<mqttbytes::v4::Packet>,
    pub mqttbytes_v5: Vec<mqttbytes::v5::Packet>,
}

impl Set {
    fn new(name: &'static str, version: Version, packets: Vec<Packet>) -> Self {
        let mut buf = BytesMut::new();
        for packet in &packets {
            lastwill_codec::encode(packet, version.lastwill(), &mut buf).unwrap();
        }
        let bytes = buf.freeze();
        let count = packets.len();
        let mut set = Set {
            name,
            version,
            bytes,
            packets: count,
            lastwill: packets,
            mqttbytes_v4: Vec::new(),
            mqttbytes_v5: Vec::new(),
        };
        assert_eq!(decode_lastwill(&set), count, "{name}: lastwill");
        assert_eq!(decode_mqttbytes(&set), count, "{name}: mqttbytes");
        let mut stream = BytesMut::from(&set.bytes[..]);
        match version {
            Version::V4 => {
                while let Ok(packet) = mqttbytes::v4::read(&mut stream, MAX_PACKET) {
                    set.mqttbytes_v4.push(packet);
                }
            }
            Version::V5 => {
                while let Ok(packet) = mqttbytes::v5::read(&mut stream, MAX_PACKET) {
                    set.mqttbytes_v5.push(packet);
                }
            }
        }
        set
    }
}

/// Decodes every packet of `set` with lastwill's streaming decoder; the
/// number decoded.
pub fn decode_lastwill(set: &Set) -> usize {
    let mut stream = BytesMut::from(&set.bytes[..]);
    decode_lastwill_stream(&mut stream, set.version)
}

pub fn decode_lastwill_stream(stream: &mut BytesMut, version: Version) -> usize {
    let limits = Limits::new(MAX_PACKET as u32);
    let version = version.lastwill();
    let mut count = 0;
    while let Ok(Some(packet)) = lastwill_codec::decode(stream, version, &limits) {
        std::hint::black_box(packet);
        count += 1;
    }
    count
}

/// Decodes every packet of `set` with mqttbytes; the number decoded.
pub fn decode_mqttbytes(set: &Set) -> usize {
    let mut stream = BytesMut::from(&set.bytes[..]);
    decode_mqttbytes_stream(&mut stream, set.version)
}

pub fn decode_mqttbytes_stream(stream: &mut BytesMut, version: Version) -> usize {
    let mut count = 0;
    match version {
        Version::V4 => {
            while let Ok(packet) = mqttbytes::v4::read(stream, MAX_PACKET) {
                std::hint::black_box(packet);
                count += 1;
            }
        }
        Version::V5 => {
            while let Ok(packet) = mqttbytes::v5::read(stream, MAX_PACKET) {
                std::hint::black_box(packet);
                count += 1;
            }
        }
    }
    count
}

/// Encodes every packet of `set` with lastwill into `out` (cleared first).
pub fn encode_lastwill(set: &Set, out: &mut BytesMut) {
    out.clear();
    let version = set.version.lastwill();
    for packet in &set.lastwill {
        lastwill_codec::encode(packet, version, out).unwrap();
    }
}

/// Encodes every packet of `set` with mqttbytes into `out` (cleared first).
pub fn encode_mqttbytes(set: &Set, out: &mut BytesMut) {
    use mqttbytes::{v4, v5};
    out.clear();
    for packet in &set.mqttbytes_v4 {
        let _ = match packet {
            v4::Packet::Connect(p) => p.write(out),
            v4::Packet::Publish(p) => p.write(out),
            v4::Packet::PubAck(p) => p.write(out),
            v4::Packet::Subscribe(p) => p.write(out),
            v4::Packet::Unsubscribe(p) => p.write(out),
            v4::Packet::PingReq => v4::PingReq.write(out),
            other => panic!("not in the sets: {other:?}"),
        }
        .unwrap();
    }
    for packet in &set.mqttbytes_v5 {
        let _ = match packet {
            v5::Packet::Connect(p) => p.write(out),
            v5::Packet::Publish(p) => p.write(out),
            v5::Packet::PubAck(p) => p.write(out),
            v5::Packet::Subscribe(p) => p.write(out),
            v5::Packet::Unsubscribe(p) => p.write(out),
            v5::Packet::PingReq => v5::PingReq.write(out),
            other => panic!("not in the sets: {other:?}"),
        }
        .unwrap();
    }
}

/// Every set, for both versions: `connect-will`, `publish-small`,
/// `publish-64k`, `subscribe-100`, `mixed-10k`.
pub fn all_sets() -> Vec<Set> {
    let mut sets = Vec::new();
    for version in Version::ALL {
        sets.push(Set::new("connect-will", version, vec![connect(version, 1)]));
        sets.push(Set::new(
            "publish-small",
            version,
            vec![publish(version, 7, 32)],
        ));
        sets.push(Set::new(
            "publish-64k",
            version,
            vec![publish(version, 7, 64 * 1024)],
        ));
        sets.push(Set::new(
            "subscribe-100",
            version,
            vec![subscribe(version, 100)],
        ));
        sets.push(Set::new("mixed-10k", version, mixed(version, 10_000)));
    }
    sets
}

fn will_properties(version: Version) -> Properties {
    match version {
        Version::V4 => Properties::default(),
        Version::V5 => Properties::from(PropertyValues {
            will_delay_interval: Some(30),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(3600),
            content_type: Some("application/json".into()),
            response_topic: Some("devices/sensor-0042/will/reply".into()),
            correlation_data: Some(Bytes::from_static(b"0123456789abcdef")),
            user_properties: vec![
                UserProperty::new("site", "hall-3"),
                UserProperty::new("firmware", "4.2.1"),
            ],
            ..PropertyValues::default()
        }),
    }
}

/// CONNECT with a QoS 1 retained will, user name and password; in 5.0 with
/// every will property and a few CONNECT properties.
pub fn connect(version: Version, n: usize) -> Packet {
    let mut connect = Connect::new(version.lastwill(), format!("sensor-{n:06}"));
    connect.keep_alive = 30;
    connect.username = Some("fleet".into());
    connect.password = Some(Bytes::from_static(b"s3cret-token"));
    connect.will = Some(Will {
        topic: format!("devices/sensor-{n:06}/status").into(),
        payload: Bytes::from_static(br#"{"state":"offline","reason":"will"}"#),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: will_properties(version),
    });
    if version == Version::V5 {
        connect.properties.session_expiry_interval = Some(300);
        connect.properties.receive_maximum = Some(100);
        connect.properties.topic_alias_maximum = Some(10);
    }
    Packet::Connect(Box::new(connect))
}

/// A QoS 1 PUBLISH of `size` payload bytes.
pub fn publish(version: Version, id: u16, size: usize) -> Packet {
    let mut properties = Properties::default();
    if version == Version::V5 {
        properties.message_expiry_interval = Some(60);
    }
    Packet::Publish(Publish {
        dup: false,
        qos: QoS::AtLeastOnce,
        retain: false,
        topic: format!("plant/line-{}/sensor/temperature", id % 16).into(),
        packet_id: Some(id.max(1)),
        properties: properties.into(),
        payload: Bytes::from(vec![b'x'; size]),
    })
}

/// A SUBSCRIBE with `filters` filters, wildcards among them.
pub fn subscribe(_version: Version, filters: usize) -> Packet {
    let subscriptions = (0..filters)
        .map(|i| Subscription {
            filter: match i % 3 {
                0 => format!("plant/line-{i}/+/temperature").into(),
                1 => format!("devices/sensor-{i:06}/#").into(),
                _ => format!("alerts/zone-{i}/fire").into(),
            },
            options: SubscriptionOptions {
                qos: QoS::from_u8((i % 3) as u8).unwrap(),
                ..SubscriptionOptions::default()
            },
        })
        .collect();
    Packet::Subscribe(Subscribe {
        packet_id: 42,
        properties: Properties::default(),
        subscriptions,
    })
}

/// `count` packets in a repeating pattern of 20 that a busy server might
/// read: 12 small PUBLISH (16–256 bytes), 4 PUBACK, 1 PUBLISH of 4 KiB,
/// 1 CONNECT with a will, 1 SUBSCRIBE of 5 filters, 1 PINGREQ.
pub fn mixed(version: Version, count: usize) -> Vec<Packet> {
    (0..count)
        .map(|i| {
            let id = (i % 60_000 + 1) as u16;
            match i % 20 {
                0..=11 => publish(version, id, 16 << (i % 5)),
                12..=15 => Packet::PubAck(PublishResponse::new(id)),
                16 => publish(version, id, 4096),
                17 => connect(version, i),
                18 => subscribe(version, 5),
                _ => Packet::PingReq,
            }
        })
        .collect()
}
