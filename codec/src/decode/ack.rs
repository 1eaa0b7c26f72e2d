//! CONNACK, PUBACK/PUBREC/PUBREL/PUBCOMP, DISCONNECT and AUTH: a code, maybe
//! properties, and in 5.0 short forms that leave trailing fields out.

use crate::decode::properties::{decode_properties, reject_auth_data_without_method};
use crate::error::{DecodeError, PropertyContext};
use crate::packet::{Auth, ConnAck, Disconnect, PublishResponse};
use crate::types::{PacketType, ProtocolVersion, ReasonCode};
use crate::wire::Reader;

/// Whether `code` is one `packet_type` may carry in `version` (5.0 Tables
/// 3-1, 3-4 … 3-13; 3.1.1 Table 3.1 for CONNACK).
pub(crate) fn valid_reason_code(
    packet_type: PacketType,
    code: u8,
    version: ProtocolVersion,
) -> bool {
    if !version.is_v5() {
        return match packet_type {
            PacketType::ConnAck => code <= 5,
            _ => code == 0,
        };
    }
    match packet_type {
        PacketType::ConnAck => matches!(
            code,
            0x00 | 0x80..=0x8A | 0x8C | 0x90 | 0x95 | 0x97 | 0x99..=0x9D | 0x9F
        ),
        PacketType::PubAck | PacketType::PubRec => matches!(
            code,
            0x00 | 0x10 | 0x80 | 0x83 | 0x87 | 0x90 | 0x91 | 0x97 | 0x99
        ),
        PacketType::PubRel | PacketType::PubComp => matches!(code, 0x00 | 0x92),
        PacketType::Disconnect => matches!(
            code,
            0x00 | 0x04 | 0x80..=0x83 | 0x87 | 0x89 | 0x8B | 0x8D..=0x90 | 0x93..=0xA2
        ),
        PacketType::Auth => matches!(code, 0x00 | 0x18 | 0x19),
        _ => false,
    }
}

fn checked_code(reader: &mut Reader<'_>, field: &'static str) -> Result<ReasonCode, DecodeError> {
    let code = reader.u8(field)?;
    if !valid_reason_code(reader.packet_type, code, reader.version) {
        return Err(DecodeError::InvalidReasonCode {
            packet_type: reader.packet_type,
            code: ReasonCode(code),
            version: reader.version,
        });
    }
    Ok(ReasonCode(code))
}

pub(super) fn connack(body: &[u8], version: ProtocolVersion) -> Result<ConnAck, DecodeError> {
    let mut reader = Reader::new(body, PacketType::ConnAck, version);
    let flags = reader.u8("connect acknowledge flags")?;
    if flags & 0b1111_1110 != 0 {
        return Err(DecodeError::ConnAckReservedFlags { flags, version });
    }
    let session_present = flags & 1 != 0;
    let reason_code = checked_code(&mut reader, "connect reason code")?;
    // MQTT-3.2.2-4 / MQTT-3.2.2-6: a refusal never has a session.
    if session_present && reason_code != ReasonCode::SUCCESS {
        return Err(DecodeError::SessionPresentWithError { version });
    }
    let properties = if version.is_v5() {
        let properties =
            decode_properties(&mut reader, PropertyContext::Packet(PacketType::ConnAck))?;
        reject_auth_data_without_method(&properties)?;
        properties
    } else {
        Default::default()
    };
    reader.finish()?;
    Ok(ConnAck {
        session_present,
        reason_code,
        properties,
    })
}

/// PUBACK, PUBREC, PUBREL, PUBCOMP. 5.0: Remaining Length 2 means Success
/// with no properties; 3 means a reason code and no properties (§3.4.2.1).
pub(super) fn publish_response(
    packet_type: PacketType,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<PublishResponse, DecodeError> {
    let mut reader = Reader::new(body, packet_type, version);
    let packet_id = reader.u16("packet identifier")?;
    let mut response = PublishResponse::new(packet_id);
    if version.is_v5() && !reader.is_empty() {
        response.reason_code = checked_code(&mut reader, "reason code")?;
        if !reader.is_empty() {
            response.properties =
                decode_properties(&mut reader, PropertyContext::Packet(packet_type))?;
        }
    }
    reader.finish()?;
    Ok(response)
}

/// The shared shape of 5.0 DISCONNECT and AUTH: Remaining Length 0 means
/// 0x00 with no properties, 1 means a reason code alone (§3.14.2.1, §3.15.2.1).
fn code_and_properties(
    reader: &mut Reader<'_>,
) -> Result<(ReasonCode, crate::Properties), DecodeError> {
    if reader.is_empty() {
        return Ok((ReasonCode::SUCCESS, Default::default()));
    }
    let code = checked_code(reader, "reason code")?;
    let properties = if reader.is_empty() {
        Default::default()
    } else {
        decode_properties(reader, PropertyContext::Packet(reader.packet_type))?
    };
    reader.finish()?;
    Ok((code, properties))
}

/// DISCONNECT. 3.1.1 has no variable header, so any body is an error.
pub(super) fn disconnect(body: &[u8], version: ProtocolVersion) -> Result<Disconnect, DecodeError> {
    let mut reader = Reader::new(body, PacketType::Disconnect, version);
    if !version.is_v5() {
        reader.finish()?;
        return Ok(Disconnect::default());
    }
    let (reason_code, properties) = code_and_properties(&mut reader)?;
    Ok(Disconnect {
        reason_code,
        properties,
    })
}

/// AUTH exists only in 5.0; in 3.1.1 type 15 is rejected with the fixed header.
pub(super) fn auth(body: &[u8], version: ProtocolVersion) -> Result<Auth, DecodeError> {
    let mut reader = Reader::new(body, PacketType::Auth, version);
    let (reason_code, properties) = code_and_properties(&mut reader)?;
    reject_auth_data_without_method(&properties)?;
    Ok(Auth {
        reason_code,
        properties,
    })
}
