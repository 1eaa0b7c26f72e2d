//! What an `expect_publish` step accepts, and how to say why a PUBLISH is
//! not it. Fields the step leaves out are not checked; `user_properties`,
//! when given, must match in full and in order (MQTT-3.3.2-18,
//! MQTT-3.1.3-10). Under 3.1.1 the 5.0-only fields are not checked: a
//! 3.1.1 PUBLISH has no properties to compare.

use bytes::Bytes;
use lastwill_codec::{Publish, UserProperty};

use super::packets::{expand, payload, user_properties};
use super::verdict::StepError;
use crate::client::summary;
use crate::scenario::{ExpectPublishStep, Version};

#[derive(Clone, Debug)]
pub(crate) struct PublishMatcher {
    topic: String,
    payload: Option<Bytes>,
    qos: Option<u8>,
    retain: Option<bool>,
    payload_format: Option<u8>,
    message_expiry: Option<(u32, u32)>,
    content_type: Option<String>,
    response_topic: Option<String>,
    correlation_data: Option<Bytes>,
    user_properties: Option<Vec<UserProperty>>,
}

impl PublishMatcher {
    pub fn new(step: &ExpectPublishStep, ns: &str, version: Version) -> Result<Self, StepError> {
        let v5 = version == Version::V5;
        let expiry = match step.message_expiry.as_deref() {
            Some([exact]) => Some((*exact, *exact)),
            Some([min, max]) => Some((*min, *max)),
            Some(_) => {
                return Err(StepError::Error(
                    "message_expiry is [exact] or [min, max]".into(),
                ))
            }
            None => None,
        };
        let data = match &step.correlation_data {
            Some(d) if v5 => Some(payload(d, ns)?),
            _ => None,
        };
        Ok(Self {
            topic: expand(&step.topic, ns),
            payload: match &step.payload {
                Some(p) => Some(payload(p, ns)?),
                None => None,
            },
            qos: step.qos,
            retain: step.retain,
            payload_format: step.payload_format.filter(|_| v5),
            message_expiry: expiry.filter(|_| v5),
            content_type: step
                .content_type
                .as_ref()
                .filter(|_| v5)
                .map(|c| expand(c, ns)),
            response_topic: step
                .response_topic
                .as_ref()
                .filter(|_| v5)
                .map(|t| expand(t, ns)),
            correlation_data: data,
            user_properties: step
                .user_properties
                .as_ref()
                .filter(|_| v5)
                .map(|list| user_properties(list, ns)),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn matches(&self, p: &Publish) -> bool {
        self.mismatches(p).is_empty()
    }

    /// Every way `p` differs from what is expected, in words.
    pub fn mismatches(&self, p: &Publish) -> Vec<String> {
        let mut out = Vec::new();
        let props = &p.properties;
        if p.topic != self.topic {
            out.push(format!("topic {} (expected {})", p.topic, self.topic));
        }
        if let Some(want) = &self.payload {
            if p.payload != want {
                out.push(format!(
                    "payload {} (expected {})",
                    summary::payload(&p.payload),
                    summary::payload(want)
                ));
            }
        }
        if let Some(want) = self.qos {
            if p.qos.as_u8() != want {
                out.push(format!("QoS {} (expected {want})", p.qos.as_u8()));
            }
        }
        if let Some(want) = self.retain {
            if p.retain != want {
                out.push(format!(
                    "retain {} (expected {})",
                    u8::from(p.retain),
                    u8::from(want)
                ));
            }
        }
        if let Some(want) = self.payload_format {
            if props.payload_format_indicator != Some(want) {
                out.push(format!(
                    "Payload Format Indicator {} (expected {want})",
                    shown(&props.payload_format_indicator)
                ));
            }
        }
        if let Some((min, max)) = self.message_expiry {
            let ok = props
                .message_expiry_interval
                .is_some_and(|v| (min..=max).contains(&v));
            if !ok {
                out.push(format!(
                    "Message Expiry Interval {} (expected {})",
                    shown(&props.message_expiry_interval),
                    range(min, max)
                ));
            }
        }
        if let Some(want) = &self.content_type {
            if props.rest.content_type.as_deref() != Some(want.as_str()) {
                out.push(format!(
                    "Content Type {} (expected {want:?})",
                    shown_text(&props.rest.content_type)
                ));
            }
        }
        if let Some(want) = &self.response_topic {
            if props.rest.response_topic.as_deref() != Some(want.as_str()) {
                out.push(format!(
                    "Response Topic {} (expected {want:?})",
                    shown_text(&props.rest.response_topic)
                ));
            }
        }
        if let Some(want) = &self.correlation_data {
            if props.rest.correlation_data.as_ref() != Some(want) {
                let got = props
                    .rest
                    .correlation_data
                    .as_ref()
                    .map_or("absent".into(), |d| summary::payload(d));
                out.push(format!(
                    "Correlation Data {got} (expected {})",
                    summary::payload(want)
                ));
            }
        }
        if let Some(want) = &self.user_properties {
            if &props.rest.user_properties != want {
                out.push(format!(
                    "User Properties {} (expected {})",
                    pairs(&props.rest.user_properties),
                    pairs(want)
                ));
            }
        }
        out
    }

    /// `PUBLISH on lw-…/status with payload "offline" at QoS 1`.
    pub fn describe(&self) -> String {
        let mut out = format!("PUBLISH on {}", self.topic);
        if let Some(p) = &self.payload {
            out.push_str(&format!(" with payload {}", summary::payload(p)));
        }
        if let Some(q) = self.qos {
            out.push_str(&format!(" at QoS {q}"));
        }
        if let Some(r) = self.retain {
            out.push_str(&format!(" with retain {}", u8::from(r)));
        }
        if let Some(f) = self.payload_format {
            out.push_str(&format!(", Payload Format Indicator {f}"));
        }
        if let Some((min, max)) = self.message_expiry {
            out.push_str(&format!(", Message Expiry Interval {}", range(min, max)));
        }
        if let Some(c) = &self.content_type {
            out.push_str(&format!(", Content Type {c:?}"));
        }
        if let Some(t) = &self.response_topic {
            out.push_str(&format!(", Response Topic {t:?}"));
        }
        if let Some(d) = &self.correlation_data {
            out.push_str(&format!(", Correlation Data {}", summary::payload(d)));
        }
        if let Some(u) = &self.user_properties {
            out.push_str(&format!(", User Properties {}", pairs(u)));
        }
        out
    }
}

fn shown<T: std::fmt::Display>(value: &Option<T>) -> String {
    value.as_ref().map_or("absent".into(), ToString::to_string)
}

fn shown_text(value: &Option<lastwill_codec::MqttString>) -> String {
    value.as_ref().map_or("absent".into(), |v| format!("{v:?}"))
}

fn range(min: u32, max: u32) -> String {
    if min == max {
        min.to_string()
    } else {
        format!("{min}–{max}")
    }
}

fn pairs(list: &[UserProperty]) -> String {
    let shown: Vec<String> = list
        .iter()
        .map(|u| format!("{:?}={:?}", u.name, u.value))
        .collect();
    format!("[{}]", shown.join(", "))
}

#[cfg(test)]
mod tests {
    use lastwill_codec::{Properties, PropertyValues, QoS};

    use super::*;
    use crate::scenario::values::Bytes as ScenarioBytes;

    fn step() -> ExpectPublishStep {
        ExpectPublishStep {
            client: "watcher".into(),
            topic: "{ns}/status".into(),
            payload: Some(ScenarioBytes::Text("offline".into())),
            qos: Some(1),
            retain: None,
            payload_format: None,
            message_expiry: Some(vec![5, 10]),
            content_type: None,
            response_topic: None,
            correlation_data: None,
            user_properties: Some(vec![["a".into(), "1".into()], ["b".into(), "2".into()]]),
            within: None,
            optional: false,
            warn_after: None,
            only: None,
        }
    }

    fn publish(qos: QoS, expiry: Option<u32>, users: &[(&str, &str)]) -> Publish {
        Publish {
            dup: false,
            qos,
            retain: false,
            topic: "ns/status".into(),
            packet_id: Some(1),
            properties: Properties::from(PropertyValues {
                message_expiry_interval: expiry,
                user_properties: users
                    .iter()
                    .map(|(n, v)| UserProperty::new(*n, *v))
                    .collect(),
                ..PropertyValues::default()
            })
            .into(),
            payload: Bytes::from_static(b"offline"),
        }
    }

    #[test]
    fn every_given_field_is_checked_and_user_properties_in_order() {
        let m = PublishMatcher::new(&step(), "ns", Version::V5).expect("matcher");
        assert!(m.matches(&publish(
            QoS::AtLeastOnce,
            Some(7),
            &[("a", "1"), ("b", "2")]
        )));
        let wrong = publish(QoS::ExactlyOnce, None, &[("b", "2"), ("a", "1")]);
        let why = m.mismatches(&wrong);
        assert_eq!(why.len(), 3, "{why:?}");
        assert!(why[0].starts_with("QoS 2"), "{why:?}");
        assert!(m
            .describe()
            .starts_with("PUBLISH on ns/status with payload \"offline\" at QoS 1"));
    }

    #[test]
    fn properties_are_not_checked_under_3_1_1() {
        let m = PublishMatcher::new(&step(), "ns", Version::V3_1_1).expect("matcher");
        assert!(m.matches(&publish(QoS::AtLeastOnce, None, &[])));
    }
}
