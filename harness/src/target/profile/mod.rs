//! Target profiles: how to start a broker the harness then tests and stops.
//! One checked-in YAML file per broker, `targets/NAME.yaml`; users add
//! their own beside them (or anywhere, by path). The format, with every
//! field:
//!
//! ```yaml
//! name: mosquitto                  # must equal the file's stem
//! description: Eclipse Mosquitto from Debian's package
//! product: mosquitto               # the broker's name in reports (default: name)
//! command: mosquitto               # on PATH, a path (./x is relative to the profile), or {self}
//! args: ["-c", "{config}"]
//! config:                          # optional; written before the start
//!   file: mosquitto.conf
//!   template: |
//!     listener {port} 127.0.0.1
//! ready: { timeout: 10s }          # CONNECT/CONNACK + PINGREQ/PINGRESP must succeed within it
//! versions: ["3.1.1", "5.0"]       # what the broker speaks on that port; others are skipped
//! capabilities: []                 # those no CONNACK reveals (payload_format_validation, ...)
//! timeout_scale: 1.0               # multiplies upper time bounds for this broker
//! expectations: mosquitto.expectations.yaml   # relative to the profile
//! version_command: [mosquitto, -h] # its first version-like word goes into the report
//! install: apt-get install mosquitto
//! isolation: shared                # or `scenario`: a fresh broker per scenario run
//! jobs: 8                          # scenario runs (or isolated brokers) at once
//! env: { NO_COLOR: "1" }           # environment of the broker process
//! tls: generate                   # a CA + server certificate into the run's directory
//!                                  # ({cafile} {certfile} {keyfile}); tested over mqtts://
//! nodes:                          # several nodes (a bridge): one process each, in order;
//!   - name: a                      # a node's args/config replace the profile's;
//!   - name: b                      # {port} is its own port, {port_a} node a's
//!     args: [--bridge, "tcp://127.0.0.1:{port_a}"]
//! ```
//!
//! A container profile (`targets/containers/NAME.yaml`; run with
//! `--target containers/NAME`) names an `image` instead of a `command`; the
//! harness starts it through testcontainers (Docker, or Podman's
//! Docker-compatible socket via `DOCKER_HOST`), publishes its MQTT port on a
//! free loopback port and removes it at the end:
//!
//! ```yaml
//! name: eclipse-mosquitto
//! image: eclipse-mosquitto:2.0.20  # IMAGE[:TAG]; the tag (if a version) goes into the report
//! container_port: 1883             # the broker's port inside the container (default 1883)
//! cmd: [mosquitto, -c, "{config}"] # optional; replaces the image's CMD
//! env: { EMQX_LOG__CONSOLE__LEVEL: info }
//! config:                          # optional; written, then mounted read-only at `mount`
//!   file: mosquitto.conf
//!   mount: /mosquitto/config/mosquitto.conf
//!   template: |
//!     listener {port} 0.0.0.0
//! ready: { timeout: 60s, log: "running" }   # a line to wait for, then the MQTT probe
//! ```
//!
//! In a container profile `{port}` is the port inside the container and
//! `{config}` the mount path; `args`, `version_command` and
//! `isolation: scenario` do not apply.
//!
//! Placeholders in `command`, `args`, `version_command` and the config
//! template: `{port}` (a free loopback port the harness picks), `{config}`
//! (the written config file), `{dir}` (the profile's directory), `{work}`
//! (the run's working directory, where the log and config go) and `{self}`
//! (the running `lastwill` executable); with `tls: generate`, `{cafile}`,
//! `{certfile}` and `{keyfile}` (PEM files of a CA, and of a server
//! certificate for `localhost`/`127.0.0.1` it signs, with its key, all
//! generated into `{work}` before the start; the harness then connects over
//! TLS trusting that CA, see `crate::tls`). Any other `{...}` is an error with
//! its file, line and column, found when the profile loads.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::scenario::{Capability, Located, Version};

mod check;
mod launch_values;

use self::check::check;
pub use self::launch_values::Placeholders;

/// The placeholders a profile may use.
pub const PLACEHOLDERS: [&str; 8] = [
    "port", "config", "dir", "work", "self", "cafile", "certfile", "keyfile",
];

/// The placeholders that name generated certificates (`tls: generate`).
const TLS_PLACEHOLDERS: [&str; 3] = ["{cafile}", "{certfile}", "{keyfile}"];

