//! `lastwill run` as users run it: exit codes, bad input, reports on disk.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn lastwill(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lastwill"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastwill-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_passing_subset_exits_0_and_writes_every_report() {
    let dir = scratch("reports");
    let out = lastwill(&[
        "run",
        "--filter",
        "trigger.fin",
        "--report-dir",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("lastwill: 2 passed, 0 failed, 0 skipped"),
        "{}",
        text(&out)
    );
    for file in ["report.json", "junit.xml", "summary.md", "report.html"] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    assert!(dir.join("pcap").read_dir().unwrap().count() >= 2);
    let json = std::fs::read_to_string(dir.join("report.json")).unwrap();
    let report = lastwill_report::from_json(&json).unwrap();
    assert_eq!(report.results.len(), 2);
    assert!(!report.partial);
}

#[test]
fn a_fault_makes_the_run_fail_with_exit_1_naming_the_rule() {
    let out = lastwill(&[
        "run",
        "--filter",
        "trigger.keep-alive-expiry",
        "--fault",
        "skip-will-on-keep-alive",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let shown = text(&out);
    assert!(
        shown.contains("FAIL  trigger.keep-alive-expiry [5.0]"),
        "{shown}"
    );
    assert!(shown.contains("MQTT-3.1.2-22"), "{shown}");
    assert!(shown.contains("MQTT-3.1.2-24"), "{shown}");
}

#[test]
fn expected_failures_exit_0_and_an_unexpected_pass_exits_1() {
    let dir = scratch("expectations");
    let file = dir.join("expectations.yaml");
    std::fs::write(
        &file,
        "deviations:\n  - { scenario: trigger.keep-alive-expiry, verdict: fail, reason: \"MQTT-3.1.2-24: no will on keep-alive expiry\" }\n",
    )
    .unwrap();
    let faulty = lastwill(&[
        "run",
        "--filter",
        "trigger.keep-alive-expiry",
        "--fault",
        "skip-will-on-keep-alive",
        "--expectations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(faulty.status.code(), Some(0), "{}", text(&faulty));
    let fixed = lastwill(&[
        "run",
        "--filter",
        "trigger.keep-alive-expiry",
        "--expectations",
        file.to_str().unwrap(),
    ]);
    assert_eq!(fixed.status.code(), Some(1), "{}", text(&fixed));
    assert!(
        text(&fixed).contains("is now pass (expected fail)"),
        "{}",
        text(&fixed)
    );
}

#[test]
fn a_bad_scenario_file_exits_2_with_file_line_and_column() {
    let dir = scratch("bad-scenario");
    std::fs::write(
        dir.join("bad.yaml"),
        "id: bad\ntitle: t\nrules: { \"5.0\": [MQTT-3.1.2-8] }\nclients: { a: {} }\nsteps:\n  - connect: b\n",
    )
    .unwrap();
    let out = lastwill(&["run", "--scenarios", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("bad.yaml:6:5: unknown client `b`"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_unreachable_broker_is_an_infrastructure_error() {
    // Bind and drop a listener: its port is very likely closed now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let broker = format!("tcp://127.0.0.1:{port}");
    let out = lastwill(&["run", "--filter", "trigger.fin", "--broker", &broker]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("ERROR trigger.fin"), "{}", text(&out));
}

#[test]
fn a_broker_name_that_does_not_resolve_exits_2() {
    let out = lastwill(&["run", "--broker", "tcp://no-such-host.invalid:1883"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("no-such-host.invalid"),
        "{}",
        text(&out)
    );
}

#[test]
fn coverage_and_selfcheck_run() {
    let coverage = lastwill(&["coverage"]);
    assert_eq!(coverage.status.code(), Some(0));
    assert!(text(&coverage).contains("catalogue rows covered by a scenario"));
    let selfcheck = lastwill(&["selfcheck", "--filter", "trigger.rst"]);
    assert_eq!(selfcheck.status.code(), Some(0), "{}", text(&selfcheck));
    assert!(
        text(&selfcheck).contains("0 unkillable"),
        "{}",
        text(&selfcheck)
    );
}
