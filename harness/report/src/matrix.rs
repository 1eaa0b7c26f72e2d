//! Several targets side by side, for evaluators choosing a broker: the
//! `reports/` page of brokers × scenarios.

use std::fmt::Write as _;

use crate::escape::{attr, markdown_cell as cell, text};
use crate::group::natural_cmp;
use crate::html::{badge, filter_controls, page};
use crate::markdown::badge as md_badge;
use crate::merge::{merge, same_target};
use crate::result::{RunReport, TargetInfo, Verdict, VerdictCounts};

/// Several targets' results side by side: one column per target (shards of
/// the same target merged first), one row per scenario and version.
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    pub columns: Vec<MatrixColumn>,
    pub rows: Vec<MatrixRow>,
}

/// One target of the matrix and its run.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixColumn {
    pub target: TargetInfo,
    pub tool_version: String,
    pub started_at: String,
    pub partial: bool,
    pub counts: VerdictCounts,
}

/// One scenario under one version, across targets.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixRow {
    pub id: String,
    pub title: String,
    pub version: String,
    /// Rules the scenario checks, as any target's result lists them.
    pub rules: Vec<String>,
    /// Aligned with [`Matrix::columns`]; `None` where that target did not run it.
    pub cells: Vec<Option<MatrixCell>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatrixCell {
    pub verdict: Verdict,
    pub reason: String,
}

impl Matrix {
    /// Builds the matrix, merging reports of the same target in the order given.
    pub fn new(reports: &[RunReport]) -> Matrix {
        let mut groups: Vec<Vec<RunReport>> = Vec::new();
        for report in reports {
            match groups
                .iter_mut()
                .find(|g| same_target(&g[0].target, &report.target))
            {
                Some(group) => group.push(report.clone()),
                None => groups.push(vec![report.clone()]),
            }
        }
        let merged: Vec<RunReport> = groups.into_iter().map(merge).collect();
        let mut rows: Vec<MatrixRow> = Vec::new();
        for (column, report) in merged.iter().enumerate() {
            for result in &report.results {
                let row = match rows
                    .iter()
                    .position(|r| r.id == result.id && r.version == result.version)
                {
                    Some(i) => &mut rows[i],
                    None => {
                        rows.push(MatrixRow {
                            id: result.id.clone(),
                            title: result.title.clone(),
                            version: result.version.clone(),
                            rules: Vec::new(),
                            cells: vec![None; merged.len()],
                        });
                        let last = rows.len() - 1;
                        &mut rows[last]
                    }
                };
                for rule in &result.rules {
                    if !row.rules.contains(rule) {
                        row.rules.push(rule.clone());
                    }
                }
                row.cells[column] = Some(MatrixCell {
                    verdict: result.verdict,
                    reason: result.reason.clone(),
                });
            }
        }
        rows.sort_by(|a, b| {
            natural_cmp(&a.id, &b.id).then_with(|| natural_cmp(&a.version, &b.version))
        });
        let columns = merged
            .iter()
            .map(|r| MatrixColumn {
                target: r.target.clone(),
                tool_version: r.tool_version.clone(),
                started_at: r.started_at.clone(),
                partial: r.partial,
                counts: r.counts(),
            })
            .collect();
        Matrix { columns, rows }
    }

    /// A column's heading: the target's name (the user's name for it, so
    /// two deployments of one broker product stay apart) and its faults.
    fn heading(column: &MatrixColumn) -> String {
        let mut heading = column.target.name.clone();
        if !column.target.faults.is_empty() {
            let _ = write!(heading, " (faults: {})", column.target.faults.join(", "));
        }
        heading
    }

