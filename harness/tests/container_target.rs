//! Container targets: the profiles in `targets/containers/` load (no
//! container engine needed), their mistakes are reported, and, where a
//! container engine and the locally built mosquitto image are available,
//! `lastwill run --container` runs scenarios against it through
//! testcontainers and matches mosquitto's expectations.
//!
//! The live test needs `DOCKER_HOST` (Docker, or Podman's service socket) and
//! the image `localhost/lastwill-mosquitto:2.0.11` from
//! `.ci/build-mosquitto-image.sh`; without them it prints a skip line and
//! passes. `.ci/run`'s container stage sets both up (Podman, the image, the
//! socket) before `cargo test -p lastwill --test container_target`, so CI
//! exercises it.
#![cfg(feature = "containers")]

use std::path::{Path, PathBuf};
use std::process::Command;

use lastwill::target::profile;

const IMAGE: &str = "localhost/lastwill-mosquitto:2.0.11";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_container_profile_loads() {
    let dir = repo().join("targets/containers");
    let (profiles, errors) = profile::load_dir(&dir);
    assert!(errors.is_empty(), "{errors:?}");
    let names: Vec<&str> = profiles.iter().map(|p| p.name()).collect();
    assert_eq!(
        names,
        [
            "eclipse-mosquitto",
            "emqx",
            "hivemq-ce",
            "local-mosquitto",
            "nanomq",
            "tbmq",
            "vernemq"
        ]
    );
    for p in &profiles {
        assert!(p.is_container(), "{}", p.name());
        assert_eq!(p.container_port(), 1883, "{}", p.name());
        assert!(p.profile.install.is_some(), "{}", p.name());
        if let Some(config) = &p.profile.config {
            assert!(config.mount.is_some(), "{}", p.name());
        }
        if let Some(path) = p.expectations_path() {
            assert!(path.is_file(), "{}: {}", p.name(), path.display());
        }
    }
    let image = |name: &str| {
        profiles
            .iter()
            .find(|p| p.name() == name)
            .and_then(|p| p.profile.image.as_ref())
            .map(|i| i.value.clone())
            .unwrap_or_default()
    };
    assert!(image("eclipse-mosquitto").starts_with("eclipse-mosquitto:"));
    assert!(image("emqx").starts_with("emqx/emqx:"));
    assert!(image("hivemq-ce").starts_with("hivemq/hivemq-ce:"));
    assert!(image("tbmq").starts_with("thingsboard/tbmq:"));
    assert!(image("vernemq").starts_with("vernemq/vernemq:"));
    assert_eq!(image("local-mosquitto"), IMAGE);
    // `--target containers/NAME` finds them from the targets directory.
    let found = profile::find(&repo().join("targets"), "containers/local-mosquitto")
        .expect("containers/local-mosquitto");
    assert_eq!(found.name(), "local-mosquitto");
    // The top-level directory's profiles (the matrix's) do not include them.
    let (top, _) = profile::load_dir(&repo().join("targets"));
    assert!(top.iter().all(|p| !p.is_container()));
}

#[test]
fn container_profile_mistakes_are_reported_where_they_are() {
    let cases = [
        (
            "name: x\nimage: a:1\ncommand: mosquitto\n",
            3,
            "either `command` or `image`",
        ),
        ("name: x\nimage: a:1\nargs: [-v]\n", 3, "`cmd`"),
        (
            "name: x\nimage: a:1\nconfig:\n  file: b.conf\n  template: x\n",
            4,
            "needs `mount`",
        ),
        (
            "name: x\nimage: a:1\nconfig:\n  file: b.conf\n  mount: etc/b.conf\n  template: x\n",
            5,
            "absolute path",
        ),
        ("name: x\nimage: a:1\nisolation: scenario\n", 1, "isolation"),
        (
            "name: x\nimage: a:1\ncontainer_port: 0\n",
            3,
            "`container_port`",
        ),
        (
            "name: x\nimage: a:1\ncmd: [\"{nope}\"]\n",
            3,
            "unknown placeholder",
        ),
        ("name: x\nimage: \"a b\"\n", 2, "IMAGE[:TAG]"),
    ];
    for (text, line, message) in cases {
        let (at, _, error) = profile::parse(text).expect_err(text);
        assert_eq!(at, line, "{text}: {error}");
        assert!(error.contains(message), "{text}: {error}");
    }
    let (_, _, error) = profile::parse("name: x\n").expect_err("no command, no image");
    assert!(error.contains("command"), "{error}");
    let good = profile::parse(
        "name: x\nimage: a:1\ncontainer_port: 1884\ncmd: [b, \"{config}\"]\nconfig:\n  file: b.conf\n  mount: /etc/b.conf\n  template: \"listener {port}\"\nready: { timeout: 30s, log: up }\n",
    )
    .expect("a full container profile");
    assert_eq!(good.ready.log.as_deref(), Some("up"));
}

/// Why the live test cannot run here, if it cannot.
fn live_skip_reason() -> Option<String> {
    if std::env::var_os("DOCKER_HOST").is_none() {
        return Some("DOCKER_HOST is not set".into());
    }
    let exists = ["podman", "docker"].iter().any(|cli| {
        Command::new(cli)
            .args(["image", "inspect", IMAGE])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if !exists {
        return Some(format!(
            "the image {IMAGE} does not exist (build it with .ci/build-mosquitto-image.sh)"
        ));
    }
    None
}

#[test]
fn the_suite_runs_against_a_container_through_testcontainers() {
    if let Some(reason) = live_skip_reason() {
        println!("skipped: {reason}; .ci/run's container stage runs this test for real");
        return;
    }
    let report = std::env::temp_dir().join(format!("lastwill-container-{}", std::process::id()));
    let output = Command::new(env!("CARGO_BIN_EXE_lastwill"))
        .current_dir(repo())
        .args(["run", "--container", IMAGE, "--filter", "trigger."])
        .args(["--expectations", "targets/mosquitto.expectations.yaml"])
        .arg("--report-dir")
        .arg(&report)
        .output()
        .expect("lastwill runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{stderr}",
        output.status
    );
    assert!(
        stdout.contains("results match the expectations file"),
        "{stdout}"
    );
    let json = std::fs::read_to_string(report.join("report.json")).expect("report.json");
    assert!(
        json.contains("\"lastwill-mosquitto 2.0.11\""),
        "the image's tag is the broker version"
    );
    let log = std::fs::read_to_string(report.join("broker.log")).expect("broker.log");
    assert!(
        log.contains("mosquitto version 2.0.11 running"),
        "the container's output is in broker.log:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&report);
}
