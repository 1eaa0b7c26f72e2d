//! Sessions keyed by Client Identifier: subscriptions, messages owed, QoS
//! flows, and when an offline session ends.

use super::ClientId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::{Deref, DerefMut};

use lastwill_codec::MqttString;

use super::message::Outgoing;
use super::qos::{InboundFlows, OutboundFlows};
use super::router::SubscriptionEntry;
use super::timer::{SessionTimer, TimerTable};
use crate::time::{ConnectionId, Timestamp};

/// Session Expiry Interval meaning "never" (5.0 §3.1.2.11.2; also how a 3.1.1
/// Clean Session 0 session is held).
pub(crate) const NEVER_EXPIRES: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct Session {
    pub client_id: ClientId,
    pub subscriptions: BTreeMap<MqttString, SubscriptionEntry>,
    /// The live connection, if any (at most one: takeover closes the old one).
    pub connection: Option<ConnectionId>,
    /// Effective Session Expiry Interval in seconds; 0 ends the session with
    /// its connection, [`NEVER_EXPIRES`] never ends it.
    pub expiry_interval: u32,
    /// Only [`SessionTimer::SessionExpiry`], armed while offline.
    pub timers: TimerTable,
    pub flows: LazyFlows,
}

/// What a session holds once messages flow through it.
#[derive(Debug, Default)]
pub(crate) struct Flows {
    /// Messages owed and not yet sent: the client is offline, or its Receive
    /// Maximum is reached.
    pub queue: VecDeque<Outgoing>,
    pub outbound: OutboundFlows,
    pub inbound: InboundFlows,
    /// The queue reached `max_queued_messages` while offline and that was
    /// reported; cleared when it drains (`core::limits`).
    pub overflowed: bool,
}

/// [`Flows`], allocated on first change. Most sessions of a broker full of
/// idle devices never receive a message: their flows would be 88 bytes of
/// empty queues each. Reading an unallocated one sees empty flows; a
/// mutable access allocates.
#[derive(Debug, Default)]
pub(crate) struct LazyFlows(Option<Box<Flows>>);

static NO_FLOWS: Flows = Flows {
    queue: VecDeque::new(),
    outbound: OutboundFlows::new(),
    inbound: InboundFlows::new(),
    overflowed: false,
};

impl Deref for LazyFlows {
    type Target = Flows;

    fn deref(&self) -> &Flows {
        self.0.as_deref().unwrap_or(&NO_FLOWS)
    }
}

impl DerefMut for LazyFlows {
    fn deref_mut(&mut self) -> &mut Flows {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Session {
    pub fn new(client_id: ClientId, connection: ConnectionId, expiry_interval: u32) -> Self {
        Self {
            client_id,
            subscriptions: BTreeMap::new(),
            connection: Some(connection),
            expiry_interval,
            timers: TimerTable::default(),
            flows: LazyFlows::default(),
        }
    }

    /// When this session, closed at `closed_at`, ends; `None` for never.
    pub fn end_time(&self, closed_at: Timestamp) -> Option<Timestamp> {
        (self.expiry_interval != NEVER_EXPIRES).then(|| closed_at.plus_secs(self.expiry_interval))
    }

    /// Detaches the connection and arms the expiry timer. The caller ends the
    /// session instead when its interval is 0.
    pub fn go_offline(&mut self, now: Timestamp) {
        self.connection = None;
        match self.end_time(now) {
            Some(at) => self.timers.set(SessionTimer::SessionExpiry, at),
            None => self.timers.stop(SessionTimer::SessionExpiry),
        }
    }

    /// Attaches a resuming connection.
    pub fn resume(&mut self, connection: ConnectionId, expiry_interval: u32) {
        self.connection = Some(connection);
        self.expiry_interval = expiry_interval;
        self.timers.stop(SessionTimer::SessionExpiry);
    }
}

#[derive(Debug, Default)]
pub(crate) struct SessionStore {
    /// Boxed for the reason `Broker::connections` is.
    sessions: BTreeMap<ClientId, Box<Session>>,
    /// Client Identifiers of the sessions that may hold subscriptions: every
    /// session with one is here (a superset: unsubscribing does not take a
    /// session out), so routing a message visits these rather than every
    /// session. Without it a storm of N wills among N sessions costs N².
    subscribers: BTreeSet<ClientId>,
}

impl SessionStore {
    pub fn get(&self, client_id: &str) -> Option<&Session> {
        self.sessions.get(client_id).map(|s| &**s)
    }

    pub fn get_mut(&mut self, client_id: &str) -> Option<&mut Session> {
        self.sessions.get_mut(client_id).map(|s| &mut **s)
    }

    pub fn insert(&mut self, session: Session) {
        if !session.subscriptions.is_empty() {
            self.subscribers.insert(session.client_id.clone());
        }
        self.sessions
            .insert(session.client_id.clone(), Box::new(session));
    }

    pub fn remove(&mut self, client_id: &str) -> Option<Session> {
        self.subscribers.remove(client_id);
        self.sessions.remove(client_id).map(|s| *s)
    }

    /// Records that `client_id`'s session is about to hold subscriptions.
    pub fn mark_subscriber(&mut self, client_id: &str) {
        if !self.subscribers.contains(client_id) {
            self.subscribers.insert(ClientId::from(client_id));
        }
    }

    /// The sessions that may hold subscriptions, in Client Identifier order
    /// (the order of [`iter`](Self::iter)).
    pub fn subscribers(&self) -> impl Iterator<Item = &Session> {
        self.subscribers
            .iter()
            .filter_map(|client_id| self.get(client_id))
    }

    pub fn contains(&self, client_id: &str) -> bool {
        self.sessions.contains_key(client_id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values().map(|s| &**s)
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading an idle session's flows allocates nothing; changing them does.
    #[test]
    fn flows_are_allocated_on_first_change() {
        let mut s = Session::new(ClientId::from("c"), ConnectionId(1), 10);
        assert!(s.flows.queue.is_empty() && s.flows.outbound.len() == 0 && !s.flows.overflowed);
        assert!(s.flows.0.is_none());
        s.flows.overflowed = true;
        assert!(s.flows.0.is_some() && s.flows.overflowed);
    }

    #[test]
    fn offline_sessions_arm_expiry_unless_never() {
        let mut s = Session::new(ClientId::from("c"), ConnectionId(1), 10);
        s.go_offline(Timestamp(1_000));
        assert_eq!(
            s.timers.get(SessionTimer::SessionExpiry),
            Some(Timestamp(11_000))
        );
        s.resume(ConnectionId(2), NEVER_EXPIRES);
        assert_eq!(s.timers.get(SessionTimer::SessionExpiry), None);
        s.go_offline(Timestamp(2_000));
        assert_eq!(s.timers.get(SessionTimer::SessionExpiry), None);
        assert_eq!(s.end_time(Timestamp(0)), None);
    }
}
