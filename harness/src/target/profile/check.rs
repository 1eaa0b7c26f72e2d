//! The checks a profile passes when it loads, beyond what its types
//! enforce: each error carries the line and column of the value at fault.

use super::{node_port_key, Isolation, Profile, PLACEHOLDERS, TLS_PLACEHOLDERS};
use crate::scenario::Located;

fn at<T>(value: &Located<T>, message: String) -> (u32, u32, String) {
    (value.line.max(1), value.column.max(1), message)
}

pub(super) fn check(profile: &Profile) -> Result<(), (u32, u32, String)> {
    let name = &profile.name;
    if name.value.is_empty()
        || !name
            .value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_-".contains(c))
    {
        return Err(at(
            name,
            format!(
                "profile name `{}` must be non-empty lowercase letters, digits, `-` or `_`",
                name.value
            ),
        ));
    }
    if let Some(image) = &profile.image {
        check_container(profile, image)?;
    } else if profile.command.value.trim().is_empty() {
        return Err(at(&profile.command, "`command` is empty".into()));
    }
    let mut strings: Vec<&Located<String>> = vec![&profile.command];
    strings.extend(&profile.args);
    strings.extend(profile.cmd.iter().flatten());
    strings.extend(profile.version_command.iter().flatten());
    if let Some(config) = &profile.config {
        strings.push(&config.template);
    }
    for node in &profile.nodes {
        if node.name.value.is_empty() || !node.name.value.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(at(
                &node.name,
                "a node name must be lowercase letters".into(),
            ));
        }
        strings.extend(node.args.iter().flatten());
        strings.extend(node.config.iter().map(|c| &c.template));
    }
    if profile.tls.is_some() && !profile.nodes.is_empty() {
        return Err((
            1,
            1,
            "`tls` with several `nodes` is not supported yet".into(),
        ));
    }
    for value in strings {
        if profile.tls.is_none() {
            if let Some(key) = TLS_PLACEHOLDERS.iter().find(|k| value.value.contains(*k)) {
                return Err(at(
                    value,
                    format!("`{key}` names a generated certificate; add `tls: generate`"),
                ));
            }
        }
        let mut text = value.value.clone();
        for node in &profile.nodes {
            text = text.replace(&node_port_key(&node.name.value), "");
        }
        if let Err(message) = check_placeholders(&text) {
            return Err(at(value, message));
        }
    }
    let uses_config = std::iter::once(&profile.command)
        .chain(&profile.args)
        .chain(profile.cmd.iter().flatten())
        .find(|a| a.value.contains("{config}"));
    match &profile.config {
        Some(config) => {
            let file = &config.file;
            if file.value.is_empty() || file.value.contains('/') || file.value.starts_with('.') {
                return Err(at(
                    file,
                    format!(
                        "config file `{}` must be a plain file name (it is written into the run's working directory)",
                        file.value
                    ),
                ));
            }
            if config.template.value.contains("{config}") {
                return Err(at(
                    &config.template,
                    "the config template cannot name itself with {config}".into(),
                ));
            }
        }
        None if uses_config.is_some() => {
            return Err(at(
                uses_config.unwrap_or(&profile.command),
                "`{config}` is used but the profile has no `config` template".into(),
            ))
        }
        None => {}
    }
    if profile.versions.value.is_empty() {
        return Err(at(
            &profile.versions,
            "`versions` must list at least one protocol version".into(),
        ));
    }
    let scale = profile.timeout_scale.value;
    if !(scale.is_finite() && scale > 0.0) {
        return Err(at(
            &profile.timeout_scale,
            format!("`timeout_scale` must be a positive number, not {scale}"),
        ));
    }
    if let Err(error) = profile.ready.timeout.value.to_duration() {
        return Err(at(
            &profile.ready.timeout,
            format!("`ready.timeout`: {error}"),
        ));
    }
    if let Some(version_command) = &profile.version_command {
        if version_command.is_empty() {
            return Err((1, 1, "`version_command` is empty".into()));
        }
    }
    Ok(())
}

/// The fields of a container profile: an image name, no host command, a
/// mount path for its config.
fn check_container(profile: &Profile, image: &Located<String>) -> Result<(), (u32, u32, String)> {
    if image.value.trim().is_empty() || image.value.contains(char::is_whitespace) {
        return Err(at(
            image,
            format!("`image` must be IMAGE[:TAG], not `{}`", image.value),
        ));
    }
    if !profile.command.value.is_empty() {
        return Err(at(
            &profile.command,
            "a profile has either `command` or `image`, not both".into(),
        ));
    }
    if let Some(arg) = profile.args.first() {
        return Err(at(
            arg,
            "a container profile takes `cmd` (the container's command), not `args`".into(),
        ));
    }
    if let Some(port) = &profile.container_port {
        if port.value == 0 {
            return Err(at(
                port,
                "`container_port` must be the broker's port, not 0".into(),
            ));
        }
    }
    if profile.isolation == Isolation::Scenario {
        return Err((
            1,
            1,
            "`isolation: scenario` is not supported for container profiles".into(),
        ));
    }
    if profile.tls.is_some() {
        return Err((
            1,
            1,
            "`tls` is not supported for container profiles yet".into(),
        ));
    }
    if profile.version_command.is_some() {
        return Err((
            1,
            1,
            "`version_command` runs on the host; a container profile's version is its image tag"
                .into(),
        ));
    }
    if let Some(config) = &profile.config {
        match &config.mount {
            Some(mount) if mount.value.starts_with('/') => {}
            Some(mount) => {
                return Err(at(
                    mount,
                    format!(
                        "`config.mount` must be an absolute path inside the container, not `{}`",
                        mount.value
                    ),
                ))
            }
            None => {
                return Err(at(
                    &config.file,
                    "a container profile's `config` needs `mount`: where the file goes inside the container".into(),
                ))
            }
        }
    }
    Ok(())
}

/// Every `{...}` in `text` must be a known placeholder.
fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Ok(());
        };
        let key = &after[..close];
        if key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !key.is_empty()
            && !PLACEHOLDERS.contains(&key)
        {
            return Err(format!(
                "unknown placeholder `{{{key}}}`; use {}",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}
