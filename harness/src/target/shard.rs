//! `--shard K/N`: one of N deterministic parts of a run, so a CI system can
//! run the parts as separate jobs and merge their JSON reports
//! (`lastwill report merge`).
//!
//! The unit is a scenario run (scenario id, protocol version), since the
//! two versions of one scenario are independent runs. All runs the
//! selection would make are sorted by id, then version, and dealt out
//! round-robin: run `i` of the sorted list goes to shard `i mod N + 1`. The
//! split depends only on the selected scenarios' ids and versions (not on
//! file order, time or the machine), and shard sizes differ by at most one.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::scenario::{LoadedScenario, Version};

/// Shard `index` (1-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("`{text}` is not a shard; write K/N with 1 <= K <= N, e.g. 2/4");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Every run the selection makes under `versions` (empty: all), sorted.
pub fn all_runs(scenarios: &[LoadedScenario], versions: &[Version]) -> Vec<(String, Version)> {
    let mut runs: Vec<(String, Version)> = scenarios
        .iter()
        .flat_map(|s| {
            s.scenario
                .rules
                .keys()
                .filter(|v| versions.is_empty() || versions.contains(v))
                .map(|v| (s.scenario.id.clone(), *v))
        })
        .collect();
    runs.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.as_str().cmp(b.1.as_str())));
    runs
}

impl Shard {
    /// The runs of this shard, as (scenario id, version).
    pub fn runs(
        &self,
        scenarios: &[LoadedScenario],
        versions: &[Version],
    ) -> Vec<(String, Version)> {
        all_runs(scenarios, versions)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| i % self.count == self.index - 1)
            .map(|(_, run)| run)
            .collect()
    }

    /// The scenarios of this shard, each keeping only the versions it runs
    /// under here (a scenario none of whose runs fall here is dropped).
    pub fn apply(
        &self,
        scenarios: Vec<LoadedScenario>,
        versions: &[Version],
    ) -> Vec<LoadedScenario> {
        let mine: BTreeSet<(String, Version)> =
            self.runs(&scenarios, versions).into_iter().collect();
        scenarios
            .into_iter()
            .filter_map(|mut s| {
                let id = s.scenario.id.clone();
                s.scenario
                    .rules
                    .retain(|v, _| mine.contains(&(id.clone(), *v)));
                (!s.scenario.rules.is_empty()).then_some(s)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_or_say_why_not() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        assert_eq!(
            "1/1".parse::<Shard>().map(|s| s.to_string()),
            Ok("1/1".into())
        );
        for bad in ["0/3", "4/3", "1/0", "3", "a/b", "1/2/3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
