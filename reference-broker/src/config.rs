//! What a broker instance supports. Every limit here is advertised to 5.0
//! clients in CONNACK so that a scenario can read a capability and skip
//! itself instead of failing.

use std::sync::Arc;
use std::time::Duration;

use lastwill_codec::QoS;

use crate::auth::{AuthRules, WillAuthorization};
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
    /// 0x97 (3.1.1: 0x03). Connections still waiting for CONNECT are capped
    /// apart, by `max_pending_connections`.
    pub max_connections: Option<usize>,
    /// Connections allowed to wait for CONNECT at once. A new connection
    /// beyond it evicts the oldest waiting one (closed without CONNACK:
    /// no CONNECT was read), so idle half-open sockets cannot lock real
    /// clients out; see `core::limits`.
    pub max_pending_connections: Option<usize>,
    /// Bytes handed to a connection's transport and not yet written, past
    /// which the core stops sending it PUBLISH: QoS 0 is dropped, QoS 1 / 2
    /// waits in the session queue (a subscriber that never reads).
    pub max_outbound_bytes: usize,
    /// Messages a session may hold unsent. When full, a connected client is
    /// disconnected as a slow consumer (5.0 DISCONNECT 0x97); an offline
    /// session drops new messages.
    pub max_queued_messages: usize,
    /// The server's Receive Maximum (§3.2.2.3.3): QoS 2 PUBLISH a 5.0
    /// client may have unreleased at once; one more gets DISCONNECT 0x93.
    /// Advertised in CONNACK when below 65,535.
    pub receive_maximum: u16,
    /// Prefix of identifiers assigned to clients that send an empty one.
    pub assigned_client_id_prefix: String,
    /// Users and topic ACLs (see [`crate::auth`]); `None` accepts every
    /// client and allows every topic.
    pub auth: Option<Arc<AuthRules>>,
    /// Where a will's topic is authorized against `auth` (catalogue E7).
    pub will_authorization: WillAuthorization,
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
            max_pending_connections: Some(1024),
            max_outbound_bytes: 8 * 1024 * 1024,
            max_queued_messages: 10_000,
            receive_maximum: u16::MAX,
            assigned_client_id_prefix: "lastwill-".to_owned(),
            auth: None,
            will_authorization: WillAuthorization::default(),
        }
    }
}
