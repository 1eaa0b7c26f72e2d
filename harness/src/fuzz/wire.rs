//! The bytes a case puts on the wire: identifiers, will topics and
//! payloads, and CONNECTs with their malformations. Shared by the execution
//! and by the scenario writer, so a reproducer sends what the fuzzer sent.

use bytes::Bytes;
use lastwill_codec::{
    encode_to_bytes, Connect, EncodeError, Packet, Properties, QoS, UserProperty, Will,
};

use super::case::{Case, ConnectOp, Malformed};
use crate::scenario::Version;

/// Client Identifier of slot `slot`.
pub fn client_id(ns: &str, case: &Case, slot: usize) -> String {
    format!("{ns}-id{}", case.ids.get(slot).copied().unwrap_or(0))
}

/// Will topic and payload of the CONNECT with `tag`.
pub fn will_topic(ns: &str, tag: u16) -> String {
    format!("{ns}/w{tag}")
}

pub fn will_payload(tag: u16, padding: u16) -> String {
    let mut payload = format!("lw{tag}");
    payload.extend(std::iter::repeat_n('.', usize::from(padding)));
    payload
}

/// The bytes that replace the ill-formed will topic's placeholder.
const BAD_UTF8_TOPIC: &[u8] = b"lw/\xC3\x28";
const BAD_UTF8_PLACEHOLDER: &str = "lw/##";

/// The CONNECT of `op` as bytes, malformations applied.
pub fn connect_bytes(
    version: Version,
    op: &ConnectOp,
    client_id: &str,
    ns: &str,
) -> Result<Vec<u8>, EncodeError> {
    let mut connect = Connect::new(version.protocol(), client_id);
    connect.clean_start = op.clean_start;
    connect.keep_alive = op.keep_alive;
    if version == Version::V5 {
        connect.properties.session_expiry_interval = op.session_expiry;
    }
    let malformed = op.malformed;
    if malformed.is_none_or(Malformed::has_will) {
        if let Some(def) = &op.will {
            let topic = match malformed {
                Some(Malformed::WildcardTopic) => format!("{}/#", will_topic(ns, op.tag)),
                Some(Malformed::EmptyTopic) => String::new(),
                Some(Malformed::NulInTopic) => format!("{}\0", will_topic(ns, op.tag)),
                Some(Malformed::BadUtf8Topic) => BAD_UTF8_PLACEHOLDER.to_owned(),
                _ => will_topic(ns, op.tag),
            };
            let mut properties = Properties::default();
            if version == Version::V5 {
                properties.will_delay_interval = def.delay;
                properties.message_expiry_interval = def.message_expiry;
                properties.payload_format_indicator = def.payload_format;
                properties.content_type = def.content_type.clone().map(Into::into);
                properties.response_topic = def.response_topic.clone().map(Into::into);
                properties.correlation_data = def
                    .correlation_data
                    .clone()
                    .map(|c| Bytes::from(c.into_bytes()));
                properties.user_properties = def
                    .user_properties
                    .iter()
                    .map(|(k, v)| UserProperty::new(k, v))
                    .collect();
            }
            connect.will = Some(Will {
                topic: topic.into(),
                payload: Bytes::from(will_payload(op.tag, def.padding).into_bytes()),
                qos: QoS::from_u8(def.qos.min(2)).unwrap_or(QoS::AtMostOnce),
                retain: def.retain,
                properties,
            });
        }
    }
    let mut bytes =
        encode_to_bytes(&Packet::Connect(Box::new(connect)), version.protocol())?.to_vec();
    let flags = flags_index(&bytes);
    match malformed {
        Some(Malformed::WillQos3) if op.will.is_some() => {
            if let Some(byte) = flags.and_then(|i| bytes.get_mut(i)) {
                *byte |= 0x18;
            }
        }
        Some(Malformed::WillQosWithoutWillFlag) => {
            if let Some(byte) = flags.and_then(|i| bytes.get_mut(i)) {
                *byte = (*byte & !0x3C) | 0x08;
            }
        }
        Some(Malformed::WillRetainWithoutWillFlag) => {
            if let Some(byte) = flags.and_then(|i| bytes.get_mut(i)) {
                *byte = (*byte & !0x3C) | 0x20;
            }
        }
        Some(Malformed::BadUtf8Topic) => {
            let needle = BAD_UTF8_PLACEHOLDER.as_bytes();
            if let Some(at) = bytes.windows(needle.len()).position(|w| w == needle) {
                bytes.splice(at..at + needle.len(), BAD_UTF8_TOPIC.iter().copied());
            }
        }
        _ => {}
    }
    Ok(bytes)
}

/// A plain CONNECT without a will: the second CONNECT of [`Op::SecondConnect`].
pub fn second_connect_bytes(version: Version, client_id: &str) -> Result<Vec<u8>, EncodeError> {
    let connect = Connect::new(version.protocol(), client_id);
    Ok(encode_to_bytes(&Packet::Connect(Box::new(connect)), version.protocol())?.to_vec())
}

/// Index of the Connect Flags byte: after the fixed header, the protocol
/// name (6 bytes) and the level.
pub fn flags_index(bytes: &[u8]) -> Option<usize> {
    let length_bytes = bytes.iter().skip(1).take(4).position(|b| b & 0x80 == 0)? + 1;
    let index = 1 + length_bytes + 7;
    (index < bytes.len()).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(malformed: Option<Malformed>) -> ConnectOp {
        ConnectOp {
            slot: 0,
            tag: 1,
            clean_start: true,
            keep_alive: 60,
            session_expiry: None,
            will: Some(Default::default()),
            malformed,
        }
    }

    #[test]
    fn malformations_reach_the_wire() {
        let v = Version::V3_1_1;
        let plain = connect_bytes(v, &op(None), "c", "ns").expect("encode");
        let i = flags_index(&plain).expect("flags");
        assert_eq!(plain[i], 0x06, "clean + will flag");
        let qos3 = connect_bytes(v, &op(Some(Malformed::WillQos3)), "c", "ns").expect("encode");
        assert_eq!(qos3[i], 0x1E);
        let no_flag = connect_bytes(
            v,
            &op(Some(Malformed::WillRetainWithoutWillFlag)),
            "c",
            "ns",
        )
        .expect("encode");
        assert_eq!(no_flag[flags_index(&no_flag).expect("flags")], 0x22);
        let utf8 = connect_bytes(v, &op(Some(Malformed::BadUtf8Topic)), "c", "ns").expect("encode");
        assert!(utf8
            .windows(BAD_UTF8_TOPIC.len())
            .any(|w| w == BAD_UTF8_TOPIC));
        for (bytes, valid) in [
            (plain, true),
            (qos3, false),
            (no_flag, false),
            (utf8, false),
        ] {
            // The strict codec rejects all but the first.
            let mut buf = bytes::BytesMut::from(&bytes[..]);
            let decoded =
                lastwill_codec::decode(&mut buf, v.protocol(), &lastwill_codec::Limits::UNLIMITED);
            assert_eq!(decoded.is_ok(), valid, "{bytes:02x?}");
        }
    }
}
