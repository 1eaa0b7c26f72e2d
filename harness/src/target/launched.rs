//! A profile's broker, started for one run of the suite: the config written
//! from its template, the process started on a free loopback port (through
//! [`crate::launch::LaunchedBroker`], which also keeps its log and checks
//! readiness with CONNECT/CONNACK and PINGREQ/PINGRESP), its version read
//! ([`super::version`]),
//! and the suite's results completed with `skip` for the protocol versions
//! the profile says the broker does not serve.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lastwill_report::{ScenarioResult, TargetInfo, Verdict};

use super::profile::{LoadedProfile, Placeholders, TlsMode};
use crate::launch::{free_port, LaunchError, LaunchSpec, LaunchedBroker};

pub use super::version::{broker_version, version_word};
use crate::scenario::{LoadedScenario, Version};
use crate::tls::{certs, ClientTls};

pub use super::suite::{run_suite, SuiteRun};

/// The log file a launched broker writes, inside the run's working directory.
pub const LOG_FILE: &str = "broker.log";

/// Attempts at starting a broker: a port picked free can be taken by
/// another program before the broker binds it.
const ATTEMPTS: usize = 3;

/// A profile's broker, running.
#[derive(Debug)]
pub struct ProfileBroker {
    pub broker: LaunchedBroker,
    /// The broker's stdout and stderr.
    pub log: PathBuf,
    /// The written config file, if the profile has a template.
    pub config: Option<PathBuf>,
    /// The nodes after the first of a multi-node profile, in order; their
    /// logs are `broker-NAME.log` beside `broker.log` (the first node's).
    pub others: Vec<LaunchedBroker>,
    /// With `tls: generate`: how to connect, trusting the generated CA.
    pub tls: Option<ClientTls>,
}

/// Why a profile's broker could not be started.
#[derive(Debug, thiserror::Error)]
#[error("target `{name}`: {source}{hint}")]
pub struct StartError {
    pub name: String,
    #[source]
    pub source: LaunchError,
    pub hint: String,
}

impl ProfileBroker {
    /// Starts the broker with `work` as its working directory (created if
    /// needed; the log and config are written there).
    pub fn start(profile: &LoadedProfile, work: &Path) -> Result<Self, StartError> {
        Self::start_with_args(profile, work, &[])
    }

    /// [`Self::start`] with `extra` appended to the profile's arguments
    /// (`lastwill fuzz --target reference --target-arg=--fault ...`).
    pub fn start_with_args(
        profile: &LoadedProfile,
        work: &Path,
        extra: &[String],
    ) -> Result<Self, StartError> {
        let fail = |source: LaunchError| StartError {
            name: profile.name().to_owned(),
            source,
            hint: profile.install_hint(),
        };
        let write_error = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LaunchError::Write { path, source }
        };
        std::fs::create_dir_all(work).map_err(|e| fail(write_error(work)(e)))?;
        let work = std::fs::canonicalize(work).unwrap_or_else(|_| work.to_path_buf());
        if !profile.profile.nodes.is_empty() {
            return start_nodes(profile, &work).map_err(fail);
        }
        let tls = generate_certs(profile, &work).map_err(fail)?;
        let probe = |addr, timeout| match &tls {
            Some(tls) => crate::tls::probe::probe_blocking(addr, timeout, tls),
            None => crate::fuzz::health::probe_blocking(addr, timeout),
        };
        let log = work.join(LOG_FILE);
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let port = free_port().map_err(|e| fail(write_error(&work)(e)))?;
            let values = placeholders(profile, &work, port);
            let config = match &profile.profile.config {
                Some(template) => {
                    let text = values.expand(&template.template.value);
                    std::fs::write(&values.config, text)
                        .map_err(|e| fail(write_error(&values.config)(e)))?;
                    Some(values.config.clone())
                }
                None => None,
            };
            let spec = LaunchSpec {
                program: profile.program(&values),
                args: profile
                    .profile
                    .args
                    .iter()
                    .map(|a| values.expand(&a.value))
                    .chain(extra.iter().cloned())
                    .collect(),
                port,
                dir: Some(work.clone()),
                env: profile
                    .profile
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), values.expand(v)))
                    .collect(),
            };
            match LaunchedBroker::start_probing(&spec, &log, profile.ready_timeout(), &probe) {
                Ok(broker) => {
                    return Ok(Self {
                        broker,
                        log,
                        config,
                        others: Vec::new(),
                        tls,
                    })
                }
                // A broker that exited at once may have lost the port race;
                // one that cannot be spawned or hangs will not do better.
                Err(error @ LaunchError::NotReady { .. }) => last = Some(error),
                Err(error) => return Err(fail(error)),
            }
        }
        Err(fail(last.unwrap_or_else(|| LaunchError::NotReady {
            seconds: 0,
            reason: "never started".into(),
            tail: String::new(),
        })))
    }

    /// SIGTERM, then SIGKILL after a grace period; true if the broker was
    /// still running (had not crashed) when asked to stop.
    pub fn stop(mut self) -> bool {
        let mut alive = self.broker.has_exited().is_none();
        // The later nodes first: a bridge's node before the one it bridges to.
        for mut other in self.others.drain(..).rev() {
            alive &= other.has_exited().is_none();
            other.stop(Duration::from_secs(5));
        }
        self.broker.stop(Duration::from_secs(5));
        alive
    }

    /// Every node's address, in the profile's order.
    pub fn socket_addrs(&self) -> Vec<std::net::SocketAddr> {
        std::iter::once(&self.broker)
            .chain(&self.others)
            .map(LaunchedBroker::socket_addr)
            .collect()
    }
}

