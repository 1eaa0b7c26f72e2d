//! Authentication and topic authorization for the reference broker.
//!
//! The rules come from a small text file (format in [`file`]) that the
//! server or CLI reads once and hands to the core inside
//! [`BrokerConfig::auth`](crate::BrokerConfig::auth): the core itself does no
//! I/O and the rules never change while the broker runs, so a decision taken
//! at CONNECT stays true for the life of the connection.
//!
//! Spec footing: a server SHOULD (5.0 MQTT-3.1.4-2, catalogue B36) or MAY
//! (3.1.1, catalogue A19) authenticate and authorize a CONNECT, and refuses
//! with CONNACK 0x86 / 0x87 (3.1.1 return codes 4 / 5). Where the will topic
//! is authorized is a broker's choice (catalogue E7), so it is configurable:
//! [`WillAuthorization`].

mod acl;
pub mod file;

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub use self::acl::{filter_covers, Access, AclRule};
pub use self::file::{AuthFileError, LoadError};

/// Where the topic of a will is authorized (catalogue E7). The spec leaves
/// this to the broker: the SHOULD of MQTT-3.1.4-2 (B36) reads as "at
/// CONNECT", and mosquitto ≥ 1.4.2 and EMQX check at publication instead.
///
/// In both models the reference broker also checks every will again when it
/// is published, so a will never reaches a topic its client may not publish
/// to; under `AtConnect` that second check cannot fail, since the rules are
/// fixed for the life of the broker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum WillAuthorization {
    /// A will whose topic the client may not publish to refuses the CONNECT:
    /// 5.0 CONNACK 0x87, 3.1.1 return code 5 (MQTT-3.1.4-2, B36, A19).
    #[default]
    AtConnect,
    /// The CONNECT is accepted; the will is checked when it is due and
    /// dropped, with a log line, if denied (catalogue E7, second model).
    AtPublish,
}

impl WillAuthorization {
    /// The spelling of `--will-authorization`.
    pub fn name(self) -> &'static str {
        match self {
            WillAuthorization::AtConnect => "connect",
            WillAuthorization::AtPublish => "publish",
        }
    }
}

impl fmt::Display for WillAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A `--will-authorization` value that is neither `connect` nor `publish`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown will authorization `{0}` (expected `connect` or `publish`)")]
pub struct UnknownWillAuthorization(pub String);

impl FromStr for WillAuthorization {
    type Err = UnknownWillAuthorization;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "connect" => Ok(WillAuthorization::AtConnect),
            "publish" => Ok(WillAuthorization::AtPublish),
            other => Err(UnknownWillAuthorization(other.to_owned())),
        }
    }
}

/// One user of the auth file: its password and its own topic rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserEntry {
    /// Kept in clear: this broker serves conformance tests, not production.
    pub password: String,
    pub rules: Vec<AclRule>,
}

/// The parsed auth file: who may connect and what each client may publish
/// to and subscribe to. Everything not allowed by some rule is denied.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthRules {
    /// Whether a CONNECT without a User Name is accepted.
    pub allow_anonymous: bool,
    pub users: BTreeMap<String, UserEntry>,
    /// Rules for clients that connected without a User Name.
    pub anonymous: Vec<AclRule>,
    /// Rules for every client, with `%c` (client identifier) and `%u` (user
    /// name) substituted.
    pub patterns: Vec<AclRule>,
}

/// Who a connection is, as far as authorization goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity<'a> {
    pub client_id: &'a str,
    /// `None` for an anonymous client.
    pub username: Option<&'a str>,
}

/// Why a CONNECT's credentials are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// Unknown user, wrong or missing password, or a password without a
    /// user name (nothing to check it against): 5.0 CONNACK 0x86, 3.1.1
    /// return code 4.
    #[error("bad user name or password")]
    BadCredentials,
    /// No User Name and anonymous clients are refused: 5.0 CONNACK 0x87,
    /// 3.1.1 return code 5.
    #[error("anonymous clients are not allowed")]
    AnonymousRefused,
}

impl AuthRules {
    /// Checks the User Name and Password of a CONNECT.
    pub fn authenticate(
        &self,
        username: Option<&str>,
        password: Option<&[u8]>,
    ) -> Result<(), AuthFailure> {
        match (username, password) {
            (None, None) if self.allow_anonymous => Ok(()),
            (None, None) => Err(AuthFailure::AnonymousRefused),
            (None, Some(_)) => Err(AuthFailure::BadCredentials),
            (Some(name), password) => match (self.users.get(name), password) {
                (Some(user), Some(given)) if user.password.as_bytes() == given => Ok(()),
                _ => Err(AuthFailure::BadCredentials),
            },
        }
    }

