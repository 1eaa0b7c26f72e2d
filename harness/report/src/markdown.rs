//! A Markdown summary sized for a GitHub step summary (`$GITHUB_STEP_SUMMARY`)
//! or a merge-request comment: the header and counts first, then only what
//! needs attention, then every result by rule for someone checking one rule.

use std::fmt::Write as _;

use crate::escape::markdown_cell as cell;
use crate::group::{by_rule, duration, versions, NOTEWORTHY};
use crate::result::{RunReport, ScenarioResult, Verdict};

/// A verdict as an icon and its word: the icon for scanning a long table,
/// the word for readers and tools that drop emoji.
pub(crate) fn badge(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅ pass",
        Verdict::Fail => "❌ fail",
        Verdict::Warn => "⚠️ warn",
        Verdict::Skip => "⏭️ skip",
        Verdict::Error => "💥 error",
    }
}

fn section_title(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Fail => "❌ Failures: MUSTs broken",
        Verdict::Error => "💥 Errors: the harness could not run these",
        Verdict::Warn => "⚠️ Warnings: SHOULDs broken or allowed variations",
        Verdict::Skip => "⏭️ Skipped: capability missing",
        Verdict::Pass => "✅ Passed",
    }
}

/// The whole summary. Deterministic: it holds no time but the report's own.
pub fn to_markdown(report: &RunReport) -> String {
    let mut out = String::new();
    header(&mut out, report);
    for verdict in NOTEWORTHY {
        let results: Vec<&ScenarioResult> = report
            .results
            .iter()
            .filter(|r| r.verdict == verdict)
            .collect();
        if !results.is_empty() {
            noteworthy(&mut out, verdict, &results);
        }
    }
    results_by_rule(&mut out, report);
    out
}

fn header(out: &mut String, report: &RunReport) {
    let target = &report.target;
    let _ = writeln!(out, "# lastwill: {}\n", cell(&target.name));
    let mut facts = vec![format!("**Target** {}", cell(&target.address))];
    if let Some(broker) = &target.broker {
        facts.push(format!("**Broker** {}", cell(broker)));
    }
    facts.push(format!(
        "**Time** {}",
        if target.virtual_time {
            "virtual"
        } else {
            "real"
        }
    ));
    if !target.faults.is_empty() {
        facts.push(format!(
            "**Faults injected** {}",
            cell(&target.faults.join(", "))
        ));
    }
    let _ = writeln!(out, "{}  ", facts.join(" · "));
    let _ = writeln!(
        out,
        "**Started** {} · **Duration** {} · **lastwill** {}\n",
        cell(&report.started_at),
        duration(report.wall_time_ms),
        cell(&report.tool_version)
    );
    if report.partial {
        out.push_str("> [!WARNING]\n> Partial run: it was interrupted, and only the results that finished are listed.\n\n");
    }
    let c = report.counts();
    out.push_str("| total | ✅ pass | ❌ fail | ⚠️ warn | ⏭️ skip | 💥 error |\n");
    out.push_str("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        report.results.len(),
        c.pass,
        c.fail,
        c.warn,
        c.skip,
        c.error
    );
}

fn noteworthy(out: &mut String, verdict: Verdict, results: &[&ScenarioResult]) {
    let _ = writeln!(out, "## {} ({})\n", section_title(verdict), results.len());
    out.push_str("| scenario | version | rule | reason |\n| --- | --- | --- | --- |\n");
    for result in results {
        let rule = result
            .failed_rule
            .clone()
            .unwrap_or_else(|| result.rules.join(", "));
        let mut reason = result.reason.clone();
        // Expected/observed make a failure understandable without the HTML.
        if let (Some(expected), Some(observed)) = (&result.expected, &result.observed) {
            reason = format!("{reason}\nexpected: {expected}\nobserved: {observed}");
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(&result.id),
            cell(&result.version),
            cell(&rule),
            cell(&reason)
        );
    }
    out.push('\n');
}

/// Rule → scenario → verdict per version; the rule is written once per
/// group so the table stays compact.
fn results_by_rule(out: &mut String, report: &RunReport) {
    let versions = versions(&report.results);
    out.push_str("## Results by rule\n\n");
    if report.results.is_empty() {
        out.push_str("No results.\n");
        return;
    }
    let _ = write!(out, "| rule | scenario |");
    for version in &versions {
        let _ = write!(out, " {} |", cell(version));
    }
    out.push_str("\n| --- | --- |");
    out.push_str(&" --- |".repeat(versions.len()));
    out.push('\n');
    for (rule, rows) in by_rule(report, &versions) {
        for (i, row) in rows.iter().enumerate() {
            let rule_cell = if i == 0 { cell(rule) } else { String::new() };
            let _ = write!(out, "| {rule_cell} | {} |", cell(row.id));
            for index in &row.by_version {
                let verdict = index.map_or("–", |i| badge(report.results[i].verdict));
                let _ = write!(out, " {verdict} |");
            }
            out.push('\n');
        }
    }
}