/// A target profile as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: Located<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// The broker product's name in reports; default: `name`.
    #[serde(default)]
    pub product: Option<String>,
    /// The program to run; empty (absent) in a container profile.
    #[serde(default = "no_command")]
    pub command: Located<String>,
    #[serde(default)]
    pub args: Vec<Located<String>>,
    #[serde(default)]
    pub config: Option<ConfigTemplate>,
    #[serde(default)]
    pub ready: Ready,
    /// Protocol versions the broker serves on its port; default both.
    #[serde(default = "both_versions")]
    pub versions: Located<Vec<Version>>,
    /// Capabilities no CONNACK reveals that the broker has.
    #[serde(default)]
    pub capabilities: Vec<Capability>,
    #[serde(default = "one")]
    pub timeout_scale: Located<f64>,
    /// The expectations file, relative to the profile's directory.
    #[serde(default)]
    pub expectations: Option<Located<String>>,
    /// A command printing the broker's version (argv, placeholders allowed).
    #[serde(default)]
    pub version_command: Option<Vec<Located<String>>>,
    /// How to install the broker, shown when it cannot be started.
    #[serde(default)]
    pub install: Option<String>,
    /// `shared` (default): one broker for the whole run, scenarios
    /// concurrently, each in its own `{ns}`. `scenario`: a fresh broker for
    /// every scenario run, for brokers whose state leaks across topics (a
    /// retained message delivered to a client that never subscribed to it),
    /// which would otherwise make one scenario's verdict depend on what
    /// others ran beside it.
    #[serde(default)]
    pub isolation: Isolation,
    /// Scenario runs in flight at once (with `isolation: scenario`, brokers
    /// running at once); default: the runner's.
    #[serde(default)]
    pub jobs: Option<usize>,
    /// Environment variables for the broker process (`NO_COLOR: "1"`).
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// A container image (`IMAGE[:TAG]`) to run instead of `command`.
    #[serde(default)]
    pub image: Option<Located<String>>,
    /// The broker's MQTT port inside the container; default 1883.
    #[serde(default)]
    pub container_port: Option<Located<u16>>,
    /// The container's command, replacing the image's CMD (placeholders allowed).
    #[serde(default)]
    pub cmd: Option<Vec<Located<String>>>,
    /// Several nodes (a bridge, a cluster): one process per node, started in
    /// order on ports of their own, each node's `args` and `config`
    /// replacing the profile's; `{port}` is the node's own port and
    /// `{port_NAME}` that of node NAME. Scenarios with `nodes` use them in
    /// this order; the run's target has the `second_node` capability.
    #[serde(default)]
    pub nodes: Vec<NodeProfile>,
    /// `generate`: certificates generated into the run's working directory
    /// before each start, and the broker tested over `mqtts://` trusting
    /// their CA (see [`TLS_PLACEHOLDERS`]).
    #[serde(default)]
    pub tls: Option<TlsMode>,
}

/// Where a TLS profile's certificates come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TlsMode {
    /// A fresh CA and server certificate per start (`crate::tls::certs`).
    Generate,
}

/// One node of a multi-node profile.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeProfile {
    /// Lowercase letters (`a`, `b`): `{port_a}` names its port.
    pub name: Located<String>,
    /// Replaces the profile's `args` for this node.
    #[serde(default)]
    pub args: Option<Vec<Located<String>>>,
    /// Replaces the profile's `config` for this node (give it its own file name).
    #[serde(default)]
    pub config: Option<ConfigTemplate>,
}

/// `{port_NAME}` of each node of a multi-node profile.
pub fn node_port_key(name: &str) -> String {
    format!("{{port_{name}}}")
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    #[default]
    Shared,
    Scenario,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigTemplate {
    /// File name inside the working directory.
    pub file: Located<String>,
    pub template: Located<String>,
    /// Container profiles: where the written file is mounted (an absolute path).
    #[serde(default)]
    pub mount: Option<Located<String>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ready {
    /// How long the broker may take to answer CONNECT; default 10 s.
    #[serde(default = "ten_seconds")]
    pub timeout: Located<crate::scenario::values::Seconds>,
    /// Container profiles: a text the broker's output must contain before
    /// the MQTT probe starts.
    #[serde(default)]
    pub log: Option<String>,
}

impl Default for Ready {
    fn default() -> Self {
        Self {
            timeout: ten_seconds(),
            log: None,
        }
    }
}

fn located<T>(value: T) -> Located<T> {
    Located {
        value,
        line: 0,
        column: 0,
    }
}

fn both_versions() -> Located<Vec<Version>> {
    located(vec![Version::V3_1_1, Version::V5])
}

fn no_command() -> Located<String> {
    located(String::new())
}

fn one() -> Located<f64> {
    located(1.0)
}

fn ten_seconds() -> Located<crate::scenario::values::Seconds> {
    located(crate::scenario::values::Seconds::Number(10.0))
}

/// A profile read and checked, with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedProfile {
    pub profile: Profile,
    pub path: PathBuf,
    /// The profile's directory, absolute where it can be made so.
    pub dir: PathBuf,
}

/// Why a profile cannot be used: file, line and column where known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ProfileError {
    pub file: PathBuf,
    /// 1-based; 0 when the error has no position.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl std::fmt::Display for ProfileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        crate::scenario::write_at(f, &self.file, self.line, self.column, &self.message)
    }
}

