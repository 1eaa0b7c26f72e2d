//! Combining shards of one target's run (CI jobs that each ran part of the
//! suite) into one report.

use std::fmt::Write as _;

use crate::error::ReportError;
use crate::result::{RunReport, ScenarioResult, TargetInfo, SCHEMA_VERSION};

/// Whether two reports ran against the same thing: same name, address and
/// injected faults (the broker's version string may be missing in one).
pub(crate) fn same_target(a: &TargetInfo, b: &TargetInfo) -> bool {
    a.name == b.name && a.address == b.address && a.faults == b.faults
}

/// Merges shards of one target's run: the union of their results, one per
/// (scenario id, version). When shards overlap, the one given later wins, so
/// appending a re-run of a flaky scenario replaces its earlier result; it
/// keeps the earlier one's place in the order. The merged run is partial if
/// any shard was, starts when the earliest shard started, and lasts until
/// the last one ended (the sum of durations if start times do not parse).
/// The target is the first shard's; [`try_merge`] checks they all agree.
/// With no shards the result is an empty report.
pub fn merge(reports: Vec<RunReport>) -> RunReport {
    let mut iter = reports.into_iter();
    let Some(mut merged) = iter.next() else {
        return RunReport {
            schema_version: SCHEMA_VERSION,
            tool_version: String::new(),
            target: TargetInfo {
                name: String::new(),
                address: String::new(),
                broker: None,
                virtual_time: false,
                faults: Vec::new(),
            },
            started_at: String::new(),
            wall_time_ms: 0,
            partial: false,
            results: Vec::new(),
        };
    };
    merged.schema_version = SCHEMA_VERSION;
    let mut span = span_of(&merged);
    let mut total_ms = merged.wall_time_ms;
    let mut results = Vec::new();
    dedup_into(&mut results, &mut merged.results);
    for mut shard in iter {
        merged.partial |= shard.partial;
        if merged.target.broker.is_none() {
            merged.target.broker.clone_from(&shard.target.broker);
        }
        total_ms += shard.wall_time_ms;
        span = match (span, span_of(&shard)) {
            (Some((s1, e1)), Some((s2, e2))) => {
                if s2 < s1 {
                    merged.started_at.clone_from(&shard.started_at);
                }
                Some((s1.min(s2), e1.max(e2)))
            }
            _ => None,
        };
        dedup_into(&mut results, &mut shard.results);
    }
    merged.wall_time_ms = match span {
        Some((start, end)) => u64::try_from(end - start).unwrap_or(total_ms),
        None => total_ms,
    };
    merged.results = results;
    merged
}

/// Like [`merge`], but refuses an empty list and shards of different targets.
pub fn try_merge(reports: Vec<RunReport>) -> Result<RunReport, ReportError> {
    let first = reports.first().ok_or(ReportError::NothingToMerge)?;
    if let Some(other) = reports
        .iter()
        .find(|r| !same_target(&first.target, &r.target))
    {
        return Err(ReportError::TargetMismatch {
            first: describe(&first.target),
            other: describe(&other.target),
        });
    }
    Ok(merge(reports))
}

fn describe(target: &TargetInfo) -> String {
    let mut s = format!("{} at {}", target.name, target.address);
    if !target.faults.is_empty() {
        let _ = write!(s, " with faults {}", target.faults.join(","));
    }
    s
}

/// Moves `new` into `into`, a later (id, version) replacing an earlier one.
fn dedup_into(into: &mut Vec<ScenarioResult>, new: &mut Vec<ScenarioResult>) {
    for result in new.drain(..) {
        match into
            .iter_mut()
            .find(|r| r.id == result.id && r.version == result.version)
        {
            Some(slot) => *slot = result,
            None => into.push(result),
        }
    }
}

/// The shard's (start, end) in milliseconds since the epoch, if its start parses.
fn span_of(report: &RunReport) -> Option<(i64, i64)> {
    let start = parse_rfc3339_ms(&report.started_at)?;
    Some((start, start + i64::try_from(report.wall_time_ms).ok()?))
}

/// Milliseconds since the Unix epoch for `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]`.
/// Strings cannot be compared as text once fractions vary in length.
fn parse_rfc3339_ms(s: &str) -> Option<i64> {
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = s.get(19..)?;
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            sign * (rest.get(1..3)?.parse::<i64>().ok()? * 60
                + rest.get(4..6)?.parse::<i64>().ok()?)
        }
        _ => return None,
    };
    // Days from 1970-01-01 in the proleptic Gregorian calendar, counting in
    // 400-year eras that start in March so leap days fall at era ends.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    Some(seconds * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::parse_rfc3339_ms;

    #[test]
    fn parses_rfc3339() {
        assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_rfc3339_ms("2000-03-01T00:00:00.5Z"),
            Some(951_868_800_500)
        );
        assert_eq!(
            parse_rfc3339_ms("2024-02-29T12:00:00+01:00"),
            Some(1_709_204_400_000)
        );
        assert_eq!(parse_rfc3339_ms("yesterday"), None);
    }
}
