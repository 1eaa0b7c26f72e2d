//! Decoding: a fixed-header parser that works on partial input, and one body
//! decoder per packet family. Errors are raised as early as the bytes allow:
//! a bad first byte, an over-long or non-minimal Remaining Length and an
//! over-limit packet are rejected before the body arrives.

mod ack;
mod connect;
pub(crate) mod properties;
mod publish;
mod subscribe;
mod text;

use bytes::{Buf, Bytes, BytesMut};

use crate::error::DecodeError;
use crate::limits::Limits;
use crate::packet::Packet;
use crate::types::{PacketType, ProtocolVersion, QoS};
use crate::wire::{read_varint, Reader, VarInt};

/// A parsed fixed header: the first byte and where the body starts and ends.
#[derive(Clone, Copy, Debug)]
struct FixedHeader {
    first_byte: u8,
    packet_type: PacketType,
    header_len: usize,
    total_len: usize,
}

/// Decodes one packet from the front of `buf`.
///
/// - `Ok(None)`: `buf` does not yet hold a whole packet; it is left untouched.
/// - `Ok(Some(packet))`: the packet's bytes have been removed from `buf`.
/// - `Err(_)`: the bytes are not a valid packet; `buf` is left untouched and
///   the connection should be closed.
///
/// `version` is the connection's protocol version. A CONNECT carries its own
/// and is decoded by it, so a server may pass anything before CONNECT.
pub fn decode(
    buf: &mut BytesMut,
    version: ProtocolVersion,
    limits: &Limits,
) -> Result<Option<Packet>, DecodeError> {
    let Some(header) = fixed_header(buf, version, limits)? else {
        return Ok(None);
    };
    let Some(body) = buf.get(header.header_len..header.total_len) else {
        return Ok(None);
    };
    if header.packet_type == PacketType::Publish {
        // The hot path, kept apart from `decode_body` so that a long
        // payload can be shared with `buf` and so that the payload is in
        // place before the packet is wrapped and moved out.
        let flags = header.first_byte & 0x0F;
        let (mut publish, start) = publish::decode(flags, body, version)?;
        let start = header.header_len + start;
        if header.total_len - start < ZERO_COPY_PAYLOAD {
            let payload = buf.get(start..header.total_len).unwrap_or_default();
            publish.payload = Bytes::copy_from_slice(payload);
            buf.advance(header.total_len);
        } else {
            // Advanced rather than sliced: one reference count update fewer
            // per packet.
            let mut frame = buf.split_to(header.total_len).freeze();
            frame.advance(start);
            publish.payload = frame;
        }
        return Ok(Some(Packet::Publish(publish)));
    }
    let packet = decode_body(&header, body, version)?;
    buf.advance(header.total_len);
    Ok(Some(packet))
}

/// PUBLISH payloads at least this long are not copied: [`decode`] hands out
/// a slice of the receive buffer. Shorter ones are copied, which costs about
/// as much as sharing and does not keep a whole receive buffer alive for a
/// few bytes (a retained message can live for the broker's lifetime).
const ZERO_COPY_PAYLOAD: usize = 256;

/// Decodes `frame`, which must hold exactly one whole packet: missing bytes
/// ([`DecodeError::FrameIncomplete`]) and extra bytes
/// ([`DecodeError::BytesAfterFrame`]) are both errors.
pub fn decode_packet(
    frame: &[u8],
    version: ProtocolVersion,
    limits: &Limits,
) -> Result<Packet, DecodeError> {
    let incomplete = |expected| DecodeError::FrameIncomplete {
        expected,
        actual: frame.len(),
        version,
    };
    let header = fixed_header(frame, version, limits)?.ok_or_else(|| incomplete(None))?;
    if frame.len() > header.total_len {
        return Err(DecodeError::BytesAfterFrame {
            count: frame.len() - header.total_len,
            version,
        });
    }
    let body = frame
        .get(header.header_len..header.total_len)
        .ok_or_else(|| incomplete(Some(header.total_len)))?;
    decode_body(&header, body, version)
}

/// The version a CONNECT's errors are reported in: its own protocol level
/// when enough of the body is at hand, else the caller's.
fn connect_version(body_prefix: &[u8], fallback: ProtocolVersion) -> ProtocolVersion {
    connect::peek_version(body_prefix).unwrap_or(fallback)
}

/// Parses the fixed header at the front of `bytes`, or `Ok(None)` if it is
/// not complete yet.
#[inline(always)]
fn fixed_header(
    bytes: &[u8],
    version: ProtocolVersion,
    limits: &Limits,
) -> Result<Option<FixedHeader>, DecodeError> {
    let Some(&first_byte) = bytes.first() else {
        return Ok(None);
    };
    let packet_type = check_first_byte(first_byte, version)?;
    let (remaining_len, len_bytes) = match read_varint(bytes.get(1..).unwrap_or_default()) {
        VarInt::Complete(value, len) => (value, len),
        VarInt::Incomplete => return Ok(None),
        VarInt::TooLong => return Err(DecodeError::VarIntTooLong { version }),
        VarInt::NonMinimal => return Err(DecodeError::NonMinimalVarInt { version }),
    };
    let header_len = 1 + len_bytes;
    let size = header_len as u64 + u64::from(remaining_len);
    if size > u64::from(limits.max_packet_size) {
        let version = match packet_type {
            PacketType::Connect => {
                connect_version(bytes.get(header_len..).unwrap_or_default(), version)
            }
            _ => version,
        };
        return Err(DecodeError::PacketTooLarge {
            size,
            limit: limits.max_packet_size,
            version,
        });
    }
    // Fits in usize: the limit is a u32 and the check above passed.
    let total_len = usize::try_from(size).map_err(|_| DecodeError::PacketTooLarge {
        size,
        limit: limits.max_packet_size,
        version,
    })?;
    Ok(Some(FixedHeader {
        first_byte,
        packet_type,
        header_len,
        total_len,
    }))
}

