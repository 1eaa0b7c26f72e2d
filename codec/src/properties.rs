//! MQTT 5.0 properties (§2.2.2). One struct of values serves every packet;
//! the decoder checks which identifiers a packet may carry (§2.2.2.2) and
//! rejects duplicates, so a decoded value never holds a property its packet
//! forbids.
//!
//! Packets hold their properties as a [`Properties`] handle: one pointer,
//! null when no property is set. The full [`PropertyValues`] is some 340
//! bytes; held inline it made every packet that size, and moving PUBACKs,
//! PINGREQs and 3.1.1 PUBLISHes of that size out of the decoder was a large
//! part of decoding time. Fields are read and written through the handle
//! (`publish.properties.topic_alias`): a read of an empty handle sees empty
//! values, a write allocates them.

use std::fmt;
use std::ops::{Deref, DerefMut};

use bytes::Bytes;

use crate::string::MqttString;

/// A User Property name/value pair (MQTT-1.5.7-1). Order is significant:
/// a server must forward user properties in the order received
/// (MQTT-3.3.2-18, MQTT-3.1.3-10).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserProperty {
    pub name: MqttString,
    pub value: MqttString,
}

impl UserProperty {
    pub fn new(name: impl Into<MqttString>, value: impl Into<MqttString>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
        }
    }
}

/// Every property §2.2.2.2 defines. Absent properties are `None` / empty.
/// Values are held as sent: a Payload Format Indicator of 7 can be encoded
/// although a conforming peer never sends it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropertyValues {
    pub payload_format_indicator: Option<u8>,
    pub message_expiry_interval: Option<u32>,
    pub content_type: Option<MqttString>,
    pub response_topic: Option<MqttString>,
    pub correlation_data: Option<Bytes>,
    /// Several may appear on PUBLISH (server to client); one on SUBSCRIBE.
    pub subscription_identifiers: Vec<u32>,
    pub session_expiry_interval: Option<u32>,
    pub assigned_client_identifier: Option<MqttString>,
    pub server_keep_alive: Option<u16>,
    pub authentication_method: Option<MqttString>,
    pub authentication_data: Option<Bytes>,
    pub request_problem_information: Option<u8>,
    pub will_delay_interval: Option<u32>,
    pub request_response_information: Option<u8>,
    pub response_information: Option<MqttString>,
    pub server_reference: Option<MqttString>,
    pub reason_string: Option<MqttString>,
    pub receive_maximum: Option<u16>,
    pub topic_alias_maximum: Option<u16>,
    pub topic_alias: Option<u16>,
    pub maximum_qos: Option<u8>,
    pub retain_available: Option<u8>,
    pub user_properties: Vec<UserProperty>,
    pub maximum_packet_size: Option<u32>,
    pub wildcard_subscription_available: Option<u8>,
    pub subscription_identifier_available: Option<u8>,
    pub shared_subscription_available: Option<u8>,
}

impl PropertyValues {
    /// No property set; what an empty [`Properties`] dereferences to.
    pub const EMPTY: Self = Self {
        payload_format_indicator: None,
        message_expiry_interval: None,
        content_type: None,
        response_topic: None,
        correlation_data: None,
        subscription_identifiers: Vec::new(),
        session_expiry_interval: None,
        assigned_client_identifier: None,
        server_keep_alive: None,
        authentication_method: None,
        authentication_data: None,
        request_problem_information: None,
        will_delay_interval: None,
        request_response_information: None,
        response_information: None,
        server_reference: None,
        reason_string: None,
        receive_maximum: None,
        topic_alias_maximum: None,
        topic_alias: None,
        maximum_qos: None,
        retain_available: None,
        user_properties: Vec::new(),
        maximum_packet_size: None,
        wildcard_subscription_available: None,
        subscription_identifier_available: None,
        shared_subscription_available: None,
    };

