//! Encoding. Permissive by design: it writes whatever the packet structs hold
//! (zero packet identifiers, reserved reason codes, properties a packet may
//! not carry, a PFI of 7), because a conformance suite must be able to send
//! what a conforming peer never would. It fails only where the wire format
//! cannot carry a value ([`EncodeError`]).
//!
//! Rules a reader needs to predict the bytes:
//! - CONNECT is written in its own `version` (as [`decode`](crate::decode)
//!   reads it); the `version` argument is ignored for it.
//! - 3.1.1 drops what it has no field for: properties, reason codes of
//!   PUBACK-family, DISCONNECT and UNSUBACK, subscription options beyond
//!   QoS. AUTH is written as a bare `F0 00`, a reserved type in 3.1.1.
//! - 5.0 short forms: PUBACK/PUBREC/PUBREL/PUBCOMP with no properties omit
//!   the property length, and with reason 0x00 the reason code too (length
//!   2 or 3); DISCONNECT and AUTH with no properties omit the property
//!   length, and with reason 0x00 everything (length 0 or 1). These are
//!   exactly the forms the decoder maps back to the same value.
//! - Properties are written in ascending identifier order; User Properties
//!   and Subscription Identifiers keep their order.

mod packets;
mod properties;
mod wire;

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::EncodeError;
use crate::limits::MAX_REMAINING_LENGTH;
use crate::packet::Packet;
use crate::types::ProtocolVersion;

/// Appends the encoding of `packet` in `version` to `buf`. On error nothing
/// is appended.
pub fn encode(
    packet: &Packet,
    version: ProtocolVersion,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let mut body = BytesMut::new();
    let first_byte = packets::write_body(packet, version, &mut body)?;
    let remaining_length = body.len();
    let length = u32::try_from(remaining_length)
        .ok()
        .filter(|len| *len <= MAX_REMAINING_LENGTH)
        .ok_or(EncodeError::PacketTooLarge { remaining_length })?;
    buf.reserve(remaining_length + 5);
    buf.put_u8(first_byte);
    wire::put_varint(buf, length, "remaining length")?;
    buf.put_slice(&body);
    Ok(())
}

/// [`encode`] into a fresh buffer.
pub fn encode_to_bytes(packet: &Packet, version: ProtocolVersion) -> Result<Bytes, EncodeError> {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf)?;
    Ok(buf.freeze())
}
