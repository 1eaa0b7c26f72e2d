//! `lastwill fuzz` against real broker processes: the reference broker with
//! faults the fuzzer must catch, the clean reference broker (no findings),
//! and a broker killed mid-campaign (a crash finding). Campaigns are a few
//! seconds long with fixed seeds; timeouts are generous for a loaded machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use lastwill::fuzz::{run_campaign, CampaignReport, Config, FindingReport, Versions};
use lastwill::launch::{free_port, LaunchSpec, LaunchedBroker};
use lastwill::runner::{run_scenario, Interrupt, RunOptions};
use lastwill::scenario::load_file;
use lastwill::target::TcpTarget;
use lastwill_report::Verdict;

fn out_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lw-fuzz-live-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("out dir");
    dir
}

fn reference(faults: &[&str], out: &Path) -> LaunchedBroker {
    let mut args = Vec::new();
    for fault in faults {
        args.push("--fault".to_owned());
        args.push((*fault).to_owned());
    }
    let port = free_port().expect("a free port");
    let mut listen = vec![
        "broker".to_owned(),
        "--listen".to_owned(),
        format!("127.0.0.1:{port}"),
    ];
    listen.append(&mut args);
    let spec = LaunchSpec {
        program: env!("CARGO_BIN_EXE_lastwill").into(),
        args: listen,
        port,
        dir: None,
        env: Vec::new(),
    };
    LaunchedBroker::start(&spec, &out.join("broker.log"), Duration::from_secs(30))
        .expect("broker starts")
}

fn config(
    broker: &LaunchedBroker,
    out: &Path,
    seed: u64,
    seconds: u64,
    versions: Versions,
) -> Config {
    let mut config = Config::new(broker.socket_addr(), out.to_path_buf());
    config.seed = seed;
    config.duration = Duration::from_secs(seconds);
    config.versions = versions;
    config.minimize_budget = Duration::from_secs(12);
    config
}

async fn campaign(config: &Config, broker: &mut LaunchedBroker) -> CampaignReport {
    run_campaign(config, Some(broker), &Interrupt::new(), &mut |_| {}).await
}

fn finding<'a>(report: &'a CampaignReport, class: &str) -> &'a FindingReport {
    report
        .findings
        .iter()
        .find(|f| f.class == class)
        .unwrap_or_else(|| panic!("no `{class}` finding in {:#?}", report.findings))
}

