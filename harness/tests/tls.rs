//! MQTT over TLS (`mqtts://`): scenarios run unchanged against the
//! reference broker's TLS listener with a generated CA; a wrong CA fails the
//! connection at once with rustls's reason; a reset under the TLS session
//! publishes the will; a client that stalls the handshake is dropped after
//! the listener's timeout; and the TLS profiles' format.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lastwill::runner::{run_scenarios, RunOptions};
use lastwill::scenario::{load_dir, LoadedScenario};
use lastwill::target::launched::ProfileBroker;
use lastwill::target::{profile, Target, TargetSpec, TcpTarget};
use lastwill::tls::certs::TestCerts;
use lastwill::tls::ClientTls;
use lastwill_broker::server::tls::{self, TlsListener};
use lastwill_broker::{bind_memory, BrokerConfig};
use lastwill_report::{ScenarioResult, Verdict};
use tokio::io::AsyncReadExt;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scenarios(ids: &[&str]) -> Vec<LoadedScenario> {
    let (loaded, errors) = load_dir(&repo().join("scenarios"));
    assert!(errors.is_empty(), "{errors:#?}");
    let selected: Vec<LoadedScenario> = loaded
        .into_iter()
        .filter(|s| ids.contains(&s.scenario.id.as_str()))
        .collect();
    assert_eq!(
        selected.len(),
        ids.len(),
        "a scenario id is not in scenarios/"
    );
    selected
}

fn verdicts(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .map(|r| {
            format!(
                "{} [{}] {}: {}",
                r.id,
                r.version,
                r.verdict.as_str(),
                r.reason
            )
        })
        .collect()
}

/// A scratch directory of this test process.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("lastwill-tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The reference broker with only a TLS listener, on its own runtime
/// thread, serving `certs`; its `mqtts://` URL.
fn tls_broker(certs: &TestCerts, handshake_timeout: Duration) -> String {
    let config = tls::server_config(certs.cert_pem.as_bytes(), certs.key_pem.as_bytes()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let server = bind_memory(BrokerConfig::default());
            let listener = TlsListener::bind("127.0.0.1:0".parse().unwrap(), config)
                .await
                .unwrap()
                .with_handshake_timeout(handshake_timeout);
            tx.send(listener.url()).unwrap();
            tokio::spawn(listener.serve(server.memory_connector()));
            server.run(std::future::pending()).await
        })
    });
    rx.recv().unwrap()
}

fn trusting(certs: &TestCerts) -> ClientTls {
    ClientTls::trusting_ca_pem(certs.ca_pem.as_bytes(), Path::new("test-ca.pem")).unwrap()
}

fn options() -> RunOptions {
    RunOptions {
        step_timeout: Duration::from_secs(5),
        ..RunOptions::default()
    }
}

/// A FIN (`close_notify` + FIN), a reset under the TLS session, a
/// retained will and a takeover: the transport-sensitive scenarios.
#[test]
fn scenarios_pass_over_tls_with_the_generated_ca() {
    let certs = TestCerts::generate().unwrap();
    let url = tls_broker(&certs, tls::HANDSHAKE_TIMEOUT);
    // `localhost` rather than the IP: the certificate's DNS name, sent as SNI.
    let url = url.replace("127.0.0.1", "localhost");
    let target = TargetSpec::Tcp(TcpTarget::resolve_tls(&url, Some(&trusting(&certs))).unwrap());
    let selected = scenarios(&[
        "trigger.fin",
        "trigger.rst",
        "trigger.normal-disconnect",
        "retained.late-subscriber",
        "takeover.delay-0-expiry-0-clean-start-1",
    ]);
    let results = run_scenarios(&selected, &[], &target, &options(), |_| {});
    assert!(results.len() >= selected.len());
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Pass),
        "{:#?}",
        verdicts(&results)
    );
    // The reset is the one a TLS wrapper could swallow: its will came.
    assert!(results
        .iter()
        .any(|r| r.id == "trigger.rst" && r.verdict == Verdict::Pass));
}

