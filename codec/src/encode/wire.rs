//! Writers for the primitive data types (§1.5).

use bytes::{BufMut, BytesMut};

use crate::error::EncodeError;
use crate::limits::MAX_REMAINING_LENGTH;

pub(crate) fn put_varint(
    buf: &mut BytesMut,
    value: u32,
    field: &'static str,
) -> Result<(), EncodeError> {
    if value > MAX_REMAINING_LENGTH {
        return Err(EncodeError::VarIntTooLarge {
            field,
            value: value.into(),
        });
    }
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
            return Ok(());
        }
    }
}

pub(crate) fn put_binary(
    buf: &mut BytesMut,
    bytes: &[u8],
    field: &'static str,
) -> Result<(), EncodeError> {
    let len = u16::try_from(bytes.len()).map_err(|_| EncodeError::BinaryTooLong {
        field,
        len: bytes.len(),
    })?;
    buf.put_u16(len);
    buf.put_slice(bytes);
    Ok(())
}

pub(crate) fn put_string(
    buf: &mut BytesMut,
    text: &str,
    field: &'static str,
) -> Result<(), EncodeError> {
    let len = u16::try_from(text.len()).map_err(|_| EncodeError::StringTooLong {
        field,
        len: text.len(),
    })?;
    buf.put_u16(len);
    buf.put_slice(text.as_bytes());
    Ok(())
}
