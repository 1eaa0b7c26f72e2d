//! Receiver-side limits.

/// The largest Remaining Length a Variable Byte Integer can carry (§2.2.3 /
/// §2.1.4).
pub const MAX_REMAINING_LENGTH: u32 = 268_435_455;

/// What a receiver is willing to accept. A 5.0 server advertises its
/// `max_packet_size` in CONNACK (§3.2.2.3.6); a client in CONNECT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest whole packet, fixed header included. The decoder rejects a
    /// packet with [`DecodeError::PacketTooLarge`](crate::DecodeError) as soon
    /// as its fixed header shows it would be larger, without buffering the body.
    pub max_packet_size: u32,
}

impl Limits {
    /// No limit beyond what the wire format can carry.
    pub const UNLIMITED: Self = Self {
        max_packet_size: MAX_REMAINING_LENGTH + 5,
    };

    pub fn new(max_packet_size: u32) -> Self {
        Self { max_packet_size }
    }
}

impl Default for Limits {
    /// The largest packet the wire format allows: 268,435,455 bytes of
    /// Remaining Length plus a five-byte fixed header.
    fn default() -> Self {
        Self::UNLIMITED
    }
}
