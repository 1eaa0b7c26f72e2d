//! The published matrix (`reports/matrix.md`, `reports/matrix.html`):
//! targets × scenario runs, grouped by rule, each cell linking to its
//! evidence (the run's section, with expected/observed and the packet
//! timeline, in that target's `report.html`). A scenario checking three
//! rules appears under each of them, as in the per-target reports, since
//! readers come looking for a rule.
//!
//! Deterministic: the page holds only what the caller passes in (dates,
//! versions, notes), so the same inputs always render the same bytes.

use std::fmt::Write as _;

use crate::escape::{attr, markdown_cell as cell, slug, text};
use crate::group::{natural_cmp, NO_RULE};
use crate::html::{filter_controls, page};
use crate::markdown::badge as md_badge;
use crate::matrix::{Matrix, MatrixRow};
use crate::result::Verdict;

/// A [`Matrix`] with what the published page says around it.
#[derive(Clone, Debug)]
pub struct MatrixPage<'a> {
    pub matrix: &'a Matrix,
    /// Per column: the target's HTML report relative to the page
    /// (`mosquitto/report.html`); its cells link to the run's anchor there.
    pub report_links: Vec<Option<String>>,
    /// Per column: one line on how its results compare with its
    /// expectations file (or anything else worth a line).
    pub notes: Vec<String>,
    /// Markdown lines under the title: date, command, machine, stability.
    pub preamble: Vec<String>,
}

/// The anchor `to_html` gives a run: `s-<id>-<version>`.
pub fn run_anchor(id: &str, version: &str) -> String {
    format!("s-{}-{}", slug(id), slug(version))
}

/// Rows grouped by rule: rules in natural order (rows naming none last),
/// each with indexes into `matrix.rows` in row order.
pub fn rows_by_rule(matrix: &Matrix) -> Vec<(&str, Vec<usize>)> {
    let mut pairs: Vec<(&str, usize)> = Vec::new();
    for (index, row) in matrix.rows.iter().enumerate() {
        if row.rules.is_empty() {
            pairs.push((NO_RULE, index));
        }
        for rule in &row.rules {
            pairs.push((rule, index));
        }
    }
    pairs.sort_by(|a, b| {
        (a.0 == NO_RULE)
            .cmp(&(b.0 == NO_RULE))
            .then_with(|| natural_cmp(a.0, b.0))
            .then(a.1.cmp(&b.1))
    });
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (rule, index) in pairs {
        match groups.last_mut() {
            Some((r, rows)) if *r == rule => rows.push(index),
            _ => groups.push((rule, vec![index])),
        }
    }
    groups
}

