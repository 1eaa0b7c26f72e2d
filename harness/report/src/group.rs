//! Orderings and groupings the renderings share, so JUnit, Markdown and
//! HTML list versions, rules and scenarios in the same order.

use std::cmp::Ordering;
use std::fmt::Write as _;

use crate::result::{Direction, RunReport, ScenarioResult, TimelineEntry, Verdict};

/// Compares strings treating runs of ASCII digits as numbers, so
/// `MQTT-3.1.2-9` sorts before `MQTT-3.1.2-10` and `3.1.1` before `5.0`.
/// Strings equal as numbers (`010` and `10`) fall back to byte order so the
/// order stays total.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    natural_only(a.as_bytes(), b.as_bytes()).then_with(|| a.cmp(b))
}

fn natural_only(mut a: &[u8], mut b: &[u8]) -> Ordering {
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let (na, ra) = split_digits(a);
                let (nb, rb) = split_digits(b);
                // Compare by magnitude without parsing (digit runs may be long):
                // strip leading zeros, then longer is larger, then lexically.
                let (ta, tb) = (trim_zeros(na), trim_zeros(nb));
                let ord = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
                if ord != Ordering::Equal {
                    return ord;
                }
                (a, b) = (ra, rb);
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                (a, b) = (&a[1..], &b[1..]);
            }
        }
    }
}

fn split_digits(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&c| c != b'0').unwrap_or(s.len());
    &s[start..]
}

/// The protocol versions present in `results`, in natural order.
pub fn versions(results: &[ScenarioResult]) -> Vec<&str> {
    let mut versions: Vec<&str> = results.iter().map(|r| r.version.as_str()).collect();
    versions.sort_by(|a, b| natural_cmp(a, b));
    versions.dedup();
    versions
}

/// Label for results that name no rule, so they still appear in by-rule views.
pub const NO_RULE: &str = "(no rule)";

/// One scenario under one rule: its result per version (indexes into
/// `RunReport::results`, aligned with the `versions` it was built for).
#[derive(Debug)]
pub struct RuleRow<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub by_version: Vec<Option<usize>>,
}

/// Results grouped by rule: rules in natural order, scenarios by id, one
/// column per entry of `versions`. A scenario checking three rules appears
/// under each of them, since readers come looking for a rule.
pub fn by_rule<'a>(report: &'a RunReport, versions: &[&str]) -> Vec<(&'a str, Vec<RuleRow<'a>>)> {
    let mut pairs: Vec<(&str, &str, usize)> = Vec::new();
    for (index, result) in report.results.iter().enumerate() {
        if result.rules.is_empty() {
            pairs.push((NO_RULE, &result.id, index));
        }
        for rule in &result.rules {
            pairs.push((rule, &result.id, index));
        }
    }
    // Stable sort keeps report order among equal keys, so a later duplicate
    // of (rule, id, version) overwrites an earlier one below.
    // Results without a rule go last: they are the exception.
    pairs.sort_by(|a, b| {
        (a.0 == NO_RULE)
            .cmp(&(b.0 == NO_RULE))
            .then_with(|| natural_cmp(a.0, b.0))
            .then_with(|| natural_cmp(a.1, b.1))
    });

    let mut groups: Vec<(&str, Vec<RuleRow>)> = Vec::new();
    for (rule, id, index) in pairs {
        if groups.last().is_none_or(|(r, _)| *r != rule) {
            groups.push((rule, Vec::new()));
        }
        let Some((_, rows)) = groups.last_mut() else {
            continue;
        };
        if rows.last().is_none_or(|row| row.id != id) {
            rows.push(RuleRow {
                id,
                title: &report.results[index].title,
                by_version: vec![None; versions.len()],
            });
        }
        let version = report.results[index].version.as_str();
        if let (Some(row), Some(column)) =
            (rows.last_mut(), versions.iter().position(|v| *v == version))
        {
            row.by_version[column] = Some(index);
        }
    }
    groups
}

