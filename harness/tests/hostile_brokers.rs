//! `lastwill run` against brokers that misbehave on purpose, end to end:
//! one that never answers, ones that answer CONNECT with garbage or a
//! malformed CONNACK, a launched broker killed mid-run, and a run stopped
//! with Ctrl-C. The misbehaving brokers are small std TCP servers written
//! here. Bounds are generous: the machine may be slow and busy.
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use lastwill_report::{from_json, RunReport, Verdict};

fn lastwill() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lastwill"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastwill-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn read(path: &Path) -> RunReport {
    from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A broker that reads what a client sends first (its CONNECT), writes
/// `reply` (nothing: it hangs) and keeps the connection open. Returns its
/// address and how many connections it accepted.
fn hostile_broker(reply: &'static [u8]) -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || serve(stream, reply));
        }
    });
    (addr, accepted)
}

fn serve(mut stream: TcpStream, reply: &[u8]) {
    use std::io::Write as _;
    let mut buf = [0u8; 1024];
    if matches!(stream.read(&mut buf), Ok(0) | Err(_)) {
        return;
    }
    if !reply.is_empty() {
        let _ = stream.write_all(reply);
    }
    // Keep the connection open, reading (and ignoring) whatever comes.
    while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .args([name, &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill {name} {pid}");
}

#[test]
fn a_broker_that_never_answers_ends_in_error_within_the_step_timeout() {
    let (addr, _) = hostile_broker(b"");
    let dir = scratch("hang");
    let started = Instant::now();
    let out = lastwill()
        .args(["run", "--broker", &format!("tcp://{addr}")])
        .args(["--filter", "trigger.fin", "--report-dir", s(&dir)])
        .output()
        .unwrap();
    // The step timeout is 30 s; twice that is the bound of a run that hangs.
    assert!(
        started.elapsed() < Duration::from_secs(90),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(!text(&out).contains("panicked"), "{}", text(&out));
    let report = read(&dir.join("report.json"));
    assert!(!report.results.is_empty());
    for result in &report.results {
        assert_eq!(result.verdict, Verdict::Error, "{result:#?}");
        assert!(result.reason.contains("within 30 s"), "{}", result.reason);
    }
}

#[test]
fn garbage_and_malformed_connacks_fail_naming_the_decode_rule() {
    let replies: [(&str, &'static [u8]); 2] = [
        // CONNACK whose Connect Acknowledge Flags set a reserved bit.
        ("reserved-flags", &[0x20, 0x02, 0x02, 0x00]),
        // Bytes of no packet at all: a reserved packet type, then noise.
        ("noise", &[0x00, 0x9f, 0x3c, 0xe1, 0x07, 0x55, 0xaa, 0x13]),
    ];
    for (name, reply) in replies {
        let (addr, _) = hostile_broker(reply);
        let dir = scratch(name);
        let out = lastwill()
            .args(["run", "--broker", &format!("tcp://{addr}")])
            .args(["--filter", "trigger.fin", "--report-dir", s(&dir)])
            .output()
            .unwrap();
        assert!(!text(&out).contains("panicked"), "{name}: {}", text(&out));
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        let report = read(&dir.join("report.json"));
        assert!(!report.results.is_empty());
        for result in &report.results {
            assert_eq!(result.verdict, Verdict::Fail, "{name}: {result:#?}");
            let rule = result.failed_rule.as_deref().unwrap_or_default();
            // The codec's rule: a requirement id or the section it cites.
            assert!(
                rule.starts_with("MQTT-") || rule.starts_with('§'),
                "{name}: {result:#?}"
            );
            assert!(result.reason.contains(rule), "{name}: {}", result.reason);
            let observed = result.observed.as_deref().unwrap_or_default();
            assert!(observed.contains("malformed"), "{name}: {observed}");
        }
    }
}

/// A profile whose command is a script that records its pid and execs
/// `lastwill broker`, so the test can kill the broker the run launched.
fn crashy_profile(dir: &Path) {
    let script = dir.join("serve.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho $$ > broker.pid\nexec \"$1\" broker --listen \"127.0.0.1:$2\"\n",
    )
    .unwrap();
    let mut mode = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
    std::fs::set_permissions(&script, mode).unwrap();
    std::fs::write(
        dir.join("crashy.yaml"),
        "name: crashy\n\
         description: the reference broker behind a script, killed by the test\n\
         command: ./serve.sh\n\
         args: [\"{self}\", \"{port}\"]\n\
         ready: { timeout: 20s }\n\
         versions: [\"3.1.1\", \"5.0\"]\n",
    )
    .unwrap();
}

#[test]
fn a_broker_killed_mid_run_is_restarted_and_the_run_completes() {
    let targets = scratch("crash-targets");
    crashy_profile(&targets);
    let work = scratch("crash-work");
    let mut child = lastwill()
        .args(["run", "--target", "crashy", "--targets-dir", s(&targets)])
        // Run one at a time, the longest (5 s) first: the kill lands in it.
        .args(["--filter", "delay.reconnect-clean-start-0"])
        .args(["--filter", "trigger.fin", "--filter", "delay.shorter-than"])
        .args(["--jobs", "1", "--report-dir", s(&work)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid_file = work.join("broker.pid");
    let deadline = Instant::now() + Duration::from_secs(60);
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the broker never started");
        thread::sleep(Duration::from_millis(50));
    };
    // Past the readiness probe and into the first scenario.
    thread::sleep(Duration::from_millis(1500));
    signal(pid, "-KILL");
    let status = wait_with_timeout(&mut child, Duration::from_secs(180));
    let out = child.wait_with_output().unwrap();
    let status = status.expect("the run did not end");
    let all = text(&out);
    assert_eq!(status.code(), Some(2), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    assert!(all.contains("restarting it"), "{all}");
    let report = read(&work.join("report.json"));
    assert!(!report.partial);
    let errors: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Error)
        .collect();
    assert!(!errors.is_empty(), "{:#?}", report.results);
    for error in &errors {
        assert!(error.reason.contains("crashed mid-run"), "{error:#?}");
        assert!(error.reason.contains(&format!("pid {pid}")), "{error:#?}");
    }
    let passed = report
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .count();
    assert_eq!(passed + errors.len(), report.results.len(), "{all}");
    assert!(passed >= 2, "{:#?}", report.results);
    assert!(work.join("broker-crash-1.log").exists());
}

/// Starts `lastwill run` against a broker that never answers and waits
/// until the run has connected to it (and so has its Ctrl-C handler).
fn hung_run(name: &str) -> (Child, PathBuf) {
    let (addr, accepted) = hostile_broker(b"");
    let dir = scratch(name);
    let child = lastwill()
        .args(["run", "--broker", &format!("tcp://{addr}")])
        .args(["--filter", "trigger.", "--report-dir", s(&dir)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while accepted.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "the run never connected");
        thread::sleep(Duration::from_millis(50));
    }
    thread::sleep(Duration::from_millis(500));
    (child, dir)
}

#[test]
fn ctrl_c_writes_a_partial_report_and_exits_130() {
    let (mut child, dir) = hung_run("ctrl-c");
    signal(child.id(), "-INT");
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(130));
    let report = read(&dir.join("report.json"));
    assert!(report.partial);
    assert!(report.results.is_empty(), "{:#?}", report.results);
}

#[test]
fn a_second_ctrl_c_exits_at_once() {
    let (mut child, dir) = hung_run("ctrl-c-twice");
    signal(child.id(), "-INT");
    signal(child.id(), "-INT");
    let status = wait_with_timeout(&mut child, Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(130));
    // Either the first Ctrl-C finished writing the report or the second cut
    // in before it began: a report there is whole (written atomically).
    let path = dir.join("report.json");
    if path.exists() {
        assert!(read(&path).partial);
    }
}
