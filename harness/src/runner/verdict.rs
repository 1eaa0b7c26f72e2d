//! How a step ends a scenario early, and the plain words verdicts use.

use std::time::Duration;

use crate::client::{ClientError, ProtocolFailure};

/// Why a step stopped the scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum StepError {
    /// The broker did not do what the scenario expects.
    Fail {
        expected: String,
        observed: String,
        /// The rule broken, when the step knows it better than the
        /// scenario's rule list (a malformed packet names its codec rule).
        rule: Option<String>,
    },
    /// The harness could not carry the step out.
    Error(String),
}

impl StepError {
    pub fn fail(expected: impl Into<String>, observed: impl Into<String>) -> Self {
        Self::Fail {
            expected: expected.into(),
            observed: observed.into(),
            rule: None,
        }
    }

    /// A malformed packet from the broker, wherever it arrived.
    pub fn protocol(failure: &ProtocolFailure) -> Self {
        Self::Fail {
            expected: "well-formed MQTT packets from the broker".into(),
            observed: format!(
                "a malformed packet on {} (connection {}): {} [{}]; bytes {}",
                failure.client,
                failure.connection,
                failure.error,
                failure.rule(),
                failure.hex
            ),
            rule: Some(failure.rule().to_owned()),
        }
    }
}

impl From<ClientError> for StepError {
    /// A write that fails means the connection is gone: the broker closed or
    /// reset it, which the scenario did not expect at this point.
    fn from(error: ClientError) -> Self {
        match error {
            ClientError::Io(_) | ClientError::Closed(_) => StepError::fail(
                "the connection to stay open",
                format!("it was closed before the step could send ({error})"),
            ),
            ClientError::NoConnection(_) | ClientError::Encode(_) => {
                StepError::Error(error.to_string())
            }
        }
    }
}

/// `2.9 s`, `0.25 s`, `120 s`: seconds with at most three decimals.
pub(crate) fn secs(d: Duration) -> String {
    let text = format!("{:.3}", d.as_secs_f64());
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

/// `within 2.9–4.5 s`.
pub(crate) fn window(earliest: Duration, latest: Duration) -> String {
    let low = secs(earliest);
    let low = low.trim_end_matches(" s");
    format!("within {low}–{}", secs(latest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(secs(Duration::from_millis(2900)), "2.9 s");
        assert_eq!(secs(Duration::from_secs(120)), "120 s");
        assert_eq!(secs(Duration::from_millis(250)), "0.25 s");
        assert_eq!(secs(Duration::ZERO), "0 s");
        assert_eq!(
            window(Duration::from_millis(2900), Duration::from_millis(4500)),
            "within 2.9–4.5 s"
        );
    }
}
