//! Topic rules and how they match. An ACL filter is an MQTT topic filter
//! (§4.7) and matches topic names the way a subscription does, `$` rule
//! included (MQTT-4.7.2-1): `#` does not grant `$SYS/...`; a rule for `$`
//! topics must spell the first level out.

use std::fmt;

use super::Identity;
use crate::core::topic_matches;

/// What a rule grants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// SUBSCRIBE to filters the rule covers.
    Read,
    /// PUBLISH (and wills) to topics the rule matches.
    Write,
    ReadWrite,
}

impl Access {
    pub fn allows_read(self) -> bool {
        matches!(self, Access::Read | Access::ReadWrite)
    }

    pub fn allows_write(self) -> bool {
        matches!(self, Access::Write | Access::ReadWrite)
    }

    /// The spelling of the auth file.
    pub fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::ReadWrite => "readwrite",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One `topic ACCESS FILTER` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclRule {
    pub access: Access,
    pub filter: String,
}

/// Whether the rule filter `acl` allows publishing to the topic name `topic`.
pub(super) fn topic_allowed(acl: &str, topic: &str) -> bool {
    topic_matches(acl, topic)
}

/// Whether the rule filter `acl` covers the subscription filter `filter`:
/// every topic `filter` can match is matched by `acl`. Level by level, `#`
/// in the rule covers the rest, `+` covers any single level but `#`, and a
/// literal level covers only itself. A rule starting with a wildcard does
/// not cover a filter starting with `$` (MQTT-4.7.2-1).
pub fn filter_covers(acl: &str, filter: &str) -> bool {
    if filter.starts_with('$') && (acl.starts_with('+') || acl.starts_with('#')) {
        return false;
    }
    let mut rule = acl.split('/');
    let mut wanted = filter.split('/');
    loop {
        match (rule.next(), wanted.next()) {
            (Some("#"), _) => return true,
            (Some("+"), Some(level)) if level != "#" => {}
            (Some(r), Some(w)) if r == w && r != "+" => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// A pattern rule with `%c` and `%u` replaced for `who`, or `None` when it
/// cannot apply: `%u` without a user name, or a value holding `+`, `#` or
/// `/`, which would turn the rule into a wider one.
pub(super) fn substitute(rule: &AclRule, who: Identity<'_>) -> Option<AclRule> {
    let mut filter = rule.filter.clone();
    if filter.contains("%c") {
        filter = filter.replace("%c", safe(who.client_id)?);
    }
    if filter.contains("%u") {
        filter = filter.replace("%u", safe(who.username?)?);
    }
    Some(AclRule {
        access: rule.access,
        filter,
    })
}

fn safe(value: &str) -> Option<&str> {
    (!value.is_empty() && !value.contains(['+', '#', '/'])).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage() {
        let cases = [
            ("#", "a/b", true),
            ("#", "#", true),
            ("#", "$SYS/#", false),
            ("$SYS/#", "$SYS/broker/+", true),
            ("a/#", "a", true),
            ("a/#", "a/+/c", true),
            ("a/+", "a/b", true),
            ("a/+", "a/+", true),
            ("a/+", "a/#", false),
            ("a/b", "a/+", false),
            ("a/b", "a/b", true),
            ("a/+/c", "a/x/c/d", false),
            ("+/x", "$SYS/x", false),
        ];
        for (acl, filter, want) in cases {
            assert_eq!(filter_covers(acl, filter), want, "{acl} covers {filter}");
        }
    }
}
