//! Deliberate rule breaks. The conformance suite proves that each of its
//! scenarios can fail by running it against the reference broker with one of
//! these switched on: a scenario that still passes under the fault it targets
//! checks nothing.

use std::fmt;
use std::str::FromStr;

/// One rule the broker breaks on purpose. Each is off unless named in
/// [`BrokerConfig::faults`](crate::BrokerConfig::faults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Fault {
    SkipWillOnKeepAlive,
    PublishWillAfterNormalDisconnect,
    IgnoreWillDelay,
    KeepWillOnReconnect,
    DropWillProperties,
    ReorderWillUserProperties,
    WillNotRetained,
    WillAtWillQos,
    Disconnect0x04AsNormal,
    PublishWillTwice,
    ForwardWillDelayProperty,
    NoWillOnTakeover,
    NoWillOnProtocolError,
    IgnoreSessionExpiryForWill,
    NoMessageExpiryCountdown,
    AcceptMalformedWillFlags,
    NoWillOnServerShutdown,
    WillOnRejectedConnect,
    KeepAliveTruncated,
    DiscardWillOnErrorDisconnect,
    DiscardWillOnInvalidDisconnect,
    CancelWillOnCleanStart,
    AcceptMalformedConnect,
    DollarTopicsMatchWildcards,
    LiveDeliveryRetained,
    RetainEveryWill,
    StripBomFromWillTopic,
    IgnoreMaximumPacketSize,
    NoLocalIgnoredForWills,
    WillQosUpgraded,
    DropQueuedWills,
    BridgeDropsRetain,
    BridgeWithoutWill,
    WillAclIgnored,
    WillAclNotCheckedAtConnect,
    TopicAclIgnored,
    AcceptBadPassword,
}

impl Fault {
    /// Every fault, in declaration order.
    pub const ALL: [Fault; 37] = [
        Fault::SkipWillOnKeepAlive,
        Fault::PublishWillAfterNormalDisconnect,
        Fault::IgnoreWillDelay,
        Fault::KeepWillOnReconnect,
        Fault::DropWillProperties,
        Fault::ReorderWillUserProperties,
        Fault::WillNotRetained,
        Fault::WillAtWillQos,
        Fault::Disconnect0x04AsNormal,
        Fault::PublishWillTwice,
        Fault::ForwardWillDelayProperty,
        Fault::NoWillOnTakeover,
        Fault::NoWillOnProtocolError,
        Fault::IgnoreSessionExpiryForWill,
        Fault::NoMessageExpiryCountdown,
        Fault::AcceptMalformedWillFlags,
        Fault::NoWillOnServerShutdown,
        Fault::WillOnRejectedConnect,
        Fault::KeepAliveTruncated,
        Fault::DiscardWillOnErrorDisconnect,
        Fault::DiscardWillOnInvalidDisconnect,
        Fault::CancelWillOnCleanStart,
        Fault::AcceptMalformedConnect,
        Fault::DollarTopicsMatchWildcards,
        Fault::LiveDeliveryRetained,
        Fault::RetainEveryWill,
        Fault::StripBomFromWillTopic,
        Fault::IgnoreMaximumPacketSize,
        Fault::NoLocalIgnoredForWills,
        Fault::WillQosUpgraded,
        Fault::DropQueuedWills,
        Fault::BridgeDropsRetain,
        Fault::BridgeWithoutWill,
        Fault::WillAclIgnored,
        Fault::WillAclNotCheckedAtConnect,
        Fault::TopicAclIgnored,
        Fault::AcceptBadPassword,
    ];