/// A multi-node profile: free ports for every node first (a node's config
/// may name another's port), then each node started in order and checked
/// for readiness like a single broker.
fn start_nodes(profile: &LoadedProfile, work: &Path) -> Result<ProfileBroker, LaunchError> {
    let nodes = &profile.profile.nodes;
    let mut last = None;
    for _ in 0..ATTEMPTS {
        let write_error = |path: &Path, source| LaunchError::Write {
            path: path.to_path_buf(),
            source,
        };
        let ports = nodes
            .iter()
            .map(|_| free_port())
            .collect::<Result<Vec<u16>, _>>()
            .map_err(|e| write_error(work, e))?;
        let mut started: Vec<LaunchedBroker> = Vec::new();
        let mut first_config = None;
        let mut failed = None;
        for (i, node) in nodes.iter().enumerate() {
            let mut values = placeholders(profile, work, ports[i]);
            let template = node.config.as_ref().or(profile.profile.config.as_ref());
            if let Some(template) = template {
                values.config = work.join(&template.file.value);
            }
            let expand = |text: &str| {
                let mut text = text.to_owned();
                for (other, port) in nodes.iter().zip(&ports) {
                    let key = super::profile::node_port_key(&other.name.value);
                    text = text.replace(&key, &port.to_string());
                }
                values.expand(&text)
            };
            if let Some(template) = template {
                std::fs::write(&values.config, expand(&template.template.value))
                    .map_err(|e| write_error(&values.config, e))?;
                if i == 0 {
                    first_config = Some(values.config.clone());
                }
            }
            let args = node.args.as_ref().unwrap_or(&profile.profile.args);
            let spec = LaunchSpec {
                program: profile.program(&values),
                args: args.iter().map(|a| expand(&a.value)).collect(),
                port: ports[i],
                dir: Some(work.to_path_buf()),
                env: profile
                    .profile
                    .env
                    .iter()
                    .map(|(k, v)| (k.clone(), expand(v)))
                    .collect(),
            };
            let log = match i {
                0 => work.join(LOG_FILE),
                _ => work.join(format!("broker-{}.log", node.name.value)),
            };
            match LaunchedBroker::start(&spec, &log, profile.ready_timeout()) {
                Ok(broker) => started.push(broker),
                Err(error) => {
                    failed = Some(error);
                    break;
                }
            }
        }
        match failed {
            None if !started.is_empty() => {
                let broker = started.remove(0);
                return Ok(ProfileBroker {
                    broker,
                    log: work.join(LOG_FILE),
                    config: first_config,
                    others: started,
                    tls: None,
                });
            }
            Some(error @ LaunchError::NotReady { .. }) => last = Some(error),
            Some(error) => return Err(error),
            None => {}
        }
        // Dropping `started` kills the nodes that did start.
    }
    Err(last.unwrap_or_else(|| LaunchError::NotReady {
        seconds: 0,
        reason: "never started".into(),
        tail: String::new(),
    }))
}