/// Loads one profile file and checks it.
pub fn load_file(path: &Path) -> Result<LoadedProfile, ProfileError> {
    let error = |line: u32, column: u32, message: String| ProfileError {
        file: path.to_path_buf(),
        line,
        column,
        message,
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| error(0, 0, format!("cannot read the profile: {e}")))?;
    let profile = parse(&text).map_err(|(line, column, message)| error(line, column, message))?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if profile.name.value != stem {
        return Err(error(
            profile.name.line,
            profile.name.column,
            format!(
                "the profile is named `{}` but its file is `{stem}.yaml`; they must agree",
                profile.name.value
            ),
        ));
    }
    let parent = path.parent().unwrap_or_else(|| Path::new("."));
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let dir = std::fs::canonicalize(parent).unwrap_or_else(|_| parent.to_path_buf());
    Ok(LoadedProfile {
        profile,
        path: path.to_path_buf(),
        dir,
    })
}

/// Every profile in `dir` (files `*.yaml` whose name has no other dot, so
/// `NAME.expectations.yaml` is not taken for one), in name order, and the
/// errors of those that did not load.
pub fn load_dir(dir: &Path) -> (Vec<LoadedProfile>, Vec<ProfileError>) {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| is_profile_file(p))
            .collect(),
        Err(e) => {
            return (
                Vec::new(),
                vec![ProfileError {
                    file: dir.to_path_buf(),
                    line: 0,
                    column: 0,
                    message: format!("cannot read the profile directory: {e}"),
                }],
            )
        }
    };
    files.sort();
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load_file(&file) {
            Ok(profile) => loaded.push(profile),
            Err(error) => errors.push(error),
        }
    }
    (loaded, errors)
}

fn is_profile_file(path: &Path) -> bool {
    path.is_file()
        && path.extension().is_some_and(|e| e == "yaml")
        && path
            .file_stem()
            .and_then(|s| s.to_str())
            .is_some_and(|s| !s.contains('.'))
}

/// `NAME` (looked up as `DIR/NAME.yaml`) or a path to a profile file.
pub fn find(dir: &Path, name: &str) -> Result<LoadedProfile, ProfileError> {
    let as_path = Path::new(name);
    // `containers/emqx`: a profile in a subdirectory of `dir`.
    let nested = dir.join(format!("{name}.yaml"));
    if name.contains('/') && !name.ends_with(".yaml") && nested.is_file() {
        return load_file(&nested);
    }
    if name.ends_with(".yaml") || name.contains('/') {
        return load_file(as_path);
    }
    let path = dir.join(format!("{name}.yaml"));
    if !path.is_file() {
        let (profiles, _) = load_dir(dir);
        let known: Vec<&str> = profiles
            .iter()
            .map(|p| p.profile.name.value.as_str())
            .collect();
        return Err(ProfileError {
            file: path,
            line: 0,
            column: 0,
            message: format!(
                "no target profile `{name}` (profiles in {}: {})",
                dir.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        });
    }
    load_file(&path)
}

/// Parses and checks profile text; errors as (line, column, message).
pub fn parse(text: &str) -> Result<Profile, (u32, u32, String)> {
    let profile: Profile = serde_saphyr::from_str(text).map_err(crate::scenario::yaml_error)?;
    if profile.image.is_none() && profile.command.line == 0 {
        // Neither `command` nor `image`: the error (and place) serde gives
        // for a missing required field, as before container profiles.
        #[derive(Deserialize)]
        struct NeedsCommand {
            #[allow(dead_code)]
            command: Located<String>,
        }
        serde_saphyr::from_str::<NeedsCommand>(text).map_err(crate::scenario::yaml_error)?;
    }
    check(&profile)?;
    Ok(profile)
}
