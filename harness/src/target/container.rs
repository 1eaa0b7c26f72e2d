//! A container profile's broker (`image:` instead of `command:`), or any
//! image given with `lastwill run --container IMAGE[:TAG]`, started through
//! testcontainers for one run of the suite, then tested over TCP like a
//! launched broker.
//!
//! testcontainers talks to a Docker daemon, or to Podman's
//! Docker-compatible service: `podman system service --time=0
//! unix:///run/lastwill-podman.sock` and `DOCKER_HOST` pointing at it.
//!
//! Decisions:
//! - The broker's port is published on a host port the harness picks
//!   (`with_mapped_port`), not one the daemon picks and reports: Podman 4.3
//!   reports published ports with an empty host IP, which testcontainers'
//!   `get_host_port_ipv4` cannot read. A port lost to a race between picking
//!   and binding is retried, as for launched brokers.
//! - The config file is copied into the container before it starts
//!   (`with_copy_to`), not bind-mounted, so it also works with a remote
//!   daemon and under SELinux.
//! - Readiness is the profile's log line (if any), then the same MQTT probe
//!   as for launched brokers (CONNECT/CONNACK, PINGREQ/PINGRESP).
//! - The container's stdout and stderr are followed into `broker.log` while
//!   it runs; the container is removed at the end, on success or not.
//! - testcontainers is async; the harness's targets are not. A
//!   [`ContainerBroker`] owns a small tokio runtime for the container's
//!   calls and its log tasks; the suite runs on the runner's own runtime.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use lastwill_report::ScenarioResult;
use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{ContainerAsync, GenericImage, ImageExt};
use tokio::io::{AsyncBufRead, AsyncBufReadExt};

use super::launched::{served, with_unserved_skips, StartError, SuiteRun, LOG_FILE};
use super::profile::{self, LoadedProfile, Placeholders, ProfileError};
use super::{TargetSpec, TcpTarget};
use crate::launch::{free_port, LaunchError};
use crate::runner::{run_scenarios, RunOptions};
use crate::scenario::{LoadedScenario, Version};

/// Attempts at starting a container: the host port picked free can be
/// taken before the daemon binds it.
const ATTEMPTS: usize = 3;

/// `IMAGE[:TAG]` split into name and tag (`latest` when absent). A colon
/// before the last `/` belongs to a registry's port, not a tag.
pub fn split_image(image: &str) -> (&str, &str) {
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(colon) => (
            &image[..last_slash + colon],
            &image[last_slash + colon + 1..],
        ),
        None => (image, "latest"),
    }
}

