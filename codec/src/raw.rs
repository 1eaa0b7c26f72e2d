//! The escape hatch for sending malformed packets on purpose.

use bytes::{BufMut, Bytes, BytesMut};

/// A packet given as its first byte and body. Nothing is checked: the first
/// byte may carry a reserved type or wrong flags and the body may be garbage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawPacket {
    pub first_byte: u8,
    pub body: Bytes,
}

impl RawPacket {
    pub fn new(first_byte: u8, body: impl Into<Bytes>) -> Self {
        Self {
            first_byte,
            body: body.into(),
        }
    }

    /// Writes the first byte, the body length as a minimal Variable Byte
    /// Integer, then the body. A body longer than 268,435,455 bytes gets a
    /// length of five or more bytes, which no receiver accepts: that is
    /// what a caller of this type asked for.
    pub fn encode(&self, buf: &mut BytesMut) {
        buf.reserve(self.body.len() + 6);
        put_fixed_header(buf, self.first_byte, self.body.len());
        buf.put_slice(&self.body);
    }

    pub fn to_bytes(&self) -> Bytes {
        let mut buf = BytesMut::new();
        self.encode(&mut buf);
        buf.freeze()
    }
}

/// Writes a fixed header announcing `remaining` bytes that need not follow:
/// the first byte, then `remaining` as a minimal Variable Byte Integer
/// (§2.1.4; above 268,435,455 it takes five or more bytes, which no
/// receiver accepts). For tests and load tools that announce a packet they
/// never send whole, such as a CONNECT larger than a broker's Maximum
/// Packet Size.
pub fn put_fixed_header(buf: &mut BytesMut, first_byte: u8, remaining: usize) {
    buf.put_u8(first_byte);
    let mut len = remaining;
    loop {
        // Truncation to the low seven bits is the encoding.
        let mut byte = (len % 128) as u8;
        len /= 128;
        if len > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if len == 0 {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_minimal_length() {
        assert_eq!(
            &RawPacket::new(0xE0, Bytes::new()).to_bytes()[..],
            &[0xE0, 0x00]
        );
        let raw = RawPacket::new(0x31, vec![7u8; 200]);
        let bytes = raw.to_bytes();
        assert_eq!(&bytes[..3], &[0x31, 0xC8, 0x01]);
        assert_eq!(bytes.len(), 203);
    }
}
