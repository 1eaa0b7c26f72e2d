//! What `lastwill matrix` writes besides the runs themselves: each
//! target's report directory, `matrix.md` / `matrix.html`, the README with
//! the date, versions, machine and command, and the table printed at the end.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use lastwill_report::{write_atomic, Matrix, MatrixPage, RunReport};

use super::{dir_name, MatrixArgs, TargetOutcome};

/// One line on how a target's results compare with its expectations.
pub(super) fn note(outcome: &TargetOutcome) -> String {
    let file = outcome
        .profile
        .expectations_path()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "no expectations file".into());
    let mismatched: usize = outcome.mismatches.first().map_or(0, Vec::len);
    let mut note = if mismatched == 0 {
        format!("matches {file}")
    } else {
        format!("{mismatched} mismatch(es) with {file}")
    };
    if outcome.reports.len() > 1 {
        if outcome.flips.is_empty() {
            let _ = write!(note, "; {} runs, identical verdicts", outcome.reports.len());
        } else {
            let _ = write!(
                note,
                "; {} runs, {} verdict change(s)",
                outcome.reports.len(),
                outcome.flips.len()
            );
        }
    }
    note
}

pub(super) fn preamble(started_at: &str, outcomes: &[TargetOutcome], runs: usize) -> Vec<String> {
    let mut lines = vec![format!(
        "Generated {started_at} by lastwill {} (`lastwill matrix`); machine: {}.",
        env!("CARGO_PKG_VERSION"),
        machine()
    )];
    if runs > 1 {
        let stable = outcomes
            .iter()
            .all(|o| o.flips.is_empty() && o.error.is_none());
        lines.push(format!(
            "Stability: every suite ran {runs} times; {}.",
            if stable {
                "every verdict was identical in every run".to_owned()
            } else {
                let flips: usize = outcomes.iter().map(|o| o.flips.len()).sum();
                format!("{flips} verdict change(s) between runs (see README.md)")
            }
        ));
    }
    lines
}

