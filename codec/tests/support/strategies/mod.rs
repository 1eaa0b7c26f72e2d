//! proptest strategies for valid packets: every value generated here is one
//! the decoder must accept and give back unchanged.

use bytes::Bytes;
use lastwill_codec::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

mod acks;

use acks::*;

/// A UTF-8 string without U+0000, including multi-byte characters and a BOM.
pub fn text() -> impl Strategy<Value = String> {
    "[a-z0-9 /+#é€\u{FEFF}\u{1F600}]{0,12}"
}

/// A valid Topic Name: non-empty, no wildcards (and no `$`, so never shared).
pub fn topic_name() -> impl Strategy<Value = String> {
    "[a-z0-9/é\u{FEFF}]{1,12}"
}

/// A valid Topic Filter built from levels; `#` only as the whole last level.
pub fn topic_filter() -> impl Strategy<Value = String> {
    let level = prop_oneof![3 => "[a-z0-9é]{0,4}", 1 => Just("+".to_string())];
    (vec(level, 1..4), any::<bool>()).prop_map(|(mut levels, hash)| {
        if hash {
            levels.push("#".into());
        }
        let filter = levels.join("/");
        if filter.is_empty() {
            "a".into()
        } else {
            filter
        }
    })
}

pub fn binary() -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..16).prop_map(Bytes::from)
}

pub fn qos() -> impl Strategy<Value = QoS> {
    prop_oneof![
        Just(QoS::AtMostOnce),
        Just(QoS::AtLeastOnce),
        Just(QoS::ExactlyOnce)
    ]
}

pub fn boolean() -> impl Strategy<Value = Option<u8>> {
    option::of(0u8..=1)
}

pub fn user_properties() -> impl Strategy<Value = Vec<UserProperty>> {
    vec(
        (text(), text()).prop_map(|(name, value)| UserProperty::new(name, value)),
        0..3,
    )
}

pub fn subscription_identifier() -> impl Strategy<Value = u32> {
    1u32..=268_435_455
}

/// Reason String and User Properties: what every acknowledgement may carry.
pub fn ack_properties() -> impl Strategy<Value = Properties> {
    (option::of(text()), user_properties()).prop_map(|(reason_string, user_properties)| {
        Properties::from(PropertyValues {
            reason_string: reason_string.map(Into::into),
            user_properties,
            ..PropertyValues::default()
        })
    })
}

/// The properties a PUBLISH and a will share.
pub fn message_properties() -> impl Strategy<Value = Properties> {
    (
        boolean(),
        option::of(any::<u32>()),
        option::of(text()),
        option::of(topic_name()),
        option::of(binary()),
        user_properties(),
    )
        .prop_map(
            |(pfi, expiry, content_type, response_topic, correlation, users)| {
                Properties::from(PropertyValues {
                    payload_format_indicator: pfi,
                    message_expiry_interval: expiry,
                    content_type: content_type.map(Into::into),
                    response_topic: response_topic.map(Into::into),
                    correlation_data: correlation,
                    user_properties: users,
                    ..PropertyValues::default()
                })
            },
        )
}

pub fn will(v5: bool) -> impl Strategy<Value = Will> {
    (
        topic_name(),
        binary(),
        qos(),
        any::<bool>(),
        message_properties(),
        option::of(any::<u32>()),
    )
        .prop_map(
            move |(topic, payload, qos, retain, mut properties, delay)| {
                properties.will_delay_interval = delay;
                if !v5 {
                    properties = Properties::default();
                }
                Will {
                    topic: topic.into(),
                    payload,
                    qos,
                    retain,
                    properties,
                }
            },
        )
}

pub fn connect_properties() -> impl Strategy<Value = Properties> {
    (
        option::of(any::<u32>()),
        option::of(1u16..),
        option::of(1u32..),
        option::of(any::<u16>()),
        boolean(),
        boolean(),
        option::of((text(), option::of(binary()))),
        user_properties(),
    )
        .prop_map(
            |(expiry, receive, max_size, alias_max, rri, rpi, auth, users)| {
                let (method, data) = match auth {
                    Some((method, data)) => (Some(method), data),
                    None => (None, None),
                };
                Properties::from(PropertyValues {
                    session_expiry_interval: expiry,
                    receive_maximum: receive,
                    maximum_packet_size: max_size,
                    topic_alias_maximum: alias_max,
                    request_response_information: rri,
                    request_problem_information: rpi,
                    authentication_method: method.map(Into::into),
                    authentication_data: data,
                    user_properties: users,
                    ..PropertyValues::default()
                })
            },
        )
}