/// Checks the packet type and flag nibble (MQTT-2.2.2-1 / MQTT-2.1.3-1,
/// MQTT-3.3.1-2, MQTT-3.3.1-4). CONNECT's flags are checked with its body,
/// once its own protocol level is known.
fn check_first_byte(first_byte: u8, version: ProtocolVersion) -> Result<PacketType, DecodeError> {
    let nibble = first_byte >> 4;
    let flags = first_byte & 0x0F;
    let packet_type = match PacketType::from_nibble(nibble) {
        Some(PacketType::Auth) if !version.is_v5() => None,
        other => other,
    }
    .ok_or(DecodeError::ReservedPacketType {
        packet_type: nibble,
        version,
    })?;
    match packet_type {
        PacketType::Connect => {}
        PacketType::Publish => {
            let qos = (flags >> 1) & 0b11;
            if qos == 3 {
                return Err(DecodeError::PublishQos3);
            }
            if qos == 0 && flags & 0b1000 != 0 {
                return Err(DecodeError::DupWithQos0);
            }
        }
        _ => {
            if packet_type.required_flags() != Some(flags) {
                return Err(DecodeError::InvalidFixedHeaderFlags {
                    packet_type,
                    flags,
                    version,
                });
            }
        }
    }
    Ok(packet_type)
}

/// Decodes a whole body; a PUBLISH payload is copied out of `body`
/// ([`decode`] takes PUBLISH first, to share long payloads instead).
/// Inlined so that the packet is built where the caller returns it rather
/// than moved out of each layer.
#[inline(always)]
fn decode_body(
    header: &FixedHeader,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<Packet, DecodeError> {
    let flags = header.first_byte & 0x0F;
    let packet_type = header.packet_type;
    let packet = match packet_type {
        PacketType::Connect => {
            if flags != 0 {
                return Err(DecodeError::InvalidFixedHeaderFlags {
                    packet_type,
                    flags,
                    version: connect_version(body, version),
                });
            }
            Packet::Connect(Box::new(connect::decode(body, version)?))
        }
        PacketType::ConnAck => Packet::ConnAck(ack::connack(body, version)?),
        PacketType::Publish => {
            let (mut publish, start) = publish::decode(flags, body, version)?;
            publish.payload = Bytes::copy_from_slice(body.get(start..).unwrap_or_default());
            Packet::Publish(publish)
        }
        PacketType::PubAck => Packet::PubAck(ack::publish_response(packet_type, body, version)?),
        PacketType::PubRec => Packet::PubRec(ack::publish_response(packet_type, body, version)?),
        PacketType::PubRel => Packet::PubRel(ack::publish_response(packet_type, body, version)?),
        PacketType::PubComp => Packet::PubComp(ack::publish_response(packet_type, body, version)?),
        PacketType::Subscribe => Packet::Subscribe(subscribe::subscribe(body, version)?),
        PacketType::SubAck => Packet::SubAck(subscribe::suback(body, version)?),
        PacketType::Unsubscribe => Packet::Unsubscribe(subscribe::unsubscribe(body, version)?),
        PacketType::UnsubAck => Packet::UnsubAck(subscribe::unsuback(body, version)?),
        PacketType::PingReq => {
            Reader::new(body, packet_type, version).finish()?;
            Packet::PingReq
        }
        PacketType::PingResp => {
            Reader::new(body, packet_type, version).finish()?;
            Packet::PingResp
        }
        PacketType::Disconnect => Packet::Disconnect(ack::disconnect(body, version)?),
        PacketType::Auth => Packet::Auth(ack::auth(body, version)?),
    };
    Ok(packet)
}

/// Whether `code` is a reason (or 3.1.1 return) code `packet_type` may carry
/// in `version`, per the code tables of each packet (5.0 Tables 3-1 … 3-13,
/// 3.1.1 Tables 3.1 and §3.9.3). The decoder rejects the others with
/// [`DecodeError::InvalidReasonCode`]; a report can use this to name a
/// broker that sends them. Packet types without codes allow only 0x00.
pub fn reason_code_allowed(
    packet_type: PacketType,
    code: crate::types::ReasonCode,
    version: ProtocolVersion,
) -> bool {
    match packet_type {
        PacketType::SubAck => subscribe::valid_suback_code(code.0, version),
        PacketType::UnsubAck => version.is_v5() && subscribe::valid_unsuback_code(code.0),
        _ => ack::valid_reason_code(packet_type, code.0, version),
    }
}

/// The QoS in a PUBLISH flag nibble; 3 was rejected with the fixed header.
pub(crate) fn publish_qos(flags: u8) -> Result<QoS, DecodeError> {
    QoS::from_u8((flags >> 1) & 0b11).ok_or(DecodeError::PublishQos3)
}
