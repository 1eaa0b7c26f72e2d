//! Topic Name and Topic Filter syntax (§4.7), and the payload format check a
//! 5.0 server MAY make (§3.1.3.2.3, §3.3.2.3.2).

use crate::error::DecodeError;
use crate::types::{PacketType, ProtocolVersion};

/// The prefix of a 5.0 shared subscription filter (§4.8.2).
pub const SHARED_SUBSCRIPTION_PREFIX: &str = "$share/";

/// Whether `text` contains a wildcard character (`+` or `#`), which a Topic
/// Name must not (MQTT-4.7.1-1 in 3.1.1, MQTT-4.7.0-1 in 5.0).
pub fn has_wildcard(text: &str) -> bool {
    text.contains(['+', '#'])
}

/// A Topic Name a PUBLISH or a will may carry: non-empty (MQTT-4.7.3-1) and
/// without wildcards. UTF-8 rules are the decoder's; a `&str` is well-formed.
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty() && !has_wildcard(topic) && !topic.contains('\0')
}

/// Whether `filter` is a valid Topic Filter for `version` (§4.7.1, §4.8.2).
pub fn is_valid_topic_filter(filter: &str, version: ProtocolVersion) -> bool {
    check_filter(filter, PacketType::Subscribe, version).is_ok()
}

/// Whether `filter` names a 5.0 shared subscription.
pub fn is_shared_filter(filter: &str) -> bool {
    filter.starts_with(SHARED_SUBSCRIPTION_PREFIX)
}

/// Checks a Topic Filter and names the violation.
pub(crate) fn check_filter(
    filter: &str,
    packet_type: PacketType,
    version: ProtocolVersion,
) -> Result<(), DecodeError> {
    if filter.is_empty() {
        return Err(DecodeError::TopicFilterEmpty { packet_type });
    }
    if version.is_v5() {
        if let Some(rest) = filter.strip_prefix(SHARED_SUBSCRIPTION_PREFIX) {
            // ShareName: at least one character, none of `/ + #`, then `/`
            // and a non-empty Topic Filter (MQTT-4.8.2-1, MQTT-4.8.2-2).
            let valid = match rest.split_once('/') {
                Some((share_name, inner)) => {
                    !share_name.is_empty() && !has_wildcard(share_name) && !inner.is_empty()
                }
                None => false,
            };
            if !valid {
                return Err(DecodeError::InvalidSharedSubscription {
                    filter: filter.to_owned(),
                });
            }
        }
    }
    let mut levels = filter.split('/').peekable();
    while let Some(level) = levels.next() {
        if level.contains('#') && (level != "#" || levels.peek().is_some()) {
            return Err(DecodeError::MultiLevelWildcardNotLast {
                filter: filter.to_owned(),
                version,
            });
        }
        if level.contains('+') && level != "+" {
            return Err(DecodeError::SingleLevelWildcardNotAlone {
                filter: filter.to_owned(),
                version,
            });
        }
    }
    Ok(())
}

/// Whether `payload` is of the format a Payload Format Indicator announces:
/// absent or 0 means unspecified bytes (always true); 1 means well-formed
/// UTF-8. Any other value announces no known format, so nothing matches it.
///
/// The codec does not call this: checking a will payload is the server's MAY
/// (CONNACK 0x99, §3.1.3.2.3), decided in the broker.
pub fn payload_matches_format(pfi: Option<u8>, payload: &[u8]) -> bool {
    match pfi {
        None | Some(0) => true,
        Some(1) => std::str::from_utf8(payload).is_ok(),
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V5: ProtocolVersion = ProtocolVersion::V5;
    const V3: ProtocolVersion = ProtocolVersion::V3_1_1;

    #[test]
    fn filters() {
        for ok in [
            "a", "#", "+", "a/#", "+/+", "a/+/b", "/", "a//b", "+/#", "$SYS/#",
        ] {
            assert!(is_valid_topic_filter(ok, V5), "{ok}");
            assert!(is_valid_topic_filter(ok, V3), "{ok}");
        }
        for bad in ["", "a#", "#/a", "a/#/b", "a+", "+a/b", "a/b+", "##"] {
            assert!(!is_valid_topic_filter(bad, V5), "{bad}");
        }
        assert!(matches!(
            check_filter("a/#/b", PacketType::Subscribe, V3),
            Err(DecodeError::MultiLevelWildcardNotLast { .. })
        ));
        assert!(matches!(
            check_filter("a/b+", PacketType::Subscribe, V3),
            Err(DecodeError::SingleLevelWildcardNotAlone { .. })
        ));
    }

    #[test]
    fn shared_filters() {
        assert!(is_valid_topic_filter("$share/g/a/#", V5));
        assert!(is_valid_topic_filter("$share/g/+", V5));
        for bad in [
            "$share/",
            "$share/g",
            "$share/g/",
            "$share//a",
            "$share/+/a",
            "$share/#/a",
        ] {
            assert!(!is_valid_topic_filter(bad, V5), "{bad}");
        }
        // In 3.1.1 `$share` is an ordinary first level.
        assert!(is_valid_topic_filter("$share/g", V3));
    }

    #[test]
    fn names_and_formats() {
        assert!(is_valid_topic_name("a/b"));
        assert!(is_valid_topic_name("\u{FEFF}"));
        assert!(!is_valid_topic_name(""));
        assert!(!is_valid_topic_name("a/+"));
        assert!(!is_valid_topic_name("#"));
        assert!(payload_matches_format(None, &[0xFF]));
        assert!(payload_matches_format(Some(0), &[0xFF]));
        assert!(payload_matches_format(Some(1), "é".as_bytes()));
        assert!(!payload_matches_format(Some(1), &[0xFF]));
        assert!(!payload_matches_format(Some(7), b"a"));
    }
}