/// Non-pass verdicts, most urgent first: the order of the Markdown sections.
pub const NOTEWORTHY: [Verdict; 4] = [Verdict::Fail, Verdict::Error, Verdict::Warn, Verdict::Skip];

/// `1.234 s` for durations of a second or more, `87 ms` below.
pub fn duration(ms: u64) -> String {
    if ms >= 1000 {
        format!("{}.{:03} s", ms / 1000, ms % 1000)
    } else {
        format!("{ms} ms")
    }
}

/// Seconds with millisecond precision, as JUnit's `time` attribute wants.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// The scenario file's folder (`triggers` for `triggers/keep-alive.yaml`),
/// with nested folders joined by dots; empty for a file at the top.
pub fn folder_of(file: &str) -> String {
    let file = file.replace('\\', "/");
    match file.rsplit_once('/') {
        Some((folder, _)) => folder
            .split('/')
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("."),
        None => String::new(),
    }
}

/// `device#0`: the name of one connection's lifeline or stream; `harness`
/// for events that belong to no client (step markers).
pub fn connection_label(entry: &TimelineEntry) -> String {
    if entry.client.is_empty() {
        String::from("harness")
    } else {
        format!("{}#{}", entry.client, entry.connection)
    }
}

/// Most bytes of one packet shown as hex in plain-text timelines; the pcap
/// and JSON always carry all of them.
const HEX_PREVIEW_BYTES: usize = 64;

/// The timeline as aligned plain text, one line per entry plus a hex line
/// per packet: for JUnit bodies, which CI tools show in a monospace font.
pub fn timeline_text(timeline: &[TimelineEntry]) -> String {
    let width = timeline
        .iter()
        .map(|e| connection_label(e).chars().count())
        .max()
        .unwrap_or(0);
    let time_width = timeline
        .iter()
        .map(|e| e.at_ms.to_string().len())
        .max()
        .unwrap_or(1);
    let mut out = String::new();
    for entry in timeline {
        let arrow = match entry.direction {
            Direction::Sent => "->",
            Direction::Received => "<-",
            Direction::Event => "--",
        };
        let _ = writeln!(
            out,
            "{:>time_width$} ms  {:<width$}  {arrow} {}",
            entry.at_ms,
            connection_label(entry),
            entry.summary
        );
        if !entry.hex.is_empty() {
            let bytes = entry.hex.len() / 2;
            let shown = entry.hex.len().min(HEX_PREVIEW_BYTES * 2);
            let spaced: Vec<&str> = (0..shown)
                .step_by(2)
                .filter_map(|i| entry.hex.get(i..(i + 2).min(shown)))
                .collect();
            let more = if bytes > HEX_PREVIEW_BYTES {
                format!(" ... ({bytes} bytes)")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{:>time_width$}     {:<width$}     {}{more}",
                "",
                "",
                spaced.join(" ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_of_rules_and_versions() {
        let mut rules = vec![
            "MQTT-3.1.2-10",
            "MQTT-3.1.2-9",
            "MQTT-3.1.2-010",
            "MQTT-3.1.1-1",
        ];
        rules.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            rules,
            [
                "MQTT-3.1.1-1",
                "MQTT-3.1.2-9",
                "MQTT-3.1.2-010",
                "MQTT-3.1.2-10"
            ]
        );
        assert_eq!(natural_cmp("3.1.1", "5.0"), Ordering::Less);
        assert_eq!(natural_cmp("5.0", "5.0"), Ordering::Equal);
    }

    #[test]
    fn folders() {
        assert_eq!(folder_of("triggers/keep-alive.yaml"), "triggers");
        assert_eq!(folder_of("a/b/c.yaml"), "a.b");
        assert_eq!(folder_of("c.yaml"), "");
    }

    #[test]
    fn durations() {
        assert_eq!(duration(87), "87 ms");
        assert_eq!(duration(1234), "1.234 s");
        assert_eq!(seconds(5), "0.005");
    }
}
