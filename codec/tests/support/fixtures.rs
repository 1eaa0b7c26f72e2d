//! One or more hand-built packets of every type, in both versions where the
//! packet exists in both. Used for golden bytes and truncation tests.

use bytes::Bytes;
use lastwill_codec::*;

const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

pub struct Fixture {
    pub name: &'static str,
    pub version: ProtocolVersion,
    pub packet: Packet,
}

fn fixture(name: &'static str, version: ProtocolVersion, packet: Packet) -> Fixture {
    Fixture {
        name,
        version,
        packet,
    }
}

fn will_v5() -> Will {
    Will {
        topic: "lw/\u{FEFF}status".into(),
        payload: Bytes::from_static(b"offline"),
        qos: QoS::AtLeastOnce,
        retain: true,
        properties: Properties::from(PropertyValues {
            will_delay_interval: Some(5),
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            content_type: Some("text/plain".into()),
            response_topic: Some("lw/reply".into()),
            correlation_data: Some(Bytes::from_static(&[1, 2])),
            user_properties: vec![UserProperty::new("k", "1"), UserProperty::new("k", "0")],
            ..PropertyValues::default()
        }),
    }
}

fn connect_v311() -> Connect {
    Connect {
        version: V3,
        clean_start: false,
        keep_alive: 30,
        properties: Properties::default(),
        client_id: "dev1".into(),
        will: Some(Will {
            topic: "lw/dev1".into(),
            payload: Bytes::from_static(b"gone"),
            qos: QoS::ExactlyOnce,
            retain: false,
            properties: Properties::default(),
        }),
        username: Some("user".into()),
        password: Some(Bytes::from_static(b"pw")),
    }
}

fn connect_v5() -> Connect {
    Connect {
        version: V5,
        clean_start: true,
        keep_alive: 10,
        properties: Properties::from(PropertyValues {
            session_expiry_interval: Some(120),
            receive_maximum: Some(20),
            maximum_packet_size: Some(4096),
            topic_alias_maximum: Some(8),
            request_response_information: Some(1),
            request_problem_information: Some(0),
            authentication_method: Some("PLAIN".into()),
            authentication_data: Some(Bytes::from_static(b"x")),
            user_properties: vec![UserProperty::new("a", "b")],
            ..PropertyValues::default()
        }),
        client_id: "dev5".into(),
        will: Some(will_v5()),
        username: None,
        password: Some(Bytes::from_static(b"secret")),
    }
}

fn response(packet_id: PacketId, code: u8, properties: Properties) -> PublishResponse {
    PublishResponse {
        packet_id,
        reason_code: ReasonCode(code),
        properties,
    }
}

fn reason_string(text: &str) -> Properties {
    Properties::from(PropertyValues {
        reason_string: Some(text.into()),
        user_properties: vec![UserProperty::new("why", "test")],
        ..PropertyValues::default()
    })
}