    /// Whether `who` may publish to the topic name `topic`: wills included.
    pub fn may_publish(&self, who: Identity<'_>, topic: &str) -> bool {
        self.rules_for(who)
            .any(|rule| rule.access.allows_write() && acl::topic_allowed(&rule.filter, topic))
    }

    /// Whether `who` may subscribe to `filter`: some read rule must cover
    /// every topic the filter can match.
    pub fn may_subscribe(&self, who: Identity<'_>, filter: &str) -> bool {
        self.rules_for(who)
            .any(|rule| rule.access.allows_read() && filter_covers(&rule.filter, filter))
    }

    /// The rules that apply to `who`, patterns substituted. A pattern whose
    /// substitution is impossible (`%u` for an anonymous client) or would
    /// widen it (a client id or user name holding `+`, `#` or `/`) is left
    /// out, as mosquitto does.
    fn rules_for<'a>(&'a self, who: Identity<'a>) -> impl Iterator<Item = AclRule> + 'a {
        let own: &[AclRule] = match who.username {
            Some(name) => self.users.get(name).map_or(&[], |u| u.rules.as_slice()),
            None => &self.anonymous,
        };
        let patterns = self
            .patterns
            .iter()
            .filter_map(move |rule| acl::substitute(rule, who));
        own.iter().cloned().chain(patterns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> AuthRules {
        AuthRules::parse(
            "allow-anonymous true\n\
             user alice secret\n\
             topic write a/allowed/#\n\
             topic read a/#\n\
             anonymous\n\
             topic readwrite #\n\
             pattern\n\
             topic write clients/%c/#\n\
             topic read users/%u\n",
        )
        .expect("valid")
    }

    fn alice(client_id: &str) -> Identity<'_> {
        Identity {
            client_id,
            username: Some("alice"),
        }
    }

    #[test]
    fn credentials() {
        let r = rules();
        assert_eq!(r.authenticate(Some("alice"), Some(b"secret")), Ok(()));
        let bad = Err(AuthFailure::BadCredentials);
        assert_eq!(r.authenticate(Some("alice"), Some(b"wrong")), bad);
        assert_eq!(r.authenticate(Some("alice"), None), bad);
        assert_eq!(r.authenticate(Some("bob"), Some(b"secret")), bad);
        assert_eq!(r.authenticate(None, Some(b"secret")), bad);
        assert_eq!(r.authenticate(None, None), Ok(()));
        let closed = AuthRules {
            allow_anonymous: false,
            ..r
        };
        assert_eq!(
            closed.authenticate(None, None),
            Err(AuthFailure::AnonymousRefused)
        );
    }

    #[test]
    fn topic_rules() {
        let r = rules();
        assert!(r.may_publish(alice("c1"), "a/allowed/x"));
        assert!(r.may_publish(alice("c1"), "a/allowed"));
        assert!(!r.may_publish(alice("c1"), "a/denied/x"));
        assert!(r.may_publish(alice("c1"), "clients/c1/status"));
        assert!(!r.may_publish(alice("c1"), "clients/c2/status"));
        assert!(r.may_subscribe(alice("c1"), "a/+/x"));
        assert!(r.may_subscribe(alice("c1"), "users/alice"));
        assert!(!r.may_subscribe(alice("c1"), "#"));
        assert!(!r.may_subscribe(alice("c1"), "b/x"));
        let anon = Identity {
            client_id: "c3",
            username: None,
        };
        assert!(r.may_publish(anon, "anything/at/all"));
        assert!(!r.may_publish(anon, "$SYS/x"), "# does not cover $ topics");
        let closed = AuthRules {
            anonymous: Vec::new(),
            ..r
        };
        assert!(
            !closed.may_subscribe(anon, "users/+"),
            "%u needs a user name"
        );
    }

    #[test]
    fn substitution_never_widens() {
        let r = rules();
        assert!(!r.may_publish(alice("+"), "clients/x/status"));
        assert!(!r.may_publish(alice("a/b"), "clients/a/b/status"));
    }

    #[test]
    fn will_authorization_names() {
        for mode in [WillAuthorization::AtConnect, WillAuthorization::AtPublish] {
            assert_eq!(mode.name().parse::<WillAuthorization>(), Ok(mode));
        }
        assert!("later".parse::<WillAuthorization>().is_err());
    }
}
