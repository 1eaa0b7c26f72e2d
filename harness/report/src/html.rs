//! One self-contained HTML page: it must open from a CI artifact or an
//! e-mail attachment with no network, so CSS, the few lines of filter
//! script and every diagram are inline, and nothing is fetched.
//! The page holds no time but the report's own, so the same report always
//! renders to the same bytes.

use std::fmt::Write as _;

use crate::escape::{attr, slug, text};
use crate::group::{by_rule, duration, natural_cmp, versions};
use crate::result::{RunReport, ScenarioResult, Verdict};
use crate::sequence::sequence_diagram;

const STYLE: &str = "\
:root{--pass:#1a7f37;--fail:#cf222e;--warn:#9a6700;--skip:#57606a;--error:#8250df;--line:#d0d7de;--muted:#57606a}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;padding:16px 24px;color:#1f2328}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid var(--line)}
.facts{color:var(--muted);margin:0 0 12px}.partial{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.counts{display:flex;gap:8px;flex-wrap:wrap}.count{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:64px}
.count b{display:block;font-size:20px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;color:#fff;font-size:12px;font-weight:600;text-decoration:none}
.pass{background:var(--pass)}.fail{background:var(--fail)}.warn{background:var(--warn)}.skip{background:var(--skip)}.error{background:var(--error)}
.none{color:var(--muted)}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
thead th{position:sticky;top:0;background:#f6f8fa}td.rule{font-family:ui-monospace,monospace;white-space:nowrap}
.title{color:var(--muted);font-size:12px}.filter{margin:8px 0;display:flex;gap:8px}.filter input{flex:1;padding:4px 8px}
details.scenario{border:1px solid var(--line);border-radius:6px;margin:8px 0;padding:4px 12px}
details.scenario>summary{cursor:pointer;padding:4px 0}.ver{font-family:ui-monospace,monospace;color:var(--muted)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}dt{color:var(--muted)}dd{margin:0;white-space:pre-wrap}
.diagram{overflow-x:auto;margin:8px 0}
.seq text{font:11px ui-monospace,SFMono-Regular,Menlo,monospace;fill:#1f2328}.seq .seq-name{font:600 12px system-ui,sans-serif}
.seq-head{fill:#f6f8fa;stroke:#8c959f}.seq-broker{fill:#ddf4ff}.seq-idle{stroke:#d0d7de;stroke-dasharray:3 4}.seq-life{stroke:#8c959f}
.seq-sent{stroke:#0969da;stroke-width:1.5}.seq-sent-head{fill:#0969da}.seq-received{stroke:#1a7f37;stroke-width:1.5}.seq-received-head{fill:#1a7f37}
.seq .seq-time{fill:#57606a}.seq-note{fill:#fff8c5;stroke:#d4a72c}.seq .seq-event-text{font-style:italic;fill:#7d4e00}
footer{color:var(--muted);margin-top:32px;font-size:12px}
";

/// Filters rows and scenarios by text and verdict, and opens a scenario
/// when a badge links to it. The page is fully readable without it.
const SCRIPT: &str = "\
(function(){
var q=document.getElementById('q'),v=document.getElementById('v');
function apply(){var t=q.value.trim().toLowerCase(),w=v.value;
document.querySelectorAll('[data-text]').forEach(function(e){
e.hidden=!((!t||e.getAttribute('data-text').indexOf(t)>=0)&&(!w||(' '+e.getAttribute('data-verdicts')+' ').indexOf(' '+w+' ')>=0));});}
function openHash(){var e=document.getElementById(decodeURIComponent(location.hash.slice(1)));if(e&&e.tagName==='DETAILS'){e.open=true;}}
if(q&&v){q.addEventListener('input',apply);v.addEventListener('change',apply);}
window.addEventListener('hashchange',openHash);openHash();
})();
";

/// The page shell around `body`, shared with the matrix page.
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n{body}<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        text(title)
    )
}

/// A verdict badge; a link when `href` is given.
pub(crate) fn badge(verdict: Verdict, href: Option<&str>, tooltip: &str) -> String {
    let v = verdict.as_str();
    let title = if tooltip.is_empty() {
        String::new()
    } else {
        format!(" title=\"{}\"", attr(tooltip))
    };
    match href {
        Some(href) => format!(
            "<a class=\"badge {v}\" href=\"#{}\"{title}>{v}</a>",
            attr(href)
        ),
        None => format!("<span class=\"badge {v}\"{title}>{v}</span>"),
    }
}

/// The text/verdict filter controls over every element with `data-text`.
pub(crate) fn filter_controls(placeholder: &str) -> String {
    let mut options = String::from("<option value=\"\">any verdict</option>");
    for v in [
        Verdict::Fail,
        Verdict::Error,
        Verdict::Warn,
        Verdict::Skip,
        Verdict::Pass,
    ] {
        let _ = write!(options, "<option value=\"{0}\">{0}</option>", v.as_str());
    }
    format!(
        "<div class=\"filter\"><input id=\"q\" type=\"search\" placeholder=\"{}\" aria-label=\"filter\"><select id=\"v\" aria-label=\"verdict\">{options}</select></div>\n",
        attr(placeholder)
    )
}

/// Anchors for each result, unique even if two ids slug alike.
fn anchors(report: &RunReport) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    for result in &report.results {
        let base = format!("s-{}-{}", slug(&result.id), slug(&result.version));
        let mut anchor = base.clone();
        let mut n = 2;
        while seen.contains(&anchor) {
            anchor = format!("{base}-{n}");
            n += 1;
        }
        seen.push(anchor);
    }
    seen
}

/// The report page: header, counts, the by-rule table, then every
/// scenario with its details and sequence diagram.
pub fn to_html(report: &RunReport) -> String {
    let mut body = String::new();
    header(&mut body, report);
    let anchors = anchors(report);
    rule_table(&mut body, report, &anchors);
    scenarios(&mut body, report, &anchors);
    let _ = writeln!(
        body,
        "<footer>lastwill {} · report schema {}</footer>",
        text(&report.tool_version),
        report.schema_version
    );
    page(&format!("lastwill: {}", report.target.name), &body)
}

fn header(body: &mut String, report: &RunReport) {
    let target = &report.target;
    let _ = writeln!(body, "<header>\n<h1>lastwill: {}</h1>", text(&target.name));
    let mut facts = vec![text(&target.address)];
    if let Some(broker) = &target.broker {
        facts.push(text(broker));
    }
    facts.push(String::from(if target.virtual_time {
        "virtual time"
    } else {
        "real time"
    }));
    if !target.faults.is_empty() {
        facts.push(format!(
            "faults injected: {}",
            text(&target.faults.join(", "))
        ));
    }
    facts.push(format!("started {}", text(&report.started_at)));
    facts.push(format!("took {}", duration(report.wall_time_ms)));
    let _ = writeln!(
        body,
        "<p class=\"facts\">{}</p>\n</header>",
        facts.join(" · ")
    );
    if report.partial {
        body.push_str("<p class=\"partial\">Partial run: it was interrupted, and only the results that finished are shown.</p>\n");
    }
    let c = report.counts();
    body.push_str("<section class=\"counts\">\n");
    let _ = writeln!(
        body,
        "<div class=\"count\"><b>{}</b>total</div>",
        report.results.len()
    );
    for (verdict, n) in [
        (Verdict::Pass, c.pass),
        (Verdict::Fail, c.fail),
        (Verdict::Warn, c.warn),
        (Verdict::Skip, c.skip),
        (Verdict::Error, c.error),
    ] {
        let _ = writeln!(
            body,
            "<div class=\"count\"><b>{n}</b>{}</div>",
            badge(verdict, None, "")
        );
    }
    body.push_str("</section>\n");
}

fn rule_table(body: &mut String, report: &RunReport, anchors: &[String]) {
    let versions = versions(&report.results);
    body.push_str("<section>\n<h2>Results by rule</h2>\n");
    body.push_str(&filter_controls("filter by rule, scenario or title"));
    body.push_str("<table class=\"rules\">\n<thead><tr><th>rule</th><th>scenario</th>");
    for version in &versions {
        let _ = write!(body, "<th>{}</th>", text(version));
    }
    body.push_str("</tr></thead>\n<tbody>\n");
    for (rule, rows) in by_rule(report, &versions) {
        for row in rows {
            let verdicts: Vec<&str> = row
                .by_version
                .iter()
                .flatten()
                .map(|&i| report.results[i].verdict.as_str())
                .collect();
            let search = format!("{rule} {} {}", row.id, row.title).to_lowercase();
            let _ = write!(
                body,
                "<tr data-text=\"{}\" data-verdicts=\"{}\"><td class=\"rule\">{}</td><td>{}<div class=\"title\">{}</div></td>",
                attr(&search),
                verdicts.join(" "),
                text(rule),
                text(row.id),
                text(row.title)
            );
            for index in &row.by_version {
                match index {
                    Some(i) => {
                        let result = &report.results[*i];
                        let _ = write!(
                            body,
                            "<td>{}</td>",
                            badge(result.verdict, Some(&anchors[*i]), &result.reason)
                        );
                    }
                    None => body.push_str("<td class=\"none\">–</td>"),
                }
            }
            body.push_str("</tr>\n");
        }
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
}

fn scenarios(body: &mut String, report: &RunReport, anchors: &[String]) {
    let mut order: Vec<usize> = (0..report.results.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&report.results[a], &report.results[b]);
        natural_cmp(&a.id, &b.id).then_with(|| natural_cmp(&a.version, &b.version))
    });
    body.push_str("<section>\n<h2>Scenarios</h2>\n");
    for index in order {
        scenario(body, &report.results[index], &anchors[index]);
    }
    body.push_str("</section>\n");
}

fn scenario(body: &mut String, result: &ScenarioResult, anchor: &str) {
    // Failures and errors start open: they are what a reader came for.
    let open = if matches!(result.verdict, Verdict::Fail | Verdict::Error) {
        " open"
    } else {
        ""
    };
    let search = format!(
        "{} {} {} {}",
        result.id,
        result.title,
        result.rules.join(" "),
        result.version
    )
    .to_lowercase();
    let _ = writeln!(
        body,
        "<details class=\"scenario\" id=\"{}\" data-text=\"{}\" data-verdicts=\"{}\"{open}>\n<summary>{} <b>{}</b> <span class=\"ver\">{}</span> {}</summary>",
        attr(anchor),
        attr(&search),
        result.verdict.as_str(),
        badge(result.verdict, None, ""),
        text(&result.id),
        text(&result.version),
        text(&result.title)
    );
    let mut fields: Vec<(&str, String)> = vec![
        ("file", result.file.clone()),
        ("rules", result.rules.join(", ")),
    ];
    if !result.reason.is_empty() {
        fields.push(("reason", result.reason.clone()));
    }
    if let Some(rule) = &result.failed_rule {
        fields.push(("failed rule", rule.clone()));
    }
    if let Some(step) = result.failed_step {
        fields.push(("failed step", step.to_string()));
    }
    if let Some(expected) = &result.expected {
        fields.push(("expected", expected.clone()));
    }
    if let Some(observed) = &result.observed {
        fields.push(("observed", observed.clone()));
    }
    if !result.choices.is_empty() {
        fields.push(("choices", result.choices.join("\n")));
    }
    fields.push((
        "time",
        format!(
            "{} scenario time, {} wall clock",
            duration(result.scenario_time_ms),
            duration(result.wall_time_ms)
        ),
    ));
    body.push_str("<dl>");
    for (name, value) in fields {
        let _ = write!(body, "<dt>{name}</dt><dd>{}</dd>", text(&value));
    }
    body.push_str("</dl>\n");
    let caption = format!("{} under MQTT {}", result.id, result.version);
    match sequence_diagram(&result.timeline, &caption) {
        Some(svg) => {
            let _ = write!(body, "<div class=\"diagram\">\n{svg}</div>\n");
        }
        None => body.push_str("<p class=\"none\">No timeline recorded.</p>\n"),
    }
    body.push_str("</details>\n");
}