/// With `tls: generate`, a fresh CA and server certificate in `work` (where
/// `{cafile}`, `{certfile}` and `{keyfile}` point) and a client trusting
/// that CA.
fn generate_certs(profile: &LoadedProfile, work: &Path) -> Result<Option<ClientTls>, LaunchError> {
    let Some(TlsMode::Generate) = profile.profile.tls else {
        return Ok(None);
    };
    let files = certs::generate_into(work).map_err(|e| LaunchError::Write {
        path: work.to_path_buf(),
        source: std::io::Error::other(e),
    })?;
    let tls = ClientTls::trusting_ca_file(&files.ca).map_err(|e| LaunchError::Write {
        path: files.ca.clone(),
        source: std::io::Error::other(e),
    })?;
    Ok(Some(tls))
}

pub(super) fn placeholders(profile: &LoadedProfile, work: &Path, port: u16) -> Placeholders {
    let config_name = profile
        .profile
        .config
        .as_ref()
        .map_or("broker.conf", |c| c.file.value.as_str());
    Placeholders {
        port,
        config: work.join(config_name),
        dir: profile.dir.clone(),
        work: work.to_path_buf(),
        this_program: std::env::current_exe().unwrap_or_else(|_| PathBuf::from("lastwill")),
    }
}

/// What reports say about a profile's target. The address names the
/// profile, not the port it happened to get, so the reports of several
/// runs (shards, repeated runs) are recognised as one target's.
pub fn target_info(profile: &LoadedProfile, broker: Option<String>) -> TargetInfo {
    TargetInfo {
        name: profile.name().to_owned(),
        address: format!("profile:{}", profile.name()),
        broker,
        virtual_time: false,
        faults: Vec::new(),
    }
}

/// The selection's scenarios limited to the versions the profile serves,
/// for the runner.
pub fn served(profile: &LoadedProfile, versions: &[Version]) -> Vec<Version> {
    versions
        .iter()
        .copied()
        .filter(|v| profile.versions().contains(v))
        .collect()
}

/// `results` completed, in scenario then version order, with a `skip` for
/// every run under a version in `versions` that the profile does not serve.
pub fn with_unserved_skips(
    profile: &LoadedProfile,
    scenarios: &[LoadedScenario],
    versions: &[Version],
    mut results: Vec<ScenarioResult>,
) -> Vec<ScenarioResult> {
    let mut out = Vec::with_capacity(results.len());
    for loaded in scenarios {
        let scenario = &loaded.scenario;
        for (version, rules) in &scenario.rules {
            if !versions.contains(version) {
                continue;
            }
            if profile.versions().contains(version) {
                if let Some(i) = results
                    .iter()
                    .position(|r| r.id == scenario.id && r.version == version.as_str())
                {
                    out.push(results.remove(i));
                }
                continue;
            }
            out.push(ScenarioResult {
                id: scenario.id.clone(),
                title: scenario.title.clone(),
                version: version.as_str().to_owned(),
                file: loaded.relative.clone(),
                rules: rules.clone(),
                verdict: Verdict::Skip,
                reason: format!(
                    "the broker does not serve MQTT {version} (target profile {}: versions {})",
                    profile.name(),
                    profile
                        .versions()
                        .iter()
                        .map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                failed_rule: None,
                failed_step: None,
                expected: None,
                observed: None,
                choices: Vec::new(),
                scenario_time_ms: 0,
                wall_time_ms: 0,
                timeline: Vec::new(),
            });
        }
    }
    // Anything not matched above (none in practice) keeps its place at the end.
    out.append(&mut results);
    out
}