impl MatrixPage<'_> {
    fn heading(&self, column: usize) -> String {
        let c = &self.matrix.columns[column];
        let mut heading = c.target.name.clone();
        if !c.target.faults.is_empty() {
            let _ = write!(heading, " (faults: {})", c.target.faults.join(", "));
        }
        heading
    }

    fn cell_link(&self, column: usize, row: &MatrixRow) -> Option<String> {
        let base = self.report_links.get(column)?.as_ref()?;
        Some(format!("{base}#{}", run_anchor(&row.id, &row.version)))
    }

    /// The Markdown page.
    pub fn markdown(&self) -> String {
        let m = self.matrix;
        let mut out = String::from("# lastwill: MQTT will conformance, brokers compared\n\n");
        for line in &self.preamble {
            let _ = writeln!(out, "{line}  ");
        }
        out.push_str("\n| target | broker | ✅ pass | ❌ fail | ⚠️ warn | ⏭️ skip | 💥 error | started | report | expectations |\n");
        out.push_str("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |\n");
        for (i, column) in m.columns.iter().enumerate() {
            let c = column.counts;
            let partial = if column.partial { " (partial run)" } else { "" };
            let report = match self.report_links.get(i).and_then(Option::as_ref) {
                Some(link) => format!("[report]({link})"),
                None => "–".into(),
            };
            let _ = writeln!(
                out,
                "| {}{partial} | {} | {} | {} | {} | {} | {} | {} | {report} | {} |",
                cell(&self.heading(i)),
                cell(column.target.broker.as_deref().unwrap_or("–")),
                c.pass,
                c.fail,
                c.warn,
                c.skip,
                c.error,
                cell(&column.started_at),
                cell(self.notes.get(i).map_or("", String::as_str)),
            );
        }
        out.push_str("\n## Scenario runs by rule\n\nEach cell links to the run's verdict, expected and observed behaviour and packet timeline in that target's report. A scenario checking several rules appears under each.\n\n");
        out.push_str("| rule | scenario | version |");
        for i in 0..m.columns.len() {
            let _ = write!(out, " {} |", cell(&self.heading(i)));
        }
        out.push_str("\n| --- | --- | --- |");
        out.push_str(&" --- |".repeat(m.columns.len()));
        out.push('\n');
        for (rule, rows) in rows_by_rule(m) {
            for (n, &index) in rows.iter().enumerate() {
                let row = &m.rows[index];
                let rule_cell = if n == 0 {
                    format!("**{}**", cell(rule))
                } else {
                    String::new()
                };
                let _ = write!(
                    out,
                    "| {rule_cell} | {} | {} |",
                    cell(&row.id),
                    cell(&row.version)
                );
                for (column, c) in row.cells.iter().enumerate() {
                    let shown = match (c, self.cell_link(column, row)) {
                        (Some(c), Some(link)) => format!("[{}]({link})", md_badge(c.verdict)),
                        (Some(c), None) => md_badge(c.verdict).to_owned(),
                        (None, _) => "–".to_owned(),
                    };
                    let _ = write!(out, " {shown} |");
                }
                out.push('\n');
            }
        }
        out
    }

    /// The self-contained HTML page, filterable by text and verdict, each
    /// verdict's reason in its tooltip.
    pub fn html(&self) -> String {
        let m = self.matrix;
        let mut body =
            String::from("<header><h1>lastwill: MQTT will conformance, brokers compared</h1>\n");
        for line in &self.preamble {
            let _ = writeln!(body, "<p class=\"facts\">{}</p>", text(line));
        }
        body.push_str("</header>\n<section>\n<table>\n<thead><tr><th>target</th><th>broker</th><th>pass</th><th>fail</th><th>warn</th><th>skip</th><th>error</th><th>started</th><th>expectations</th></tr></thead>\n<tbody>\n");
        for (i, column) in m.columns.iter().enumerate() {
            let c = column.counts;
            let partial = if column.partial {
                " <span class=\"badge warn\">partial run</span>"
            } else {
                ""
            };
            let name = match self.report_links.get(i).and_then(Option::as_ref) {
                Some(link) => format!("<a href=\"{}\">{}</a>", attr(link), text(&self.heading(i))),
                None => text(&self.heading(i)),
            };
            let _ = writeln!(
                body,
                "<tr><td>{name}{partial}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(column.target.broker.as_deref().unwrap_or("–")),
                c.pass,
                c.fail,
                c.warn,
                c.skip,
                c.error,
                text(&column.started_at),
                text(self.notes.get(i).map_or("", String::as_str)),
            );
        }
        body.push_str(
            "</tbody>\n</table>\n</section>\n<section>\n<h2>Scenario runs by rule</h2>\n",
        );
        body.push_str("<p class=\"facts\">Each verdict links to the run's evidence (expected, observed, packet timeline) in that target's report; its tooltip gives the reason.</p>\n");
        body.push_str(&filter_controls("filter by rule, scenario or title"));
        body.push_str("<table>\n<thead><tr><th>scenario</th><th>version</th>");
        for i in 0..m.columns.len() {
            let _ = write!(body, "<th>{}</th>", text(&self.heading(i)));
        }
        body.push_str("</tr></thead>\n");
        for (rule, rows) in rows_by_rule(m) {
            let _ = writeln!(
                body,
                "<tbody><tr><th colspan=\"{}\" class=\"rule\">{}</th></tr>",
                m.columns.len() + 2,
                text(rule)
            );
            for &index in &rows {
                let row = &m.rows[index];
                let verdicts: Vec<&str> = row
                    .cells
                    .iter()
                    .flatten()
                    .map(|c| c.verdict.as_str())
                    .collect();
                let search =
                    format!("{rule} {} {} {}", row.id, row.title, row.version).to_lowercase();
                let _ = write!(
                    body,
                    "<tr data-text=\"{}\" data-verdicts=\"{}\"><td>{}<div class=\"title\">{}</div></td><td>{}</td>",
                    attr(&search),
                    verdicts.join(" "),
                    text(&row.id),
                    text(&row.title),
                    text(&row.version)
                );
                for (column, c) in row.cells.iter().enumerate() {
                    match c {
                        Some(c) => {
                            let _ = write!(
                                body,
                                "<td>{}</td>",
                                link_badge(c.verdict, self.cell_link(column, row), &c.reason)
                            );
                        }
                        None => body.push_str("<td class=\"none\">–</td>"),
                    }
                }
                body.push_str("</tr>\n");
            }
            body.push_str("</tbody>\n");
        }
        body.push_str("</table>\n</section>\n");
        page("lastwill: brokers compared", &body)
    }
}

