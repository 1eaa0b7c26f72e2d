//! Ending connections and sessions, and carrying out will decisions.

use lastwill_codec::{Disconnect, Packet};

use super::close_cause::{
    decide_will, CloseCause, WillContext, WillDecision, WillDiscardReason, WillTrigger,
};
use super::event::{BrokerEvent, SessionEndReason};
use super::message::Message;
use super::timer::SessionTimer;
use super::will::StoredWill;
use super::{Broker, ClientId};
use crate::faults::Fault;
use crate::time::{ConnectionId, Timestamp};

impl Broker {
    /// Closes `conn` for `cause`: a 5.0 DISCONNECT first when the server is the
    /// one closing after CONNACK (MQTT-3.14.0-1 forbids it before), then the
    /// will decision, then the session goes offline or ends.
    pub(super) fn close_connection(
        &mut self,
        conn: ConnectionId,
        cause: CloseCause,
        now: Timestamp,
    ) {
        let Some(mut c) = self.connections.remove(&conn) else {
            return;
        };
        self.pending.remove(conn);
        if c.is_connected() {
            self.connected -= 1;
        }
        if c.is_connected() && c.version.is_v5() {
            if let Some(reason) = cause.server_disconnect_reason() {
                let packet = Packet::Disconnect(Disconnect::new(reason));
                self.out.send(conn, c.version, &packet);
            }
        }
        self.out.close(conn);
        self.out.event(BrokerEvent::ConnectionClosed {
            conn,
            client_id: c.client_id.as_deref().map(str::to_owned),
            cause: cause.clone(),
        });
        if !c.is_connected() {
            return;
        }
        let Some(client_id) = c.client_id.clone() else {
            return;
        };

        let taken_over_clean = matches!(
            cause,
            CloseCause::SessionTakenOver {
                new_clean_start: true
            }
        );
        let (session_ends, session_end_at) = match self.sessions.get_mut(&client_id) {
            Some(s) if s.connection == Some(conn) => {
                let ends = s.expiry_interval == 0 || taken_over_clean;
                let end_at = if ends { Some(now) } else { s.end_time(now) };
                s.go_offline(now);
                // A session that ends now is removed below: its expiry
                // timer would only wake the driver for nothing.
                let expiry = s.timers.get(SessionTimer::SessionExpiry);
                self.note_armed(expiry.filter(|_| !ends));
                (ends, end_at)
            }
            _ => (true, Some(now)),
        };

        if let Some(will) = c.will.take() {
            let ctx = WillContext {
                version: c.version,
                will_delay: will.delay(),
                session_ends,
            };
            let decision = decide_will(&cause, ctx, self.config.faults);
            self.apply_will_decision(will, decision, session_end_at, now);
        }

        let offline = self
            .sessions
            .get(&client_id)
            .is_some_and(|s| s.connection.is_none());
        if session_ends && offline {
            let reason = if taken_over_clean {
                SessionEndReason::CleanStart
            } else {
                SessionEndReason::ClosedWithoutExpiry
            };
            self.end_session(&client_id, reason, now);
        }
    }

    /// Carries out what [`decide_will`] said. A deferred will is due after its
    /// delay or when the session ends, whichever is first (MQTT-3.1.3-9).
    pub(super) fn apply_will_decision(
        &mut self,
        will: StoredWill,
        decision: WillDecision,
        session_end_at: Option<Timestamp>,
        now: Timestamp,
    ) {
        match decision {
            WillDecision::Discard(reason) => self.discard_will(&will, reason),
            WillDecision::PublishNow(trigger) => self.publish_will(will, trigger, now),
            WillDecision::Defer { delay_secs } => {
                let mut due = now.plus_secs(delay_secs);
                let mut trigger = WillTrigger::WillDelayElapsed;
                let honour_session = !self
                    .config
                    .faults
                    .contains(Fault::IgnoreSessionExpiryForWill);
                if let Some(end) = session_end_at.filter(|end| honour_session && *end < due) {
                    due = end;
                    trigger = WillTrigger::SessionExpired;
                }
                self.out.event(BrokerEvent::WillScheduled {
                    client_id: will.client_id.to_string(),
                    topic: will.will.topic.clone(),
                    due,
                });
                self.wills.schedule(will, due, trigger);
                self.note_armed(Some(due));
            }
        }
    }

    pub(super) fn discard_will(&mut self, will: &StoredWill, reason: WillDiscardReason) {
        self.out.event(BrokerEvent::WillDiscarded {
            client_id: will.client_id.to_string(),
            topic: will.will.topic.clone(),
            reason,
        });
    }

