//! The campaign report: `fuzz-report.json` (the record) and
//! `fuzz-report.md` (for people), both written atomically into the out dir.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Report schema version; bump on incompatible changes.
pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, Default, Serialize)]
pub struct CampaignReport {
    pub report_version: u32,
    /// `tcp://HOST:PORT`.
    pub broker: String,
    /// `reference`, `mosquitto`, or absent for a broker given by address.
    pub target: Option<String>,
    pub seed: u64,
    /// `3.1.1`, `5.0` or `both`.
    pub versions: String,
    pub duration_ms: u64,
    pub execs: u64,
    pub execs_per_sec: f64,
    /// Executions spent minimizing (included in `execs`).
    pub minimize_execs: u64,
    pub cases_by_kind: BTreeMap<String, u64>,
    /// Cases that could not run (watcher setup failed with the broker alive).
    pub infrastructure_errors: u64,
    pub corpus_size: usize,
    pub health_checks: u64,
    /// Ctrl-C ended the campaign early.
    pub interrupted: bool,
    pub findings: Vec<FindingReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct FindingReport {
    /// `F1`, `F2`, ... in order of discovery.
    pub id: String,
    /// `violation`, `crash` or `hang`.
    pub kind: String,
    /// The rule broken (violations); absent for crashes and hangs.
    pub rule: Option<String>,
    /// The oracle's check, e.g. `will-published-twice`.
    pub class: String,
    pub version: String,
    pub message: String,
    /// How many executions showed the same check failing.
    pub occurrences: u64,
    pub ops_found: usize,
    pub ops_minimized: usize,
    /// Whether minimization ran to the end within its budget.
    pub minimized: bool,
    /// Whether a re-run of the case showed the same check failing again
    /// (always true for crashes and hangs, which end the campaign).
    pub confirmed: bool,
    pub scenario: Option<PathBuf>,
    /// The minimized case's ops, and its packet timeline.
    pub case: Vec<String>,
    pub evidence: Vec<String>,
    /// Crash: the exit status of the launched broker.
    pub exit_status: Option<String>,
    /// Crash or hang: the end of the broker's log.
    pub log_tail: Option<String>,
}

impl CampaignReport {
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# lastwill fuzz campaign\n");
        let _ = writeln!(out, "| | |\n| --- | --- |");
        let _ = writeln!(
            out,
            "| broker | {} {} |",
            self.broker,
            self.target
                .as_deref()
                .map(|t| format!("({t})"))
                .unwrap_or_default()
        );
        let _ = writeln!(out, "| seed | {} |", self.seed);
        let _ = writeln!(out, "| versions | {} |", self.versions);
        let _ = writeln!(
            out,
            "| duration | {:.1} s{} |",
            self.duration_ms as f64 / 1000.0,
            if self.interrupted {
                " (interrupted)"
            } else {
                ""
            }
        );
        let _ = writeln!(
            out,
            "| executions | {} ({:.1}/s; {} minimizing) |",
            self.execs, self.execs_per_sec, self.minimize_execs
        );
        let _ = writeln!(out, "| corpus | {} cases |", self.corpus_size);
        let _ = writeln!(out, "| health checks | {} |", self.health_checks);
        let _ = writeln!(
            out,
            "| infrastructure errors | {} |",
            self.infrastructure_errors
        );
        let _ = writeln!(out, "| findings | {} |\n", self.findings.len());
        let _ = writeln!(out, "## Cases by kind\n\n| kind | cases |\n| --- | --- |");
        for (kind, n) in &self.cases_by_kind {
            let _ = writeln!(out, "| {kind} | {n} |");
        }
        let _ = writeln!(out, "\n## Findings\n");
        if self.findings.is_empty() {
            let _ = writeln!(out, "None.");
        }
        for f in &self.findings {
            let _ = writeln!(
                out,
                "### {} {} `{}` ({}){}\n",
                f.id,
                f.kind,
                f.class,
                f.version,
                f.rule
                    .as_deref()
                    .map(|r| format!(" [{r}]"))
                    .unwrap_or_default()
            );
            let _ = writeln!(out, "{}\n", f.message);
            let _ = writeln!(
                out,
                "- seen {} time(s); case {} ops, minimized to {}{}",
                f.occurrences,
                f.ops_found,
                f.ops_minimized,
                if !f.confirmed {
                    " (NOT reproduced on a re-run: timing-dependent, treat with care)"
                } else if f.minimized {
                    ""
                } else {
                    " (budget ran out)"
                }
            );
            if let Some(path) = &f.scenario {
                let _ = writeln!(out, "- reproducer: `{}`", path.display());
            }
            if let Some(status) = &f.exit_status {
                let _ = writeln!(out, "- exit status: {status}");
            }
            let _ = writeln!(out, "\n```text");
            for line in f.case.iter().chain(&f.evidence) {
                let _ = writeln!(out, "{line}");
            }
            let _ = writeln!(out, "```");
            if let Some(tail) = &f.log_tail {
                let _ = writeln!(out, "\nbroker log (tail):\n\n```text\n{tail}\n```");
            }
            let _ = writeln!(out);
        }
        out
    }

    /// Writes `fuzz-report.json` and `fuzz-report.md` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let json_path = atomic_write(dir, "fuzz-report.json", &json)?;
        let md_path = atomic_write(dir, "fuzz-report.md", &self.markdown())?;
        Ok((json_path, md_path))
    }
}

fn atomic_write(dir: &Path, name: &str, text: &str) -> std::io::Result<PathBuf> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_lists_findings_and_kinds() {
        let mut report = CampaignReport {
            broker: "tcp://127.0.0.1:1".into(),
            execs: 10,
            ..CampaignReport::default()
        };
        report.cases_by_kind.insert("takeover".into(), 4);
        report.findings.push(FindingReport {
            id: "F1".into(),
            kind: "violation".into(),
            rule: Some("MQTT-3.1.2-10".into()),
            class: "will-published-twice".into(),
            version: "5.0".into(),
            message: "twice".into(),
            occurrences: 3,
            ops_found: 5,
            ops_minimized: 2,
            minimized: true,
            confirmed: true,
            scenario: Some("out/findings/f1.yaml".into()),
            case: vec!["Connect".into()],
            evidence: vec![],
            exit_status: None,
            log_tail: None,
        });
        let md = report.markdown();
        assert!(md.contains("| takeover | 4 |"), "{md}");
        assert!(
            md.contains("F1 violation `will-published-twice` (5.0) [MQTT-3.1.2-10]"),
            "{md}"
        );
        assert!(md.contains("out/findings/f1.yaml"), "{md}");
        let json = serde_json::to_value(&report).expect("json");
        assert_eq!(json["findings"][0]["occurrences"], 3);
    }
}
