//! Writes the seed corpora (`fuzz/seeds/<target>/`) from a `lastwill run`
//! report. Usage: `seed_corpus REPORT.json OUT_DIR`; `just fuzz-seeds` runs
//! the suite and this in one go. Stale seeds are removed, so the directory
//! always mirrors the suite's current traffic.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [report, out] = args.as_slice() else {
        eprintln!("usage: seed_corpus REPORT.json OUT_DIR");
        return ExitCode::from(2);
    };
    match write(report, &PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("seed_corpus: {error}");
            ExitCode::from(2)
        }
    }
}

fn write(report: &str, out: &std::path::Path) -> Result<(), String> {
    let json = std::fs::read_to_string(report).map_err(|e| format!("{report}: {e}"))?;
    let report = lastwill_report::from_json(&json).map_err(|e| format!("{report}: {e}"))?;
    if report.partial {
        return Err("the report is partial; run the whole suite".into());
    }
    for (dir_name, seeds) in lastwill_fuzz::seeds::collect(&report) {
        let dir = out.join(dir_name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, bytes) in &seeds {
            let path = dir.join(name);
            std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        println!("{dir_name}: {} seeds in {}", seeds.len(), dir.display());
    }
    Ok(())
}