    /// Publishes a will as an ordinary application message from its client.
    /// A will its client may not publish to the topic is dropped instead,
    /// whatever the path that made it due (catalogue E7).
    pub(super) fn publish_will(&mut self, will: StoredWill, trigger: WillTrigger, now: Timestamp) {
        if !self.will_authorized(&will) {
            return self.discard_will(&will, WillDiscardReason::NotAuthorized);
        }
        let faults = self.config.faults;
        let message = Message::from_will(&will, now, faults);
        let times = if faults.contains(Fault::PublishWillTwice) {
            2
        } else {
            1
        };
        for _ in 0..times {
            let recipients = self.route(message.clone(), now);
            self.out.event(BrokerEvent::WillPublished {
                client_id: will.client_id.to_string(),
                topic: message.topic.clone(),
                trigger: trigger.clone(),
                qos: message.qos,
                retain: message.retain,
                recipients,
            });
        }
    }

    /// Ends a session. Its pending will is published now, since the session
    /// end is one of its two deadlines (MQTT-3.1.3-9, MQTT-3.1.2-8).
    pub(super) fn end_session(
        &mut self,
        client_id: &str,
        reason: SessionEndReason,
        now: Timestamp,
    ) {
        let faults = self.config.faults;
        let keep_pending = match reason {
            SessionEndReason::Expired | SessionEndReason::ClosedWithoutExpiry => {
                faults.contains(Fault::IgnoreSessionExpiryForWill)
            }
            SessionEndReason::CleanStart | SessionEndReason::ServerShutdown => false,
        };
        if !keep_pending {
            for pending in self.wills.take_for(client_id) {
                match reason {
                    SessionEndReason::CleanStart
                        if faults.contains(Fault::CancelWillOnCleanStart) =>
                    {
                        let why = WillDiscardReason::Fault(Fault::CancelWillOnCleanStart);
                        self.discard_will(&pending.will, why);
                    }
                    SessionEndReason::CleanStart => {
                        self.publish_will(pending.will, WillTrigger::CleanStartReconnect, now);
                    }
                    SessionEndReason::ServerShutdown => {
                        self.publish_will(pending.will, WillTrigger::ServerShutdown, now);
                    }
                    SessionEndReason::Expired | SessionEndReason::ClosedWithoutExpiry => {
                        self.publish_will(pending.will, WillTrigger::SessionExpired, now);
                    }
                }
            }
        }
        if self.sessions.remove(client_id).is_some() {
            self.out.event(BrokerEvent::SessionEnded {
                client_id: client_id.to_owned(),
                reason,
            });
        }
    }

    pub(super) fn expire_session(&mut self, client_id: &str, now: Timestamp) {
        self.end_session(client_id, SessionEndReason::Expired, now);
    }

    /// First half of shutdown: every will is published while every subscriber
    /// is still connected.
    pub(super) fn publish_wills_for_shutdown(&mut self, now: Timestamp) {
        let faults = self.config.faults;
        let ids: Vec<ConnectionId> = self.connections.keys().copied().collect();
        for id in ids {
            let Some(c) = self.connections.get_mut(&id) else {
                continue;
            };
            if !c.is_connected() {
                continue;
            }
            let version = c.version;
            if let Some(will) = c.will.take() {
                let ctx = WillContext {
                    version,
                    will_delay: will.delay(),
                    session_ends: true,
                };
                let decision = decide_will(&CloseCause::ServerShutdown, ctx, faults);
                self.apply_will_decision(will, decision, Some(now), now);
            }
        }
        for pending in self.wills.take_all() {
            if faults.contains(Fault::NoWillOnServerShutdown) {
                let why = WillDiscardReason::Fault(Fault::NoWillOnServerShutdown);
                self.discard_will(&pending.will, why);
            } else {
                self.publish_will(pending.will, WillTrigger::ServerShutdown, now);
            }
        }
    }

    /// Last step of shutdown: an in-memory broker loses its sessions.
    pub(super) fn discard_all_sessions(&mut self) {
        let ids: Vec<ClientId> = self.sessions.iter().map(|s| s.client_id.clone()).collect();
        for id in ids {
            self.sessions.remove(&id);
            self.out.event(BrokerEvent::SessionEnded {
                client_id: id.to_string(),
                reason: SessionEndReason::ServerShutdown,
            });
        }
    }
}