#[test]
fn a_wrong_ca_fails_at_once_with_the_reason() {
    let served = TestCerts::generate().unwrap();
    let other = TestCerts::generate().unwrap();
    let url = tls_broker(&served, tls::HANDSHAKE_TIMEOUT);
    let target = TcpTarget::resolve_tls(&url, Some(&trusting(&other))).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let error = runtime
        .block_on(target.connect())
        .expect_err("an untrusted certificate");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let text = error.to_string();
    assert!(text.contains("TLS handshake with mqtts://"), "{text}");
    assert!(text.contains("invalid peer certificate"), "{text}");
    // A run reports it as the harness's error, not as the broker's failure.
    let results = run_scenarios(
        &scenarios(&["trigger.fin"]),
        &[],
        &TargetSpec::Tcp(target),
        &options(),
        |_| {},
    );
    assert!(
        results
            .iter()
            .all(|r| r.verdict == Verdict::Error && r.reason.contains("UnknownIssuer")),
        "{:#?}",
        verdicts(&results)
    );
}

#[test]
fn a_stalled_handshake_is_dropped_after_the_timeout() {
    let certs = TestCerts::generate().unwrap();
    let url = tls_broker(&certs, Duration::from_millis(300));
    let addr = url.trim_start_matches("mqtts://").to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        // TCP only: no ClientHello ever comes.
        let mut stalled = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let started = Instant::now();
        let mut buf = [0u8; 16];
        let read = tokio::time::timeout(Duration::from_secs(5), stalled.read(&mut buf))
            .await
            .expect("the broker dropped the connection");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        assert!(
            started.elapsed() >= Duration::from_millis(250),
            "{:?}",
            started.elapsed()
        );
        // The listener still serves handshakes that do complete.
        let target = TcpTarget::resolve_tls(&url, Some(&trusting(&certs))).unwrap();
        target
            .connect()
            .await
            .expect("a handshake after the stalled one");
    });
}

#[test]
fn insecure_accepts_a_certificate_no_ca_vouches_for() {
    let certs = TestCerts::generate().unwrap();
    let url = tls_broker(&certs, tls::HANDSHAKE_TIMEOUT);
    let insecure = ClientTls::insecure().unwrap();
    let target = TcpTarget::resolve_tls(&url, Some(&insecure)).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(target.connect()).expect("no verification");
}

#[test]
fn tls_profiles_load_and_their_placeholders_need_tls_generate() {
    let loaded = profile::load_file(&repo().join("targets/reference-tls.yaml")).unwrap();
    assert_eq!(loaded.profile.tls, Some(profile::TlsMode::Generate));
    let mosquitto = profile::load_file(&repo().join("targets/mosquitto-tls.yaml")).unwrap();
    assert_eq!(mosquitto.profile.tls, Some(profile::TlsMode::Generate));
    let without = "name: x\ncommand: b\nargs: [--cert, \"{certfile}\"]\n";
    let (line, _, message) = profile::parse(without).expect_err("no tls: generate");
    assert_eq!(line, 3);
    assert!(message.contains("tls: generate"), "{message}");
}

/// mosquitto's TLS listener (OpenSSL) from its profile, with generated
/// certificates: the harness's rustls client and its readiness probe
/// interoperate with it. Skipped where mosquitto is not installed.
#[test]
fn mosquitto_tls_profile_starts_and_passes_over_tls() {
    if std::process::Command::new("mosquitto")
        .arg("-h")
        .output()
        .is_err()
    {
        eprintln!("mosquitto is not installed: skipped");
        return;
    }
    let profile = profile::load_file(&repo().join("targets/mosquitto-tls.yaml")).unwrap();
    let running = ProfileBroker::start(&profile, &scratch("mosquitto")).unwrap();
    let tls = running.tls.clone().expect("tls: generate gives a client");
    let target = TargetSpec::Tcp(TcpTarget::from_addrs_tls(
        &running.socket_addrs(),
        Some(&tls),
    ));
    let selected = scenarios(&["trigger.fin", "trigger.rst"]);
    let results = run_scenarios(&selected, &[], &target, &options(), |_| {});
    assert!(running.stop(), "mosquitto crashed");
    assert!(
        results.iter().all(|r| r.verdict == Verdict::Pass),
        "{:#?}",
        verdicts(&results)
    );
}

#[test]
fn generated_certificates_are_written_as_three_pem_files() {
    let dir = scratch("certs");
    let files = lastwill::tls::certs::generate_into(&dir).unwrap();
    let trusted = ClientTls::trusting_ca_file(&files.ca).unwrap();
    assert_eq!(trusted.trust(), &lastwill::tls::Trust::Ca(files.ca.clone()));
    tls::server_config_from_files(&files.cert, &files.key).unwrap();
}
