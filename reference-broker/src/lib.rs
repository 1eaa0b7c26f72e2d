//! The lastwill reference broker: an MQTT 3.1.1 / 5.0 broker whose Last Will
//! and Testament handling is meant to be exactly right, so the conformance
//! suite can be checked against it.
//!
//! Two layers:
//! - [`Broker`], a sans-IO core in the shape of quinn-proto: feed it
//!   `handle_*` calls with a [`Timestamp`], drain [`Broker::poll_action`],
//!   [`Broker::poll_event`], and call [`Broker::handle_timeout`] at
//!   [`Broker::poll_timeout`]. It never reads a clock, so tests jump virtual
//!   time to the next deadline.
//! - [`server`], a thin tokio driver serving TCP and in-memory connections.
//!
//! ```
//! use lastwill_broker::{Broker, BrokerConfig, Timestamp};
//!
//! let mut broker = Broker::new(BrokerConfig::default());
//! let conn = broker.handle_connection_opened(Timestamp(0));
//! // Bytes of a 3.1.1 CONNECT for client "c" with keep-alive 60.
//! let connect = [0x10, 13, 0, 4, b'M', b'Q', b'T', b'T', 4, 2, 0, 60, 0, 1, b'c'];
//! broker.handle_bytes(conn, &connect, Timestamp(1));
//! assert!(broker.poll_action().is_some()); // CONNACK
//! assert_eq!(broker.poll_timeout(), Some(Timestamp(1 + 90_000))); // 1.5 × keep-alive
//! ```
//!
//! The will decisions this broker takes, and the rule each rests on, are
//! listed in the crate's README and in [`core::close_cause::decide_will`].
#![forbid(unsafe_code)]

pub mod auth;
pub mod bridge;
pub mod config;
pub mod core;
pub mod faults;
pub mod fuzzing;
pub mod server;
pub mod time;

pub use crate::config::BrokerConfig;
pub use crate::core::close_cause::{
    decide_will, CloseCause, WillContext, WillDecision, WillDiscardReason, WillTrigger,
};
pub use crate::core::event::{Action, BrokerEvent, DropReason, SessionEndReason, TransportClose};
pub use crate::core::timer::SessionTimer;
pub use crate::core::{topic_matches, Broker};
pub use crate::faults::{Fault, FaultSet, UnknownFault};
pub use crate::server::{bind, bind_memory, MemoryConnector, MemoryStream, Server, ServerConfig};
pub use crate::time::{ConnectionId, Timestamp};
