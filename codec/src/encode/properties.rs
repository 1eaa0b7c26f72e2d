//! A property list: Property Length, then every property that is set, in
//! ascending identifier order (§2.2.2). Nothing is filtered by packet type:
//! the caller decides what a packet carries. [`properties_len`] measures
//! and validates, [`put_properties`] writes what was measured; the
//! `publish_` pair does the same for a PUBLISH's [`PublishProperties`].

use super::wire::{binary_len, put_binary, put_string, put_varint, string_len, varint_len, Writer};
use crate::error::EncodeError;
use crate::properties::{Properties, PropertyValues};
use crate::publish_properties::PublishProperties;
use crate::types::PropertyId as P;

// Every defined identifier is below 128, so its Variable Byte Integer is one
// byte: a property costs 1 + its value.

fn opt<T>(value: &Option<T>, len: usize) -> usize {
    match value {
        Some(_) => 1 + len,
        None => 0,
    }
}

fn opt_string(value: &Option<crate::MqttString>, pid: P) -> Result<usize, EncodeError> {
    match value {
        Some(text) => Ok(1 + string_len(text, pid.name().unwrap_or("property"))?),
        None => Ok(0),
    }
}

fn opt_binary(value: &Option<bytes::Bytes>, pid: P) -> Result<usize, EncodeError> {
    match value {
        Some(data) => Ok(1 + binary_len(data, pid.name().unwrap_or("property"))?),
        None => Ok(0),
    }
}

/// The Property Length of `p` (its properties without the length prefix),
/// checked in the order [`put_properties`] writes them so that the first
/// field the wire cannot carry is the one reported.
pub(crate) fn properties_len(p: &Properties) -> Result<u32, EncodeError> {
    if p.is_empty() {
        return Ok(0);
    }
    list_len(p, &PublishProperties::default())
}

/// [`properties_len`] of a PUBLISH's properties.
pub(crate) fn publish_properties_len(p: &PublishProperties) -> Result<u32, EncodeError> {
    if p.is_empty() {
        return Ok(0);
    }
    list_len(&p.rest, p)
}

/// The length of `p` with the inline scalars of `inline` added, each just
/// before the same property of `p` (see [`put_list`]).
fn list_len(p: &PropertyValues, inline: &PublishProperties) -> Result<u32, EncodeError> {
    let mut len = opt(&inline.payload_format_indicator, 1)
        + opt(&p.payload_format_indicator, 1)
        + opt(&inline.message_expiry_interval, 4)
        + opt(&p.message_expiry_interval, 4)
        + opt_string(&p.content_type, P::CONTENT_TYPE)?
        + opt_string(&p.response_topic, P::RESPONSE_TOPIC)?
        + opt_binary(&p.correlation_data, P::CORRELATION_DATA)?;
    for &value in &p.subscription_identifiers {
        len += 1 + varint_len(value, "Subscription Identifier")?;
    }
    len += opt(&p.session_expiry_interval, 4)
        + opt_string(&p.assigned_client_identifier, P::ASSIGNED_CLIENT_IDENTIFIER)?
        + opt(&p.server_keep_alive, 2)
        + opt_string(&p.authentication_method, P::AUTHENTICATION_METHOD)?
        + opt_binary(&p.authentication_data, P::AUTHENTICATION_DATA)?
        + opt(&p.request_problem_information, 1)
        + opt(&p.will_delay_interval, 4)
        + opt(&p.request_response_information, 1)
        + opt_string(&p.response_information, P::RESPONSE_INFORMATION)?
        + opt_string(&p.server_reference, P::SERVER_REFERENCE)?
        + opt_string(&p.reason_string, P::REASON_STRING)?
        + opt(&p.receive_maximum, 2)
        + opt(&p.topic_alias_maximum, 2)
        + opt(&inline.topic_alias, 2)
        + opt(&p.topic_alias, 2)
        + opt(&p.maximum_qos, 1)
        + opt(&p.retain_available, 1);
    for user in &p.user_properties {
        len += 1
            + string_len(&user.name, "user property name")?
            + string_len(&user.value, "user property value")?;
    }
    len += opt(&p.maximum_packet_size, 4)
        + opt(&p.wildcard_subscription_available, 1)
        + opt(&p.subscription_identifier_available, 1)
        + opt(&p.shared_subscription_available, 1);
    let len = u32::try_from(len).unwrap_or(u32::MAX);
    varint_len(len, "property length")?;
    Ok(len)
}

/// The bytes a property list takes on the wire: its Property Length (as
/// returned by [`properties_len`]) and the length prefix.
pub(crate) fn section_len(len: u32) -> usize {
    // `properties_len` has checked that `len` fits a Variable Byte Integer.
    varint_len(len, "property length").unwrap_or(4) + len as usize
}

fn byte(buf: &mut Writer<'_>, pid: P, value: Option<u8>) {
    if let Some(value) = value {
        buf.put_u8(pid.0);
        buf.put_u8(value);
    }
}