/// The profile `--container IMAGE[:TAG]` runs: the image as it is (its own
/// CMD), its MQTT port 1883, both protocol versions, 60 s to become ready.
/// Named after the image's last path component (`eclipse-mosquitto`).
pub fn profile_for_image(image: &str) -> Result<LoadedProfile, ProfileError> {
    let origin = PathBuf::from(format!("--container {image}"));
    let error = |message: String| ProfileError {
        file: origin.clone(),
        line: 0,
        column: 0,
        message,
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || "./:-_@".contains(c);
    if image.is_empty() || !image.chars().all(valid) {
        return Err(error(format!(
            "`{image}` is not an image name (IMAGE[:TAG])"
        )));
    }
    let (name, _) = split_image(image);
    let mut short: String = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    if short.is_empty() {
        short = "container".into();
    }
    let text = format!(
        "name: {short}\ndescription: the image {image}, run with --container\nimage: \"{image}\"\nready: {{ timeout: 60s }}\n"
    );
    let profile = profile::parse(&text).map_err(|(_, _, message)| error(message))?;
    Ok(LoadedProfile {
        profile,
        path: origin,
        dir: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    })
}

/// `PRODUCT TAG` when the image's tag is a version (`mosquitto 2.0.11`).
pub fn broker_version(profile: &LoadedProfile) -> Option<String> {
    let image = &profile.profile.image.as_ref()?.value;
    let (_, tag) = split_image(image);
    let version = super::launched::version_word(tag)?;
    Some(format!("{} {version}", profile.product()))
}

/// A container running a profile's broker.
#[derive(Debug)]
pub struct ContainerBroker {
    runtime: tokio::runtime::Runtime,
    container: Option<ContainerAsync<GenericImage>>,
    address: SocketAddr,
    log: Arc<Mutex<std::fs::File>>,
    log_tasks: Vec<tokio::task::JoinHandle<()>>,
    /// The broker's stdout and stderr, as followed while it ran.
    pub log_path: PathBuf,
}

impl ContainerBroker {
    /// Starts the profile's container, its log in `work/broker.log`, and
    /// waits until the broker answers CONNECT on the published port.
    pub fn start(profile: &LoadedProfile, work: &Path) -> Result<Self, StartError> {
        let fail = |source: LaunchError| StartError {
            name: profile.name().to_owned(),
            source,
            hint: format!("{}{}", profile.install_hint(), daemon_hint()),
        };
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LaunchError::Write { path, source }
        };
        std::fs::create_dir_all(work).map_err(|e| fail(write_error(work)(e)))?;
        let work = std::fs::canonicalize(work).unwrap_or_else(|_| work.to_path_buf());
        let log_path = work.join(LOG_FILE);
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let file =
                std::fs::File::create(&log_path).map_err(|e| fail(write_error(&log_path)(e)))?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|e| fail(write_error(&work)(e)))?;
            let mut broker = Self {
                runtime,
                container: None,
                address: SocketAddr::from(([127, 0, 0, 1], 0)),
                log: Arc::new(Mutex::new(file)),
                log_tasks: Vec::new(),
                log_path: log_path.clone(),
            };
            match broker.launch(profile, &work) {
                Ok(()) => return Ok(broker),
                Err((error, retry)) => {
                    broker.remove();
                    if !retry {
                        return Err(fail(error));
                    }
                    last = Some(error);
                }
            }
        }
        Err(fail(last.unwrap_or_else(|| LaunchError::NotReady {
            seconds: 0,
            reason: "never started".into(),
            tail: String::new(),
        })))
    }

    /// One attempt; the error says whether another port may do better.
    fn launch(&mut self, profile: &LoadedProfile, work: &Path) -> Result<(), (LaunchError, bool)> {
        let image_text = profile
            .profile
            .image
            .as_ref()
            .map_or("", |i| i.value.as_str());
        let spawn_error = |reason: String| LaunchError::Spawn {
            program: format!("container {image_text}"),
            source: std::io::Error::other(reason),
        };
        let inside = profile.container_port();
        let host_port = free_port().map_err(|e| (spawn_error(e.to_string()), false))?;
        let values = container_placeholders(profile, work, inside);
        let (name, tag) = split_image(image_text);
        let mut image = GenericImage::new(name, tag).with_exposed_port(inside.tcp());
        if let Some(line) = &profile.profile.ready.log {
            image = image.with_wait_for(WaitFor::message_on_either_std(line.as_bytes()));
        }
        let timeout = profile.ready_timeout();
        let mut request = image
            .with_mapped_port(host_port, inside.tcp())
            .with_startup_timeout(timeout);
        if let Some(cmd) = &profile.profile.cmd {
            request = request.with_cmd(cmd.iter().map(|a| values.expand(&a.value)));
        }
        for (key, value) in &profile.profile.env {
            request = request.with_env_var(key.clone(), values.expand(value));
        }
        if let Some(config) = &profile.profile.config {
            let text = values.expand(&config.template.value);
            let copy = work.join(&config.file.value);
            std::fs::write(&copy, &text).map_err(|source| {
                (
                    LaunchError::Write {
                        path: copy.clone(),
                        source,
                    },
                    false,
                )
            })?;
            let mount = config.mount.as_ref().map_or("", |m| m.value.as_str());
            request = request.with_copy_to(mount.to_owned(), text.into_bytes());
        }
        let started = Instant::now();
        let container = self
            .runtime
            .block_on(request.start())
            .map_err(|e| (spawn_error(e.to_string()), false))?;
        self.address = SocketAddr::from(([127, 0, 0, 1], host_port));
        for stream in [container.stdout(true), container.stderr(true)] {
            let log = Arc::clone(&self.log);
            self.log_tasks.push(self.runtime.spawn(follow(stream, log)));
        }
        self.container = Some(container);
        let not_ready = |broker: &mut Self, reason: String| LaunchError::NotReady {
            seconds: timeout.as_secs(),
            reason,
            tail: broker.log_tail(),
        };
        loop {
            if !self.is_running() {
                return Err((not_ready(self, "the container exited".into()), true));
            }
            match crate::fuzz::health::probe_blocking(self.address, Duration::from_secs(2)) {
                Ok(()) => return Ok(()),
                Err(reason) if started.elapsed() > timeout => {
                    return Err((not_ready(self, reason), true))
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// The published MQTT port on loopback.
    pub fn socket_addr(&self) -> SocketAddr {
        self.address
    }

    fn is_running(&self) -> bool {
        self.container
            .as_ref()
            .is_some_and(|c| self.runtime.block_on(c.is_running()).unwrap_or(false))
    }

    /// The last lines of the log so far.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Stops the container (SIGTERM, then SIGKILL after 5 s) and removes
    /// it; true if it was still running (had not crashed) when asked to.
    pub fn stop(mut self) -> bool {
        let alive = self.is_running();
        if let Some(container) = &self.container {
            let _ = self.runtime.block_on(container.stop_with_timeout(Some(5)));
        }
        self.remove();
        alive
    }

    /// Removes the container (if any) once its log is copied.
    fn remove(&mut self) {
        let tasks = std::mem::take(&mut self.log_tasks);
        let container = self.container.take();
        self.runtime.block_on(async move {
            // The followers end when the container stops; a running one
            // (a failed start) is removed with them still attached.
            for task in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(2), task).await;
            }
            if let Some(container) = container {
                let _ = container.rm().await;
            }
        });
        if let Ok(mut file) = self.log.lock() {
            let _ = file.flush();
        }
    }
}

/// Copies one output stream of the container into the log, line by line.
async fn follow(
    mut stream: std::pin::Pin<Box<dyn AsyncBufRead + Send>>,
    log: Arc<Mutex<std::fs::File>>,
) {
    let mut line = Vec::new();
    loop {
        line.clear();
        match stream.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let mut file = log.lock().unwrap_or_else(PoisonError::into_inner);
                let _ = file.write_all(&line);
                if !line.ends_with(b"\n") {
                    let _ = file.write_all(b"\n");
                }
            }
        }
    }
}

