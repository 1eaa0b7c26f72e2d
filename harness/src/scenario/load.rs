//! Reading scenario files. Every error names the file, line and column:
//! YAML and shape errors come from the parser with their position; checks
//! made after parsing point at the step they concern.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_saphyr::MessageFormatter;

use super::located::Positions;
use super::model::{Capability, ClientSpec, Outcome, Scenario, Step};
use super::values::{parse_hex, ValueError};

/// A scenario read and checked, with where it came from.
#[derive(Clone, Debug)]
pub struct LoadedScenario {
    pub scenario: Scenario,
    pub path: PathBuf,
    /// `path` relative to the scenario directory, with `/` separators.
    pub relative: String,
}

/// Why a scenario file cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct LoadError {
    pub file: PathBuf,
    /// 1-based; 0 when the error has no position (an unreadable file).
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::located::write_at(f, &self.file, self.line, self.column, &self.message)
    }
}

/// Loads every `*.yaml` / `*.yml` file below `root`, in path order. Returns
/// the scenarios that loaded and the errors of those that did not; a
/// duplicate id is an error on its second file.
pub fn load_dir(root: &Path) -> (Vec<LoadedScenario>, Vec<LoadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    collect_yaml(root, &mut files, &mut errors);
    files.sort();
    let mut loaded: Vec<LoadedScenario> = Vec::new();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        match load_file(&file, root) {
            Ok(scenario) => {
                if let Some(first) = seen.get(&scenario.scenario.id) {
                    errors.push(LoadError {
                        file: file.clone(),
                        line: 1,
                        column: 1,
                        message: format!(
                            "scenario id `{}` is already used by {}",
                            scenario.scenario.id,
                            first.display()
                        ),
                    });
                    continue;
                }
                seen.insert(scenario.scenario.id.clone(), file.clone());
                loaded.push(scenario);
            }
            Err(error) => errors.push(error),
        }
    }
    (loaded, errors)
}

fn collect_yaml(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<LoadError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            errors.push(LoadError {
                file: dir.to_path_buf(),
                line: 0,
                column: 0,
                message: format!("cannot read the scenario directory: {error}"),
            });
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_yaml(&path, files, errors);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
}

/// Loads and checks one scenario file.
pub fn load_file(path: &Path, root: &Path) -> Result<LoadedScenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|error| LoadError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {error}"),
    })?;
    let scenario = parse(&text).map_err(|(line, column, message)| LoadError {
        file: path.to_path_buf(),
        line,
        column,
        message,
    })?;
    let relative = path
        .strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(LoadedScenario {
        scenario,
        path: path.to_path_buf(),
        relative,
    })
}

/// Parses and checks scenario text; errors as (line, column, message).
pub fn parse(text: &str) -> Result<Scenario, (u32, u32, String)> {
    let scenario: Scenario = serde_saphyr::from_str(text).map_err(yaml_error)?;
    check(&scenario, text)?;
    Ok(scenario)
}

/// The parser's message alone, on one line. [`LoadError`] puts the file,
/// line and column in front; the parser's own location and source snippet
/// (which name no file, only `<input>`) would repeat them.
/// A YAML error of any file the harness reads (scenarios, target
/// profiles) as (line, column, one-line message): the parser's position,
/// 1:1 when it has none.
pub(crate) fn yaml_error(error: serde_saphyr::Error) -> (u32, u32, String) {
    let (line, column) = error
        .location()
        .map(|at| {
            (
                u32::try_from(at.line()).unwrap_or(0),
                u32::try_from(at.column()).unwrap_or(0),
            )
        })
        .unwrap_or((1, 1));
    (line, column, yaml_message(&error))
}

