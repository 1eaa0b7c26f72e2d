//! The same work as `lastwill_codec::invariants::check_decode`, done by
//! mqttbytes 0.6: the peer for the decode targets' speed figures.
//!
//! `check_decode` reads a packet from a stream, reads its frame again on
//! its own, re-encodes it and reads the result. [`mqttbytes_decode`] does
//! those four steps with mqttbytes, so `decode_v5` and `mqttbytes_v5`
//! under the same libFuzzer flags compare decoders, not harness shapes.
//! It checks nothing: mqttbytes is the yardstick here, not the subject
//! (the differential target is where its answers are compared).

use bytes::BytesMut;
use lastwill_codec::ProtocolVersion;

const MAX_SIZE: usize = 1 << 20;

/// Decodes `bytes` with mqttbytes' module for `version` the way
/// `check_decode` does with lastwill's; returns whether a packet was read.
pub fn mqttbytes_decode(bytes: &[u8], version: ProtocolVersion) -> bool {
    match version {
        ProtocolVersion::V5 => v5(bytes),
        _ => v4(bytes),
    }
}

fn v4(bytes: &[u8]) -> bool {
    use mqttbytes::v4::{read, Packet};
    let mut stream = BytesMut::from(bytes);
    let Ok(packet) = read(&mut stream, MAX_SIZE) else {
        return false;
    };
    let consumed = bytes.len() - stream.len();
    let mut frame = BytesMut::from(&bytes[..consumed]);
    let alone = read(&mut frame, MAX_SIZE);
    let mut out = BytesMut::with_capacity(consumed);
    let written = match &packet {
        Packet::Connect(p) => p.write(&mut out),
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::Publish(p) => p.write(&mut out),
        Packet::PubAck(p) => p.write(&mut out),
        Packet::PubRec(p) => p.write(&mut out),
        Packet::PubRel(p) => p.write(&mut out),
        Packet::PubComp(p) => p.write(&mut out),
        Packet::Subscribe(p) => p.write(&mut out),
        Packet::SubAck(p) => p.write(&mut out),
        Packet::Unsubscribe(p) => p.write(&mut out),
        Packet::UnsubAck(p) => p.write(&mut out),
        Packet::PingReq => mqttbytes::v4::PingReq.write(&mut out),
        Packet::PingResp => mqttbytes::v4::PingResp.write(&mut out),
        Packet::Disconnect => mqttbytes::v4::Disconnect.write(&mut out),
    };
    if written.is_ok() {
        let again = read(&mut out, MAX_SIZE);
        let _ = std::hint::black_box((alone, again));
    }
    true
}

fn v5(bytes: &[u8]) -> bool {
    use mqttbytes::v5::{read, Packet};
    let mut stream = BytesMut::from(bytes);
    let Ok(packet) = read(&mut stream, MAX_SIZE) else {
        return false;
    };
    let consumed = bytes.len() - stream.len();
    let mut frame = BytesMut::from(&bytes[..consumed]);
    let alone = read(&mut frame, MAX_SIZE);
    let mut out = BytesMut::with_capacity(consumed);
    let written = match &packet {
        Packet::Connect(p) => p.write(&mut out),
        Packet::ConnAck(p) => p.write(&mut out),
        Packet::Publish(p) => p.write(&mut out),
        Packet::PubAck(p) => p.write(&mut out),
        Packet::PubRec(p) => p.write(&mut out),
        Packet::PubRel(p) => p.write(&mut out),
        Packet::PubComp(p) => p.write(&mut out),
        Packet::Subscribe(p) => p.write(&mut out),
        Packet::SubAck(p) => p.write(&mut out),
        Packet::Unsubscribe(p) => p.write(&mut out),
        Packet::UnsubAck(p) => p.write(&mut out),
        Packet::PingReq => mqttbytes::v5::PingReq.write(&mut out),
        Packet::PingResp => mqttbytes::v5::PingResp.write(&mut out),
        Packet::Disconnect(p) => p.write(&mut out),
    };
    if written.is_ok() {
        let again = read(&mut out, MAX_SIZE);
        let _ = std::hint::black_box((alone, again));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_both_decoders_accept_and_nothing_else() {
        // PINGREQ, a QoS 0 PUBLISH "a" = "x", and a truncated CONNECT.
        assert!(mqttbytes_decode(&[0xc0, 0x00], ProtocolVersion::V3_1_1));
        assert!(mqttbytes_decode(
            &[0x30, 0x04, 0x00, 0x01, b'a', b'x'],
            ProtocolVersion::V3_1_1
        ));
        assert!(mqttbytes_decode(
            &[0x30, 0x05, 0x00, 0x01, b'a', 0x00, b'x'],
            ProtocolVersion::V5
        ));
        assert!(!mqttbytes_decode(&[0x10, 0x05, 0x00], ProtocolVersion::V5));
    }
}
