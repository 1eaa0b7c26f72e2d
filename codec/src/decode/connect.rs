//! CONNECT (§3.1). The packet carries its own protocol version; everything
//! after the protocol level is read and reported in that version.

use crate::decode::properties::{decode_properties, reject_auth_data_without_method};
use crate::decode::text;
use crate::error::{DecodeError, PropertyContext};
use crate::packet::{Connect, Will};
use crate::string::MqttString;
use crate::types::{PacketType, ProtocolVersion, QoS};
use crate::wire::Reader;

/// Protocol name and level pairs this codec speaks (MQTT-3.1.2-1, -2).
fn version_for(name: &[u8], level: u8) -> Result<ProtocolVersion, DecodeError> {
    match (name, level) {
        (b"MQTT", 4) => Ok(ProtocolVersion::V3_1_1),
        (b"MQTT", 5) => Ok(ProtocolVersion::V5),
        (b"MQIsdp", 3) => Ok(ProtocolVersion::V3_1),
        (b"MQTT" | b"MQIsdp", _) => Err(DecodeError::UnsupportedProtocolVersion { level }),
        _ => Err(DecodeError::InvalidProtocolName {
            name: String::from_utf8_lossy(name).into_owned(),
        }),
    }
}

/// The protocol version a (possibly partial) CONNECT body announces, if the
/// name and level are already there and name a version this codec speaks.
pub(super) fn peek_version(body_prefix: &[u8]) -> Option<ProtocolVersion> {
    let mut reader = Reader::new(body_prefix, PacketType::Connect, ProtocolVersion::V5);
    let name = reader.binary_slice("protocol name").ok()?;
    let level = reader.u8("protocol level").ok()?;
    version_for(name, level).ok()
}

/// The Connect Flags byte (§3.1.2.3), checked for the combinations the spec
/// forbids.
struct ConnectFlags {
    clean_start: bool,
    will: Option<(QoS, bool)>,
    username: bool,
    password: bool,
}

fn connect_flags(byte: u8, version: ProtocolVersion) -> Result<ConnectFlags, DecodeError> {
    if byte & 0b0000_0001 != 0 {
        return Err(DecodeError::ReservedConnectFlag);
    }
    let will_flag = byte & 0b0000_0100 != 0;
    let will_qos = (byte >> 3) & 0b11;
    let will_retain = byte & 0b0010_0000 != 0;
    let password = byte & 0b0100_0000 != 0;
    let username = byte & 0b1000_0000 != 0;
    let will = if will_flag {
        let qos = QoS::from_u8(will_qos).ok_or(DecodeError::WillQos3 { version })?;
        Some((qos, will_retain))
    } else {
        if will_qos != 0 {
            return Err(DecodeError::WillQosWithoutWillFlag);
        }
        if will_retain {
            return Err(DecodeError::WillRetainWithoutWillFlag { version });
        }
        None
    };
    // 5.0 allows a password without a user name (§3.1.2.9); 3.1.1 does not.
    if password && !username && !version.is_v5() {
        return Err(DecodeError::PasswordWithoutUsername);
    }
    Ok(ConnectFlags {
        clean_start: byte & 0b0000_0010 != 0,
        will,
        username,
        password,
    })
}

pub(super) fn decode(body: &[u8], fallback: ProtocolVersion) -> Result<Connect, DecodeError> {
    let mut reader = Reader::new(body, PacketType::Connect, fallback);
    let name = reader.binary_slice("protocol name")?;
    let level = reader.u8("protocol level")?;
    let version = version_for(name, level)?;
    reader.version = version;

    let flags = connect_flags(reader.u8("connect flags")?, version)?;
    let keep_alive = reader.u16("keep alive")?;
    let properties = if version.is_v5() {
        let properties =
            decode_properties(&mut reader, PropertyContext::Packet(PacketType::Connect))?;
        reject_auth_data_without_method(&properties)?;
        properties
    } else {
        Default::default()
    };

    // The payload fields, in the one order MQTT-3.1.3-1 allows.
    let client_id = MqttString::from(reader.utf8_str("client identifier")?);
    let will = match flags.will {
        Some((qos, retain)) => Some(decode_will(&mut reader, qos, retain).map_err(
            // A will that runs out of packet is a missing will field.
            |error| match error {
                DecodeError::UnexpectedEnd { .. } => DecodeError::WillFieldsMissing,
                other => other,
            },
        )?),
        None => None,
    };
    let username = match flags.username {
        true => Some(MqttString::from(reader.utf8_str("user name")?)),
        false => None,
    };
    let password = match flags.password {
        true => Some(reader.binary("password")?),
        false => None,
    };
    if !reader.is_empty() {
        return Err(DecodeError::ConnectPayloadTrailingBytes {
            count: reader.remaining(),
        });
    }
    Ok(Connect {
        version,
        clean_start: flags.clean_start,
        keep_alive,
        properties,
        client_id,
        will,
        username,
        password,
    })
}

/// Will Properties (5.0), Will Topic and Will Payload (MQTT-3.1.2-9). The
/// topic must be a valid Topic Name: non-empty (MQTT-4.7.3-1) and without
/// wildcards (MQTT-4.7.1-1 / MQTT-4.7.0-1).
fn decode_will(reader: &mut Reader<'_>, qos: QoS, retain: bool) -> Result<Will, DecodeError> {
    let version = reader.version;
    let properties = if version.is_v5() {
        // A Will Property Length that runs past the packet cuts the will
        // fields short (MQTT-3.1.2-9); a property that runs past a Will
        // Property Length which fits is a property error (§2.2.2.1). The
        // fuzzer found the second reported as the first.
        let mut probe = reader.clone();
        let length = probe.varint("will property length")?;
        if usize::try_from(length).map_or(true, |length| length > probe.remaining()) {
            return Err(DecodeError::WillFieldsMissing);
        }
        decode_properties(reader, PropertyContext::Will)?
    } else {
        Default::default()
    };
    let text::Topic {
        text: topic,
        wildcard,
    } = text::topic(reader, "will topic")?;
    if topic.is_empty() {
        return Err(DecodeError::WillTopicEmpty);
    }
    if wildcard {
        return Err(DecodeError::WillTopicWildcard { version });
    }
    let payload = reader.binary("will payload")?;
    Ok(Will {
        topic,
        payload,
        qos,
        retain,
        properties,
    })
}
