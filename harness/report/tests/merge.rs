//! Merging shards, comparing targets, and writing a report directory.
#![allow(clippy::unwrap_used)]

mod common;

use lastwill_report::{from_json, merge, try_merge, write_all, Matrix, ReportError, Verdict};

#[test]
fn shards_merge_into_the_whole_run() {
    let whole = common::fixture();
    let (mut a, mut b) = (whole.clone(), whole.clone());
    a.results.truncate(3);
    b.results.drain(..2); // overlaps a on results[2]
    a.started_at = "2025-06-01T12:00:00.5Z".into();
    a.wall_time_ms = 1000;
    b.started_at = "2025-06-01T12:00:00Z".into();
    b.wall_time_ms = 1000;
    b.partial = true;
    b.target.broker = None;
    let merged = merge(vec![a, b]);
    assert_eq!(merged.results, whole.results);
    assert!(merged.partial);
    assert_eq!(merged.started_at, "2025-06-01T12:00:00Z");
    assert_eq!(
        merged.wall_time_ms, 1500,
        "from the first start to the last end"
    );
    assert_eq!(merged.target, whole.target);
}

#[test]
fn a_later_shard_overrides_an_earlier_result() {
    let first = common::fixture();
    let mut rerun = first.clone();
    rerun.results.retain(|r| r.verdict == Verdict::Fail);
    rerun.results[0].verdict = Verdict::Pass;
    let merged = merge(vec![first.clone(), rerun]);
    assert_eq!(merged.results.len(), first.results.len());
    assert_eq!(
        merged.results[1].verdict,
        Verdict::Pass,
        "same place, new verdict"
    );
}

#[test]
fn try_merge_refuses_mixed_targets() {
    let a = common::fixture();
    let mut b = a.clone();
    b.target.faults = vec!["ignore-will-delay".into()];
    let err = try_merge(vec![a.clone(), b]).unwrap_err();
    assert!(matches!(err, ReportError::TargetMismatch { .. }));
    assert!(err.to_string().contains("ignore-will-delay"), "{err}");
    assert!(matches!(
        try_merge(vec![]),
        Err(ReportError::NothingToMerge)
    ));
    assert!(merge(vec![]).results.is_empty());
    assert_eq!(try_merge(vec![a.clone()]).unwrap(), a);
}

#[test]
fn matrix_aligns_targets() {
    let a = common::fixture();
    let mut b = a.clone();
    b.target.name = "other".into();
    b.results.truncate(1);
    let matrix = Matrix::new(&[a.clone(), b]);
    assert_eq!(matrix.columns.len(), 2);
    assert_eq!(matrix.rows.len(), a.results.len());
    let row = matrix
        .rows
        .iter()
        .find(|r| r.id == "will.qos.qos2")
        .unwrap();
    assert_eq!(row.cells[0].as_ref().unwrap().verdict, Verdict::Skip);
    assert_eq!(row.cells[1], None);
}

#[test]
fn write_all_writes_every_rendering_and_no_temporaries() {
    let report = common::fixture();
    let dir = std::env::temp_dir().join(format!("lastwill-report-write-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_all(&report, &dir).unwrap();
    // A second run replaces the files in place.
    write_all(&report, &dir).unwrap();
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    assert_eq!(from_json(&json).unwrap(), report);
    for file in ["junit.xml", "summary.md", "report.html"] {
        assert!(dir.join(file).metadata().unwrap().len() > 0, "{file}");
    }
    let mut pcaps: Vec<String> = std::fs::read_dir(dir.join("pcap"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pcaps.sort();
    assert_eq!(
        pcaps,
        [
            "will.delay.reconnect-cancels-5.0.pcap",
            "will.qos.qos2-3.1.1.pcap",
            "will.takeover-3.1.1.pcap",
            "will.trigger.keep-alive-expiry-3.1.1.pcap",
            "will.trigger.keep-alive-expiry-5.0.pcap",
        ]
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
