//! SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK (§3.8–§3.11).

use crate::decode::properties::decode_properties;
use crate::decode::text;
use crate::error::{DecodeError, PropertyContext};
use crate::packet::{
    PacketId, RetainHandling, SubAck, Subscribe, Subscription, SubscriptionOptions, UnsubAck,
    Unsubscribe,
};
use crate::string::MqttString;
use crate::topic::{check_filter, is_shared_filter};
use crate::types::{PacketType, ProtocolVersion, QoS, ReasonCode};
use crate::wire::Reader;

/// A Packet Identifier that must be non-zero (MQTT-2.3.1-1 / MQTT-2.2.1-3).
fn nonzero_packet_id(reader: &mut Reader<'_>) -> Result<PacketId, DecodeError> {
    let id = reader.u16("packet identifier")?;
    if id == 0 {
        return Err(DecodeError::ZeroPacketId {
            packet_type: reader.packet_type,
            version: reader.version,
        });
    }
    Ok(id)
}

fn properties_if_v5(reader: &mut Reader<'_>) -> Result<crate::Properties, DecodeError> {
    if reader.version.is_v5() {
        decode_properties(reader, PropertyContext::Packet(reader.packet_type))
    } else {
        Ok(Default::default())
    }
}

/// A Topic Filter, checked (§4.7.1, §4.8.2). An empty filter, a shared
/// subscription, or a wildcard that [`wildcards_well_placed`] cannot accept
/// goes through the level-by-level [`check_filter`], which names the rule
/// broken; every other filter is one it accepts.
fn topic_filter(reader: &mut Reader<'_>) -> Result<MqttString, DecodeError> {
    let text::Topic { text, wildcard } = text::topic(reader, "topic filter")?;
    let shared = reader.version.is_v5() && is_shared_filter(&text);
    if text.is_empty() || shared || (wildcard && !wildcards_well_placed(text.as_bytes())) {
        check_filter(&text, reader.packet_type, reader.version)?;
    }
    Ok(text)
}

/// One pass over a filter: every `+` fills a whole level, every `#` fills
/// the last one (MQTT-4.7.1-2, MQTT-4.7.1-3). Exactly the levels
/// [`check_filter`] accepts when there is no shared-subscription prefix.
///
/// Written over pairs of neighbouring bytes with non-short-circuit
/// operators so that the loop vectorises: a byte-by-byte loop that looked
/// back and ahead took a third of filter decoding.
fn wildcards_well_placed(filter: &[u8]) -> bool {
    let (Some(before_last), Some(after_first)) = (filter.len().checked_sub(1), filter.get(1..))
    else {
        return true;
    };
    let mut misplaced = false;
    for (&byte, &next) in filter[..before_last].iter().zip(after_first) {
        // `#` anywhere but last; `+` not followed by `/`; a wildcard after
        // anything but `/`.
        misplaced |= (byte == b'#')
            | ((byte == b'+') & (next != b'/'))
            | (((next == b'+') | (next == b'#')) & (byte != b'/'));
    }
    !misplaced
}

/// How many subscriptions (a length-prefixed filter and an options byte)
/// the rest of `reader` holds, counted by hopping over the lengths, to size
/// the list before it is decoded: growing it from empty reallocated twice
/// for five filters. Stops at the first entry that runs past the end (the
/// decoder reports it) and at 64, so a hostile packet reserves little.
fn count_subscriptions(mut reader: Reader<'_>) -> usize {
    let mut count = 0;
    while count < 64 && !reader.is_empty() {
        match reader.binary_slice("").and_then(|_| reader.take(1, "")) {
            Ok(_) => count += 1,
            Err(_) => break,
        }
    }
    count
}

/// The Subscription Options byte (3.1.1: Requested QoS only, §3.8.3.1).
fn subscription_options(
    byte: u8,
    version: ProtocolVersion,
) -> Result<SubscriptionOptions, DecodeError> {
    let reserved_mask = if version.is_v5() {
        0b1100_0000
    } else {
        0b1111_1100
    };
    if byte & reserved_mask != 0 {
        return Err(DecodeError::ReservedSubscriptionOptionBits {
            options: byte,
            version,
        });
    }
    let qos = QoS::from_u8(byte & 0b11).ok_or(DecodeError::SubscriptionQos3 { version })?;
    let retain_handling = match (byte >> 4) & 0b11 {
        0 => RetainHandling::SendAtSubscribe,
        1 => RetainHandling::SendAtSubscribeIfNew,
        2 => RetainHandling::DoNotSend,
        _ => return Err(DecodeError::RetainHandling3),
    };
    Ok(SubscriptionOptions {
        qos,
        no_local: byte & 0b0100 != 0,
        retain_as_published: byte & 0b1000 != 0,
        retain_handling,
    })
}

