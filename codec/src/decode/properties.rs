//! 5.0 properties (§2.2.2): which identifiers each packet may carry, which
//! may repeat, and the value ranges the spec rules out.

use crate::decode::text;
use crate::error::{DecodeError, PropertyContext};
use crate::properties::{Properties, PropertyValues, UserProperty};
use crate::publish_properties::PublishProperties;
use crate::types::{PacketType as T, PropertyId as P};
use crate::wire::Reader;

/// Whether `id` may appear in `context` (the §2.2.2.2 table). Anything else
/// is a Malformed Packet.
pub(crate) fn allowed(context: PropertyContext, id: P) -> bool {
    let packet = match context {
        PropertyContext::Will => {
            return matches!(
                id,
                P::WILL_DELAY_INTERVAL
                    | P::PAYLOAD_FORMAT_INDICATOR
                    | P::MESSAGE_EXPIRY_INTERVAL
                    | P::CONTENT_TYPE
                    | P::RESPONSE_TOPIC
                    | P::CORRELATION_DATA
                    | P::USER_PROPERTY
            )
        }
        PropertyContext::Packet(packet) => packet,
    };
    match id {
        P::PAYLOAD_FORMAT_INDICATOR
        | P::MESSAGE_EXPIRY_INTERVAL
        | P::CONTENT_TYPE
        | P::RESPONSE_TOPIC
        | P::CORRELATION_DATA
        | P::TOPIC_ALIAS => packet == T::Publish,
        P::SUBSCRIPTION_IDENTIFIER => matches!(packet, T::Publish | T::Subscribe),
        P::SESSION_EXPIRY_INTERVAL => matches!(packet, T::Connect | T::ConnAck | T::Disconnect),
        P::ASSIGNED_CLIENT_IDENTIFIER
        | P::SERVER_KEEP_ALIVE
        | P::RESPONSE_INFORMATION
        | P::MAXIMUM_QOS
        | P::RETAIN_AVAILABLE
        | P::WILDCARD_SUBSCRIPTION_AVAILABLE
        | P::SUBSCRIPTION_IDENTIFIER_AVAILABLE
        | P::SHARED_SUBSCRIPTION_AVAILABLE => packet == T::ConnAck,
        P::AUTHENTICATION_METHOD | P::AUTHENTICATION_DATA => {
            matches!(packet, T::Connect | T::ConnAck | T::Auth)
        }
        P::REQUEST_PROBLEM_INFORMATION | P::REQUEST_RESPONSE_INFORMATION => packet == T::Connect,
        P::WILL_DELAY_INTERVAL => false,
        P::SERVER_REFERENCE => matches!(packet, T::ConnAck | T::Disconnect),
        P::REASON_STRING => matches!(
            packet,
            T::ConnAck
                | T::PubAck
                | T::PubRec
                | T::PubRel
                | T::PubComp
                | T::SubAck
                | T::UnsubAck
                | T::Disconnect
                | T::Auth
        ),
        P::RECEIVE_MAXIMUM | P::TOPIC_ALIAS_MAXIMUM | P::MAXIMUM_PACKET_SIZE => {
            matches!(packet, T::Connect | T::ConnAck)
        }
        P::USER_PROPERTY => !matches!(packet, T::PingReq | T::PingResp),
        _ => false,
    }
}

/// Reads a Property Length and the properties it covers.
pub(crate) fn decode_properties(
    reader: &mut Reader<'_>,
    context: PropertyContext,
) -> Result<Properties, DecodeError> {
    let mut section = property_section(reader)?;
    if section.is_empty() {
        // The common case: no properties, nothing to allocate.
        return Ok(Properties::default());
    }
    // Filled in place: every property read sets a value, so a non-empty
    // section never leaves the box empty.
    let mut properties = Properties::allocated();
    let values: &mut PropertyValues = &mut properties;
    while !section.is_empty() {
        decode_one(&mut section, context, values).map_err(past_property_length)?;
    }
    Ok(properties)
}

/// The Property Length and a reader over the section it covers.
fn property_section<'a>(reader: &mut Reader<'a>) -> Result<Reader<'a>, DecodeError> {
    let len = reader.varint("property length")?;
    let len = usize::try_from(len).map_err(|_| DecodeError::PropertyLengthMismatch)?;
    if len > reader.remaining() {
        return Err(DecodeError::PropertyLengthMismatch);
    }
    reader.sub(len, "properties")
}

/// A value that runs past the Property Length is a length mismatch.
fn past_property_length(error: DecodeError) -> DecodeError {
    match error {
        DecodeError::UnexpectedEnd { .. } => DecodeError::PropertyLengthMismatch,
        other => other,
    }
}

