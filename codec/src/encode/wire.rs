//! The primitive data types (§1.5), in two halves: `*_len` functions measure
//! a field and fail where the wire format cannot carry it; `put_*` functions
//! write a field the size pass has already measured, so they cannot fail.
//! Splitting them lets [`encode`](super::encode) size the caller's buffer
//! once and write the fixed header and body straight into it through a
//! [`Writer`].

use crate::error::EncodeError;
use crate::limits::MAX_REMAINING_LENGTH;

/// The number of bytes of the Variable Byte Integer for `value`, or an error
/// above 268,435,455 (§1.5.5 / §2.2.3).
pub(crate) fn varint_len(value: u32, field: &'static str) -> Result<usize, EncodeError> {
    match value {
        0..=127 => Ok(1),
        128..=16_383 => Ok(2),
        16_384..=2_097_151 => Ok(3),
        2_097_152..=MAX_REMAINING_LENGTH => Ok(4),
        _ => Err(EncodeError::VarIntTooLarge {
            field,
            value: value.into(),
        }),
    }
}

/// Two length bytes and the string (§1.5.4); longer than 65,535 bytes fails.
pub(crate) fn string_len(text: &str, field: &'static str) -> Result<usize, EncodeError> {
    match u16::try_from(text.len()) {
        Ok(_) => Ok(2 + text.len()),
        Err(_) => Err(EncodeError::StringTooLong {
            field,
            len: text.len(),
        }),
    }
}

/// Two length bytes and the data (§1.5.6); longer than 65,535 bytes fails.
pub(crate) fn binary_len(bytes: &[u8], field: &'static str) -> Result<usize, EncodeError> {
    match u16::try_from(bytes.len()) {
        Ok(_) => Ok(2 + bytes.len()),
        Err(_) => Err(EncodeError::BinaryTooLong {
            field,
            len: bytes.len(),
        }),
    }
}

/// A cursor over the bytes [`encode`](super::encode) has set aside for a
/// measured packet. Writing into a slice rather than through `BufMut`
/// keeps every one-byte field a plain store instead of a capacity check
/// and a call.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    out: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(crate) fn new(out: &'a mut [u8]) -> Self {
        Self { out, pos: 0 }
    }

    /// Bytes written so far.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The size pass measured the slice, so every write fits; a write that
    /// would not is dropped (and trips the debug assertion) rather than
    /// panicking in a release build.
    pub(crate) fn put_slice(&mut self, bytes: &[u8]) {
        let end = self.pos + bytes.len();
        debug_assert!(end <= self.out.len(), "encoder wrote past its measure");
        if let Some(dst) = self.out.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    pub(crate) fn put_u8(&mut self, byte: u8) {
        debug_assert!(self.pos < self.out.len(), "encoder wrote past its measure");
        if let Some(dst) = self.out.get_mut(self.pos) {
            *dst = byte;
        }
        self.pos += 1;
    }

    pub(crate) fn put_u16(&mut self, value: u16) {
        self.put_slice(&value.to_be_bytes());
    }

    pub(crate) fn put_u32(&mut self, value: u32) {
        self.put_slice(&value.to_be_bytes());
    }
}

/// Writes a Variable Byte Integer that [`varint_len`] accepted.
pub(crate) fn put_varint(buf: &mut Writer<'_>, value: u32) {
    debug_assert!(value <= MAX_REMAINING_LENGTH);
    let mut rest = value;
    loop {
        // The low seven bits; the cast cannot lose anything else.
        let mut byte = (rest & 0x7F) as u8;
        rest >>= 7;
        if rest > 0 {
            byte |= 0x80;
        }
        buf.put_u8(byte);
        if rest == 0 {
            return;
        }
    }
}

/// Writes Binary Data that [`binary_len`] accepted.
pub(crate) fn put_binary(buf: &mut Writer<'_>, bytes: &[u8]) {
    debug_assert!(bytes.len() <= usize::from(u16::MAX));
    // Measured by `binary_len`: the length fits in two bytes.
    buf.put_u16(bytes.len() as u16);
    buf.put_slice(bytes);
}

/// Writes a UTF-8 Encoded String that [`string_len`] accepted.
pub(crate) fn put_string(buf: &mut Writer<'_>, text: &str) {
    put_binary(buf, text.as_bytes());
}
