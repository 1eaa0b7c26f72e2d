//! What a broker instance supports. Every limit here is advertised to 5.0
//! clients in CONNACK so that a scenario can read a capability and skip
//! itself instead of failing.

use std::time::Duration;

use lastwill_codec::QoS;

use crate::faults::FaultSet;

/// Configuration of one [`Broker`](crate::Broker).
#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// Rules to break on purpose (none by default).
    pub faults: FaultSet,
    /// Largest packet accepted, in bytes, fixed header included. Advertised as
    /// Maximum Packet Size; a larger CONNECT gets CONNACK 0x95, a larger later
    /// packet DISCONNECT 0x95.
    pub max_packet_size: u32,
    /// Highest QoS supported. Below 2 it is advertised as Maximum QoS
    /// (MQTT-3.2.2-9); a Will QoS above it gets CONNACK 0x9B (MQTT-3.2.2-12).
    pub max_qos: QoS,
    /// Whether retained messages are supported. When not, a Will Retain 1
    /// CONNECT gets CONNACK 0x9A (MQTT-3.2.2-13).
    pub retain_available: bool,
    /// Keep Alive the server imposes (Server Keep Alive, MQTT-3.2.2-21); `None`
    /// uses the client's value (MQTT-3.2.2-22).
    pub server_keep_alive: Option<u16>,
    /// Cap on a 5.0 Session Expiry Interval in seconds; a larger request is
    /// answered with the cap in CONNACK. `None` accepts any value.
    pub max_session_expiry: Option<u32>,
    /// How long a new network connection may take to send CONNECT.
    pub connect_timeout: Duration,
    /// Topic Alias Maximum advertised for client-to-server aliases; 0 means
    /// none accepted (any alias is then answered with DISCONNECT 0x94).
    pub topic_alias_maximum: u16,
    /// Connected clients allowed at once; a CONNECT beyond it gets CONNACK
    /// 0x97 (3.1.1: 0x03).
    pub max_connections: Option<usize>,
    /// Prefix of identifiers assigned to clients that send an empty one.
    pub assigned_client_id_prefix: String,
}

impl Default for BrokerConfig {
    fn default() -> Self {
        Self {
            faults: FaultSet::EMPTY,
            max_packet_size: 1024 * 1024,
            max_qos: QoS::ExactlyOnce,
            retain_available: true,
            server_keep_alive: None,
            max_session_expiry: None,
            connect_timeout: Duration::from_secs(10),
            topic_alias_maximum: 16,
            max_connections: None,
            assigned_client_id_prefix: "lastwill-".to_owned(),
        }
    }
}
