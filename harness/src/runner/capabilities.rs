//! Whether a target has what a scenario `requires`. What a 5.0 CONNACK
//! advertises (Maximum QoS, Retain Available, Wildcard / Shared /
//! Subscription Identifier Available; §3.2.2.3) is read from one probe
//! connection; absent properties mean "available", as the spec defines
//! them. The rest cannot be discovered and comes from the run's options or
//! the target's own declaration.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use lastwill_codec::{Connect, Disconnect, Packet, ProtocolVersion, ReasonCode};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use super::options::RunOptions;
use super::outcome::{observe, Observed};
use crate::client::{Client, Scene};
use crate::scenario::{Capability, Scenario};
use crate::target::Target;

/// The probe's findings, shared by every scenario run of one target.
#[derive(Debug, Default)]
pub struct CapabilityCache {
    cell: OnceCell<Result<Discovered, String>>,
}

#[derive(Clone, Debug, Default)]
struct Discovered {
    have: BTreeSet<Capability>,
    /// Why each missing discoverable capability is missing.
    why_not: BTreeMap<Capability, String>,
}

/// The spelling scenario files use.
pub fn capability_name(capability: Capability) -> &'static str {
    match capability {
        Capability::Qos1 => "qos1",
        Capability::Qos2 => "qos2",
        Capability::Retain => "retain",
        Capability::WildcardSubscriptions => "wildcard_subscriptions",
        Capability::SharedSubscriptions => "shared_subscriptions",
        Capability::SubscriptionIdentifiers => "subscription_identifiers",
        Capability::PayloadFormatValidation => "payload_format_validation",
        Capability::AuthFixture => "auth_fixture",
        Capability::WillAclAtConnect => "will_acl_at_connect",
        Capability::WillAclAtPublish => "will_acl_at_publish",
        Capability::SecondNode => "second_node",
    }
}

fn discoverable(capability: Capability) -> bool {
    matches!(
        capability,
        Capability::Qos1
            | Capability::Qos2
            | Capability::Retain
            | Capability::WildcardSubscriptions
            | Capability::SharedSubscriptions
            | Capability::SubscriptionIdentifiers
    )
}

/// `Ok(Some(reason))` when a required capability is missing (the scenario
/// is skipped), `Err` when the probe could not run (the scenario errs).
pub(crate) async fn missing<T: Target>(
    scenario: &Scenario,
    target: &T,
    options: &RunOptions,
    cache: &CapabilityCache,
    ns: &str,
) -> Result<Option<String>, String> {
    let mut declared = options.capabilities.clone();
    declared.extend(target.declared_capabilities());
    if target.nodes() >= 2 {
        declared.insert(Capability::SecondNode);
    }
    for &capability in &scenario.requires {
        if declared.contains(&capability) {
            continue;
        }
        let name = capability_name(capability);
        if !discoverable(capability) {
            return Ok(Some(format!(
                "requires {name}, which no CONNACK reveals and the run does not declare \
                 (declare it in the run's capabilities if the target has it)"
            )));
        }
        let found = cache
            .cell
            .get_or_init(|| probe(target, options.step_timeout, ns))
            .await
            .as_ref()
            .map_err(Clone::clone)?;
        if !found.have.contains(&capability) {
            let why = found.why_not.get(&capability).map_or("", String::as_str);
            return Ok(Some(format!("requires {name}: {why}")));
        }
    }
    if scenario.nodes.len() > target.nodes().max(1) {
        return Ok(Some(format!(
            "requires {} nodes; the target has {}",
            scenario.nodes.len(),
            target.nodes()
        )));
    }
    Ok(None)
}