pub fn all() -> Vec<Fixture> {
    let mut connect_v31 = Connect::new(ProtocolVersion::V3_1, "old");
    connect_v31.keep_alive = 0;
    let subscription = |filter: &str, qos, no_local, rap, rh| Subscription {
        filter: filter.into(),
        options: SubscriptionOptions {
            qos,
            no_local,
            retain_as_published: rap,
            retain_handling: rh,
        },
    };
    vec![
        fixture(
            "connect_v311",
            V3,
            Packet::Connect(Box::new(connect_v311())),
        ),
        fixture("connect_v5", V5, Packet::Connect(Box::new(connect_v5()))),
        fixture(
            "connect_v31",
            ProtocolVersion::V3_1,
            Packet::Connect(Box::new(connect_v31)),
        ),
        fixture(
            "connack_v311",
            V3,
            Packet::ConnAck(ConnAck {
                session_present: true,
                reason_code: ReasonCode::SUCCESS,
                properties: Properties::default(),
            }),
        ),
        fixture(
            "connack_v5",
            V5,
            Packet::ConnAck(ConnAck {
                session_present: false,
                reason_code: ReasonCode::SUCCESS,
                properties: Properties::from(PropertyValues {
                    session_expiry_interval: Some(0),
                    receive_maximum: Some(10),
                    maximum_qos: Some(1),
                    retain_available: Some(0),
                    maximum_packet_size: Some(1024),
                    assigned_client_identifier: Some("auto-1".into()),
                    topic_alias_maximum: Some(0),
                    wildcard_subscription_available: Some(1),
                    subscription_identifier_available: Some(1),
                    shared_subscription_available: Some(0),
                    server_keep_alive: Some(5),
                    ..PropertyValues::default()
                }),
            }),
        ),
        fixture(
            "connack_v5_refused",
            V5,
            Packet::ConnAck(ConnAck {
                session_present: false,
                reason_code: ReasonCode::TOPIC_NAME_INVALID,
                properties: reason_string("bad will topic"),
            }),
        ),
        fixture(
            "publish_v311_qos0",
            V3,
            Packet::Publish(Publish {
                dup: false,
                qos: QoS::AtMostOnce,
                retain: true,
                topic: "a/b".into(),
                packet_id: None,
                properties: Default::default(),
                payload: Bytes::from_static(b"hi"),
            }),
        ),
        fixture(
            "publish_v5_qos2",
            V5,
            Packet::Publish(Publish {
                dup: true,
                qos: QoS::ExactlyOnce,
                retain: false,
                topic: "lw/dev5".into(),
                packet_id: Some(0x1234),
                properties: Properties::from(PropertyValues {
                    payload_format_indicator: Some(0),
                    message_expiry_interval: Some(9),
                    topic_alias: Some(3),
                    subscription_identifiers: vec![1, 300],
                    user_properties: vec![UserProperty::new("z", ""), UserProperty::new("a", "")],
                    ..PropertyValues::default()
                })
                .into(),
                payload: Bytes::new(),
            }),
        ),
        fixture("puback_v311", V3, Packet::PubAck(PublishResponse::new(7))),
        fixture(
            "puback_v5_short",
            V5,
            Packet::PubAck(PublishResponse::new(7)),
        ),
        fixture(
            "puback_v5_code",
            V5,
            Packet::PubAck(response(7, 0x10, Properties::default())),
        ),
        fixture("pubrec_v311", V3, Packet::PubRec(PublishResponse::new(8))),
        fixture(
            "pubrec_v5",
            V5,
            Packet::PubRec(response(8, 0x80, reason_string("nope"))),
        ),
        fixture("pubrel_v311", V3, Packet::PubRel(PublishResponse::new(9))),
        fixture(
            "pubrel_v5",
            V5,
            Packet::PubRel(response(9, 0x92, Properties::default())),
        ),
        fixture(
            "pubcomp_v311",
            V3,
            Packet::PubComp(PublishResponse::new(10)),
        ),
        fixture(
            "pubcomp_v5",
            V5,
            Packet::PubComp(response(10, 0x00, reason_string("done"))),
        ),
        fixture(
            "subscribe_v311",
            V3,
            Packet::Subscribe(Subscribe {
                packet_id: 1,
                properties: Properties::default(),
                subscriptions: vec![
                    subscription(
                        "lw/#",
                        QoS::AtLeastOnce,
                        false,
                        false,
                        RetainHandling::SendAtSubscribe,
                    ),
                    subscription(
                        "+/x",
                        QoS::ExactlyOnce,
                        false,
                        false,
                        RetainHandling::SendAtSubscribe,
                    ),
                ],
            }),
        ),
        fixture(
            "subscribe_v5",
            V5,
            Packet::Subscribe(Subscribe {
                packet_id: 2,
                properties: Properties::from(PropertyValues {
                    subscription_identifiers: vec![42],
                    ..PropertyValues::default()
                }),
                subscriptions: vec![
                    subscription(
                        "lw/+",
                        QoS::AtMostOnce,
                        true,
                        true,
                        RetainHandling::DoNotSend,
                    ),
                    subscription(
                        "$share/g/lw/#",
                        QoS::AtLeastOnce,
                        false,
                        false,
                        RetainHandling::SendAtSubscribeIfNew,
                    ),
                ],
            }),
        ),
        fixture(
            "suback_v311",
            V3,
            Packet::SubAck(SubAck {
                packet_id: 1,
                properties: Properties::default(),
                reason_codes: vec![ReasonCode(1), ReasonCode(0x80)],
            }),
        ),
        fixture(
            "suback_v5",
            V5,
            Packet::SubAck(SubAck {
                packet_id: 2,
                properties: reason_string("partial"),
                reason_codes: vec![ReasonCode(0), ReasonCode(0x9E)],
            }),
        ),
        fixture(
            "unsubscribe_v311",
            V3,
            Packet::Unsubscribe(Unsubscribe {
                packet_id: 3,
                properties: Properties::default(),
                filters: vec!["lw/#".into()],
            }),
        ),
        fixture(
            "unsubscribe_v5",
            V5,
            Packet::Unsubscribe(Unsubscribe {
                packet_id: 4,
                properties: Properties::from(PropertyValues {
                    user_properties: vec![UserProperty::new("u", "v")],
                    ..PropertyValues::default()
                }),
                filters: vec!["lw/+".into(), "a".into()],
            }),
        ),
        fixture(
            "unsuback_v311",
            V3,
            Packet::UnsubAck(UnsubAck {
                packet_id: 3,
                properties: Properties::default(),
                reason_codes: Vec::new(),
            }),
        ),
        fixture(
            "unsuback_v5",
            V5,
            Packet::UnsubAck(UnsubAck {
                packet_id: 4,
                properties: Properties::default(),
                reason_codes: vec![ReasonCode(0), ReasonCode(0x11)],
            }),
        ),
        fixture("pingreq_v311", V3, Packet::PingReq),
        fixture("pingreq_v5", V5, Packet::PingReq),
        fixture("pingresp_v311", V3, Packet::PingResp),
        fixture("pingresp_v5", V5, Packet::PingResp),
        fixture(
            "disconnect_v311",
            V3,
            Packet::Disconnect(Disconnect::default()),
        ),
        fixture(
            "disconnect_v5_short",
            V5,
            Packet::Disconnect(Disconnect::default()),
        ),
        fixture(
            "disconnect_v5_with_will",
            V5,
            Packet::Disconnect(Disconnect::new(ReasonCode::DISCONNECT_WITH_WILL_MESSAGE)),
        ),
        fixture(
            "disconnect_v5_properties",
            V5,
            Packet::Disconnect(Disconnect {
                reason_code: ReasonCode::SUCCESS,
                properties: Properties::from(PropertyValues {
                    session_expiry_interval: Some(0),
                    reason_string: Some("bye".into()),
                    ..PropertyValues::default()
                }),
            }),
        ),
        fixture(
            "auth_v5",
            V5,
            Packet::Auth(Auth {
                reason_code: ReasonCode::CONTINUE_AUTHENTICATION,
                properties: Properties::from(PropertyValues {
                    authentication_method: Some("SCRAM".into()),
                    authentication_data: Some(Bytes::from_static(&[0, 255])),
                    ..PropertyValues::default()
                }),
            }),
        ),
        fixture("auth_v5_short", V5, Packet::Auth(Auth::default())),
    ]
}
