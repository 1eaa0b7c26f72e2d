//! Which sessions a message goes to, and with what QoS, RETAIN flag and
//! Subscription Identifiers. Pure functions over one session's
//! subscriptions; the broker calls [`resolve`] once per session so that
//! overlapping subscriptions yield one delivery (MQTT-3.3.4-2 / 3.1.1
//! MQTT-3.3.5-1).

use std::collections::BTreeMap;

use lastwill_codec::{MqttString, QoS, SubscriptionOptions};

/// One subscription of a session: its options (with the granted QoS) and its
/// Subscription Identifier, if the SUBSCRIBE carried one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SubscriptionEntry {
    pub options: SubscriptionOptions,
    pub identifier: Option<u32>,
}

/// What a session's matching subscriptions make of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Delivery {
    /// The highest QoS granted among the matching subscriptions.
    pub max_qos: QoS,
    /// Whether any matching subscription has Retain As Published.
    pub retain_as_published: bool,
    /// Identifiers of all matching subscriptions, in filter order
    /// (MQTT-3.3.4-3).
    pub subscription_ids: Vec<u32>,
}

/// Whether `filter` matches `topic` (§4.7). Filters starting with a wildcard
/// do not match topics starting with `$` (MQTT-4.7.2-1); `#` also matches the
/// parent level (`a/#` matches `a`).
pub fn topic_matches(filter: &str, topic: &str) -> bool {
    if topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#')) {
        return false;
    }
    levels_match(filter, topic)
}

/// Level-by-level matching without the `$` rule: what a broker does under
/// the `dollar-topics-match-wildcards` fault.
fn levels_match(filter: &str, topic: &str) -> bool {
    let mut filter_levels = filter.split('/');
    let mut topic_levels = topic.split('/');
    loop {
        match (filter_levels.next(), topic_levels.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(_)) => {}
            (Some(f), Some(t)) if f == t => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// The delivery one session gets for a message on `topic`, or `None` if no
/// subscription matches. With `no_local_blocked` (the session belongs to the
/// publisher) subscriptions with No Local do not count (MQTT-3.8.3-3).
pub(crate) fn resolve(
    subscriptions: &BTreeMap<MqttString, SubscriptionEntry>,
    topic: &str,
    no_local_blocked: bool,
    dollar_rule: bool,
) -> Option<Delivery> {
    let matches = if dollar_rule {
        topic_matches
    } else {
        levels_match
    };
    let mut delivery: Option<Delivery> = None;
    for (filter, entry) in subscriptions {
        if !matches(filter, topic) || (no_local_blocked && entry.options.no_local) {
            continue;
        }
        let d = delivery.get_or_insert(Delivery {
            max_qos: QoS::AtMostOnce,
            retain_as_published: false,
            subscription_ids: Vec::new(),
        });
        d.max_qos = d.max_qos.max(entry.options.qos);
        d.retain_as_published |= entry.options.retain_as_published;
        d.subscription_ids.extend(entry.identifier);
    }
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_matching() {
        let cases = [
            ("a/b", "a/b", true),
            ("a/+", "a/b", true),
            ("a/+", "a/b/c", false),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("#", "a/b", true),
            ("+/+", "/x", true),
            ("+", "/x", false),
            ("a/b", "a/c", false),
            ("a//b", "a//b", true),
            ("+/b", "a/b/", false),
            ("#", "$SYS/x", false),
            ("+/x", "$SYS/x", false),
            ("$SYS/#", "$SYS/x", true),
            ("$SYS/+", "$SYS/x", true),
        ];
        for (filter, topic, want) in cases {
            assert_eq!(topic_matches(filter, topic), want, "{filter} vs {topic}");
        }
    }

    fn entry(qos: QoS, no_local: bool, rap: bool, id: Option<u32>) -> SubscriptionEntry {
        SubscriptionEntry {
            options: SubscriptionOptions {
                qos,
                no_local,
                retain_as_published: rap,
                ..SubscriptionOptions::default()
            },
            identifier: id,
        }
    }

    #[test]
    fn overlapping_subscriptions_deliver_once_at_max_qos() {
        let mut subs = BTreeMap::new();
        subs.insert(
            MqttString::from("a/#"),
            entry(QoS::AtMostOnce, false, false, Some(1)),
        );
        subs.insert(
            MqttString::from("a/+"),
            entry(QoS::ExactlyOnce, false, true, Some(2)),
        );
        subs.insert(
            MqttString::from("b"),
            entry(QoS::AtLeastOnce, false, false, Some(3)),
        );
        let d = resolve(&subs, "a/x", false, true).expect("matches");
        assert_eq!(d.max_qos, QoS::ExactlyOnce);
        assert!(d.retain_as_published);
        assert_eq!(d.subscription_ids, vec![1, 2]);
        assert_eq!(resolve(&subs, "c", false, true), None);
    }

    #[test]
    fn no_local_excludes_only_flagged_subscriptions() {
        let mut subs = BTreeMap::new();
        subs.insert(
            MqttString::from("t"),
            entry(QoS::AtLeastOnce, true, false, None),
        );
        assert_eq!(resolve(&subs, "t", true, true), None);
        assert!(resolve(&subs, "t", false, true).is_some());
        subs.insert(
            MqttString::from("#"),
            entry(QoS::AtMostOnce, false, false, None),
        );
        let d = resolve(&subs, "t", true, true).expect("the # subscription still matches");
        assert_eq!(d.max_qos, QoS::AtMostOnce);
    }
}
