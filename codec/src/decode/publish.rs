//! PUBLISH (§3.3).

use bytes::Bytes;

use crate::decode::properties::decode_publish_properties;
use crate::decode::{publish_qos, text};
use crate::error::DecodeError;
use crate::packet::Publish;
use crate::types::{PacketType, ProtocolVersion, QoS};
use crate::wire::Reader;

/// Decodes a PUBLISH body. The payload is left empty and its offset in
/// `body` returned: the caller fills it in, by a zero-copy slice of the
/// receive buffer where it has one (see [`super::decode`]).
#[inline(always)]
pub(super) fn decode(
    flags: u8,
    body: &[u8],
    version: ProtocolVersion,
) -> Result<(Publish, usize), DecodeError> {
    let qos = publish_qos(flags)?;
    let mut reader = Reader::new(body, PacketType::Publish, version);
    let topic = text::topic(&mut reader, "topic name")?;
    if topic.wildcard {
        return Err(DecodeError::PublishTopicWildcard);
    }
    let topic = topic.text;
    let packet_id = match qos {
        QoS::AtMostOnce => None,
        QoS::AtLeastOnce | QoS::ExactlyOnce => {
            let id = reader.u16("packet identifier")?;
            if id == 0 {
                return Err(DecodeError::ZeroPacketId {
                    packet_type: PacketType::Publish,
                    version,
                });
            }
            Some(id)
        }
    };
    let properties = if version.is_v5() {
        decode_publish_properties(&mut reader)?
    } else {
        Default::default()
    };
    // 3.1.1: a Topic Name is at least one character (MQTT-4.7.3-1). 5.0: an
    // empty one stands for the Topic Alias, which must then be present.
    if topic.is_empty() && properties.topic_alias.is_none() {
        return Err(DecodeError::PublishTopicEmpty { version });
    }
    let payload_start = body.len() - reader.remaining();
    let publish = Publish {
        dup: flags & 0b1000 != 0,
        qos,
        retain: flags & 0b0001 != 0,
        topic,
        packet_id,
        properties,
        payload: Bytes::new(),
    };
    Ok((publish, payload_start))
}
