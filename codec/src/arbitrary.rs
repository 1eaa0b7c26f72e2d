//! Structure-aware generation of valid packets for fuzzing (feature
//! `arbitrary`). [`ValidPacket`] builds, from unstructured bytes, a [`Packet`]
//! that the strict decoder must accept for the chosen [`ProtocolVersion`]:
//! valid UTF-8 without U+0000, Topic Names without wildcards, well-formed
//! Topic Filters, non-zero packet identifiers, reason codes from each
//! packet's table, and in 5.0 only the properties its packet (or will) may
//! carry, each at most once unless the spec lets it repeat.
//!
//! [`check_roundtrip`] is the round-trip contract shared by the `roundtrip`
//! fuzz target and this module's tests: encode, then decode (whole frame and
//! streaming), and get the same packet back.

use arbitrary::{Arbitrary, Result, Unstructured};
use bytes::Bytes;

use crate::decode::properties::allowed;
use crate::decode::{decode_packet, reason_code_allowed};
use crate::encode::encode_to_bytes;
use crate::error::PropertyContext;
use crate::invariants::{check_decode, InvariantViolation};
use crate::limits::Limits;
use crate::packet::*;
use crate::properties::{Properties, UserProperty};
use crate::string::MqttString;
use crate::topic::SHARED_SUBSCRIPTION_PREFIX;
use crate::types::{PacketType, PropertyId as P, ProtocolVersion, QoS, ReasonCode};

/// A packet the decoder must accept on a `version` connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPacket {
    pub version: ProtocolVersion,
    pub packet: Packet,
}

impl<'a> Arbitrary<'a> for ValidPacket {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let version = *u.choose(&[ProtocolVersion::V3_1_1, ProtocolVersion::V5])?;
        Self::for_version(u, version)
    }
}

impl ValidPacket {
    /// A valid packet for a connection of `version` (3.1.1 or 5.0; a 3.1
    /// connection gets 3.1.1 packets except CONNECT, which carries 3.1).
    pub fn for_version(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Self> {
        let packet = valid_packet(u, version)?;
        Ok(Self { version, packet })
    }

    /// The packet's bytes.
    pub fn encode(&self) -> Bytes {
        encode_to_bytes(&self.packet, self.version)
            .expect("a generated packet stays within the encoder's limits")
    }
}

/// Encodes `valid`, decodes the bytes back (as one frame, and through the
/// streaming decoder's contract) and checks the packet survives unchanged.
pub fn check_roundtrip(valid: &ValidPacket) -> std::result::Result<(), InvariantViolation> {
    let fail = |what: String| Err(InvariantViolation(what));
    let bytes = match encode_to_bytes(&valid.packet, valid.version) {
        Ok(bytes) => bytes,
        Err(error) => return fail(format!("{valid:?} does not encode: {error}")),
    };
    match decode_packet(&bytes, valid.version, &Limits::default()) {
        Ok(decoded) if decoded == valid.packet => {}
        other => {
            return fail(format!(
                "{valid:?} encoded as {bytes:02x?} decodes to {other:?}"
            ))
        }
    }
    check_decode(&bytes, valid.version)
}

/// One valid packet of any type the version has.
pub fn valid_packet(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Packet> {
    let v5 = version.is_v5();
    let last = if v5 { 14 } else { 13 };
    Ok(match u.int_in_range(0..=last)? {
        0 => Packet::Connect(Box::new(connect(u, version)?)),
        1 => Packet::ConnAck(connack(u, version)?),
        2 => Packet::Publish(publish(u, version)?),
        3 => Packet::PubAck(publish_response(u, version, PacketType::PubAck)?),
        4 => Packet::PubRec(publish_response(u, version, PacketType::PubRec)?),
        5 => Packet::PubRel(publish_response(u, version, PacketType::PubRel)?),
        6 => Packet::PubComp(publish_response(u, version, PacketType::PubComp)?),
        7 => Packet::Subscribe(subscribe(u, version)?),
        8 => Packet::SubAck(suback(u, version)?),
        9 => Packet::Unsubscribe(unsubscribe(u, version)?),
        10 => Packet::UnsubAck(unsuback(u, version)?),
        11 => Packet::PingReq,
        12 => Packet::PingResp,
        13 => Packet::Disconnect(disconnect(u, version)?),
        _ => Packet::Auth(auth(u)?),
    })
}

// ----- strings and topics -----

/// Characters that make interesting strings: separators, `$`, multi-byte
/// UTF-8, a control character, the BOM, a non-character. No U+0000 and no
/// wildcards (those are added where they are allowed).
const ALPHABET: &[char] = &[
    'a', 'b', 'z', '0', '/', '/', '$', ' ', 'é', '€', '😀', '\u{1}', '\u{7f}', '\u{FEFF}',
    '\u{FFFF}',
];

fn plain_char(u: &mut Unstructured<'_>) -> Result<char> {
    if u.ratio(1, 8)? {
        let c: char = u.arbitrary()?;
        if !matches!(c, '\0' | '+' | '#') {
            return Ok(c);
        }
    }
    Ok(*u.choose(ALPHABET)?)
}

/// A UTF-8 string without U+0000 or wildcards, possibly empty.
fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=8)?;
    (0..len).map(|_| plain_char(u)).collect()
}