    /// The kebab-case name used on command lines and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Fault::SkipWillOnKeepAlive => "skip-will-on-keep-alive",
            Fault::PublishWillAfterNormalDisconnect => "publish-will-after-normal-disconnect",
            Fault::IgnoreWillDelay => "ignore-will-delay",
            Fault::KeepWillOnReconnect => "keep-will-on-reconnect",
            Fault::DropWillProperties => "drop-will-properties",
            Fault::ReorderWillUserProperties => "reorder-will-user-properties",
            Fault::WillNotRetained => "will-not-retained",
            Fault::WillAtWillQos => "will-at-will-qos",
            Fault::Disconnect0x04AsNormal => "disconnect-0x04-as-normal",
            Fault::PublishWillTwice => "publish-will-twice",
            Fault::ForwardWillDelayProperty => "forward-will-delay-property",
            Fault::NoWillOnTakeover => "no-will-on-takeover",
            Fault::NoWillOnProtocolError => "no-will-on-protocol-error",
            Fault::IgnoreSessionExpiryForWill => "ignore-session-expiry-for-will",
            Fault::NoMessageExpiryCountdown => "no-message-expiry-countdown",
            Fault::AcceptMalformedWillFlags => "accept-malformed-will-flags",
            Fault::NoWillOnServerShutdown => "no-will-on-server-shutdown",
            Fault::WillOnRejectedConnect => "will-on-rejected-connect",
            Fault::KeepAliveTruncated => "keep-alive-truncated",
            Fault::DiscardWillOnErrorDisconnect => "discard-will-on-error-disconnect",
            Fault::DiscardWillOnInvalidDisconnect => "discard-will-on-invalid-disconnect",
            Fault::CancelWillOnCleanStart => "cancel-will-on-clean-start",
            Fault::AcceptMalformedConnect => "accept-malformed-connect",
            Fault::DollarTopicsMatchWildcards => "dollar-topics-match-wildcards",
            Fault::LiveDeliveryRetained => "live-delivery-retained",
            Fault::RetainEveryWill => "retain-every-will",
            Fault::StripBomFromWillTopic => "strip-bom-from-will-topic",
            Fault::IgnoreMaximumPacketSize => "ignore-maximum-packet-size",
            Fault::NoLocalIgnoredForWills => "no-local-ignored-for-wills",
            Fault::WillQosUpgraded => "will-qos-upgraded",
            Fault::DropQueuedWills => "drop-queued-wills",
            Fault::BridgeDropsRetain => "bridge-drops-retain",
            Fault::BridgeWithoutWill => "bridge-without-will",
            Fault::WillAclIgnored => "will-acl-ignored",
            Fault::WillAclNotCheckedAtConnect => "will-acl-not-checked-at-connect",
            Fault::TopicAclIgnored => "topic-acl-ignored",
            Fault::AcceptBadPassword => "accept-bad-password",
        }
    }

    /// What the fault does and which rule that breaks.
    pub fn description(self) -> &'static str {
        match self {
            Fault::SkipWillOnKeepAlive => {
                "no will when the keep-alive timer expires (MQTT-3.1.2-8: keep-alive expiry is a network failure)"
            }
            Fault::PublishWillAfterNormalDisconnect => {
                "publishes the will after a normal DISCONNECT (MQTT-3.14.4-3, MQTT-3.1.2-10)"
            }
            Fault::IgnoreWillDelay => {
                "publishes the will at close, ignoring the Will Delay Interval (MQTT-3.1.3-9)"
            }
            Fault::KeepWillOnReconnect => {
                "keeps a delayed will when the session is resumed within the delay (MQTT-3.1.3-9, MQTT-3.1.2-8)"
            }
            Fault::DropWillProperties => {
                "publishes the will without its properties (MQTT-3.3.2-4, -15, -16, -17, -20)"
            }
            Fault::ReorderWillUserProperties => {
                "publishes the will's User Properties in reverse order (MQTT-3.1.3-10, MQTT-3.3.2-18)"
            }
            Fault::WillNotRetained => {
                "publishes a Will Retain 1 will as non-retained (3.1.1 MQTT-3.1.2-17, 5.0 MQTT-3.1.2-15)"
            }
            Fault::WillAtWillQos => {
                "delivers the will at the Will QoS even above the subscription's QoS (3.1.1 MQTT-3.8.4-6, 5.0 MQTT-3.8.4-8)"
            }
            Fault::Disconnect0x04AsNormal => {
                "treats DISCONNECT 0x04 (Disconnect with Will Message) like 0x00 and drops the will (MQTT-3.14.4-3, MQTT-3.1.2-8)"
            }
            Fault::PublishWillTwice => "publishes every will twice (MQTT-3.1.2-10)",
            Fault::ForwardWillDelayProperty => {
                "forwards the Will Delay Interval property in the will PUBLISH (it is valid only in Will Properties, §2.2.2.2)"
            }
            Fault::NoWillOnTakeover => {
                "no will when a session is taken over (5.0 MQTT-3.1.4-3, 3.1.1 MQTT-3.1.4-2 with MQTT-3.1.2-8)"
            }
            Fault::NoWillOnProtocolError => {
                "no will when the server closes the connection for a protocol error (MQTT-3.1.2-8, MQTT-4.8.0-1 / MQTT-4.13.1-1)"
            }
            Fault::IgnoreSessionExpiryForWill => {
                "waits for the full Will Delay Interval even when the session has ended (MQTT-3.1.3-9, MQTT-3.1.2-8)"
            }
            Fault::NoMessageExpiryCountdown => {
                "forwards the Message Expiry Interval as received instead of minus the time waited (MQTT-3.3.2-6)"
            }
            Fault::AcceptMalformedWillFlags => {
                "accepts a CONNECT whose Will Flag is 0 but whose Will QoS or Will Retain bits are set (3.1.1 MQTT-3.1.2-11, 5.0 MQTT-3.1.2-11 / -13)"
            }
            Fault::NoWillOnServerShutdown => {
                "drops every will on shutdown instead of publishing it (this broker has no persistence, so deferring under MQTT-3.1.2-8 / B6 would lose them)"
            }
            Fault::WillOnRejectedConnect => {
                "publishes the will of a rejected CONNECT (3.1.1 MQTT-3.1.2-8, 5.0 MQTT-3.1.2-7 and MQTT-3.1.4-6)"
            }
            Fault::KeepAliveTruncated => {
                "closes after floor(1.5 x Keep Alive) whole seconds, too early for odd values (3.1.1 MQTT-3.1.2-24, 5.0 MQTT-3.1.2-22)"
            }
            Fault::DiscardWillOnErrorDisconnect => {
                "drops the will on a client DISCONNECT with an error reason code (5.0 MQTT-3.14.4-3 deletes it on 0x00 only)"
            }
            Fault::DiscardWillOnInvalidDisconnect => {
                "drops the will on a malformed or invalid DISCONNECT, as if it were normal (MQTT-3.14.1-1, MQTT-3.14.2-1, MQTT-3.1.2-8)"
            }
            Fault::CancelWillOnCleanStart => {
                "cancels a pending delayed will when the client reconnects with Clean Start 1, although that ends the session (MQTT-3.1.3-9, MQTT-3.1.2-4)"
            }
            Fault::AcceptMalformedConnect => {
                "answers a malformed CONNECT (bad will fields included) with CONNACK 0x00 before closing, instead of closing without CONNACK or refusing it (MQTT-3.1.4-1)"
            }
            Fault::DollarTopicsMatchWildcards => {
                "lets filters starting with `#` or `+` match topics starting with `$`, wills included (MQTT-4.7.2-1)"
            }
            Fault::LiveDeliveryRetained => {
                "sends a retained will to established subscriptions with RETAIN 1 regardless of Retain As Published (3.1.1 MQTT-3.3.1-9, 5.0 MQTT-3.3.1-12)"
            }
            Fault::RetainEveryWill => {
                "publishes a Will Retain 0 will as retained, so it is stored (3.1.1 MQTT-3.1.2-16, 5.0 MQTT-3.1.2-14)"
            }
            Fault::StripBomFromWillTopic => {
                "strips a leading U+FEFF from the will topic and from each of its levels when publishing (3.1.1 MQTT-1.5.3-3, 5.0 MQTT-1.5.4-3)"
            }
            Fault::IgnoreMaximumPacketSize => {
                "sends a will to a subscriber even when the PUBLISH exceeds its Maximum Packet Size (5.0 MQTT-3.1.2-24, MQTT-3.1.2-25)"
            }
            Fault::NoLocalIgnoredForWills => {
                "forwards a will to its own client's No Local subscriptions (MQTT-3.8.3-3)"
            }
            Fault::WillQosUpgraded => {
                "delivers the will at the subscription's QoS even above the Will QoS (3.1.1 MQTT-3.8.4-6, 5.0 MQTT-3.8.4-8)"
            }
            Fault::DropQueuedWills => {
                "discards wills owed to an offline persistent session instead of delivering them when it resumes (3.1.1 MQTT-3.1.2-4 / -5, 5.0 §4.1 and MQTT-3.1.2-23)"
            }
            Fault::BridgeDropsRetain => {
                "the bridge between two nodes forwards retained messages, retained wills included, with RETAIN 0, so the far node never stores them (3.1.1 MQTT-3.1.2-17, 5.0 MQTT-3.1.2-15 across the bridge)"
            }
            Fault::BridgeWithoutWill => {
                "the bridge connects to the remote node without its will, so losing the bridge goes unannounced there (MQTT-3.1.2-8 for the bridge's own connection; mosquitto's notification convention)"
            }
            Fault::WillAclIgnored => {
                "never checks a will's topic against the ACL, at CONNECT or at publication, so a will reaches a topic its client may not publish to (MQTT-3.1.4-2, catalogue E7)"
            }
            Fault::WillAclNotCheckedAtConnect => {
                "accepts a CONNECT whose will topic the client may not publish to (CONNACK 0x00) under the at-connect model; the will is still dropped at publication (MQTT-3.1.4-2, catalogue B36 / E7)"
            }
            Fault::TopicAclIgnored => {
                "routes a PUBLISH and grants a SUBSCRIBE the ACL denies (3.1.1 MQTT-3.3.5-2, 5.0 MQTT-3.1.4-2 with PUBACK / SUBACK 0x87)"
            }
            Fault::AcceptBadPassword => {
                "accepts a known user name with any password (MQTT-3.1.4-2: the server SHOULD authenticate; 5.0 CONNACK 0x86, 3.1.1 return code 4)"
            }
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault name that [`Fault::from_str`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown fault `{0}` (known: see Fault::ALL)")]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|fault| fault.name() == s)
            .ok_or_else(|| UnknownFault(s.to_owned()))
    }
}