pub fn connect(version: ProtocolVersion) -> impl Strategy<Value = Packet> {
    let v5 = version.is_v5();
    (
        any::<bool>(),
        any::<u16>(),
        connect_properties(),
        text(),
        option::of(will(v5)),
        option::of(text()),
        option::of(binary()),
    )
        .prop_map(
            move |(clean_start, keep_alive, properties, client_id, will, username, password)| {
                // 3.1.1 forbids a password without a user name (MQTT-3.1.2-22).
                let password = if v5 || username.is_some() {
                    password
                } else {
                    None
                };
                Packet::Connect(Box::new(Connect {
                    version,
                    clean_start,
                    keep_alive,
                    properties: if v5 {
                        properties
                    } else {
                        Properties::default()
                    },
                    client_id: client_id.into(),
                    will,
                    username: username.map(Into::into),
                    password,
                }))
            },
        )
}

pub fn publish(v5: bool) -> impl Strategy<Value = Packet> {
    let properties = (
        message_properties(),
        option::of(1u16..),
        vec(subscription_identifier(), 0..3),
    )
        .prop_map(|(mut properties, alias, ids)| {
            properties.topic_alias = alias;
            properties.subscription_identifiers = ids;
            properties
        });
    (
        any::<bool>(),
        qos(),
        any::<bool>(),
        topic_name(),
        1u16..,
        properties,
        binary(),
        any::<bool>(),
    )
        .prop_map(
            move |(dup, qos, retain, topic, id, properties, payload, use_alias)| {
                let at_most_once = qos == QoS::AtMostOnce;
                let properties = if v5 {
                    properties
                } else {
                    Properties::default()
                };
                // 5.0: an empty topic stands for the Topic Alias.
                let topic = if use_alias && properties.topic_alias.is_some() {
                    String::new()
                } else {
                    topic
                };
                Packet::Publish(Publish {
                    dup: dup && !at_most_once,
                    qos,
                    retain,
                    topic: topic.into(),
                    packet_id: if at_most_once { None } else { Some(id) },
                    properties: properties.into(),
                    payload,
                })
            },
        )
}

pub fn subscribe(v5: bool) -> impl Strategy<Value = Packet> {
    let retain_handling = prop_oneof![
        Just(RetainHandling::SendAtSubscribe),
        Just(RetainHandling::SendAtSubscribeIfNew),
        Just(RetainHandling::DoNotSend)
    ];
    let subscription = (
        topic_filter(),
        qos(),
        any::<bool>(),
        any::<bool>(),
        retain_handling,
    )
        .prop_map(move |(filter, qos, no_local, rap, rh)| Subscription {
            filter: filter.into(),
            options: if v5 {
                SubscriptionOptions {
                    qos,
                    no_local,
                    retain_as_published: rap,
                    retain_handling: rh,
                }
            } else {
                SubscriptionOptions {
                    qos,
                    ..SubscriptionOptions::default()
                }
            },
        });
    let properties = (option::of(subscription_identifier()), user_properties()).prop_map(
        |(id, user_properties)| {
            Properties::from(PropertyValues {
                subscription_identifiers: id.into_iter().collect(),
                user_properties,
                ..PropertyValues::default()
            })
        },
    );
    (1u16.., properties, vec(subscription, 1..4)).prop_map(
        move |(packet_id, properties, subscriptions)| {
            Packet::Subscribe(Subscribe {
                packet_id,
                properties: if v5 {
                    properties
                } else {
                    Properties::default()
                },
                subscriptions,
            })
        },
    )
}

pub fn unsubscribe(v5: bool) -> impl Strategy<Value = Packet> {
    (1u16.., user_properties(), vec(topic_filter(), 1..4)).prop_map(
        move |(packet_id, user_properties, filters)| {
            Packet::Unsubscribe(Unsubscribe {
                packet_id,
                properties: if v5 {
                    Properties::from(PropertyValues {
                        user_properties,
                        ..PropertyValues::default()
                    })
                } else {
                    Properties::default()
                },
                filters: filters.into_iter().map(Into::into).collect(),
            })
        },
    )
}

/// Any valid packet of `version` (3.1.1 or 5.0).
pub fn packet(version: ProtocolVersion) -> BoxedStrategy<Packet> {
    let v5 = version.is_v5();
    let common = prop_oneof![
        connect(version),
        connack(v5),
        publish(v5),
        publish_response(v5, PUBACK_V5).prop_map(Packet::PubAck),
        publish_response(v5, PUBACK_V5).prop_map(Packet::PubRec),
        publish_response(v5, PUBREL_V5).prop_map(Packet::PubRel),
        publish_response(v5, PUBREL_V5).prop_map(Packet::PubComp),
        subscribe(v5),
        suback(v5),
        unsubscribe(v5),
        unsuback(v5),
        Just(Packet::PingReq),
        Just(Packet::PingResp),
        disconnect(v5),
    ];
    if v5 {
        prop_oneof![14 => common, 1 => auth()].boxed()
    } else {
        common.boxed()
    }
}
