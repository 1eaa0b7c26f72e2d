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

use bytes::{Bytes, BytesMut};

use crate::error::EncodeError;
use crate::limits::MAX_REMAINING_LENGTH;
use crate::packet::Packet;
use crate::types::ProtocolVersion;
use wire::Writer;

/// Appends the encoding of `packet` in `version` to `buf`. On error nothing
/// is appended.
///
/// Two passes over the packet: the first measures the body and checks every
/// length the wire format limits, the second writes the fixed header and the
/// body straight into `buf`, sized once. No temporary buffer, no copy of the
/// body; a PUBLISH payload is copied once, into `buf`.
pub fn encode(
    packet: &Packet,
    version: ProtocolVersion,
    buf: &mut BytesMut,
) -> Result<(), EncodeError> {
    let v5 = version.is_v5();
    let sizes = packets::measure(packet, v5)?;
    let remaining_length = sizes.body;
    let length = u32::try_from(remaining_length)
        .ok()
        .filter(|len| *len <= MAX_REMAINING_LENGTH)
        .ok_or(EncodeError::PacketTooLarge { remaining_length })?;
    let tail = packets::tail(packet);
    let head_len =
        1 + wire::varint_len(length, "remaining length")? + remaining_length - tail.len();
    let start = buf.len();
    buf.reserve(head_len + tail.len());
    buf.resize(start + head_len, 0);
    let mut writer = Writer::new(buf.get_mut(start..).unwrap_or_default());
    writer.put_u8(packets::first_byte(packet));
    wire::put_varint(&mut writer, length);
    packets::write_body(packet, v5, &sizes, &mut writer);
    debug_assert_eq!(writer.position(), head_len);
    buf.extend_from_slice(tail);
    Ok(())
}

/// [`encode`] into a fresh buffer.
pub fn encode_to_bytes(packet: &Packet, version: ProtocolVersion) -> Result<Bytes, EncodeError> {
    let mut buf = BytesMut::new();
    encode(packet, version, &mut buf)?;
    Ok(buf.freeze())
}
