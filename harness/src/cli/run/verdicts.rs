//! How a `lastwill run` ends: the verdict counts printed, a note when the
//! expectations file names another broker version, and the exit code.

use std::process::ExitCode;

use lastwill::expectations::{Expectations, Mismatch};
use lastwill_report::{RunReport, ScenarioResult, Verdict};

/// An expectations file written for another broker version still applies,
/// but says so.
pub(in crate::cli) fn note_version_mismatch(
    expectations: Option<&Expectations>,
    report: &RunReport,
) {
    if let (Some(Some(expected)), Some(actual)) = (
        expectations.map(|e| e.target.as_ref()),
        report.target.broker.as_ref(),
    ) {
        if expected != actual {
            println!(
                "note: the expectations file was written for {expected}; this broker is {actual}"
            );
        }
    }
}

pub(super) fn print_summary(report: &RunReport) {
    let counts = report.counts();
    let protocol_ms: u64 = report.results.iter().map(|r| r.scenario_time_ms).sum();
    let longest = report
        .results
        .iter()
        .map(|r| r.scenario_time_ms)
        .max()
        .unwrap_or(0);
    println!();
    if report.partial {
        println!("interrupted: the results below cover only the scenarios that finished");
    }
    println!(
        "{} scenario runs against {} in {:.2} s wall time; {:.1} s of protocol time in all, longest scenario {:.1} s{}",
        report.results.len(),
        report.target.name,
        report.wall_time_ms as f64 / 1000.0,
        protocol_ms as f64 / 1000.0,
        longest as f64 / 1000.0,
        if report.target.virtual_time { " (virtual time)" } else { "" },
    );
    if counts.warn + counts.error > 0 {
        println!("{} warned, {} errors", counts.warn, counts.error);
    }
    // The plain closing line CI readers look for.
    println!(
        "lastwill: {} passed, {} failed, {} skipped",
        counts.pass + counts.warn,
        counts.fail + counts.error,
        counts.skip
    );
}

/// 0: the results match (no fail or error, or exactly the expected ones).
/// 1: an unexpected failure, an unexpected pass or a stale expectation.
/// 2: a scenario the harness could not run (`error`): an infrastructure
/// problem such as a broker that refuses connections, not a verdict.
pub(in crate::cli) fn exit_code(
    results: &[ScenarioResult],
    expectations: Option<&Expectations>,
    ids: &[&str],
) -> ExitCode {
    let mismatches = match expectations {
        Some(expectations) => expectations.compare(results, ids),
        None => Expectations::default().compare(results, ids),
    };
    if mismatches.is_empty() {
        if expectations.is_some() {
            println!("results match the expectations file");
        }
        return ExitCode::SUCCESS;
    }
    if expectations.is_some() {
        println!("results do not match the expectations file:");
        for mismatch in &mismatches {
            println!("  {mismatch}");
        }
    }
    let infrastructure = mismatches.iter().any(|m| {
        matches!(
            m,
            Mismatch::Unexpected {
                verdict: Verdict::Error,
                ..
            } | Mismatch::Different {
                actual: Verdict::Error,
                ..
            }
        )
    });
    if infrastructure {
        println!("some scenarios could not be run (verdict `error`): exit code 2");
        ExitCode::from(2)
    } else {
        ExitCode::from(1)
    }
}
