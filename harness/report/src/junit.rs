//! JUnit XML for CI test reporters (GitLab, Jenkins, GitHub actions that
//! read JUnit). There is no single JUnit schema; this keeps to the subset
//! all of them read: `testsuites` > `testsuite` > `testcase` with
//! `failure`, `error`, `skipped` and `system-out` children.

use std::fmt::Write as _;

use crate::escape::{attr, text};
use crate::group::{folder_of, seconds, timeline_text, versions};
use crate::result::{RunReport, ScenarioResult, Verdict};

/// One `<testsuite>` per protocol version, so CI shows "3.1.1" and "5.0"
/// as separate suites and a scenario's two runs never collide by name.
pub fn to_junit(report: &RunReport) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let counts = report.counts();
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        attr(&format!("lastwill {}", report.target.name)),
        report.results.len(),
        counts.fail,
        counts.error,
        counts.skip,
        seconds(report.wall_time_ms),
    );
    for version in versions(&report.results) {
        let results: Vec<&ScenarioResult> = report
            .results
            .iter()
            .filter(|r| r.version == version)
            .collect();
        suite(&mut out, report, version, &results);
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite(out: &mut String, report: &RunReport, version: &str, results: &[&ScenarioResult]) {
    let count = |v: Verdict| results.iter().filter(|r| r.verdict == v).count();
    let time: u64 = results.iter().map(|r| r.wall_time_ms).sum();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\" timestamp=\"{}\">",
        attr(&format!("lastwill MQTT {version}")),
        results.len(),
        count(Verdict::Fail),
        count(Verdict::Error),
        count(Verdict::Skip),
        seconds(time),
        attr(&report.started_at),
    );
    properties(out, report);
    for result in results {
        testcase(out, result);
    }
    out.push_str("  </testsuite>\n");
}

/// Where the run happened, for anyone reading the raw XML later.
fn properties(out: &mut String, report: &RunReport) {
    let target = &report.target;
    let mut props = vec![
        ("target", target.name.clone()),
        ("address", target.address.clone()),
        ("tool_version", report.tool_version.clone()),
        ("virtual_time", target.virtual_time.to_string()),
        ("partial", report.partial.to_string()),
    ];
    if let Some(broker) = &target.broker {
        props.push(("broker", broker.clone()));
    }
    if !target.faults.is_empty() {
        props.push(("faults", target.faults.join(",")));
    }
    out.push_str("    <properties>\n");
    for (name, value) in props {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            attr(&value)
        );
    }
    out.push_str("    </properties>\n");
}

fn testcase(out: &mut String, result: &ScenarioResult) {
    let folder = folder_of(&result.file);
    let classname = if folder.is_empty() {
        format!("lastwill.{}", result.version)
    } else {
        format!("lastwill.{}.{folder}", result.version)
    };
    let open = format!(
        "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
        attr(&result.id),
        attr(&classname),
        seconds(result.wall_time_ms)
    );
    // The rule the verdict rests on is the most useful "type": CI tools
    // group failures by it.
    let rule = result
        .failed_rule
        .as_deref()
        .or(result.rules.first().map(String::as_str))
        .unwrap_or("unspecified");
    match result.verdict {
        Verdict::Pass => {
            let _ = writeln!(out, "{open}/>");
        }
        Verdict::Fail | Verdict::Error => {
            // An error is the harness's own trouble, not a rule's verdict.
            let (element, kind) = if result.verdict == Verdict::Fail {
                ("failure", rule)
            } else {
                ("error", "harness-error")
            };
            let _ = writeln!(
                out,
                "{open}>\n      <{element} message=\"{}\" type=\"{}\">{}</{element}>\n    </testcase>",
                attr(&result.reason),
                attr(kind),
                text(&details(result)),
            );
        }
        Verdict::Skip => {
            let _ = writeln!(
                out,
                "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                attr(&result.reason)
            );
        }
        Verdict::Warn => {
            // JUnit has no "passed with a warning": the case passes and the
            // warning goes where every reader shows captured output.
            let body = format!("WARNING ({rule}): {}\n\n{}", result.reason, details(result));
            let _ = writeln!(
                out,
                "{open}>\n      <system-out>{}</system-out>\n    </testcase>",
                text(&body)
            );
        }
    }
}

/// The body of a failure, error or warning: what was expected and seen,
/// the spec's allowed choices the broker made, and the packet timeline.
fn details(result: &ScenarioResult) -> String {
    let mut body = String::new();
    let _ = writeln!(body, "{} ({})", result.title, result.file);
    if !result.rules.is_empty() {
        let _ = writeln!(body, "rules: {}", result.rules.join(", "));
    }
    if let Some(step) = result.failed_step {
        let _ = writeln!(body, "step: {step}");
    }
    if let Some(expected) = &result.expected {
        let _ = writeln!(body, "expected: {expected}");
    }
    if let Some(observed) = &result.observed {
        let _ = writeln!(body, "observed: {observed}");
    }
    for choice in &result.choices {
        let _ = writeln!(body, "choice: {choice}");
    }
    if !result.timeline.is_empty() {
        let _ = writeln!(
            body,
            "\ntimeline (scenario time {} ms):",
            result.scenario_time_ms
        );
        body.push_str(&timeline_text(&result.timeline));
    }
    body
}
