//! The core's authorization hooks over [`AuthRules`]: credentials and the
//! will topic at CONNECT, the will again at publication, ordinary PUBLISH
//! and SUBSCRIBE. Without `BrokerConfig::auth` everything is allowed.
//!
//! Choices, each with its footing:
//! - Bad user name or password: CONNACK 0x86 / 3.1.1 return code 4; no User
//!   Name when anonymous clients are refused: 0x87 / 5 (MQTT-3.1.4-2, B36;
//!   3.1.1 A19, A22).
//! - A will the client may not publish: under
//!   [`WillAuthorization::AtConnect`] CONNACK 0x87 / 5 (B36, catalogue E7);
//!   in both models it is checked again when published and dropped with a
//!   `WillDiscarded` event if denied, so it never reaches a denied topic.
//! - A denied PUBLISH is not routed (nor retained). 5.0 QoS 1 / 2 get PUBACK /
//!   PUBREC 0x87 (§3.4.2.1, §3.5.2.1); 5.0 QoS 0 and every 3.1.1 PUBLISH get
//!   their normal acknowledgement, as 3.1.1 MQTT-3.3.5-2 requires (the
//!   client cannot be told), and a `MessageDropped` event is logged.
//! - A denied SUBSCRIBE filter gets SUBACK 0x87 (5.0) / 0x80 (3.1.1
//!   failure, MQTT-3.9.3-1 lets the server refuse any filter).

use lastwill_codec::{Connect, ReasonCode};

use super::connect::Refusal;
use super::will::StoredWill;
use super::Broker;
use crate::auth::{AuthFailure, Identity, WillAuthorization};
use crate::faults::Fault;
use crate::time::ConnectionId;

impl Broker {
    /// Credentials, then (at-connect model) the will topic of a CONNECT.
    pub(super) fn authorize_connect(&self, connect: &Connect) -> Result<(), Refusal> {
        let Some(rules) = &self.config.auth else {
            return Ok(());
        };
        let faults = self.config.faults;
        let username = connect.username.as_deref();
        match rules.authenticate(username, connect.password.as_deref()) {
            Ok(()) => {}
            Err(AuthFailure::BadCredentials)
                if faults.contains(Fault::AcceptBadPassword)
                    && username.is_some_and(|name| rules.users.contains_key(name)) => {}
            Err(AuthFailure::BadCredentials) => {
                return Err(Refusal {
                    code: ReasonCode::BAD_USER_NAME_OR_PASSWORD,
                    rule: "MQTT-3.1.4-2",
                })
            }
            Err(AuthFailure::AnonymousRefused) => {
                return Err(Refusal {
                    code: ReasonCode::NOT_AUTHORIZED,
                    rule: "MQTT-3.1.4-2",
                })
            }
        }
        let check_will = self.config.will_authorization == WillAuthorization::AtConnect
            && !faults.contains(Fault::WillAclIgnored)
            && !faults.contains(Fault::WillAclNotCheckedAtConnect);
        if let (true, Some(will)) = (check_will, &connect.will) {
            let who = Identity {
                client_id: &connect.client_id,
                username,
            };
            if !rules.may_publish(who, &will.topic) {
                // B36 (MQTT-3.1.4-2) with catalogue E7's first model.
                return Err(Refusal {
                    code: ReasonCode::NOT_AUTHORIZED,
                    rule: "MQTT-3.1.4-2",
                });
            }
        }
        Ok(())
    }

    /// Whether a due will may be published: its client may publish to its
    /// topic. Checked in both models, on every path (close, delay, session
    /// end, takeover, shutdown), since all of them go through `publish_will`.
    pub(super) fn will_authorized(&self, will: &StoredWill) -> bool {
        let Some(rules) = &self.config.auth else {
            return true;
        };
        if self.config.faults.contains(Fault::WillAclIgnored) {
            return true;
        }
        let who = Identity {
            client_id: &will.client_id,
            username: will.username.as_deref(),
        };
        rules.may_publish(who, &will.will.topic)
    }

    /// Whether the client on `conn` may publish to `topic`.
    pub(super) fn publish_authorized(&self, conn: ConnectionId, topic: &str) -> bool {
        self.topic_authorized(conn, |rules, who| rules.may_publish(who, topic))
    }

    /// Whether the client on `conn` may subscribe to `filter`.
    pub(super) fn subscribe_authorized(&self, conn: ConnectionId, filter: &str) -> bool {
        self.topic_authorized(conn, |rules, who| rules.may_subscribe(who, filter))
    }

    fn topic_authorized(
        &self,
        conn: ConnectionId,
        check: impl Fn(&crate::auth::AuthRules, Identity<'_>) -> bool,
    ) -> bool {
        let Some(rules) = &self.config.auth else {
            return true;
        };
        if self.config.faults.contains(Fault::TopicAclIgnored) {
            return true;
        }
        let Some(c) = self.connections.get(&conn) else {
            return false;
        };
        let who = Identity {
            client_id: c.client_id.as_deref().unwrap_or_default(),
            username: c.username.as_deref(),
        };
        check(rules, who)
    }
}