/// The reproducer loads with the suite's loader, tags `rule`, and fails
/// when run against `broker` (the faulty one).
async fn reproduces(found: &FindingReport, rule: &str, broker: &LaunchedBroker) {
    let path = found
        .scenario
        .as_ref()
        .expect("a scenario file was written");
    let loaded = load_file(path, path.parent().expect("dir")).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<&String> = loaded.scenario.rules.values().flatten().collect();
    assert_eq!(rules, [rule], "{}", path.display());
    assert!(found.ops_minimized <= found.ops_found && found.ops_minimized > 0);
    let version = *loaded.scenario.rules.keys().next().expect("a version");
    let target = TcpTarget::from_addr(broker.socket_addr());
    let result = run_scenario(&loaded, version, &target, &RunOptions::default()).await;
    assert_eq!(
        result.verdict,
        Verdict::Fail,
        "{}\n{}",
        result.reason,
        std::fs::read_to_string(path).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_will_published_twice_is_found_minimized_and_reproduced() {
    let out = out_dir("twice");
    let mut broker = reference(&["publish-will-twice"], &out);
    let report = campaign(&config(&broker, &out, 11, 3, Versions::Both), &mut broker).await;
    let found = finding(&report, "will-published-twice");
    assert_eq!(found.rule.as_deref(), Some("MQTT-3.1.2-10"));
    assert!(found.confirmed, "the finding showed again on a re-run");
    reproduces(found, "MQTT-3.1.2-10", &broker).await;
    // The same reproducer passes against the clean broker.
    let mut clean = reference(&[], &out_dir("twice-clean"));
    let path = found.scenario.as_ref().expect("scenario");
    let loaded = load_file(path, path.parent().expect("dir")).expect("loads");
    let version = *loaded.scenario.rules.keys().next().expect("a version");
    let result = run_scenario(
        &loaded,
        version,
        &TcpTarget::from_addr(clean.socket_addr()),
        &RunOptions::default(),
    )
    .await;
    assert_eq!(result.verdict, Verdict::Pass, "{}", result.reason);
    clean.stop(Duration::from_secs(5));
    broker.stop(Duration::from_secs(5));
    assert!(out.join("findings").is_dir());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_will_after_a_normal_disconnect_is_found() {
    let out = out_dir("normal");
    let mut broker = reference(&["publish-will-after-normal-disconnect"], &out);
    let report = campaign(&config(&broker, &out, 5, 3, Versions::Both), &mut broker).await;
    let found = finding(&report, "will-after-normal-disconnect");
    assert_eq!(found.rule.as_deref(), Some("MQTT-3.14.4-3"));
    reproduces(found, "MQTT-3.14.4-3", &broker).await;
    broker.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_will_that_ignores_its_delay_is_found() {
    let out = out_dir("delay");
    let mut broker = reference(&["ignore-will-delay"], &out);
    let report = campaign(&config(&broker, &out, 7, 6, Versions::V5), &mut broker).await;
    let found = finding(&report, "will-before-delay");
    assert_eq!(found.rule.as_deref(), Some("MQTT-3.1.3-9"));
    reproduces(found, "MQTT-3.1.3-9", &broker).await;
    broker.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clean_reference_broker_has_no_findings() {
    let out = out_dir("clean");
    let mut broker = reference(&[], &out);
    let report = campaign(&config(&broker, &out, 1, 5, Versions::Both), &mut broker).await;
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert!(report.execs >= 8, "{} execs", report.execs);
    assert!(
        report.cases_by_kind.len() >= 3,
        "{:?}",
        report.cases_by_kind
    );
    let (json, md) = report.write(&out).expect("report written");
    let parsed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).expect("json")).expect("valid JSON");
    assert_eq!(parsed["findings"].as_array().map(Vec::len), Some(0));
    assert!(std::fs::read_to_string(md)
        .expect("md")
        .contains("## Cases by kind"));
    broker.stop(Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_mid_campaign_is_a_crash() {
    let out = out_dir("killed");
    let mut broker = reference(&[], &out);
    let pid = broker.pid().to_string();
    let killer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill runs")
    });
    let report = campaign(&config(&broker, &out, 3, 20, Versions::Both), &mut broker).await;
    assert!(killer.join().expect("killer").success());
    let crash = finding(&report, "crash");
    assert_eq!(crash.kind, "crash");
    let status = crash.exit_status.as_deref().expect("an exit status");
    assert!(
        status.contains("signal") || status.contains("9"),
        "{status}"
    );
    assert!(
        report.duration_ms < 15_000,
        "the campaign stopped at the crash"
    );
    let path = crash
        .scenario
        .as_ref()
        .expect("a scenario for the last case");
    load_file(path, path.parent().expect("dir")).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_cli_exits_1_on_findings_and_writes_the_report() {
    let out = out_dir("cli");
    let output = Command::new(env!("CARGO_BIN_EXE_lastwill"))
        .args([
            "fuzz",
            "--target",
            "reference",
            "--targets-dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../targets"),
            "--target-arg=--fault",
            "--target-arg=publish-will-twice",
        ])
        .args([
            "--duration",
            "3s",
            "--seed",
            "11",
            "--minimize-budget",
            "8s",
            "--out",
        ])
        .arg(&out)
        .output()
        .expect("lastwill runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("will-published-twice"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("fuzz-report.json")).expect("json"))
            .expect("valid");
    assert_eq!(json["target"], "reference");
    assert!(out.join("fuzz-report.md").is_file());
    assert!(std::fs::read_to_string(out.join("broker.log"))
        .expect("log")
        .contains("listening"));
}
