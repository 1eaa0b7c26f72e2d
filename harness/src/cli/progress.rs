//! What the terminal shows while a run goes on. On a terminal: a status
//! line redrawn in place, with every finished scenario that did not pass
//! printed above it. Elsewhere (CI logs): one plain line per finished run.

use std::io::{IsTerminal, Write};

use lastwill_report::{Direction, ScenarioResult, Verdict};

#[derive(Debug)]
pub struct Progress {
    total: usize,
    finished: usize,
    failed: usize,
    terminal: bool,
    verbose: bool,
}

impl Progress {
    pub fn new(total: usize, verbose: bool) -> Self {
        Self {
            total,
            finished: 0,
            failed: 0,
            terminal: std::io::stderr().is_terminal(),
            verbose,
        }
    }

    pub fn finished(&mut self, result: &ScenarioResult) {
        self.finished += 1;
        if matches!(result.verdict, Verdict::Fail | Verdict::Error) {
            self.failed += 1;
        }
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "{:<5} {} [{}]{}",
            result.verdict.as_str().to_uppercase(),
            result.id,
            result.version,
            timing(result)
        );
        if result.verdict != Verdict::Pass {
            let _ = write_details(&mut out, result, self.verbose);
        }
        drop(out);
        if self.terminal {
            eprint!(
                "\r[{}/{}] {} not passing so far",
                self.finished, self.total, self.failed
            );
            let _ = std::io::stderr().flush();
        }
    }

    pub fn done(&self) {
        if self.terminal {
            eprint!("\r\x1b[2K");
        }
    }
}

fn timing(result: &ScenarioResult) -> String {
    format!("  {:.1} s", result.scenario_time_ms as f64 / 1000.0)
}

fn write_details(
    out: &mut impl Write,
    result: &ScenarioResult,
    verbose: bool,
) -> std::io::Result<()> {
    if !result.reason.is_empty() {
        writeln!(out, "      {}", result.reason)?;
    }
    if let Some(rule) = &result.failed_rule {
        writeln!(out, "      rule:     {rule}")?;
    }
    if let Some(step) = result.failed_step {
        writeln!(out, "      step:     {}", step + 1)?;
    }
    if let Some(expected) = &result.expected {
        writeln!(out, "      expected: {expected}")?;
    }
    if let Some(observed) = &result.observed {
        writeln!(out, "      observed: {observed}")?;
    }
    for choice in &result.choices {
        writeln!(out, "      chose:    {choice}")?;
    }
    if verbose {
        for entry in &result.timeline {
            let arrow = match entry.direction {
                Direction::Sent => "->",
                Direction::Received => "<-",
                Direction::Event => "..",
            };
            writeln!(
                out,
                "      {:>7} ms {:<10} {arrow} {}",
                entry.at_ms, entry.client, entry.summary
            )?;
        }
    }
    Ok(())
}