    /// Whether no property is set. Checked field by field rather than by
    /// comparing with a fresh default, because the encoder asks it of every
    /// PUBACK, DISCONNECT and property list it writes.
    pub fn is_empty(&self) -> bool {
        let Self {
            payload_format_indicator,
            message_expiry_interval,
            content_type,
            response_topic,
            correlation_data,
            subscription_identifiers,
            session_expiry_interval,
            assigned_client_identifier,
            server_keep_alive,
            authentication_method,
            authentication_data,
            request_problem_information,
            will_delay_interval,
            request_response_information,
            response_information,
            server_reference,
            reason_string,
            receive_maximum,
            topic_alias_maximum,
            topic_alias,
            maximum_qos,
            retain_available,
            user_properties,
            maximum_packet_size,
            wildcard_subscription_available,
            subscription_identifier_available,
            shared_subscription_available,
        } = self;
        payload_format_indicator.is_none()
            && message_expiry_interval.is_none()
            && content_type.is_none()
            && response_topic.is_none()
            && correlation_data.is_none()
            && subscription_identifiers.is_empty()
            && session_expiry_interval.is_none()
            && assigned_client_identifier.is_none()
            && server_keep_alive.is_none()
            && authentication_method.is_none()
            && authentication_data.is_none()
            && request_problem_information.is_none()
            && will_delay_interval.is_none()
            && request_response_information.is_none()
            && response_information.is_none()
            && server_reference.is_none()
            && reason_string.is_none()
            && receive_maximum.is_none()
            && topic_alias_maximum.is_none()
            && topic_alias.is_none()
            && maximum_qos.is_none()
            && retain_available.is_none()
            && user_properties.is_empty()
            && maximum_packet_size.is_none()
            && wildcard_subscription_available.is_none()
            && subscription_identifier_available.is_none()
            && shared_subscription_available.is_none()
    }
}

/// What an empty handle dereferences to.
static EMPTY: PropertyValues = PropertyValues::EMPTY;

/// The properties of a packet or will: [`PropertyValues`] boxed when at
/// least one is set, nothing when none is (see the module comment for why).
/// Dereferences to the values; a mutable dereference allocates them.
/// Equality compares values, so an allocated handle whose values were all
/// cleared equals an empty one.
#[derive(Clone, Default)]
pub struct Properties(Option<Box<PropertyValues>>);

impl Properties {
    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|values| values.is_empty())
    }

    /// A handle with its (empty) values already allocated, for a decoder
    /// about to write them.
    pub(crate) fn allocated() -> Self {
        Self(Some(Box::default()))
    }

    /// The values, taken out of the handle.
    pub fn into_values(self) -> PropertyValues {
        self.0.map(|values| *values).unwrap_or_default()
    }
}

impl From<PropertyValues> for Properties {
    /// Boxes `values` unless no property is set.
    fn from(values: PropertyValues) -> Self {
        match values.is_empty() {
            true => Self(None),
            false => Self(Some(Box::new(values))),
        }
    }
}

impl Deref for Properties {
    type Target = PropertyValues;

    fn deref(&self) -> &PropertyValues {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl DerefMut for Properties {
    fn deref_mut(&mut self) -> &mut PropertyValues {
        self.0.get_or_insert_with(Box::default)
    }
}

impl PartialEq for Properties {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for Properties {}

impl PartialEq<PropertyValues> for Properties {
    fn eq(&self, other: &PropertyValues) -> bool {
        **self == *other
    }
}

impl fmt::Debug for Properties {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_handles_hold_nothing_and_compare_by_value() {
        let empty = Properties::default();
        assert!(empty.is_empty());
        assert_eq!(empty.topic_alias, None);
        assert_eq!(
            std::mem::size_of::<Properties>(),
            std::mem::size_of::<usize>()
        );
        // A write through an empty handle allocates the values.
        let mut written = Properties::default();
        written.user_properties.push(UserProperty::new("a", "b"));
        assert!(!written.is_empty());
        written.user_properties.clear();
        assert_eq!(written, empty);
        assert!(Properties::from(PropertyValues::default()).0.is_none());
        let values = PropertyValues {
            reason_string: Some("r".into()),
            ..PropertyValues::default()
        };
        assert_eq!(Properties::from(values.clone()).into_values(), values);
    }
}
