//! Primitive data types (§1.5 in 5.0, §1.5 and §2.2.3 in 3.1.1) read through a
//! cursor over borrowed bytes. Every read is bounds-checked: running past the
//! end is an error, never a panic.

use bytes::Bytes;

use crate::error::DecodeError;
use crate::string::MqttString;
use crate::types::{PacketType, ProtocolVersion};

/// The outcome of reading a Variable Byte Integer from a prefix of the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum VarInt {
    /// The value and the number of bytes it took.
    Complete(u32, usize),
    /// The input ends before the last byte; more may complete it.
    Incomplete,
    /// The fourth byte still has its continuation bit: a fifth would follow.
    TooLong,
    /// Complete, but longer than needed: its last byte is 0x00 after a
    /// continuation (MQTT-1.5.5-1 asks for the minimum number of bytes).
    NonMinimal,
}

/// Reads a Variable Byte Integer from the start of `bytes`. Fails as soon as
/// the bytes seen are enough to tell it is too long or non-minimal.
pub(crate) fn read_varint(bytes: &[u8]) -> VarInt {
    let mut value: u32 = 0;
    for (index, &byte) in bytes.iter().take(4).enumerate() {
        value |= u32::from(byte & 0x7F) << (7 * index);
        if byte & 0x80 == 0 {
            if index > 0 && byte == 0 {
                return VarInt::NonMinimal;
            }
            return VarInt::Complete(value, index + 1);
        }
        if index == 3 {
            return VarInt::TooLong;
        }
    }
    VarInt::Incomplete
}

