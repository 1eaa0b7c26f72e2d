//! MQTT 5.0 properties (§2.2.2). One struct serves every packet; the decoder
//! checks which identifiers a packet may carry (§2.2.2.2) and rejects
//! duplicates, so a decoded value never holds a property its packet forbids.

use bytes::Bytes;

/// A User Property name/value pair (MQTT-1.5.7-1). Order is significant:
/// a server must forward user properties in the order received
/// (MQTT-3.3.2-18, MQTT-3.1.3-10).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UserProperty {
    pub name: String,
    pub value: String,
}

impl UserProperty {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
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
pub struct Properties {
    pub payload_format_indicator: Option<u8>,
    pub message_expiry_interval: Option<u32>,
    pub content_type: Option<String>,
    pub response_topic: Option<String>,
    pub correlation_data: Option<Bytes>,
    /// Several may appear on PUBLISH (server to client); one on SUBSCRIBE.
    pub subscription_identifiers: Vec<u32>,
    pub session_expiry_interval: Option<u32>,
    pub assigned_client_identifier: Option<String>,
    pub server_keep_alive: Option<u16>,
    pub authentication_method: Option<String>,
    pub authentication_data: Option<Bytes>,
    pub request_problem_information: Option<u8>,
    pub will_delay_interval: Option<u32>,
    pub request_response_information: Option<u8>,
    pub response_information: Option<String>,
    pub server_reference: Option<String>,
    pub reason_string: Option<String>,
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

impl Properties {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}
