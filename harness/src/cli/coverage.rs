//! `lastwill coverage`: each catalogue row with the scenarios that check it,
//! and why a row is left uncovered.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use lastwill::catalogue::{coverage_counts, Catalogue};

#[derive(Debug, Args)]
pub struct CoverageArgs {
    /// Directory of scenario files.
    #[arg(long, value_name = "DIR", default_value = "scenarios")]
    scenarios: PathBuf,
    /// Show only rows no scenario covers.
    #[arg(long)]
    uncovered: bool,
}

pub fn run(args: CoverageArgs) -> anyhow::Result<ExitCode> {
    let scenarios = super::load_scenarios(&args.scenarios)?;
    let catalogue = Catalogue::get();
    let rows = catalogue.coverage(&scenarios);
    for row in &rows {
        if args.uncovered && !row.scenarios.is_empty() {
            continue;
        }
        let rule = row.rule;
        let ids = rule.ids.join(" ");
        let status = if row.scenarios.is_empty() {
            match (&rule.uncovered, rule.wire) {
                (Some(reason), false) => format!("not on the wire: {reason}"),
                (Some(reason), true) => format!("uncovered: {reason}"),
                (None, _) => "UNCOVERED (no reason recorded)".to_owned(),
            }
        } else {
            row.scenarios.join(", ")
        };
        println!(
            "{:<4} {:<5} {:<13} {:<40} {status}",
            rule.row,
            rule.version.as_str(),
            rule.kind,
            ids
        );
    }
    println!();
    for (version, (covered, total)) in coverage_counts(&rows) {
        println!("{version}: {covered} of {total} catalogue rows covered by a scenario");
    }
    Ok(ExitCode::SUCCESS)
}
