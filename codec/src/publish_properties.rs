//! [`PublishProperties`]: the properties of a PUBLISH (§3.3.2.3).
//!
//! A PUBLISH is the packet a server decodes most, and the properties it
//! most often carries are three small numbers: Payload Format Indicator,
//! Message Expiry Interval and Topic Alias. Held in the general
//! [`Properties`] handle, any one of them cost a heap block the size of
//! every property §2.2.2.2 defines, filled and freed per packet; on the
//! 5.0 mixed-stream benchmark that was some 18 % of decode time. Here the
//! three are held inline and the rest (Content Type, Response Topic,
//! Correlation Data, Subscription Identifiers, User Properties) stay in a
//! [`Properties`] handle that is only allocated when one of them is set.

use crate::properties::{Properties, PropertyValues};

/// The properties of a PUBLISH: three inline, the rest in [`Self::rest`].
///
/// The decoder, [`From<Properties>`] and [`From<PropertyValues>`] always put
/// the three inline fields inline, so two values built that way compare
/// equal exactly when they carry the same properties. A value built by hand
/// may also set one of the three in `rest`; the encoder then writes both,
/// a duplicate property, which is how a test client sends one on purpose.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishProperties {
    pub payload_format_indicator: Option<u8>,
    pub message_expiry_interval: Option<u32>,
    pub topic_alias: Option<u16>,
    /// Every other property, boxed only when one is set.
    pub rest: Properties,
}

impl PublishProperties {
    /// Whether no property is set.
    pub fn is_empty(&self) -> bool {
        self.payload_format_indicator.is_none()
            && self.message_expiry_interval.is_none()
            && self.topic_alias.is_none()
            && self.rest.is_empty()
    }

    /// All of the properties in one [`PropertyValues`]. An inline value
    /// takes the place of the same property set in `rest`.
    pub fn into_values(self) -> PropertyValues {
        let mut values = self.rest.into_values();
        values.payload_format_indicator = self
            .payload_format_indicator
            .or(values.payload_format_indicator);
        values.message_expiry_interval = self
            .message_expiry_interval
            .or(values.message_expiry_interval);
        values.topic_alias = self.topic_alias.or(values.topic_alias);
        values
    }
}

impl From<Properties> for PublishProperties {
    /// Moves the three inline properties out of `properties`; the rest
    /// stays in its box, which is dropped if nothing else was set.
    fn from(mut properties: Properties) -> Self {
        if properties.is_empty() {
            return Self::default();
        }
        let values: &mut PropertyValues = &mut properties;
        let payload_format_indicator = values.payload_format_indicator.take();
        let message_expiry_interval = values.message_expiry_interval.take();
        let topic_alias = values.topic_alias.take();
        let rest = match properties.is_empty() {
            true => Properties::default(),
            false => properties,
        };
        Self {
            payload_format_indicator,
            message_expiry_interval,
            topic_alias,
            rest,
        }
    }
}

impl From<PropertyValues> for PublishProperties {
    fn from(values: PropertyValues) -> Self {
        Self::from(Properties::from(values))
    }
}

impl From<PublishProperties> for Properties {
    fn from(properties: PublishProperties) -> Self {
        Properties::from(properties.into_values())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::properties::UserProperty;

    #[test]
    fn the_three_scalars_move_inline_and_back() {
        let values = PropertyValues {
            payload_format_indicator: Some(1),
            message_expiry_interval: Some(60),
            topic_alias: Some(3),
            ..PropertyValues::default()
        };
        let split = PublishProperties::from(values.clone());
        assert_eq!(split.message_expiry_interval, Some(60));
        assert!(split.rest.is_empty(), "nothing else set, so no box");
        assert_eq!(Properties::from(split), Properties::from(values));
    }

    #[test]
    fn the_rest_stays_boxed_and_merges_back() {
        let values = PropertyValues {
            message_expiry_interval: Some(5),
            content_type: Some("text/plain".into()),
            user_properties: vec![UserProperty::new("a", "1")],
            ..PropertyValues::default()
        };
        let split = PublishProperties::from(values.clone());
        assert_eq!(split.rest.message_expiry_interval, None);
        assert_eq!(split.rest.content_type.as_deref(), Some("text/plain"));
        assert!(!split.is_empty());
        assert_eq!(split.into_values(), values);
        assert!(PublishProperties::default().is_empty());
    }

    #[test]
    fn an_inline_value_takes_the_place_of_the_same_property_in_rest() {
        let properties = PublishProperties {
            topic_alias: Some(1),
            rest: Properties::from(PropertyValues {
                topic_alias: Some(2),
                ..PropertyValues::default()
            }),
            ..PublishProperties::default()
        };
        assert_eq!(properties.into_values().topic_alias, Some(1));
    }
}
