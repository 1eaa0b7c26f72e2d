//! One test per malformed-packet rule: exact bytes in, the named violation,
//! its rule ID and its 5.0 reason code out.
#![allow(clippy::unwrap_used)]

#[path = "../support/mod.rs"]
mod support;

use bytes::BytesMut;
use lastwill_codec::*;
use support::hex;

const V3: ProtocolVersion = ProtocolVersion::V3_1_1;
const V5: ProtocolVersion = ProtocolVersion::V5;

/// Decodes `bytes` both ways and checks the error. Returns it for further
/// assertions on the variant.
#[track_caller]
fn reject(version: ProtocolVersion, bytes: &str, rule: &str, reason: u8) -> DecodeError {
    let bytes = hex(bytes);
    let error = decode_packet(&bytes, version, &Limits::default()).unwrap_err();
    assert_eq!(error.rule(), rule, "rule of {error:?}");
    assert_eq!(
        error.reason_code(),
        ReasonCode(reason),
        "reason of {error:?}"
    );
    assert_eq!(
        error.is_malformed(),
        reason == 0x81,
        "is_malformed of {error:?}"
    );
    // The streaming decoder gives the same answer and leaves the buffer alone.
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(
        decode(&mut buf, version, &Limits::default()),
        Err(error.clone())
    );
    assert_eq!(&buf[..], &bytes[..]);
    error
}

#[track_caller]
fn accept(version: ProtocolVersion, bytes: &str) -> Packet {
    decode_packet(&hex(bytes), version, &Limits::default()).unwrap()
}

mod acknowledgements;
mod connect;
mod fixed_header;
mod properties;
mod publish;
mod subscribe;
mod utf8;
mod will;