pub(super) fn subscribe(body: &[u8], version: ProtocolVersion) -> Result<Subscribe, DecodeError> {
    let mut reader = Reader::new(body, PacketType::Subscribe, version);
    let packet_id = nonzero_packet_id(&mut reader)?;
    let properties = properties_if_v5(&mut reader)?;
    let mut subscriptions = Vec::with_capacity(count_subscriptions(reader.clone()));
    while !reader.is_empty() {
        let filter = topic_filter(&mut reader)?;
        let options = subscription_options(reader.u8("subscription options")?, version)?;
        // MQTT-3.8.3-4 (5.0): No Local makes no sense on a shared subscription.
        if version.is_v5() && options.no_local && is_shared_filter(&filter) {
            return Err(DecodeError::NoLocalOnSharedSubscription {
                filter: filter.into_string(),
            });
        }
        subscriptions.push(Subscription { filter, options });
    }
    if subscriptions.is_empty() {
        return Err(DecodeError::SubscribeWithoutFilters { version });
    }
    Ok(Subscribe {
        packet_id,
        properties,
        subscriptions,
    })
}

pub(super) fn unsubscribe(
    body: &[u8],
    version: ProtocolVersion,
) -> Result<Unsubscribe, DecodeError> {
    let mut reader = Reader::new(body, PacketType::Unsubscribe, version);
    let packet_id = nonzero_packet_id(&mut reader)?;
    let properties = properties_if_v5(&mut reader)?;
    let mut filters = Vec::new();
    while !reader.is_empty() {
        let filter = topic_filter(&mut reader)?;
        filters.push(filter);
    }
    if filters.is_empty() {
        return Err(DecodeError::UnsubscribeWithoutFilters);
    }
    Ok(Unsubscribe {
        packet_id,
        properties,
        filters,
    })
}

/// SUBACK codes: 3.1.1 allows granted QoS 0–2 and 0x80 (MQTT-3.9.3-2); 5.0
/// its Table 3-8.
pub(super) fn valid_suback_code(code: u8, version: ProtocolVersion) -> bool {
    match version {
        ProtocolVersion::V5 => matches!(
            code,
            0x00 | 0x01 | 0x02 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91 | 0x97 | 0x9E | 0xA1 | 0xA2
        ),
        ProtocolVersion::V3_1 | ProtocolVersion::V3_1_1 => {
            matches!(code, 0x00 | 0x01 | 0x02 | 0x80)
        }
    }
}

/// UNSUBACK codes (5.0 Table 3-9).
pub(super) fn valid_unsuback_code(code: u8) -> bool {
    matches!(code, 0x00 | 0x11 | 0x80 | 0x83 | 0x87 | 0x8F | 0x91)
}

/// The rest of the packet as reason codes, each checked with `valid`.
fn reason_codes(
    reader: &mut Reader<'_>,
    valid: impl Fn(u8) -> bool,
) -> Result<Vec<ReasonCode>, DecodeError> {
    let bytes = reader.rest();
    if bytes.is_empty() {
        return Err(DecodeError::MissingReasonCodes {
            packet_type: reader.packet_type,
        });
    }
    bytes
        .iter()
        .map(|&code| {
            if valid(code) {
                Ok(ReasonCode(code))
            } else {
                Err(DecodeError::InvalidReasonCode {
                    packet_type: reader.packet_type,
                    code: ReasonCode(code),
                    version: reader.version,
                })
            }
        })
        .collect()
}

pub(super) fn suback(body: &[u8], version: ProtocolVersion) -> Result<SubAck, DecodeError> {
    let mut reader = Reader::new(body, PacketType::SubAck, version);
    let packet_id = reader.u16("packet identifier")?;
    let properties = properties_if_v5(&mut reader)?;
    let reason_codes = reason_codes(&mut reader, |code| valid_suback_code(code, version))?;
    Ok(SubAck {
        packet_id,
        properties,
        reason_codes,
    })
}

pub(super) fn unsuback(body: &[u8], version: ProtocolVersion) -> Result<UnsubAck, DecodeError> {
    let mut reader = Reader::new(body, PacketType::UnsubAck, version);
    let packet_id = reader.u16("packet identifier")?;
    if !version.is_v5() {
        reader.finish()?;
        return Ok(UnsubAck {
            packet_id,
            properties: Default::default(),
            reason_codes: Vec::new(),
        });
    }
    let properties = properties_if_v5(&mut reader)?;
    let reason_codes = reason_codes(&mut reader, valid_unsuback_code)?;
    Ok(UnsubAck {
        packet_id,
        properties,
        reason_codes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass check agrees with the level-by-level one on every
    /// filter of up to seven bytes over `a / + #`.
    #[test]
    fn wildcards_well_placed_agrees_with_check_filter() {
        const ALPHABET: [u8; 4] = [b'a', b'/', b'+', b'#'];
        for len in 1..=7u32 {
            for mut code in 0..4usize.pow(len) {
                let mut filter = Vec::new();
                for _ in 0..len {
                    filter.push(ALPHABET[code % 4]);
                    code /= 4;
                }
                let text = String::from_utf8(filter).expect("ASCII");
                let expected =
                    check_filter(&text, PacketType::Subscribe, ProtocolVersion::V3_1_1).is_ok();
                assert_eq!(wildcards_well_placed(text.as_bytes()), expected, "{text:?}");
            }
        }
    }
}
