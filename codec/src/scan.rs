//! One pass over the bytes of a UTF-8 Encoded String (§1.5.4) that finds
//! everything the decoder asks of them: U+0000 (MQTT-1.5.4-2), a wildcard
//! character (MQTT-4.7.1-1, MQTT-4.7.0-1), and whether every byte is ASCII.
//!
//! This module holds the codec's only `unsafe` block. ASCII text is valid
//! UTF-8 by construction, so a string the pass found to be all ASCII is
//! handed out as `&str` without running the UTF-8 validator over it a
//! second time; anything else goes through `std::str::from_utf8` as before
//! (MQTT-1.5.4-1). On the mixed-stream benchmark the second pass was some
//! 7 % of decode time, and nearly every topic, filter and client identifier
//! on the wire is ASCII. The proof is local: the same loop that computes
//! `high` reads every byte of the slice it then converts.
#![allow(unsafe_code)]

/// What [`scan`] found.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scanned<'a> {
    /// The bytes as text when every one of them is ASCII; `None` when some
    /// byte has its high bit set (the caller validates those as UTF-8).
    pub(crate) ascii: Option<&'a str>,
    /// Whether a 0x00 byte is present.
    pub(crate) nul: bool,
    /// Whether `+` or `#` is present. Both are ASCII, so a byte scan finds
    /// exactly the characters a `str` search would.
    pub(crate) wildcard: bool,
}

/// Scans `bytes` once. No early exit: a branch-free loop over a short
/// string vectorises.
#[inline(always)]
pub(crate) fn scan(bytes: &[u8]) -> Scanned<'_> {
    let (mut nul, mut wildcard, mut high) = (false, false, 0u8);
    for &byte in bytes {
        nul |= byte == 0;
        wildcard |= (byte == b'+') | (byte == b'#');
        high |= byte;
    }
    let ascii = if high < 0x80 {
        // SAFETY: every byte of `bytes` was OR-ed into `high` above and
        // none has bit 7 set, so each byte is an ASCII character, and a
        // sequence of ASCII characters is valid UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(bytes) })
    } else {
        None
    };
    Scanned {
        ascii,
        nul,
        wildcard,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `scan` agrees with the standard library on every input: text
        /// exactly when the bytes are ASCII, and then the same text.
        #[test]
        fn agrees_with_the_standard_library(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let scanned = scan(&bytes);
            prop_assert_eq!(scanned.ascii.is_some(), bytes.is_ascii());
            if let Some(text) = scanned.ascii {
                prop_assert_eq!(Some(text), std::str::from_utf8(&bytes).ok());
            }
            prop_assert_eq!(scanned.nul, bytes.contains(&0));
            prop_assert_eq!(scanned.wildcard, bytes.contains(&b'+') || bytes.contains(&b'#'));
        }
    }

    #[test]
    fn one_high_byte_anywhere_sends_the_text_to_the_validator() {
        for at in 0..40 {
            let mut bytes = vec![b'a'; 40];
            bytes[at] = 0x80;
            assert!(scan(&bytes).ascii.is_none(), "high byte at {at}");
        }
        assert_eq!(scan(b"").ascii, Some(""));
        assert_eq!(scan("é".as_bytes()).ascii, None);
    }
}