/// A string without U+0000 that may hold wildcard characters.
fn any_text(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = text(u)?;
    if u.ratio(1, 4)? {
        let at = u.int_in_range(0..=s.chars().count())?;
        let byte_at = s.char_indices().nth(at).map_or(s.len(), |(i, _)| i);
        s.insert(byte_at, *u.choose(&['+', '#'])?);
    }
    Ok(s)
}

/// A non-empty Topic Name without wildcards (MQTT-4.7.3-1, MQTT-4.7.1-1).
fn topic_name(u: &mut Unstructured<'_>) -> Result<String> {
    let mut topic = text(u)?;
    if topic.is_empty() {
        topic.push('t');
    }
    Ok(topic)
}

/// A level of a Topic Filter that holds no wildcard.
fn plain_level(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=4)?;
    (0..len)
        .map(|_| plain_char(u).map(|c| if c == '/' { 'x' } else { c }))
        .collect()
}

/// A valid Topic Filter for `version` (§4.7.1; 5.0 shared, §4.8.2).
fn topic_filter(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<String> {
    let levels = u.int_in_range(1..=4)?;
    let mut parts = Vec::with_capacity(levels);
    for i in 0..levels {
        let last = i + 1 == levels;
        parts.push(match u.int_in_range(0..=5)? {
            0 => "+".to_owned(),
            1 if last => "#".to_owned(),
            _ => plain_level(u)?,
        });
    }
    let mut filter = parts.join("/");
    if filter.is_empty() {
        filter.push('f');
    }
    if version.is_v5() && u.ratio(1, 5)? {
        let mut share = plain_level(u)?;
        if share.is_empty() {
            share.push('g');
        }
        filter = format!("{SHARED_SUBSCRIPTION_PREFIX}{share}/{filter}");
    }
    Ok(filter)
}

fn binary(u: &mut Unstructured<'_>) -> Result<Bytes> {
    let len = u.int_in_range(0..=16)?;
    Ok(Bytes::copy_from_slice(u.bytes(len.min(u.len()))?))
}

fn payload(u: &mut Unstructured<'_>) -> Result<Bytes> {
    let len = u.int_in_range(0..=64)?;
    Ok(Bytes::copy_from_slice(u.bytes(len.min(u.len()))?))
}

fn nonzero_u16(u: &mut Unstructured<'_>) -> Result<u16> {
    u.int_in_range(1..=u16::MAX)
}

fn qos(u: &mut Unstructured<'_>) -> Result<QoS> {
    u.choose(&[QoS::AtMostOnce, QoS::AtLeastOnce, QoS::ExactlyOnce])
        .copied()
}

/// A reason code `valid` accepts, picked from all 256 bytes.
fn code(u: &mut Unstructured<'_>, valid: impl Fn(ReasonCode) -> bool) -> Result<ReasonCode> {
    let codes: Vec<ReasonCode> = (0..=u8::MAX)
        .map(ReasonCode)
        .filter(|&c| valid(c))
        .collect();
    u.choose(&codes).copied()
}

// ----- properties -----

/// 5.0 properties allowed in `context`, each present or not; repeatable
/// ones (User Property, Subscription Identifier on PUBLISH) up to three times.
fn properties(u: &mut Unstructured<'_>, context: PropertyContext) -> Result<Properties> {
    let mut props = Properties::default();
    for raw in 0..=u8::MAX {
        let id = P(raw);
        if !allowed(context, id) || !u.ratio(1, 4)? {
            continue;
        }
        let boolean = |u: &mut Unstructured<'_>| u.int_in_range(0..=1u8);
        match id {
            P::PAYLOAD_FORMAT_INDICATOR => props.payload_format_indicator = Some(boolean(u)?),
            P::MESSAGE_EXPIRY_INTERVAL => props.message_expiry_interval = Some(u.arbitrary()?),
            P::CONTENT_TYPE => props.content_type = Some(any_text(u)?.into()),
            P::RESPONSE_TOPIC => props.response_topic = Some(topic_name(u)?.into()),
            P::CORRELATION_DATA => props.correlation_data = Some(binary(u)?),
            P::SUBSCRIPTION_IDENTIFIER => {
                let count = match context {
                    PropertyContext::Packet(PacketType::Subscribe) => 1,
                    _ => u.int_in_range(1..=3)?,
                };
                for _ in 0..count {
                    props
                        .subscription_identifiers
                        .push(u.int_in_range(1..=crate::MAX_REMAINING_LENGTH)?);
                }
            }
            P::SESSION_EXPIRY_INTERVAL => props.session_expiry_interval = Some(u.arbitrary()?),
            P::ASSIGNED_CLIENT_IDENTIFIER => {
                props.assigned_client_identifier = Some(text(u)?.into())
            }
            P::SERVER_KEEP_ALIVE => props.server_keep_alive = Some(u.arbitrary()?),
            P::AUTHENTICATION_METHOD => props.authentication_method = Some(text(u)?.into()),
            // Authentication Data only with a method (§3.1.2.11.10); the
            // method's identifier (0x15) comes first in this loop.
            P::AUTHENTICATION_DATA => {
                if props.authentication_method.is_some() {
                    props.authentication_data = Some(binary(u)?);
                }
            }
            P::REQUEST_PROBLEM_INFORMATION => props.request_problem_information = Some(boolean(u)?),
            P::WILL_DELAY_INTERVAL => props.will_delay_interval = Some(u.arbitrary()?),
            P::REQUEST_RESPONSE_INFORMATION => {
                props.request_response_information = Some(boolean(u)?)
            }
            P::RESPONSE_INFORMATION => props.response_information = Some(text(u)?.into()),
            P::SERVER_REFERENCE => props.server_reference = Some(text(u)?.into()),
            P::REASON_STRING => props.reason_string = Some(any_text(u)?.into()),
            P::RECEIVE_MAXIMUM => props.receive_maximum = Some(nonzero_u16(u)?),
            P::TOPIC_ALIAS_MAXIMUM => props.topic_alias_maximum = Some(u.arbitrary()?),
            P::TOPIC_ALIAS => props.topic_alias = Some(nonzero_u16(u)?),
            P::MAXIMUM_QOS => props.maximum_qos = Some(boolean(u)?),
            P::RETAIN_AVAILABLE => props.retain_available = Some(boolean(u)?),
            P::USER_PROPERTY => {
                for _ in 0..u.int_in_range(1..=3)? {
                    props
                        .user_properties
                        .push(UserProperty::new(any_text(u)?, any_text(u)?));
                }
            }
            P::MAXIMUM_PACKET_SIZE => {
                props.maximum_packet_size = Some(u.int_in_range(1..=u32::MAX)?)
            }
            P::WILDCARD_SUBSCRIPTION_AVAILABLE => {
                props.wildcard_subscription_available = Some(boolean(u)?)
            }
            P::SUBSCRIPTION_IDENTIFIER_AVAILABLE => {
                props.subscription_identifier_available = Some(boolean(u)?)
            }
            P::SHARED_SUBSCRIPTION_AVAILABLE => {
                props.shared_subscription_available = Some(boolean(u)?)
            }
            _ => unreachable!("allowed() admits only defined properties, got {id:?}"),
        }
    }
    Ok(props)
}

/// Properties of `packet_type` in 5.0, none in 3.1.1.
fn packet_properties(
    u: &mut Unstructured<'_>,
    version: ProtocolVersion,
    packet_type: PacketType,
) -> Result<Properties> {
    if version.is_v5() {
        properties(u, PropertyContext::Packet(packet_type))
    } else {
        Ok(Properties::default())
    }
}

// ----- packets -----

fn connect(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Connect> {
    let mut connect = Connect::new(version, any_text(u)?);
    connect.clean_start = u.arbitrary()?;
    connect.keep_alive = u.arbitrary()?;
    connect.properties = packet_properties(u, version, PacketType::Connect)?;
    if u.arbitrary()? {
        connect.will = Some(Will {
            topic: topic_name(u)?.into(),
            payload: payload(u)?,
            qos: qos(u)?,
            retain: u.arbitrary()?,
            properties: if version.is_v5() {
                properties(u, PropertyContext::Will)?
            } else {
                Properties::default()
            },
        });
    }
    if u.arbitrary()? {
        connect.username = Some(any_text(u)?.into());
    }
    // 3.1.1 forbids a password without a user name (MQTT-3.1.2-22).
    if u.arbitrary()? && (version.is_v5() || connect.username.is_some()) {
        connect.password = Some(binary(u)?);
    }
    Ok(connect)
}

fn connack(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<ConnAck> {
    let reason_code = code(u, |c| reason_code_allowed(PacketType::ConnAck, c, version))?;
    Ok(ConnAck {
        // MQTT-3.2.2-4 / MQTT-3.2.2-6: no session with a refusal.
        session_present: reason_code == ReasonCode::SUCCESS && u.arbitrary()?,
        reason_code,
        properties: packet_properties(u, version, PacketType::ConnAck)?,
    })
}

fn publish(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Publish> {
    let qos = qos(u)?;
    let properties = packet_properties(u, version, PacketType::Publish)?;
    // 5.0: an empty Topic Name stands for a Topic Alias (§3.3.2.3.4).
    let topic = if properties.topic_alias.is_some() && u.arbitrary()? {
        String::new()
    } else {
        topic_name(u)?
    };
    Ok(Publish {
        dup: qos != QoS::AtMostOnce && u.arbitrary()?,
        qos,
        retain: u.arbitrary()?,
        topic: topic.into(),
        packet_id: match qos {
            QoS::AtMostOnce => None,
            _ => Some(nonzero_u16(u)?),
        },
        properties: properties.into(),
        payload: payload(u)?,
    })
}

fn publish_response(
    u: &mut Unstructured<'_>,
    version: ProtocolVersion,
    packet_type: PacketType,
) -> Result<PublishResponse> {
    Ok(PublishResponse {
        packet_id: nonzero_u16(u)?,
        reason_code: code(u, |c| reason_code_allowed(packet_type, c, version))?,
        properties: packet_properties(u, version, packet_type)?,
    })
}

fn subscribe(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Subscribe> {
    let packet_id = nonzero_u16(u)?;
    let properties = packet_properties(u, version, PacketType::Subscribe)?;
    let mut subscriptions = Vec::new();
    for _ in 0..u.int_in_range(1..=4)? {
        let filter = topic_filter(u, version)?;
        let mut options = SubscriptionOptions {
            qos: qos(u)?,
            ..Default::default()
        };
        if version.is_v5() {
            // MQTT-3.8.3-4: No Local is a Protocol Error on a shared subscription.
            options.no_local = !filter.starts_with(SHARED_SUBSCRIPTION_PREFIX) && u.arbitrary()?;
            options.retain_as_published = u.arbitrary()?;
            options.retain_handling = *u.choose(&[
                RetainHandling::SendAtSubscribe,
                RetainHandling::SendAtSubscribeIfNew,
                RetainHandling::DoNotSend,
            ])?;
        }
        subscriptions.push(Subscription {
            filter: filter.into(),
            options,
        });
    }
    Ok(Subscribe {
        packet_id,
        properties,
        subscriptions,
    })
}

fn codes(
    u: &mut Unstructured<'_>,
    packet_type: PacketType,
    version: ProtocolVersion,
) -> Result<Vec<ReasonCode>> {
    (0..u.int_in_range(1..=4)?)
        .map(|_| code(u, |c| reason_code_allowed(packet_type, c, version)))
        .collect()
}

fn suback(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<SubAck> {
    Ok(SubAck {
        packet_id: nonzero_u16(u)?,
        properties: packet_properties(u, version, PacketType::SubAck)?,
        reason_codes: codes(u, PacketType::SubAck, version)?,
    })
}

fn unsubscribe(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Unsubscribe> {
    Ok(Unsubscribe {
        packet_id: nonzero_u16(u)?,
        properties: packet_properties(u, version, PacketType::Unsubscribe)?,
        filters: (0..u.int_in_range(1..=4)?)
            .map(|_| topic_filter(u, version).map(MqttString::from))
            .collect::<Result<_>>()?,
    })
}

fn unsuback(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<UnsubAck> {
    Ok(UnsubAck {
        packet_id: nonzero_u16(u)?,
        properties: packet_properties(u, version, PacketType::UnsubAck)?,
        // 3.1.1 UNSUBACK carries no codes.
        reason_codes: if version.is_v5() {
            codes(u, PacketType::UnsubAck, version)?
        } else {
            Vec::new()
        },
    })
}

fn disconnect(u: &mut Unstructured<'_>, version: ProtocolVersion) -> Result<Disconnect> {
    if !version.is_v5() {
        return Ok(Disconnect::default());
    }
    Ok(Disconnect {
        reason_code: code(u, |c| {
            reason_code_allowed(PacketType::Disconnect, c, version)
        })?,
        properties: properties(u, PropertyContext::Packet(PacketType::Disconnect))?,
    })
}

fn auth(u: &mut Unstructured<'_>) -> Result<Auth> {
    let version = ProtocolVersion::V5;
    Ok(Auth {
        reason_code: code(u, |c| reason_code_allowed(PacketType::Auth, c, version))?,
        properties: properties(u, PropertyContext::Packet(PacketType::Auth))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random seeds (xorshift), so the test needs no fuzzer.
    fn seed(n: u64, len: usize) -> Vec<u8> {
        let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    #[test]
    fn fixed_seeds_round_trip() {
        let fixed: [&[u8]; 4] = [&[], &[0; 64], &[0xFF; 64], b"lastwill roundtrip seed"];
        for bytes in fixed {
            let valid = ValidPacket::arbitrary(&mut Unstructured::new(bytes)).expect("generates");
            check_roundtrip(&valid).expect("round trip");
        }
    }

    #[test]
    fn many_seeds_round_trip_in_both_versions() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..3000 {
            let bytes = seed(n, 512);
            for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                let valid = ValidPacket::for_version(&mut Unstructured::new(&bytes), version)
                    .expect("generates");
                seen.insert((version, valid.packet.packet_type()));
                if let Err(violation) = check_roundtrip(&valid) {
                    panic!("seed {n}: {violation}");
                }
            }
        }
        // Every packet type of each version was produced.
        assert_eq!(seen.len(), 14 + 15, "{seen:?}");
    }

    #[test]
    fn topics_and_filters_are_valid() {
        for n in 0..2000 {
            let bytes = seed(n, 64);
            let mut u = Unstructured::new(&bytes);
            let name = topic_name(&mut u).expect("name");
            assert!(crate::topic::is_valid_topic_name(&name), "{name:?}");
            for version in [ProtocolVersion::V3_1_1, ProtocolVersion::V5] {
                let filter = topic_filter(&mut u, version).expect("filter");
                assert!(
                    crate::topic::is_valid_topic_filter(&filter, version),
                    "{filter:?}"
                );
            }
        }
    }
}