/// A set of faults, as a bit set over [`Fault::ALL`].
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FaultSet(u64);

impl FaultSet {
    /// No fault: the broker as it should be.
    pub const EMPTY: FaultSet = FaultSet(0);

    fn bit(fault: Fault) -> u64 {
        1 << (fault as u64)
    }

    pub fn single(fault: Fault) -> Self {
        FaultSet(Self::bit(fault))
    }

    pub fn insert(&mut self, fault: Fault) {
        self.0 |= Self::bit(fault);
    }

    pub fn remove(&mut self, fault: Fault) {
        self.0 &= !Self::bit(fault);
    }

    pub fn contains(self, fault: Fault) -> bool {
        self.0 & Self::bit(fault) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Fault> {
        Fault::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

impl FromIterator<Fault> for FaultSet {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Self {
        let mut set = FaultSet::EMPTY;
        for fault in iter {
            set.insert(fault);
        }
        set
    }
}

impl From<Fault> for FaultSet {
    fn from(fault: Fault) -> Self {
        FaultSet::single(fault)
    }
}

impl fmt::Debug for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl fmt::Display for FaultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, fault) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(fault.name())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for fault in Fault::ALL {
            assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
            assert!(seen.insert(fault.name()));
            assert!(fault.description().contains("MQTT-") || fault.description().contains('§'));
        }
        assert!("no-such-fault".parse::<Fault>().is_err());
    }

    #[test]
    fn set_operations() {
        let mut set: FaultSet = [Fault::IgnoreWillDelay, Fault::PublishWillTwice]
            .into_iter()
            .collect();
        assert!(set.contains(Fault::IgnoreWillDelay));
        assert!(!set.contains(Fault::SkipWillOnKeepAlive));
        set.remove(Fault::IgnoreWillDelay);
        assert_eq!(set.to_string(), "publish-will-twice");
        assert_eq!(FaultSet::EMPTY.to_string(), "none");
    }
}