fn yaml_message(error: &serde_saphyr::Error) -> String {
    let message = serde_saphyr::UserMessageFormatter.format_message(error.without_snippet());
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Checks what the types cannot: references between parts, and values
/// written as strings (durations, codes, hex).
fn check(scenario: &Scenario, text: &str) -> Result<(), (u32, u32, String)> {
    let top = |message: String| (1, 1, message);
    if scenario.id.is_empty()
        || !scenario
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
    {
        return Err(top(format!(
            "scenario id `{}` must be non-empty lowercase letters, digits, `.`, `-` or `_`",
            scenario.id
        )));
    }
    if scenario.rules.is_empty() {
        return Err(top(
            "`rules` must list the rules checked under at least one version".into(),
        ));
    }
    let catalogue = crate::catalogue::Catalogue::get();
    for (version, rules) in &scenario.rules {
        if rules.is_empty() {
            return Err(top(format!("`rules` for {version} is empty")));
        }
        if let Some(unknown) = rules.iter().find(|id| !catalogue.knows(*version, id)) {
            let (line, column) = Positions::rule(text, *version, unknown);
            return Err((
                line,
                column,
                format!(
                    "rule `{unknown}` is not a {version} statement of the will catalogue \
                 (harness/src/catalogue/rules.yaml); 3.1.1 and 5.0 number rules differently"
                ),
            ));
        }
    }
    for (name, client) in &scenario.clients {
        let at = |message: String| {
            let (line, column) = Positions::client(text, name);
            (line, column, message)
        };
        check_client(name, client).map_err(at)?;
        check_node(scenario, name, client.node.as_deref()).map_err(at)?;
    }
    if scenario.nodes.len() > 1 && !scenario.requires.contains(&Capability::SecondNode) {
        return Err(top(
            "a scenario with several `nodes` must declare `requires: [second_node]`".into(),
        ));
    }
    for step in &scenario.steps {
        check_step(scenario, &step.value).map_err(|message| (step.line, step.column, message))?;
    }
    Ok(())
}

/// A client's `node` must be one of the scenario's `nodes`.
fn check_node(scenario: &Scenario, name: &str, node: Option<&str>) -> Result<(), String> {
    match node {
        Some(node) if !scenario.nodes.iter().any(|n| n == node) => Err(format!(
            "client `{name}`: node `{node}` is not one of the scenario's `nodes` ({})",
            scenario.nodes.join(", ")
        )),
        _ => Ok(()),
    }
}

fn check_client(name: &str, client: &ClientSpec) -> Result<(), String> {
    if let Some(will) = &client.will {
        if will.qos > 2 {
            return Err(format!(
                "client `{name}`: will qos {} cannot be encoded; send Will QoS 3 with `connect_flags`",
                will.qos
            ));
        }
        will.payload
            .to_bytes()
            .map_err(|e| format!("client `{name}` will payload: {e}"))?;
        if let Some(data) = &will.correlation_data {
            data.to_bytes()
                .map_err(|e| format!("client `{name}` correlation_data: {e}"))?;
        }
    }
    if let Some(password) = &client.password {
        password
            .to_bytes()
            .map_err(|e| format!("client `{name}` password: {e}"))?;
    }
    Ok(())
}

fn check_step(scenario: &Scenario, step: &Step) -> Result<(), String> {
    let client = |name: &str| -> Result<(), String> {
        if scenario.clients.contains_key(name) {
            Ok(())
        } else {
            let known: Vec<&str> = scenario.clients.keys().map(String::as_str).collect();
            Err(format!(
                "unknown client `{name}`; this scenario's clients are: {}",
                known.join(", ")
            ))
        }
    };
    let value = |result: Result<(), ValueError>| result.map_err(|e| e.to_string());
    match step {
        Step::Connect(connect) => match connect {
            super::model::ConnectStep::Name(name) => client(name),
            super::model::ConnectStep::Full(details) => {
                client(&details.client)?;
                check_client(&details.client, &details.overrides)?;
                check_node(scenario, &details.client, details.overrides.node.as_deref())?;
                if let Some(outcome) = &details.expect {
                    check_outcome(outcome)?;
                }
                Ok(())
            }
        },
        Step::Subscribe(s) => {
            client(&s.client)?;
            if s.qos > 2 || s.retain_handling > 2 {
                return Err("subscribe: qos and retain_handling range over 0..=2".into());
            }
            match &s.expect {
                Some(matcher) => value(matcher.validate()),
                None => Ok(()),
            }
        }
        Step::Unsubscribe(s) => client(&s.client),
        Step::Publish(p) => {
            client(&p.client)?;
            if p.qos > 2 {
                return Err("publish: qos ranges over 0..=2".into());
            }
            value(p.payload.to_bytes().map(|_| ()))
        }
        Step::Disconnect(d) => {
            client(&d.client)?;
            match &d.reason {
                Some(code) => value(code.value().map(|_| ())),
                None => Ok(()),
            }
        }
        Step::Close(c) => client(&c.client),
        Step::GoSilent(r) | Step::Ping(r) => client(r.name()),
        Step::SendRaw(raw) => {
            client(&raw.client)?;
            match (&raw.hex, raw.first_byte, &raw.body) {
                (Some(hex), None, None) => value(parse_hex(hex).map(|_| ()))?,
                (None, Some(_), Some(body)) => {
                    value(parse_hex(&body.replace("{client_id}", "")).map(|_| ()))?
                }
                _ => {
                    return Err(
                        "send_raw takes either `hex`, or `first_byte` together with `body`".into(),
                    )
                }
            }
            match &raw.expect {
                Some(outcome) => check_outcome(outcome),
                None => Ok(()),
            }
        }
        Step::Wait(seconds) => value(seconds.to_duration().map(|_| ())),
        Step::ExpectPublish(e) => {
            client(&e.client)?;
            if let Some(payload) = &e.payload {
                value(payload.to_bytes().map(|_| ()))?;
            }
            if let Some(expiry) = &e.message_expiry {
                if expiry.is_empty() || expiry.len() > 2 {
                    return Err("message_expiry is `[exact]` or `[min, max]`".into());
                }
            }
            match &e.within {
                Some(window) => value(window.bounds().map(|_| ())),
                None => Ok(()),
            }
        }
        Step::ExpectNoPublish(e) => {
            client(&e.client)?;
            value(e.duration.to_duration().map(|_| ()))
        }
        Step::ExpectClose(e) => {
            client(&e.client)?;
            if let Some(outcome) = &e.expect {
                check_outcome(outcome)?;
            }
            match &e.within {
                Some(window) => value(window.bounds().map(|_| ())),
                None => Ok(()),
            }
        }
    }
}

fn check_outcome(outcome: &Outcome) -> Result<(), String> {
    match outcome {
        Outcome::Connack(m) | Outcome::Disconnect(m) => m.validate().map_err(|e| e.to_string()),
        Outcome::Closed => Ok(()),
        Outcome::OneOf(list) if list.is_empty() => Err("`one_of` lists no outcome".into()),
        Outcome::OneOf(list) => list.iter().try_for_each(check_outcome),
    }
}
