//! The catalogue of Will-related normative statements: the suite's coverage
//! target and the vocabulary scenario files cite. Loaded from `rules.yaml`,
//! compiled into the binary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::scenario::{LoadedScenario, Version};

/// One row of the catalogue: a statement of one protocol version.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `A1` … `A38` (3.1.1), `B1` … `B73` (5.0).
    pub row: String,
    pub version: Version,
    /// The numbered IDs the row carries, or its row name when the statement
    /// is unnumbered.
    pub ids: Vec<String>,
    /// MUST / MUST NOT / SHOULD / MAY / text / NN.
    pub kind: String,
    pub section: String,
    /// False for statements no test on the wire can observe.
    #[serde(default = "yes")]
    pub wire: bool,
    /// Why the row is not covered by a scenario, when it is not.
    #[serde(default)]
    pub uncovered: Option<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug)]
pub struct Catalogue {
    rules: Vec<Rule>,
}

/// Rule IDs scenarios may cite that are not Will statements themselves but
/// that a will scenario rests on (the packet that provokes a server close).
const SUPPORTING: &[(Version, &str)] = &[
    (Version::V3_1_1, "MQTT-3.3.1-4"),
    (Version::V5, "MQTT-3.3.1-4"),
    (Version::V3_1_1, "MQTT-2.2.2-2"),
    (Version::V5, "MQTT-2.1.3-1"),
];

impl Catalogue {
    /// The catalogue compiled into this binary.
    pub fn get() -> &'static Catalogue {
        static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
        CATALOGUE.get_or_init(|| {
            let rules: Vec<Rule> = match serde_saphyr::from_str(include_str!("rules.yaml")) {
                Ok(rules) => rules,
                // A broken catalogue is a build defect, caught by the tests below.
                Err(error) => panic!("harness/src/catalogue/rules.yaml: {error}"),
            };
            Catalogue { rules }
        })
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// Whether `id` names a statement of `version` that scenarios may cite.
    pub fn knows(&self, version: Version, id: &str) -> bool {
        SUPPORTING.contains(&(version, id))
            || self
                .rules
                .iter()
                .any(|rule| rule.version == version && rule.ids.iter().any(|i| i == id))
    }

    /// For each row, the scenarios that cite one of its IDs under its version.
    pub fn coverage<'a>(&'a self, scenarios: &'a [LoadedScenario]) -> Vec<RowCoverage<'a>> {
        self.rules
            .iter()
            .map(|rule| {
                let scenarios = scenarios
                    .iter()
                    .filter(|s| {
                        s.scenario
                            .rules
                            .get(&rule.version)
                            .is_some_and(|cited| cited.iter().any(|id| rule.ids.contains(id)))
                    })
                    .map(|s| s.scenario.id.as_str())
                    .collect();
                RowCoverage { rule, scenarios }
            })
            .collect()
    }
}

#[derive(Debug)]
pub struct RowCoverage<'a> {
    pub rule: &'a Rule,
    pub scenarios: Vec<&'a str>,
}

/// Covered / total rows per version.
pub fn coverage_counts(rows: &[RowCoverage<'_>]) -> BTreeMap<Version, (usize, usize)> {
    let mut counts = BTreeMap::new();
    for row in rows {
        let entry = counts.entry(row.rule.version).or_insert((0, 0));
        entry.1 += 1;
        if !row.scenarios.is_empty() {
            entry.0 += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_parses_and_lists_every_row() {
        let catalogue = Catalogue::get();
        let count = |v| catalogue.rules().iter().filter(|r| r.version == v).count();
        assert_eq!(count(Version::V3_1_1), 38);
        assert_eq!(count(Version::V5), 73);
    }

    #[test]
    fn ids_are_known_only_in_their_version() {
        let catalogue = Catalogue::get();
        assert!(catalogue.knows(Version::V3_1_1, "MQTT-3.1.2-24"));
        assert!(catalogue.knows(Version::V5, "MQTT-3.1.2-22"));
        assert!(catalogue.knows(Version::V5, "MQTT-3.1.3-9"));
        assert!(!catalogue.knows(Version::V3_1_1, "MQTT-3.1.3-9"));
        assert!(catalogue.knows(Version::V5, "B7"));
        assert!(!catalogue.knows(Version::V5, "MQTT-9.9.9-9"));
    }

    #[test]
    fn rows_not_on_the_wire_say_why() {
        for rule in Catalogue::get().rules() {
            if !rule.wire {
                assert!(rule.uncovered.is_some(), "{} has no reason", rule.row);
            }
        }
    }
}
