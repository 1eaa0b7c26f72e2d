//! Known deviations of a target: which scenarios are expected not to pass,
//! and why. A run matches its expectations when every result is either a
//! pass (or warn/skip) with no entry, or has exactly the verdict its entry
//! states. An entry whose scenario now passes is an unexpected pass, and one
//! that names no scenario of the run is stale: both make the run not match,
//! so the file stays true as the broker improves.

use std::path::Path;

use lastwill_report::{ScenarioResult, Verdict};
use serde::Deserialize;

use crate::scenario::Version;

/// One known deviation.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Scenario id.
    pub scenario: String,
    /// Limit the entry to one protocol version; default: every version run.
    #[serde(default)]
    pub version: Option<Version>,
    /// The verdict the target is known to get: `fail`, `warn`, `skip` or `error`.
    pub verdict: Verdict,
    /// One line naming the rule and what the broker does instead.
    pub reason: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    #[serde(default)]
    pub target: Option<String>,
    pub deviations: Vec<Expectation>,
}

#[derive(Debug, thiserror::Error)]
pub enum ExpectationsError {
    #[error("{path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: String,
        line: u64,
        column: u64,
        message: String,
    },
}

/// How a run compares with its expectations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// A result that is not a pass and is not listed.
    Unexpected {
        scenario: String,
        version: String,
        verdict: Verdict,
    },
    /// A listed result that came out differently (a pass, usually).
    Different {
        scenario: String,
        version: String,
        expected: Verdict,
        actual: Verdict,
    },
    /// An entry that matches no result of the run.
    Stale { scenario: String },
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unexpected {
                scenario,
                version,
                verdict,
            } => write!(f, "unexpected {}: {scenario} [{version}]", verdict.as_str()),
            Self::Different {
                scenario,
                version,
                expected,
                actual,
            } => write!(
                f,
                "{scenario} [{version}] is now {} (expected {}); update the expectations file",
                actual.as_str(),
                expected.as_str()
            ),
            Self::Stale { scenario } => {
                write!(
                    f,
                    "stale expectation: {scenario} matches no scenario of this run"
                )
            }
        }
    }
}

impl Expectations {
    pub fn load(path: &Path) -> Result<Self, ExpectationsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ExpectationsError::Read {
            path: shown.clone(),
            source,
        })?;
        serde_saphyr::from_str(&text).map_err(|error| {
            let (line, column) = error
                .location()
                .map(|at| (at.line(), at.column()))
                .unwrap_or((1, 1));
            ExpectationsError::Parse {
                path: shown,
                line,
                column,
                message: error.to_string(),
            }
        })
    }

    fn entry_for(&self, result: &ScenarioResult) -> Option<&Expectation> {
        self.deviations.iter().find(|e| {
            e.scenario == result.id && e.version.is_none_or(|v| v.as_str() == result.version)
        })
    }

    /// Compares `results` with the expectations; empty means they match.
    /// `warn` and `skip` results need no entry (they do not break a MUST);
    /// an entry for them is still honoured. `scenario_ids` are all the
    /// scenarios loaded, run or filtered out: an entry naming none of them is
    /// stale, while an entry for a scenario this run filtered out is not.
    pub fn compare(&self, results: &[ScenarioResult], scenario_ids: &[&str]) -> Vec<Mismatch> {
        let mut mismatches = Vec::new();
        for result in results {
            match self.entry_for(result) {
                Some(entry) if entry.verdict == result.verdict => {}
                Some(entry) => mismatches.push(Mismatch::Different {
                    scenario: result.id.clone(),
                    version: result.version.clone(),
                    expected: entry.verdict,
                    actual: result.verdict,
                }),
                None if matches!(result.verdict, Verdict::Fail | Verdict::Error) => mismatches
                    .push(Mismatch::Unexpected {
                        scenario: result.id.clone(),
                        version: result.version.clone(),
                        verdict: result.verdict,
                    }),
                None => {}
            }
        }
        for entry in &self.deviations {
            if !scenario_ids.contains(&entry.scenario.as_str()) {
                mismatches.push(Mismatch::Stale {
                    scenario: entry.scenario.clone(),
                });
            }
        }
        mismatches
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &str, version: &str, verdict: Verdict) -> ScenarioResult {
        ScenarioResult {
            id: id.into(),
            title: String::new(),
            version: version.into(),
            file: String::new(),
            rules: vec![],
            verdict,
            reason: String::new(),
            failed_rule: None,
            failed_step: None,
            expected: None,
            observed: None,
            choices: vec![],
            scenario_time_ms: 0,
            wall_time_ms: 0,
            timeline: vec![],
        }
    }

    fn expectations(text: &str) -> Expectations {
        serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn listed_failures_match_and_unlisted_ones_do_not() {
        let e = expectations(
            "deviations:\n  - { scenario: a, version: \"5.0\", verdict: fail, reason: \"MQTT-3.1.3-9: ignores the delay\" }\n",
        );
        let ids = ["a", "b"];
        let ok = [
            result("a", "5.0", Verdict::Fail),
            result("a", "3.1.1", Verdict::Pass),
        ];
        assert_eq!(e.compare(&ok, &ids), vec![]);
        let bad = [
            result("a", "3.1.1", Verdict::Fail),
            result("b", "5.0", Verdict::Warn),
        ];
        assert_eq!(
            e.compare(&bad, &ids),
            vec![Mismatch::Unexpected {
                scenario: "a".into(),
                version: "3.1.1".into(),
                verdict: Verdict::Fail
            }]
        );
    }

    #[test]
    fn an_unexpected_pass_and_a_stale_entry_do_not_match() {
        let e = expectations(
            "deviations:\n  - { scenario: a, verdict: fail, reason: r }\n  - { scenario: gone, verdict: fail, reason: r }\n",
        );
        let mismatches = e.compare(&[result("a", "5.0", Verdict::Pass)], &["a"]);
        assert_eq!(mismatches.len(), 2, "{mismatches:?}");
        assert!(matches!(mismatches[0], Mismatch::Different { .. }));
        assert_eq!(
            mismatches[1],
            Mismatch::Stale {
                scenario: "gone".into()
            }
        );
    }
}