/// Reads a PUBLISH's Property Length and properties. Payload Format
/// Indicator, Message Expiry Interval and Topic Alias go to their inline
/// fields with the checks [`decode_one`] makes of them; any other
/// identifier goes through [`decode_one`] into `rest`, which is allocated
/// only then. Errors are the ones [`decode_properties`] gives.
pub(crate) fn decode_publish_properties(
    reader: &mut Reader<'_>,
) -> Result<PublishProperties, DecodeError> {
    let mut section = property_section(reader)?;
    let mut properties = PublishProperties::default();
    while !section.is_empty() {
        publish_one(&mut section, &mut properties).map_err(past_property_length)?;
    }
    Ok(properties)
}

fn publish_one(
    reader: &mut Reader<'_>,
    properties: &mut PublishProperties,
) -> Result<(), DecodeError> {
    let mut value = reader.clone();
    let id = match value.varint("property identifier")? {
        0x01 => P::PAYLOAD_FORMAT_INDICATOR,
        0x02 => P::MESSAGE_EXPIRY_INTERVAL,
        0x23 => P::TOPIC_ALIAS,
        _ => {
            let rest: &mut PropertyValues = &mut properties.rest;
            return decode_one(reader, PropertyContext::Packet(T::Publish), rest);
        }
    };
    *reader = value;
    match id {
        P::PAYLOAD_FORMAT_INDICATOR => {
            boolean(reader, id, &mut properties.payload_format_indicator)
        }
        P::MESSAGE_EXPIRY_INTERVAL => {
            let value = reader.u32(name(id))?;
            once(&mut properties.message_expiry_interval, id, value)
        }
        _ => {
            let value = reader.u16(name(id))?;
            check(id, value.into(), value != 0)?;
            once(&mut properties.topic_alias, id, value)
        }
    }
}

/// Stores a property that may appear at most once.
fn once<V>(slot: &mut Option<V>, id: P, value: V) -> Result<(), DecodeError> {
    if slot.is_some() {
        return Err(DecodeError::DuplicateProperty(id));
    }
    *slot = Some(value);
    Ok(())
}

/// Rejects a value outside what the spec allows (a Protocol Error).
fn check(id: P, value: u32, ok: bool) -> Result<(), DecodeError> {
    if ok {
        Ok(())
    } else {
        Err(DecodeError::InvalidPropertyValue {
            property: id,
            value,
        })
    }
}

/// A one-byte property that only takes 0 or 1.
fn boolean(reader: &mut Reader<'_>, id: P, slot: &mut Option<u8>) -> Result<(), DecodeError> {
    let value = reader.u8(name(id))?;
    check(id, value.into(), value <= 1)?;
    once(slot, id, value)
}

fn name(id: P) -> &'static str {
    id.name().unwrap_or("property")
}