/// What to check when no container could be started at all.
fn daemon_hint() -> String {
    match std::env::var("DOCKER_HOST") {
        Ok(host) => format!("\n(container engine: DOCKER_HOST={host})"),
        Err(_) => "\n(container engine: the default Docker socket; for Podman, run `podman system service --time=0 unix:///run/lastwill-podman.sock &` and set DOCKER_HOST=unix:///run/lastwill-podman.sock)".into(),
    }
}

/// `{port}` is the port inside the container, `{config}` the mount path.
fn container_placeholders(profile: &LoadedProfile, work: &Path, port: u16) -> Placeholders {
    let config = profile
        .profile
        .config
        .as_ref()
        .and_then(|c| c.mount.as_ref())
        .map_or_else(
            || PathBuf::from("/broker.conf"),
            |m| PathBuf::from(&m.value),
        );
    Placeholders {
        port,
        config,
        dir: profile.dir.clone(),
        work: work.to_path_buf(),
        this_program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lastwill")),
    }
}

/// Starts the profile's container, runs `scenarios` under `versions`
/// against it (versions the profile does not serve are `skip`), and stops
/// and removes it. `options` should already carry the profile's
/// capabilities and scale.
pub fn run_suite(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    options: &RunOptions,
    work: &Path,
    mut on_result: impl FnMut(&ScenarioResult),
) -> Result<SuiteRun, StartError> {
    let served = served(profile, versions);
    let options = super::suite::with_profile_jobs(profile, options);
    if served.is_empty() {
        return Ok(SuiteRun {
            results: with_unserved_skips(profile, scenarios, versions, Vec::new()),
            log: work.join(LOG_FILE),
            crashed: 0,
        });
    }
    let running = ContainerBroker::start(profile, work)?;
    let target = TargetSpec::Tcp(TcpTarget::from_addr(running.socket_addr()));
    let results = run_scenarios(scenarios, &served, &target, &options, &mut on_result);
    let log = running.log_path.clone();
    let crashed = usize::from(!running.stop());
    Ok(SuiteRun {
        results: with_unserved_skips(profile, scenarios, versions, results),
        log,
        crashed,
    })
}

#[cfg(test)]
mod tests {
    use super::{profile_for_image, split_image};

    #[test]
    fn images_split_into_name_and_tag() {
        assert_eq!(
            split_image("eclipse-mosquitto:2.0.20"),
            ("eclipse-mosquitto", "2.0.20")
        );
        assert_eq!(split_image("emqx/emqx"), ("emqx/emqx", "latest"));
        assert_eq!(
            split_image("localhost:5000/lastwill-mosquitto:2.0.11"),
            ("localhost:5000/lastwill-mosquitto", "2.0.11")
        );
        assert_eq!(
            split_image("localhost:5000/x"),
            ("localhost:5000/x", "latest")
        );
    }

    #[test]
    fn a_bare_image_becomes_a_profile() {
        let p = profile_for_image("localhost/lastwill-mosquitto:2.0.11").expect("loads");
        assert_eq!(p.name(), "lastwill-mosquitto");
        assert!(p.is_container());
        assert_eq!(p.container_port(), 1883);
        assert_eq!(
            super::broker_version(&p).as_deref(),
            Some("lastwill-mosquitto 2.0.11")
        );
        assert!(profile_for_image("bad image").is_err());
        assert!(profile_for_image("").is_err());
    }
}