/// A cursor over one packet's body. It knows the packet type and protocol
/// version so that its errors can cite the right rule.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    pub(crate) packet_type: PacketType,
    pub(crate) version: ProtocolVersion,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], packet_type: PacketType, version: ProtocolVersion) -> Self {
        Self {
            bytes,
            pos: 0,
            packet_type,
            version,
        }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    fn end(&self, field: &'static str) -> DecodeError {
        DecodeError::UnexpectedEnd {
            packet_type: self.packet_type,
            field,
            version: self.version,
        }
    }

    /// The next `len` bytes.
    pub(crate) fn take(
        &mut self,
        len: usize,
        field: &'static str,
    ) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(len).ok_or_else(|| self.end(field))?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or_else(|| self.end(field))?;
        self.pos = end;
        Ok(slice)
    }

    /// Everything not yet read.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let slice = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        slice
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        let slice = self.take(1, field)?;
        slice.first().copied().ok_or_else(|| self.end(field))
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        let slice = self.take(2, field)?;
        let array: [u8; 2] = slice.try_into().map_err(|_| self.end(field))?;
        Ok(u16::from_be_bytes(array))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let slice = self.take(4, field)?;
        let array: [u8; 4] = slice.try_into().map_err(|_| self.end(field))?;
        Ok(u32::from_be_bytes(array))
    }

    pub(crate) fn varint(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        match read_varint(rest) {
            VarInt::Complete(value, len) => {
                self.pos += len;
                Ok(value)
            }
            VarInt::Incomplete => Err(self.end(field)),
            VarInt::TooLong => Err(DecodeError::VarIntTooLong {
                version: self.version,
            }),
            VarInt::NonMinimal => Err(DecodeError::NonMinimalVarInt {
                version: self.version,
            }),
        }
    }

    /// Two-byte length followed by that many bytes (Binary Data, §1.5.6).
    pub(crate) fn binary_slice(&mut self, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u16(field)?;
        self.take(usize::from(len), field)
    }

    pub(crate) fn binary(&mut self, field: &'static str) -> Result<Bytes, DecodeError> {
        Ok(Bytes::copy_from_slice(self.binary_slice(field)?))
    }

    /// A UTF-8 Encoded String: well-formed (no surrogates, no overlong forms)
    /// and free of U+0000 (MQTT-1.5.3-1/-2, MQTT-1.5.4-1/-2). A BOM is kept
    /// as U+FEFF (MQTT-1.5.3-3 / MQTT-1.5.4-3).
    pub(crate) fn utf8(&mut self, field: &'static str) -> Result<MqttString, DecodeError> {
        self.utf8_str(field).map(MqttString::from)
    }

    /// [`Reader::utf8`], borrowed from the packet.
    pub(crate) fn utf8_str(&mut self, field: &'static str) -> Result<&'a str, DecodeError> {
        self.utf8_scanned(field).map(|(text, _)| text)
    }

    /// [`Reader::utf8_str`], and whether the text holds a wildcard
    /// character (`+` or `#`), found by the same pass over its bytes.
    #[inline(always)]
    pub(crate) fn utf8_scanned(
        &mut self,
        field: &'static str,
    ) -> Result<(&'a str, bool), DecodeError> {
        let bytes = self.binary_slice(field)?;
        let scanned = crate::scan::scan(bytes);
        let text = match scanned.ascii {
            Some(text) => text,
            None => std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 {
                field,
                version: self.version,
            })?,
        };
        if scanned.nul {
            return Err(DecodeError::NullCharacter {
                field,
                version: self.version,
            });
        }
        Ok((text, scanned.wildcard))
    }

    /// A sub-reader over the next `len` bytes, for a length-prefixed section.
    pub(crate) fn sub(
        &mut self,
        len: usize,
        field: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        let bytes = self.take(len, field)?;
        Ok(Reader::new(bytes, self.packet_type, self.version))
    }

    /// Fails with [`DecodeError::TrailingBytes`] unless every byte was read.
    pub(crate) fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(DecodeError::TrailingBytes {
                packet_type: self.packet_type,
                count,
                version: self.version,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_boundaries() {
        assert_eq!(read_varint(&[0x00]), VarInt::Complete(0, 1));
        assert_eq!(read_varint(&[0x7F]), VarInt::Complete(127, 1));
        assert_eq!(read_varint(&[0x80, 0x01]), VarInt::Complete(128, 2));
        assert_eq!(read_varint(&[0xFF, 0x7F]), VarInt::Complete(16_383, 2));
        assert_eq!(
            read_varint(&[0x80, 0x80, 0x01]),
            VarInt::Complete(16_384, 3)
        );
        assert_eq!(
            read_varint(&[0xFF, 0xFF, 0xFF, 0x7F]),
            VarInt::Complete(268_435_455, 4)
        );
        assert_eq!(read_varint(&[]), VarInt::Incomplete);
        assert_eq!(read_varint(&[0x80, 0x80]), VarInt::Incomplete);
        assert_eq!(read_varint(&[0x80, 0x80, 0x80, 0x80]), VarInt::TooLong);
        assert_eq!(read_varint(&[0x80, 0x00]), VarInt::NonMinimal);
        assert_eq!(read_varint(&[0xFF, 0x80, 0x00]), VarInt::NonMinimal);
    }

    #[test]
    fn reader_never_reads_past_the_end() {
        let mut reader = Reader::new(
            &[0x00, 0x05, b'a'],
            PacketType::Publish,
            ProtocolVersion::V5,
        );
        assert!(matches!(
            reader.utf8("topic"),
            Err(DecodeError::UnexpectedEnd { field: "topic", .. })
        ));
        let mut reader = Reader::new(&[0x01], PacketType::Publish, ProtocolVersion::V5);
        assert!(reader.u16("packet identifier").is_err());
        assert!(reader.u32("x").is_err());
        assert_eq!(reader.u8("x"), Ok(1));
        assert!(reader.u8("x").is_err());
    }

    #[test]
    fn utf8_rules() {
        // Encoded surrogate U+D800.
        let mut reader = Reader::new(
            &[0, 3, 0xED, 0xA0, 0x80],
            PacketType::Publish,
            ProtocolVersion::V3_1_1,
        );
        assert!(matches!(
            reader.utf8("t"),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
        let mut reader = Reader::new(&[0, 2, b'a', 0], PacketType::Publish, ProtocolVersion::V5);
        assert!(matches!(
            reader.utf8("t"),
            Err(DecodeError::NullCharacter { .. })
        ));
        // The BOM survives.
        let mut reader = Reader::new(
            &[0, 4, 0xEF, 0xBB, 0xBF, b'a'],
            PacketType::Publish,
            ProtocolVersion::V5,
        );
        assert_eq!(reader.utf8("t").as_deref(), Ok("\u{FEFF}a"));
    }
}
