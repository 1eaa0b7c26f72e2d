//! Writes a property list: Property Length, then every property that is set,
//! in ascending identifier order. Nothing is filtered by packet type: the
//! caller decides what a packet carries.

use bytes::{BufMut, BytesMut};

use super::wire::{put_binary, put_string, put_varint};
use crate::error::EncodeError;
use crate::properties::Properties;
use crate::types::PropertyId as P;

fn id(buf: &mut BytesMut, id: P) {
    // Every defined identifier is below 128, so its varint is one byte.
    buf.put_u8(id.0);
}

fn byte(buf: &mut BytesMut, pid: P, value: Option<u8>) {
    if let Some(value) = value {
        id(buf, pid);
        buf.put_u8(value);
    }
}

fn two(buf: &mut BytesMut, pid: P, value: Option<u16>) {
    if let Some(value) = value {
        id(buf, pid);
        buf.put_u16(value);
    }
}

fn four(buf: &mut BytesMut, pid: P, value: Option<u32>) {
    if let Some(value) = value {
        id(buf, pid);
        buf.put_u32(value);
    }
}

fn string(buf: &mut BytesMut, pid: P, value: Option<&str>) -> Result<(), EncodeError> {
    if let Some(value) = value {
        id(buf, pid);
        put_string(buf, value, pid.name().unwrap_or("property"))?;
    }
    Ok(())
}

fn binary(buf: &mut BytesMut, pid: P, value: Option<&[u8]>) -> Result<(), EncodeError> {
    if let Some(value) = value {
        id(buf, pid);
        put_binary(buf, value, pid.name().unwrap_or("property"))?;
    }
    Ok(())
}

/// The properties without their length prefix.
fn body(p: &Properties) -> Result<BytesMut, EncodeError> {
    let mut buf = BytesMut::new();
    let b = &mut buf;
    byte(b, P::PAYLOAD_FORMAT_INDICATOR, p.payload_format_indicator);
    four(b, P::MESSAGE_EXPIRY_INTERVAL, p.message_expiry_interval);
    string(b, P::CONTENT_TYPE, p.content_type.as_deref())?;
    string(b, P::RESPONSE_TOPIC, p.response_topic.as_deref())?;
    binary(b, P::CORRELATION_DATA, p.correlation_data.as_deref())?;
    for &value in &p.subscription_identifiers {
        id(b, P::SUBSCRIPTION_IDENTIFIER);
        put_varint(b, value, "Subscription Identifier")?;
    }
    four(b, P::SESSION_EXPIRY_INTERVAL, p.session_expiry_interval);
    string(
        b,
        P::ASSIGNED_CLIENT_IDENTIFIER,
        p.assigned_client_identifier.as_deref(),
    )?;
    two(b, P::SERVER_KEEP_ALIVE, p.server_keep_alive);
    string(
        b,
        P::AUTHENTICATION_METHOD,
        p.authentication_method.as_deref(),
    )?;
    binary(b, P::AUTHENTICATION_DATA, p.authentication_data.as_deref())?;
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
    )?;
    string(b, P::SERVER_REFERENCE, p.server_reference.as_deref())?;
    string(b, P::REASON_STRING, p.reason_string.as_deref())?;
    two(b, P::RECEIVE_MAXIMUM, p.receive_maximum);
    two(b, P::TOPIC_ALIAS_MAXIMUM, p.topic_alias_maximum);
    two(b, P::TOPIC_ALIAS, p.topic_alias);
    byte(b, P::MAXIMUM_QOS, p.maximum_qos);
    byte(b, P::RETAIN_AVAILABLE, p.retain_available);
    for user in &p.user_properties {
        id(b, P::USER_PROPERTY);
        put_string(b, &user.name, "user property name")?;
        put_string(b, &user.value, "user property value")?;
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
    Ok(buf)
}

/// Property Length followed by the properties (§2.2.2).
pub(crate) fn put_properties(
    buf: &mut BytesMut,
    properties: &Properties,
) -> Result<(), EncodeError> {
    let body = body(properties)?;
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    put_varint(buf, len, "property length")?;
    buf.put_slice(&body);
    Ok(())
}