/// One 5.0 connection: CONNECT, read the CONNACK, DISCONNECT. A broker
/// that refuses 5.0 is taken as a 3.1.1 broker, which must support QoS 1
/// and 2, retained messages and wildcards, and has neither shared
/// subscriptions nor subscription identifiers.
async fn probe<T: Target>(target: &T, timeout: Duration, ns: &str) -> Result<Discovered, String> {
    let mut client = Client::new("probe", ProtocolVersion::V5, Scene::new());
    let transport = target.connect().await.map_err(|e| e.to_string())?;
    let index = client.attach(transport);
    let mut connect = Connect::new(ProtocolVersion::V5, format!("{ns}-probe"));
    connect.keep_alive = 0;
    client
        .send(&Packet::Connect(Box::new(connect)))
        .await
        .map_err(|e| format!("capability probe: {e}"))?;
    let observed = observe(&client, index, 0, true, Instant::now() + timeout).await;
    let found = match observed {
        Ok(Observed::Connack { code: 0, .. }) => {
            let properties = client.with_current(|c| {
                c.received.iter().find_map(|r| match &r.packet {
                    Packet::ConnAck(ack) => Some(ack.properties.clone()),
                    _ => None,
                })
            });
            from_connack(&properties.flatten().unwrap_or_default())
        }
        Ok(Observed::Nothing) => {
            return Err(format!(
                "capability probe: no CONNACK within {}",
                super::verdict::secs(timeout)
            ))
        }
        Ok(other) => v3_only(&other.describe()),
        Err(_) => v3_only("a CONNACK 5.0 cannot decode"),
    };
    if client.is_open() {
        let bye = Packet::Disconnect(Disconnect::new(ReasonCode::NORMAL_DISCONNECTION));
        let _ = client.send(&bye).await;
        let _ = client.fin().await;
    }
    Ok(found)
}

fn from_connack(p: &lastwill_codec::Properties) -> Discovered {
    let mut found = Discovered::default();
    let mut flag = |capability, value: Option<u8>, property: &str| {
        if value.unwrap_or(1) == 1 {
            found.have.insert(capability);
        } else {
            found.why_not.insert(
                capability,
                format!("the broker's CONNACK says {property} 0"),
            );
        }
    };
    let max_qos = p.maximum_qos.unwrap_or(2);
    flag(
        Capability::Qos1,
        Some(u8::from(max_qos >= 1)),
        "Maximum QoS",
    );
    flag(
        Capability::Qos2,
        Some(u8::from(max_qos >= 2)),
        "Maximum QoS",
    );
    flag(Capability::Retain, p.retain_available, "Retain Available");
    flag(
        Capability::WildcardSubscriptions,
        p.wildcard_subscription_available,
        "Wildcard Subscription Available",
    );
    flag(
        Capability::SharedSubscriptions,
        p.shared_subscription_available,
        "Shared Subscription Available",
    );
    flag(
        Capability::SubscriptionIdentifiers,
        p.subscription_identifier_available,
        "Subscription Identifier Available",
    );
    if max_qos < 2 {
        let why = format!("the broker's CONNACK says Maximum QoS {max_qos}");
        found.why_not.insert(Capability::Qos2, why.clone());
        if max_qos < 1 {
            found.why_not.insert(Capability::Qos1, why);
        }
    }
    found
}

fn v3_only(answer: &str) -> Discovered {
    let why = format!("the broker does not accept MQTT 5.0 connections (it answered {answer})");
    Discovered {
        have: BTreeSet::from([
            Capability::Qos1,
            Capability::Qos2,
            Capability::Retain,
            Capability::WildcardSubscriptions,
        ]),
        why_not: BTreeMap::from([
            (Capability::SharedSubscriptions, why.clone()),
            (Capability::SubscriptionIdentifiers, why),
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_properties_mean_available() {
        let all = from_connack(&lastwill_codec::Properties::default());
        assert_eq!(all.have.len(), 6);
        let limited = from_connack(&lastwill_codec::Properties::from(
            lastwill_codec::PropertyValues {
                maximum_qos: Some(1),
                retain_available: Some(0),
                ..lastwill_codec::PropertyValues::default()
            },
        ));
        assert!(limited.have.contains(&Capability::Qos1));
        assert!(!limited.have.contains(&Capability::Qos2));
        assert!(!limited.have.contains(&Capability::Retain));
        assert_eq!(
            limited.why_not[&Capability::Qos2],
            "the broker's CONNACK says Maximum QoS 1"
        );
    }
}