/// The OS, architecture and core count, for the README.
pub(super) fn machine() -> String {
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                .map(|v| v.trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{os}, {}, {cores} cores", std::env::consts::ARCH)
}

/// Writes each report's directory (report.json, summary.md, report.html;
/// the broker's log and config are already there when the run wrote it)
/// and matrix.md / matrix.html linking to them.
pub(in crate::cli) fn publish(
    dir: &Path,
    reports: &[RunReport],
    notes: &[String],
    preamble: &[String],
) -> anyhow::Result<()> {
    let mut links = Vec::new();
    for report in reports {
        let name = dir_name(&report.target.name);
        let target_dir = dir.join(&name);
        std::fs::create_dir_all(&target_dir)
            .with_context(|| format!("creating {}", target_dir.display()))?;
        let write = |file: &str, contents: String| -> anyhow::Result<()> {
            let path = target_dir.join(file);
            write_atomic(&path, contents.as_bytes())
                .with_context(|| format!("writing {}", path.display()))
        };
        write("summary.md", lastwill_report::to_markdown(report))?;
        write("report.html", lastwill_report::to_html(report))?;
        write("report.json", lastwill_report::to_json(report))?;
        links.push(Some(format!("{name}/report.html")));
    }
    let matrix = Matrix::new(reports);
    let page = MatrixPage {
        matrix: &matrix,
        report_links: links,
        notes: notes.to_vec(),
        preamble: preamble.to_vec(),
    };
    for (file, contents) in [("matrix.md", page.markdown()), ("matrix.html", page.html())] {
        let path = dir.join(file);
        write_atomic(&path, contents.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

pub(super) fn print_table(outcomes: &[TargetOutcome]) {
    println!(
        "{:<12} {:<34} {:>5} {:>5} {:>5} {:>5} {:>5}  expectations",
        "target", "broker", "pass", "fail", "warn", "skip", "error"
    );
    for outcome in outcomes {
        let Some(report) = outcome.reports.first() else {
            println!("{:<12} not run", outcome.profile.name());
            continue;
        };
        let c = report.counts();
        println!(
            "{:<12} {:<34} {:>5} {:>5} {:>5} {:>5} {:>5}  {}",
            outcome.profile.name(),
            report.target.broker.as_deref().unwrap_or("?"),
            c.pass,
            c.fail,
            c.warn,
            c.skip,
            c.error,
            note(outcome)
        );
    }
}

/// reports/README.md: what was run, where, when, and how to run it again.
pub(super) fn write_readme(
    args: &MatrixArgs,
    started_at: &str,
    outcomes: &[TargetOutcome],
) -> anyhow::Result<()> {
    let mut out = String::from("# Published reports\n\n");
    let command: Vec<String> = std::env::args().skip(1).collect();
    let _ = writeln!(
        out,
        "Generated by `lastwill {}` (lastwill {}), started {started_at}, on {}. \
         Nothing here is edited by hand: run the same command to regenerate it.\n",
        command.join(" "),
        env!("CARGO_PKG_VERSION"),
        machine()
    );
    out.push_str("- [matrix.md](matrix.md) / [matrix.html](matrix.html): targets × scenario runs, grouped by rule; each cell links to its evidence.\n");
    out.push_str("- one directory per target: `report.json` (the source of truth), `summary.md`, `report.html` (sequence diagrams), `broker.log` and the broker's generated config.\n");
    if args.out.join("performance.md").is_file() {
        out.push_str("- [performance.md](performance.md): load and timing measurements (`lastwill bench`).\n");
    }
    if args.out.join("hardening.md").is_file() {
        out.push_str("- [hardening.md](hardening.md): the reference broker under hostile clients, and the soak (`lastwill bench hostile`, `lastwill bench soak`).\n");
    }
    if args.out.join("fuzz-live").is_dir() {
        out.push_str("- [fuzz-live/](fuzz-live/): `lastwill fuzz` campaigns against launched brokers (`fuzz-live/NAME/fuzz-report.md`, findings as scenario files).\n");
    }
    out.push_str("\n| target | broker | pass | fail | warn | skip | error | expectations |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n");
    for outcome in outcomes {
        let Some(report) = outcome.reports.first() else {
            let _ = writeln!(
                out,
                "| {} | not run: {} | | | | | | |",
                outcome.profile.name(),
                outcome.error.as_deref().unwrap_or("?").replace('\n', " ")
            );
            continue;
        };
        let c = report.counts();
        let _ = writeln!(
            out,
            "| [{name}]({dir}/summary.md) | {} | {} | {} | {} | {} | {} | {} |",
            report.target.broker.as_deref().unwrap_or("?"),
            c.pass,
            c.fail,
            c.warn,
            c.skip,
            c.error,
            note(outcome),
            name = outcome.profile.name(),
            dir = dir_name(outcome.profile.name()),
        );
    }
    out.push_str("\nEach target is started from its profile `targets/NAME.yaml` and compared with `targets/NAME.expectations.yaml`, whose entries each give the rule broken and a one-line reason.\n");
    let _ = writeln!(out, "\n## Stability\n");
    if args.runs > 1 {
        let _ = writeln!(
            out,
            "Every target's suite ran {} times in this invocation, the targets concurrently; the first run is the one published.\n",
            args.runs
        );
        out.push_str("| target | run | pass | fail | warn | skip | error | verdicts as run 1 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
        for outcome in outcomes {
            for (i, report) in outcome.reports.iter().enumerate() {
                let c = report.counts();
                let flips = outcome.flips.iter().filter(|f| f.0 == i + 1).count();
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} | {} |",
                    outcome.profile.name(),
                    i + 1,
                    c.pass,
                    c.fail,
                    c.warn,
                    c.skip,
                    c.error,
                    if i == 0 {
                        "–".to_owned()
                    } else if flips == 0 {
                        "identical".to_owned()
                    } else {
                        format!("{flips} differ")
                    }
                );
            }
        }
        for outcome in outcomes {
            for (run, id, version, first, this) in &outcome.flips {
                let _ = writeln!(
                    out,
                    "\n- {}: {id} [{version}] was {} in run 1, {} in run {run}",
                    outcome.profile.name(),
                    first.as_str(),
                    this.as_str()
                );
            }
        }
    } else {
        out.push_str(
            "One run per target; `--runs 3` checks that verdicts are identical across runs.\n",
        );
    }
    let path = args.out.join("README.md");
    write_atomic(&path, out.as_bytes()).with_context(|| format!("writing {}", path.display()))
}
