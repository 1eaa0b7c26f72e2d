//! A strict MQTT 3.1.1 and 5.0 packet codec.
//!
//! Decoding is streaming: [`decode`] takes bytes as they arrive and answers
//! `Ok(None)` until a whole packet is buffered. It rejects every malformed
//! packet the specification names, and each [`DecodeError`] says which
//! normative statement was broken ([`DecodeError::rule`]) and which reason
//! code a 5.0 server sends for it ([`DecodeError::reason_code`]).
//!
//! Encoding is deliberately permissive: it writes whatever values the packet
//! structs hold (zero packet identifiers, reserved reason codes, undefined
//! property values), and [`RawPacket`] writes arbitrary fixed-header flags
//! and bodies, because a conformance suite must send malformed packets on purpose.
//!
//! The codec has one `unsafe` block, in the string scanner (`scan.rs`),
//! which says why; every other module is checked to have none.
#![deny(unsafe_code)]

#[cfg(feature = "arbitrary")]
pub mod arbitrary;
mod decode;
mod encode;
pub mod error;
pub mod invariants;
mod limits;
pub mod packet;
pub mod properties;
mod publish_properties;
mod raw;
mod scan;
mod string;
pub mod topic;
pub mod types;
mod wire;

pub use decode::{decode, decode_packet, reason_code_allowed};
pub use encode::{encode, encode_to_bytes};
pub use error::{DecodeError, EncodeError, PropertyContext};
pub use limits::{Limits, MAX_REMAINING_LENGTH};
pub use packet::*;
pub use properties::{Properties, PropertyValues, UserProperty};
pub use publish_properties::PublishProperties;
pub use raw::{put_fixed_header, RawPacket};
pub use string::MqttString;
pub use topic::payload_matches_format;
pub use types::{PacketType, PropertyId, ProtocolVersion, QoS, ReasonCode};
