//! `lastwill report merge OUT.json IN.json...`: combines JSON reports (the
//! shards of one target's run, several targets, several versions of one
//! broker) so a CI system can run one job per broker or shard and publish
//! one result.
//!
//! Reports of the same target (name, address, faults and broker version)
//! are merged with the report crate's `try_merge`: one result per scenario
//! run, a later input replacing an earlier one. Two inputs of the same
//! target name with different broker versions stay apart, each named
//! `NAME (BROKER VERSION)`. OUT.json is the merged report when one target
//! remains, and a JSON array of reports otherwise (which `merge` reads
//! back as input). `--matrix DIR` also writes the published layout: one
//! directory per target and matrix.md / matrix.html.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use lastwill_report::{try_merge, write_atomic, RunReport};

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    command: ReportCommand,
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Merge JSON reports (shards, targets, broker versions) into one
    /// report, and optionally the matrix.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
struct MergeArgs {
    /// The merged report (a report, or an array of reports for several targets).
    #[arg(value_name = "OUT.json")]
    out: PathBuf,

    /// Reports to merge (report.json of `lastwill run`, or an earlier merge's output).
    #[arg(value_name = "IN.json", required = true)]
    inputs: Vec<PathBuf>,

    /// Also write per-target reports and matrix.md / matrix.html here.
    #[arg(long, value_name = "DIR")]
    matrix: Option<PathBuf>,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ReportCommand::Merge(merge) => run_merge(merge),
    }
}

fn run_merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let mut reports = Vec::new();
    for path in &args.inputs {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        reports.extend(parse(&text).with_context(|| format!("{}", path.display()))?);
    }
    let merged = merge_all(reports)?;
    let json = if let [one] = merged.as_slice() {
        lastwill_report::to_json(one)
    } else {
        let mut text = serde_json::to_string_pretty(&merged)?;
        text.push('\n');
        text
    };
    write_atomic(&args.out, json.as_bytes())
        .with_context(|| format!("writing {}", args.out.display()))?;
    for report in &merged {
        let c = report.counts();
        println!(
            "{}{}: {} scenario runs: {} pass, {} fail, {} warn, {} skip, {} error{}",
            report.target.name,
            report
                .target
                .broker
                .as_ref()
                .map(|b| format!(" ({b})"))
                .unwrap_or_default(),
            report.results.len(),
            c.pass,
            c.fail,
            c.warn,
            c.skip,
            c.error,
            if report.partial { " (partial)" } else { "" }
        );
    }
    println!(
        "merged {} input(s) into {}",
        args.inputs.len(),
        args.out.display()
    );
    if let Some(dir) = &args.matrix {
        let notes: Vec<String> = merged.iter().map(|_| String::new()).collect();
        let preamble = vec![format!(
            "Merged by lastwill {} (`lastwill report merge`) from {} report file(s).",
            env!("CARGO_PKG_VERSION"),
            args.inputs.len()
        )];
        super::matrix::publish(dir, &merged, &notes, &preamble)?;
        println!("matrix written to {}", dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// A report, or an array of reports.
fn parse(text: &str) -> anyhow::Result<Vec<RunReport>> {
    if text.trim_start().starts_with('[') {
        Ok(serde_json::from_str(text)?)
    } else {
        Ok(vec![lastwill_report::from_json(text)?])
    }
}

/// Groups by target (broker version included) in first-seen order and
/// merges each group; names shared by several broker versions get the
/// version appended.
fn merge_all(reports: Vec<RunReport>) -> anyhow::Result<Vec<RunReport>> {
    type Key = (String, String, Vec<String>, Option<String>);
    let key = |r: &RunReport| -> Key {
        (
            r.target.name.clone(),
            r.target.address.clone(),
            r.target.faults.clone(),
            r.target.broker.clone(),
        )
    };
    let mut groups: Vec<(Key, Vec<RunReport>)> = Vec::new();
    for report in reports {
        let k = key(&report);
        match groups.iter_mut().find(|(g, _)| *g == k) {
            Some((_, group)) => group.push(report),
            None => groups.push((k, vec![report])),
        }
    }
    let mut merged = Vec::new();
    for (_, group) in &groups {
        merged.push(try_merge(group.clone())?);
    }
    let names: Vec<String> = merged.iter().map(|r| r.target.name.clone()).collect();
    for report in &mut merged {
        let shared = names.iter().filter(|n| **n == report.target.name).count() > 1;
        if let (true, Some(broker)) = (shared, &report.target.broker) {
            report.target.name = format!("{} ({broker})", report.target.name);
        }
    }
    Ok(merged)
}
