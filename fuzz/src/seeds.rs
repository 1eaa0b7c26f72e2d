//! Seed corpora from the scenario suite's own traffic.
//!
//! Every packet the suite sends or receives, well-formed or deliberately
//! malformed (`send_raw`), is a realistic starting point for the decode
//! targets: it reaches deep into CONNECT's will fields and the 5.0 property
//! tables at once, where random bytes take the fuzzer minutes to get. The
//! packets come from a `lastwill run` report (`report.json` keeps each
//! packet's exact bytes), so the corpus follows the scenarios as they grow;
//! `just fuzz-seeds` regenerates it.
//!
//! `roundtrip` and `broker_core` read their input through `arbitrary`, whose
//! byte layout has no relation to wire bytes, so they get no seeds here:
//! their corpora grow from the campaigns.

use std::collections::BTreeMap;

use lastwill_report::{Direction, RunReport};

/// The seed directory of a protocol version's packets. `decode_v311` and
/// `mqttbytes_v311` read `seeds/v311`, the 5.0 targets `seeds/v5`, and
/// `differential_mqttbytes` (which decodes every input as both versions)
/// reads both; `fuzz/campaign.sh` knows the mapping.
pub fn seed_dir(version: &str) -> Option<&'static str> {
    match version {
        "3.1.1" => Some("v311"),
        "5.0" => Some("v5"),
        _ => None,
    }
}

/// The distinct packets of a run, by seed directory and then by file name
/// (`{packet kind}-{hash of the bytes}`, so a regeneration rewrites the
/// same names and `git diff` shows only real changes).
pub fn collect(report: &RunReport) -> BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> {
    let mut corpora: BTreeMap<&'static str, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for result in &report.results {
        for entry in &result.timeline {
            if entry.direction == Direction::Event || entry.hex.is_empty() {
                continue;
            }
            let Some(bytes) = unhex(&entry.hex) else {
                continue;
            };
            let name = format!("{}-{:016x}", kind(&entry.summary), fnv1a(&bytes));
            if let Some(dir) = seed_dir(&result.version) {
                corpora.entry(dir).or_default().insert(name, bytes);
            }
        }
    }
    corpora
}

/// The packet kind from a timeline summary (`PUBLISH topic=...` → `publish`,
/// `raw 10 ff` → `raw`), for readable file names.
fn kind(summary: &str) -> String {
    let word: String = summary
        .split_whitespace()
        .next()
        .unwrap_or("packet")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    if word.is_empty() {
        "packet".to_owned()
    } else {
        word.to_ascii_lowercase()
    }
}

fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// FNV-1a, 64 bits: a stable name for a byte string without a hashing crate.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lastwill_report::{ScenarioResult, TimelineEntry};

    fn entry(direction: Direction, summary: &str, hex: &str) -> TimelineEntry {
        TimelineEntry {
            at_ms: 0,
            client: "device".into(),
            connection: 0,
            direction,
            summary: summary.into(),
            hex: hex.into(),
            transport: None,
        }
    }

    #[test]
    fn packets_seed_their_versions_targets_once_each_and_events_seed_nothing() {
        // The report crate's JSON golden file, after its insta header.
        let snapshot = include_str!("../../harness/report/tests/snapshots/snapshots__json.snap");
        let json = snapshot.splitn(3, "---\n").nth(2).expect("insta header");
        let mut report = lastwill_report::from_json(json).expect("fixture parses");
        let template: ScenarioResult = report.results[0].clone();
        let mut v5 = template.clone();
        v5.version = "5.0".into();
        v5.timeline = vec![
            entry(Direction::Sent, "PINGREQ", "c000"),
            entry(Direction::Received, "PINGRESP", "d000"),
            entry(Direction::Sent, "PINGREQ", "c000"),
            entry(Direction::Event, "closed by the broker", ""),
            entry(Direction::Sent, "raw bad", "c0f"),
        ];
        report.results = vec![v5];
        let corpora = collect(&report);
        assert_eq!(corpora.keys().copied().collect::<Vec<_>>(), ["v5"]);
        let decode = &corpora["v5"];
        assert_eq!(decode.len(), 2, "{decode:?}");
        assert!(decode.keys().any(|name| name.starts_with("pingreq-")));
        assert!(decode.values().any(|bytes| bytes == &[0xd0, 0x00]));
    }
}
