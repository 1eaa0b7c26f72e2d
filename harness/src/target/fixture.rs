//! The auth fixture of `scenarios/auth/` (documented in its README): the
//! users and topic rules every target declaring `auth_fixture` is
//! configured with. The reference broker's copy is compiled in, so the
//! embedded target needs no file at run time; `targets/reference.yaml`
//! passes the same file to `lastwill broker --auth`, and
//! `targets/mosquitto/` holds mosquitto's equivalent.

use std::sync::{Arc, OnceLock};

use lastwill_broker::auth::{AuthFileError, AuthRules, WillAuthorization};
use lastwill_broker::BrokerConfig;

use crate::scenario::{Capability, Scenario};

/// The fixture in the reference broker's auth file format.
pub const AUTH_FIXTURE: &str = include_str!("../../../scenarios/auth/fixture.auth");

/// The parsed fixture, shared by every embedded broker of the process.
pub fn auth_fixture() -> Result<Arc<AuthRules>, AuthFileError> {
    static RULES: OnceLock<Result<Arc<AuthRules>, AuthFileError>> = OnceLock::new();
    RULES
        .get_or_init(|| AuthRules::parse(AUTH_FIXTURE).map(Arc::new))
        .clone()
}

/// `config` as a scenario needs it: a scenario requiring `auth_fixture`
/// or a `will_acl_*` capability gets the fixture, and the will model the
/// capability names (catalogue E7), so one embedded run covers both models.
/// Other scenarios get `config` unchanged.
pub fn config_for(config: &BrokerConfig, scenario: &Scenario) -> BrokerConfig {
    let requires = |c: Capability| scenario.requires.contains(&c);
    let mut config = config.clone();
    if requires(Capability::WillAclAtPublish) {
        config.will_authorization = WillAuthorization::AtPublish;
    } else if requires(Capability::WillAclAtConnect) {
        config.will_authorization = WillAuthorization::AtConnect;
    }
    let wants_auth = requires(Capability::AuthFixture)
        || requires(Capability::WillAclAtConnect)
        || requires(Capability::WillAclAtPublish);
    if wants_auth && config.auth.is_none() {
        // A fixture that does not parse is caught by the test below; a
        // broker without it would fail the auth scenarios visibly.
        config.auth = auth_fixture().ok();
    }
    config
}

#[cfg(test)]
mod tests {
    use lastwill_broker::auth::Identity;

    use super::*;

    #[test]
    fn the_fixture_parses_and_says_what_the_readme_says() {
        let rules = auth_fixture().expect("the fixture parses");
        assert!(rules.allow_anonymous);
        assert_eq!(
            rules.authenticate(Some("lastwill-user"), Some(b"lastwill-pass")),
            Ok(())
        );
        let user = Identity {
            client_id: "c",
            username: Some("lastwill-user"),
        };
        assert!(rules.may_publish(user, "lw-1-2-50/allowed/status"));
        assert!(!rules.may_publish(user, "lw-1-2-50/denied/status"));
        let anonymous = Identity {
            client_id: "c",
            username: None,
        };
        assert!(rules.may_publish(anonymous, "lw-1-2-50/denied/status"));
        assert!(rules.may_subscribe(anonymous, "lw-1-2-50/#"));
    }
}