fn two(buf: &mut Writer<'_>, pid: P, value: Option<u16>) {
    if let Some(value) = value {
        buf.put_u8(pid.0);
        buf.put_u16(value);
    }
}

fn four(buf: &mut Writer<'_>, pid: P, value: Option<u32>) {
    if let Some(value) = value {
        buf.put_u8(pid.0);
        buf.put_u32(value);
    }
}

fn string(buf: &mut Writer<'_>, pid: P, value: Option<&str>) {
    if let Some(value) = value {
        buf.put_u8(pid.0);
        put_string(buf, value);
    }
}

fn binary(buf: &mut Writer<'_>, pid: P, value: Option<&[u8]>) {
    if let Some(value) = value {
        buf.put_u8(pid.0);
        put_binary(buf, value);
    }
}

/// Property Length `len` (from [`properties_len`]) followed by the properties.
pub(crate) fn put_properties(b: &mut Writer<'_>, p: &Properties, len: u32) {
    put_varint(b, len);
    if len != 0 {
        put_list(b, p, &PublishProperties::default());
    }
}

/// [`put_properties`] of a PUBLISH's properties, `len` from
/// [`publish_properties_len`].
pub(crate) fn put_publish_properties(b: &mut Writer<'_>, p: &PublishProperties, len: u32) {
    put_varint(b, len);
    if len != 0 {
        put_list(b, &p.rest, p);
    }
}

/// The properties of `p` in ascending identifier order, each inline scalar
/// of `inline` written just before the same property of `p`: a PUBLISH
/// built by the decoder sets only one of the two, so its bytes are those a
/// single list would give.
fn put_list(b: &mut Writer<'_>, p: &PropertyValues, inline: &PublishProperties) {
    byte(
        b,
        P::PAYLOAD_FORMAT_INDICATOR,
        inline.payload_format_indicator,
    );
    byte(b, P::PAYLOAD_FORMAT_INDICATOR, p.payload_format_indicator);
    four(
        b,
        P::MESSAGE_EXPIRY_INTERVAL,
        inline.message_expiry_interval,
    );
    four(b, P::MESSAGE_EXPIRY_INTERVAL, p.message_expiry_interval);
    string(b, P::CONTENT_TYPE, p.content_type.as_deref());
    string(b, P::RESPONSE_TOPIC, p.response_topic.as_deref());
    binary(b, P::CORRELATION_DATA, p.correlation_data.as_deref());
    for &value in &p.subscription_identifiers {
        b.put_u8(P::SUBSCRIPTION_IDENTIFIER.0);
        put_varint(b, value);
    }
    four(b, P::SESSION_EXPIRY_INTERVAL, p.session_expiry_interval);
    string(
        b,
        P::ASSIGNED_CLIENT_IDENTIFIER,
        p.assigned_client_identifier.as_deref(),
    );
    two(b, P::SERVER_KEEP_ALIVE, p.server_keep_alive);
    string(
        b,
        P::AUTHENTICATION_METHOD,
        p.authentication_method.as_deref(),
    );
    binary(b, P::AUTHENTICATION_DATA, p.authentication_data.as_deref());
    byte(
        b,
        P::REQUEST_PROBLEM_INFORMATION,
        p.request_problem_information,
    );
    four(b, P::WILL_DELAY_INTERVAL, p.will_delay_interval);
    byte(
        b,
        P::REQUEST_RESPONSE_INFORMATION,
        p.request_response_information,
    );
    string(
        b,
        P::RESPONSE_INFORMATION,
        p.response_information.as_deref(),
    );
    string(b, P::SERVER_REFERENCE, p.server_reference.as_deref());
    string(b, P::REASON_STRING, p.reason_string.as_deref());
    two(b, P::RECEIVE_MAXIMUM, p.receive_maximum);
    two(b, P::TOPIC_ALIAS_MAXIMUM, p.topic_alias_maximum);
    two(b, P::TOPIC_ALIAS, inline.topic_alias);
    two(b, P::TOPIC_ALIAS, p.topic_alias);
    byte(b, P::MAXIMUM_QOS, p.maximum_qos);
    byte(b, P::RETAIN_AVAILABLE, p.retain_available);
    for user in &p.user_properties {
        b.put_u8(P::USER_PROPERTY.0);
        put_string(b, &user.name);
        put_string(b, &user.value);
    }
    four(b, P::MAXIMUM_PACKET_SIZE, p.maximum_packet_size);
    byte(
        b,
        P::WILDCARD_SUBSCRIPTION_AVAILABLE,
        p.wildcard_subscription_available,
    );
    byte(
        b,
        P::SUBSCRIPTION_IDENTIFIER_AVAILABLE,
        p.subscription_identifier_available,
    );
    byte(
        b,
        P::SHARED_SUBSCRIPTION_AVAILABLE,
        p.shared_subscription_available,
    );
}
