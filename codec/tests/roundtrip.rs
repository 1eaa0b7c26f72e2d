//! Property tests: valid packets survive encode → decode; arbitrary bytes
//! never panic the decoder, and whatever it accepts re-encodes to bytes that
//! decode to the same value.
#![allow(clippy::unwrap_used)]

mod support;

use bytes::BytesMut;
use lastwill_codec::*;
use proptest::prelude::*;

const VERSIONS: [ProtocolVersion; 2] = [ProtocolVersion::V3_1_1, ProtocolVersion::V5];

fn version() -> impl Strategy<Value = ProtocolVersion> {
    proptest::sample::select(&VERSIONS[..])
}

fn versioned_packet() -> impl Strategy<Value = (ProtocolVersion, Packet)> {
    version().prop_flat_map(|version| (Just(version), support::strategies::packet(version)))
}

/// A first byte with a defined packet type and usually the right flags, so
/// random bodies reach the body decoders.
fn first_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        4 => (1u8..=15).prop_map(|t| {
            let flags = match t { 6 | 8 | 10 => 2, _ => 0 };
            (t << 4) | flags
        }),
        1 => (0u8..=15).prop_map(|flags| 0x30 | (flags & 0b1011)),
        1 => any::<u8>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_gives_the_packet((version, packet) in versioned_packet()) {
        let bytes = encode_to_bytes(&packet, version).unwrap();
        let decoded = decode_packet(&bytes, version, &Limits::default());
        prop_assert_eq!(decoded, Ok(packet.clone()));
        // The streaming decoder agrees and consumes exactly the packet.
        let mut buf = BytesMut::from(&bytes[..]);
        buf.extend_from_slice(&[0xC0, 0x00]);
        prop_assert_eq!(decode(&mut buf, version, &Limits::default()), Ok(Some(packet)));
        prop_assert_eq!(&buf[..], &[0xC0, 0x00]);
    }

    #[test]
    fn byte_by_byte_needs_more_until_the_last((version, packet) in versioned_packet()) {
        let bytes = encode_to_bytes(&packet, version).unwrap();
        let mut buf = BytesMut::new();
        let (last, init) = bytes.split_last().unwrap();
        for &byte in init {
            buf.extend_from_slice(&[byte]);
            let before = buf.clone();
            prop_assert_eq!(decode(&mut buf, version, &Limits::default()), Ok(None));
            prop_assert_eq!(&buf, &before);
        }
        buf.extend_from_slice(&[*last]);
        prop_assert_eq!(decode(&mut buf, version, &Limits::default()), Ok(Some(packet)));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn a_limit_one_byte_short_rejects((version, packet) in versioned_packet()) {
        let bytes = encode_to_bytes(&packet, version).unwrap();
        let size = u32::try_from(bytes.len()).unwrap();
        prop_assert!(decode_packet(&bytes, version, &Limits::new(size)).is_ok());
        let error = decode_packet(&bytes, version, &Limits::new(size - 1)).unwrap_err();
        prop_assert!(matches!(error, DecodeError::PacketTooLarge { .. }), "{error:?}");
        prop_assert_eq!(error.reason_code(), ReasonCode::PACKET_TOO_LARGE);
    }
}

/// The decoder's contract, as `lastwill_codec::invariants` states it for
/// the fuzz targets too.
fn check_invariants(bytes: &[u8], version: ProtocolVersion) -> Result<(), TestCaseError> {
    lastwill_codec::invariants::check_decode(bytes, version)
        .map_err(|violation| TestCaseError::fail(violation.to_string()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(
        version in version(),
        bytes in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        check_invariants(&bytes, version)?;
    }

    #[test]
    fn arbitrary_bodies_never_panic(
        version in version(),
        first in first_byte(),
        body in proptest::collection::vec(any::<u8>(), 0..48),
    ) {
        let bytes = RawPacket::new(first, body).to_bytes();
        check_invariants(&bytes, version)?;
    }

    #[test]
    fn mutated_valid_packets_never_panic(
        (version, packet) in versioned_packet(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let mut bytes = encode_to_bytes(&packet, version).unwrap().to_vec();
        for (index, value) in flips {
            let at = index.index(bytes.len());
            bytes[at] = value;
        }
        check_invariants(&bytes, version)?;
    }
}
