//! Strategies for CONNACK, the PUBLISH acknowledgements, SUBACK, UNSUBACK,
//! DISCONNECT and AUTH, with the reason-code tables they draw from.

use super::*;

pub const CONNACK_V5: &[u8] = &[
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97,
    0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F,
];
pub const PUBACK_V5: &[u8] = &[0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99];
pub const PUBREL_V5: &[u8] = &[0x00, 0x92];
pub const SUBACK_V3: &[u8] = &[0x00, 0x01, 0x02, 0x80];
pub const SUBACK_V5: &[u8] = &[
    0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2,
];
pub const UNSUBACK_V5: &[u8] = &[0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91];
pub const DISCONNECT_V5: &[u8] = &[
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95,
    0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2,
];
pub const AUTH_V5: &[u8] = &[0x00, 0x18, 0x19];

pub fn code(table: &'static [u8]) -> impl Strategy<Value = ReasonCode> {
    proptest::sample::select(table).prop_map(ReasonCode)
}

pub fn connack(v5: bool) -> impl Strategy<Value = Packet> {
    let properties = (
        (
            option::of(any::<u32>()),
            option::of(1u16..),
            boolean(),
            boolean(),
            option::of(1u32..),
            option::of(text()),
            option::of(any::<u16>()),
        ),
        (
            boolean(),
            boolean(),
            boolean(),
            option::of(any::<u16>()),
            option::of(text()),
            option::of(text()),
            ack_properties(),
        ),
    )
        .prop_map(
            |((sei, rm, mq, ra, mps, aci, tam), (wsa, sia, ssa, ska, ri, sr, ack))| {
                Properties::from(PropertyValues {
                    session_expiry_interval: sei,
                    receive_maximum: rm,
                    maximum_qos: mq,
                    retain_available: ra,
                    maximum_packet_size: mps,
                    assigned_client_identifier: aci.map(Into::into),
                    topic_alias_maximum: tam,
                    wildcard_subscription_available: wsa,
                    subscription_identifier_available: sia,
                    shared_subscription_available: ssa,
                    server_keep_alive: ska,
                    response_information: ri.map(Into::into),
                    server_reference: sr.map(Into::into),
                    ..ack.into_values()
                })
            },
        );
    let code = if v5 {
        code(CONNACK_V5).boxed()
    } else {
        (0u8..=5).prop_map(ReasonCode).boxed()
    };
    (any::<bool>(), code, properties).prop_map(move |(present, reason_code, properties)| {
        Packet::ConnAck(ConnAck {
            // A refusal never has a session (MQTT-3.2.2-4 / MQTT-3.2.2-6).
            session_present: present && reason_code == ReasonCode::SUCCESS,
            reason_code,
            properties: if v5 {
                properties
            } else {
                Properties::default()
            },
        })
    })
}

pub fn publish_response(v5: bool, table: &'static [u8]) -> impl Strategy<Value = PublishResponse> {
    (any::<u16>(), code(table), ack_properties()).prop_map(move |(packet_id, code, properties)| {
        if v5 {
            PublishResponse {
                packet_id,
                reason_code: code,
                properties,
            }
        } else {
            PublishResponse::new(packet_id)
        }
    })
}

pub fn suback(v5: bool) -> impl Strategy<Value = Packet> {
    let codes = vec(code(if v5 { SUBACK_V5 } else { SUBACK_V3 }), 1..4);
    (any::<u16>(), ack_properties(), codes).prop_map(move |(packet_id, properties, codes)| {
        Packet::SubAck(SubAck {
            packet_id,
            properties: if v5 {
                properties
            } else {
                Properties::default()
            },
            reason_codes: codes,
        })
    })
}

pub fn unsuback(v5: bool) -> impl Strategy<Value = Packet> {
    (any::<u16>(), ack_properties(), vec(code(UNSUBACK_V5), 1..4)).prop_map(
        move |(packet_id, properties, codes)| {
            Packet::UnsubAck(if v5 {
                UnsubAck {
                    packet_id,
                    properties,
                    reason_codes: codes,
                }
            } else {
                UnsubAck {
                    packet_id,
                    properties: Properties::default(),
                    reason_codes: Vec::new(),
                }
            })
        },
    )
}

pub fn disconnect(v5: bool) -> impl Strategy<Value = Packet> {
    (
        code(DISCONNECT_V5),
        option::of(any::<u32>()),
        option::of(text()),
        ack_properties(),
    )
        .prop_map(move |(reason_code, sei, server_reference, ack)| {
            Packet::Disconnect(if v5 {
                Disconnect {
                    reason_code,
                    properties: Properties::from(PropertyValues {
                        session_expiry_interval: sei,
                        server_reference: server_reference.map(Into::into),
                        ..ack.into_values()
                    }),
                }
            } else {
                Disconnect::default()
            })
        })
}

pub fn auth() -> impl Strategy<Value = Packet> {
    (
        code(AUTH_V5),
        option::of((text(), option::of(binary()))),
        ack_properties(),
    )
        .prop_map(|(reason_code, auth, ack)| {
            let (method, data) = match auth {
                Some((method, data)) => (Some(method), data),
                None => (None, None),
            };
            Packet::Auth(Auth {
                reason_code,
                properties: Properties::from(PropertyValues {
                    authentication_method: method.map(Into::into),
                    authentication_data: data,
                    ..ack.into_values()
                }),
            })
        })
}