/// A verdict badge linking to another page (the HTML report's own badge
/// links within its page).
fn link_badge(verdict: Verdict, href: Option<String>, tooltip: &str) -> String {
    let v = verdict.as_str();
    let title = if tooltip.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", attr(tooltip))
    };
    match href {
        Some(href) => format!(
            "<a class=\"badge {v}\" href=\"{}\"{title}>{v}</a>",
            attr(&href)
        ),
        None => format!("<span class=\"badge {v}\"{title}>{v}</span>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::result::{RunReport, ScenarioResult, TargetInfo, SCHEMA_VERSION};

    fn report(name: &str, verdicts: &[(&str, &str, &[&str], Verdict)]) -> RunReport {
        RunReport {
            schema_version: SCHEMA_VERSION,
            tool_version: "0".into(),
            target: TargetInfo {
                name: name.into(),
                address: format!("profile:{name}"),
                broker: Some(format!("{name} 1.0")),
                virtual_time: false,
                faults: vec![],
            },
            started_at: "2026-01-01T00:00:00Z".into(),
            wall_time_ms: 1,
            partial: false,
            results: verdicts
                .iter()
                .map(|(id, version, rules, verdict)| ScenarioResult {
                    id: (*id).into(),
                    title: format!("title of {id}"),
                    version: (*version).into(),
                    file: String::new(),
                    rules: rules.iter().map(|r| (*r).to_owned()).collect(),
                    verdict: *verdict,
                    reason: "because".into(),
                    failed_rule: None,
                    failed_step: None,
                    expected: None,
                    observed: None,
                    choices: vec![],
                    scenario_time_ms: 0,
                    wall_time_ms: 0,
                    timeline: vec![],
                })
                .collect(),
        }
    }

    #[test]
    fn rows_are_grouped_by_rule_and_cells_link_to_the_evidence() {
        let a = report(
            "a",
            &[
                ("x", "5.0", &["MQTT-3.1.2-8", "B3"], Verdict::Pass),
                ("y", "5.0", &["MQTT-3.1.2-8"], Verdict::Fail),
            ],
        );
        let b = report("b", &[("x", "5.0", &["MQTT-3.1.2-8", "B3"], Verdict::Warn)]);
        let matrix = Matrix::new(&[a, b]);
        let groups = rows_by_rule(&matrix);
        let rules: Vec<&str> = groups.iter().map(|(r, _)| *r).collect();
        assert_eq!(rules, ["B3", "MQTT-3.1.2-8"]);
        assert_eq!(groups[1].1.len(), 2);
        let page = MatrixPage {
            matrix: &matrix,
            report_links: vec![Some("a/report.html".into()), None],
            notes: vec!["matches".into(), String::new()],
            preamble: vec!["date: today".into()],
        };
        let md = page.markdown();
        assert!(md.contains("[❌ fail](a/report.html#s-y-5.0)"), "{md}");
        assert!(
            md.contains("| **B3** | x | 5.0 | [✅ pass](a/report.html#s-x-5.0) | ⚠️ warn |"),
            "{md}"
        );
        assert!(md.contains("| – |"), "b did not run y: {md}");
        let html = page.html();
        assert!(html.contains("href=\"a/report.html#s-y-5.0\""), "{html}");
        assert!(html.contains("date: today"));
    }
}