    /// Markdown for `reports/README.md`: a table of counts per target, then
    /// the scenarios × targets grid.
    pub fn render_markdown(&self) -> String {
        let mut out = String::from("# lastwill: brokers compared\n\n");
        out.push_str("| target | broker | address | started | ✅ pass | ❌ fail | ⚠️ warn | ⏭️ skip | 💥 error |\n");
        out.push_str("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for column in &self.columns {
            let c = column.counts;
            let partial = if column.partial { " (partial run)" } else { "" };
            let _ = writeln!(
                out,
                "| {}{partial} | {} | {} | {} | {} | {} | {} | {} | {} |",
                cell(&Self::heading(column)),
                cell(column.target.broker.as_deref().unwrap_or("–")),
                cell(&column.target.address),
                cell(&column.started_at),
                c.pass,
                c.fail,
                c.warn,
                c.skip,
                c.error
            );
        }
        out.push_str("\n| scenario | version | rules |");
        for column in &self.columns {
            let _ = write!(out, " {} |", cell(&Self::heading(column)));
        }
        out.push_str("\n| --- | --- | --- |");
        out.push_str(&" --- |".repeat(self.columns.len()));
        out.push('\n');
        for row in &self.rows {
            let _ = write!(
                out,
                "| {} | {} | {} |",
                cell(&row.id),
                cell(&row.version),
                cell(&row.rules.join(", "))
            );
            for c in &row.cells {
                let _ = write!(
                    out,
                    " {} |",
                    c.as_ref().map_or("–", |c| md_badge(c.verdict))
                );
            }
            out.push('\n');
        }
        out
    }

    /// A self-contained page with the same content, filterable, each
    /// verdict's reason in its tooltip.
    pub fn render_html(&self) -> String {
        let mut body = String::from(
            "<header><h1>lastwill: brokers compared</h1></header>\n<section>\n<table>\n",
        );
        body.push_str("<thead><tr><th>target</th><th>broker</th><th>address</th><th>started</th><th>pass</th><th>fail</th><th>warn</th><th>skip</th><th>error</th></tr></thead>\n<tbody>\n");
        for column in &self.columns {
            let c = column.counts;
            let partial = if column.partial {
                " <span class=\"badge warn\">partial run</span>"
            } else {
                ""
            };
            let _ = writeln!(
                body,
                "<tr><td>{}{partial}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&Self::heading(column)),
                text(column.target.broker.as_deref().unwrap_or("–")),
                text(&column.target.address),
                text(&column.started_at),
                c.pass,
                c.fail,
                c.warn,
                c.skip,
                c.error
            );
        }
        body.push_str("</tbody>\n</table>\n</section>\n<section>\n<h2>Scenarios</h2>\n");
        body.push_str(&filter_controls("filter by scenario, title or rule"));
        body.push_str("<table>\n<thead><tr><th>scenario</th><th>version</th><th>rules</th>");
        for column in &self.columns {
            let _ = write!(body, "<th>{}</th>", text(&Self::heading(column)));
        }
        body.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            let search = format!(
                "{} {} {} {}",
                row.id,
                row.title,
                row.version,
                row.rules.join(" ")
            )
            .to_lowercase();
            let verdicts: Vec<&str> = row
                .cells
                .iter()
                .flatten()
                .map(|c| c.verdict.as_str())
                .collect();
            let _ = write!(
                body,
                "<tr data-text=\"{}\" data-verdicts=\"{}\"><td>{}<div class=\"title\">{}</div></td><td>{}</td><td class=\"rule\">{}</td>",
                attr(&search),
                verdicts.join(" "),
                text(&row.id),
                text(&row.title),
                text(&row.version),
                text(&row.rules.join(", "))
            );
            for c in &row.cells {
                match c {
                    Some(c) => {
                        let _ = write!(body, "<td>{}</td>", badge(c.verdict, None, &c.reason));
                    }
                    None => body.push_str("<td class=\"none\">–</td>"),
                }
            }
            body.push_str("</tr>\n");
        }
        body.push_str("</tbody>\n</table>\n</section>\n");
        page("lastwill: brokers compared", &body)
    }
}