fn decode_one(
    reader: &mut Reader<'_>,
    context: PropertyContext,
    props: &mut PropertyValues,
) -> Result<(), DecodeError> {
    let raw = reader.varint("property identifier")?;
    let id = u8::try_from(raw)
        .ok()
        .map(P)
        .filter(|id| id.name().is_some())
        .ok_or(DecodeError::UnknownProperty { id: raw })?;
    if !allowed(context, id) {
        return Err(DecodeError::PropertyNotAllowed {
            property: id,
            context,
        });
    }
    let field = name(id);
    match id {
        P::PAYLOAD_FORMAT_INDICATOR => boolean(reader, id, &mut props.payload_format_indicator)?,
        P::MESSAGE_EXPIRY_INTERVAL => {
            once(&mut props.message_expiry_interval, id, reader.u32(field)?)?
        }
        P::CONTENT_TYPE => once(&mut props.content_type, id, reader.utf8(field)?)?,
        P::RESPONSE_TOPIC => {
            let text::Topic {
                text: topic,
                wildcard,
            } = text::topic(reader, field)?;
            // A Response Topic is a Topic Name (MQTT-3.3.2-14, MQTT-4.7.3-1).
            if topic.is_empty() {
                return Err(DecodeError::ResponseTopicEmpty);
            }
            if wildcard {
                return Err(DecodeError::ResponseTopicWildcard);
            }
            once(&mut props.response_topic, id, topic)?
        }
        P::CORRELATION_DATA => once(&mut props.correlation_data, id, reader.binary(field)?)?,
        P::SUBSCRIPTION_IDENTIFIER => {
            let value = reader.varint(field)?;
            check(id, value, value != 0)?;
            // Several on a PUBLISH (one per matching subscription); one on SUBSCRIBE.
            if context == PropertyContext::Packet(T::Subscribe)
                && !props.subscription_identifiers.is_empty()
            {
                return Err(DecodeError::DuplicateProperty(id));
            }
            props.subscription_identifiers.push(value);
        }
        P::SESSION_EXPIRY_INTERVAL => {
            once(&mut props.session_expiry_interval, id, reader.u32(field)?)?
        }
        P::ASSIGNED_CLIENT_IDENTIFIER => once(
            &mut props.assigned_client_identifier,
            id,
            reader.utf8(field)?,
        )?,
        P::SERVER_KEEP_ALIVE => once(&mut props.server_keep_alive, id, reader.u16(field)?)?,
        P::AUTHENTICATION_METHOD => {
            once(&mut props.authentication_method, id, reader.utf8(field)?)?
        }
        P::AUTHENTICATION_DATA => once(&mut props.authentication_data, id, reader.binary(field)?)?,
        P::REQUEST_PROBLEM_INFORMATION => {
            boolean(reader, id, &mut props.request_problem_information)?
        }
        P::WILL_DELAY_INTERVAL => once(&mut props.will_delay_interval, id, reader.u32(field)?)?,
        P::REQUEST_RESPONSE_INFORMATION => {
            boolean(reader, id, &mut props.request_response_information)?
        }
        P::RESPONSE_INFORMATION => once(&mut props.response_information, id, reader.utf8(field)?)?,
        P::SERVER_REFERENCE => once(&mut props.server_reference, id, reader.utf8(field)?)?,
        P::REASON_STRING => once(&mut props.reason_string, id, reader.utf8(field)?)?,
        P::RECEIVE_MAXIMUM => {
            let value = reader.u16(field)?;
            check(id, value.into(), value != 0)?;
            once(&mut props.receive_maximum, id, value)?
        }
        P::TOPIC_ALIAS_MAXIMUM => once(&mut props.topic_alias_maximum, id, reader.u16(field)?)?,
        P::TOPIC_ALIAS => {
            let value = reader.u16(field)?;
            check(id, value.into(), value != 0)?;
            once(&mut props.topic_alias, id, value)?
        }
        P::MAXIMUM_QOS => boolean(reader, id, &mut props.maximum_qos)?,
        P::RETAIN_AVAILABLE => boolean(reader, id, &mut props.retain_available)?,
        P::USER_PROPERTY => {
            let name = reader.utf8("user property name")?;
            let value = reader.utf8("user property value")?;
            props.user_properties.push(UserProperty { name, value });
        }
        P::MAXIMUM_PACKET_SIZE => {
            let value = reader.u32(field)?;
            check(id, value, value != 0)?;
            once(&mut props.maximum_packet_size, id, value)?
        }
        P::WILDCARD_SUBSCRIPTION_AVAILABLE => {
            boolean(reader, id, &mut props.wildcard_subscription_available)?
        }
        P::SUBSCRIPTION_IDENTIFIER_AVAILABLE => {
            boolean(reader, id, &mut props.subscription_identifier_available)?
        }
        P::SHARED_SUBSCRIPTION_AVAILABLE => {
            boolean(reader, id, &mut props.shared_subscription_available)?
        }
        _ => return Err(DecodeError::UnknownProperty { id: raw }),
    }
    Ok(())
}

/// Authentication Data is meaningless without an Authentication Method
/// (§3.1.2.11.10, §3.2.2.3.18, §3.15.2.2.3): a Protocol Error.
pub(crate) fn reject_auth_data_without_method(properties: &Properties) -> Result<(), DecodeError> {
    if properties.authentication_data.is_some() && properties.authentication_method.is_none() {
        return Err(DecodeError::AuthenticationDataWithoutMethod);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [T; 15] = [
        T::Connect,
        T::ConnAck,
        T::Publish,
        T::PubAck,
        T::PubRec,
        T::PubRel,
        T::PubComp,
        T::Subscribe,
        T::SubAck,
        T::Unsubscribe,
        T::UnsubAck,
        T::PingReq,
        T::PingResp,
        T::Disconnect,
        T::Auth,
    ];

    #[test]
    fn every_defined_property_has_a_home_and_undefined_ones_none() {
        for raw in 0..=u8::MAX {
            let id = P(raw);
            let homes = ALL
                .iter()
                .filter(|&&t| allowed(PropertyContext::Packet(t), id))
                .count()
                + usize::from(allowed(PropertyContext::Will, id));
            assert_eq!(homes > 0, id.name().is_some(), "{id:?}");
        }
    }

    #[test]
    fn will_properties_are_exactly_the_seven() {
        let will: Vec<u8> = (0..=u8::MAX)
            .filter(|&raw| allowed(PropertyContext::Will, P(raw)))
            .collect();
        assert_eq!(will, vec![0x01, 0x02, 0x03, 0x08, 0x09, 0x18, 0x26]);
        // Will Delay Interval lives nowhere else.
        assert!(!ALL
            .iter()
            .any(|&t| allowed(PropertyContext::Packet(t), P::WILL_DELAY_INTERVAL)));
    }

    #[test]
    fn disconnect_allows_its_four() {
        let disconnect: Vec<u8> = (0..=u8::MAX)
            .filter(|&raw| allowed(PropertyContext::Packet(T::Disconnect), P(raw)))
            .collect();
        assert_eq!(disconnect, vec![0x11, 0x1C, 0x1F, 0x26]);
    }
}
